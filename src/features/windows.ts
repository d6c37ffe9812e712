/**
 * The window grid (FEATURES.md "Windows"): a window of size `sizeNs` is the
 * half-open interval [startNs, startNs + sizeNs) with `startNs` a multiple of
 * the size since the Unix epoch, so a trade at exactly `start + size` belongs
 * to the next window. A day's grid is every window that overlaps its session:
 * 390 one-minute windows on a regular day, 78 five-minute ones, a 45m grid
 * that starts at 09:15 (the window [09:15, 10:00) overlaps 09:30), 210
 * one-minute windows on a half day. Session bounds come from the NYSE
 * calendar, so DST days need nothing special here: the grid is UTC arithmetic
 * over the day's (DST-aware) UTC bounds.
 *
 * All times are epoch nanoseconds (bigint: they exceed 2^53). Pure: no I/O.
 */
import { parseWindow, type NyseCalendar, type SessionKind } from '../calendar/index.js';

/** A window size as configured: its label ('5m', as written in config and output rows) and its length. */
export interface WindowSpec {
  readonly label: string;
  readonly sizeNs: bigint;
}

/** Half-open [startNs, endNs) session bounds of one New York day. */
export interface SessionBounds {
  readonly startNs: bigint;
  readonly endNs: bigint;
}

/** Window specs for labels such as ['1m', '5m']; throws RangeError on a size that does not divide a day, or a repeat. */
export function windowSpecs(labels: readonly string[]): WindowSpec[] {
  const seen = new Map<bigint, string>();
  return labels.map((label) => {
    const sizeNs = parseWindow(label);
    const first = seen.get(sizeNs);
    if (first !== undefined) throw new RangeError(`window ${JSON.stringify(label)} repeats ${JSON.stringify(first)}`);
    seen.set(sizeNs, label);
    return { label, sizeNs };
  });
}

/** Start of the window of size `sizeNs` holding `timeNs` (floor to a multiple of the size; exact for negative times too). */
export function windowStartOf(timeNs: bigint, sizeNs: bigint): bigint {
  const rem = timeNs % sizeNs;
  return rem < 0n ? timeNs - rem - sizeNs : timeNs - rem;
}

/**
 * Starts of every window of size `sizeNs` that overlaps [session.startNs,
 * session.endNs), ascending. Empty when the session is empty.
 */
export function gridStarts(session: SessionBounds, sizeNs: bigint): bigint[] {
  const starts: bigint[] = [];
  for (let start = windowStartOf(session.startNs, sizeNs); start < session.endNs; start += sizeNs) starts.push(start);
  return starts;
}

/**
 * Session bounds of a New York date for the feature grid, or undefined when
 * the date has no such session (`regular` and `extended` on a weekend or
 * holiday; `all` covers any calendar day).
 */
export function sessionOf(calendar: NyseCalendar, date: string, session: SessionKind): SessionBounds | undefined {
  if (session !== 'all' && !calendar.isTradingDay(date)) return undefined;
  return calendar.sessionBoundsNs(date, session);
}

/** True when `timeNs` lies in the half-open session. */
export function inSession(session: SessionBounds, timeNs: bigint): boolean {
  return timeNs >= session.startNs && timeNs < session.endNs;
}
