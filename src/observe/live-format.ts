/**
 * The live section of the run snapshot (live-snapshot.ts) as text for people: the pieces the
 * terminal dashboard and the plain progress line share. Window times are New York wall-clock
 * times (windows are on the New York session grid). Pure: no I/O.
 */
import { utcMsToNyClock } from '../calendar/nyTime.js';
import type { LiveConnectionStatus, LiveFinalizeDay, LiveStatus, LiveWindowStatus } from './live-snapshot.js';

/** A count with thousands separators, `1,234`. */
function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A lag for people: ms below 10 s, then s, min, h; `–` when unknown. */
export function formatLag(ms: number | undefined): string {
  if (ms === undefined) return '–';
  if (Math.abs(ms) < 10_000) return `${ms} ms`;
  if (Math.abs(ms) < 600_000) return `${(ms / 1000).toFixed(1)} s`;
  if (Math.abs(ms) < 36_000_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

/**
 * One cluster's connection: `stocks streaming`, or while it is not streaming, the failed
 * attempts and the last cause: `options reconnecting (3 failed attempts; last: connection refused (ECONNREFUSED 127.0.0.1:9))`.
 */
export function connectionText(c: Pick<LiveConnectionStatus, 'cluster' | 'state' | 'failedAttempts' | 'lastError'>): string {
  if (c.state === 'streaming' || c.lastError === undefined) return `${c.cluster} ${c.state}`;
  const attempts = c.failedAttempts > 0 ? `${c.failedAttempts} failed attempt${c.failedAttempts === 1 ? '' : 's'}; ` : '';
  return `${c.cluster} ${c.state} (${attempts}last: ${c.lastError})`;
}

/** `stocks 12 ms, options 1.2 s`. */
export function lagText(live: LiveStatus): string {
  return live.connections.map((c) => `${c.cluster} ${formatLag(c.lagMs)}`).join(', ');
}

/** A dollar amount, compact: `1.23M`, `45.6k`, `512`; `–` when unknown. */
export function formatDollars(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '–';
  const a = Math.abs(value);
  if (a >= 1e9) return `${(value / 1e9).toFixed(2)}B`;
  if (a >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (a >= 1e3) return `${(value / 1e3).toFixed(1)}k`;
  return value.toFixed(0);
}

/** A price with cents, `–` when unknown. */
export function formatPrice(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(2);
}

/** New York wall-clock time of an instant, `09:35:00`. */
export function nyClockOfMs(ms: number): string {
  return utcMsToNyClock(ms);
}

/**
 * The last closed window of one size on one line:
 * `1m 09:35:00  close 680.12  dadvv C 1.23M P 456.0k  gadvv C 12.3k P 4.5k  agg buys 12 sells 9`.
 */
export function windowText(w: LiveWindowStatus): string {
  const parts = [
    `${w.window} ${nyClockOfMs(w.windowStartMs)}`,
    `close ${formatPrice(w.close)}`,
    `dadvv C ${formatDollars(w.callsDadvv)} P ${formatDollars(w.putsDadvv)}`,
    `gadvv C ${formatDollars(w.callsGadvv)} P ${formatDollars(w.putsGadvv)}`,
  ];
  if (w.aggressiveBuys !== undefined || w.aggressiveSells !== undefined) {
    parts.push(`agg buys ${formatCount(w.aggressiveBuys ?? 0)} sells ${formatCount(w.aggressiveSells ?? 0)}`);
  }
  return parts.join('  ');
}

/** `2025-11-06 done; 2025-11-07 waiting until 2025-11-10T16:00:00Z (after 2 attempts)`. */
export function finalizeText(days: readonly LiveFinalizeDay[]): string {
  if (days.length === 0) return 'nothing to finalize yet';
  return days.map((d) => {
    if (d.state === 'done') return `${d.date} done`;
    if (d.state === 'running') return `${d.date} running (attempt ${d.attempts})`;
    const at = d.nextAtMs === undefined ? '' : ` until ${new Date(d.nextAtMs).toISOString().replace(/\.\d+Z$/, 'Z')}`;
    return `${d.date} waiting${at}${d.attempts > 0 ? ` (after ${d.attempts} attempt${d.attempts > 1 ? 's' : ''})` : ''}`;
  }).join('; ');
}

/** `feed 0, jsonl 0, sse clients 0` (and `released early N` when the merger had to). */
export function droppedText(live: LiveStatus): string {
  const d = live.dropped;
  return `feed ${formatCount(d.feed)}, jsonl ${formatCount(d.jsonl)}, sse clients ${formatCount(d.sseClients)}`
    + (d.mergerReleasedEarly > 0 ? `, released early ${formatCount(d.mergerReleasedEarly)}` : '');
}

/** The live section as `key=value` parts of the plain progress line. */
export function liveStatusParts(live: LiveStatus): string[] {
  const parts = [
    `connection=${live.connections.map(connectionText).join(', ')}`,
    `msgs/s=${formatCount(live.eventsPerSecond)}`,
    `lag=${lagText(live)}`,
    `rows=${formatCount(live.rows)}`,
    `late=${formatCount(live.late.total)} (${formatCount(live.late.dropped)} dropped, ${formatCount(live.late.revised)} revised)`,
    `dropped=${droppedText(live)}`,
  ];
  for (const w of live.lastWindows) parts.push(`last ${w.window}=${nyClockOfMs(w.windowStartMs)}`);
  return parts;
}
