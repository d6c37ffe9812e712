/**
 * When a long-running `gammaflow live` finalizes a day: each day it wrote prelim rows for becomes
 * due once its flat files may be published (`ingest.publish_hour_et` New York time on the next
 * trading day, NyseCalendar.expectedPublishMs); an attempt that fails (files not published yet, a
 * step failed) is retried after `retryMinMs`, doubling up to `retryMaxMs`. One attempt at a time,
 * oldest day first.
 *
 * Pure: no I/O; the clock is passed in.
 */
import type { NyseCalendar } from '../calendar/index.js';
import type { LiveFinalizeDay } from '../observe/live-snapshot.js';

export interface FinalizeScheduleOptions {
  readonly calendar: NyseCalendar;
  readonly publishHourEt: number;
  readonly retryMinMs: number;
  readonly retryMaxMs: number;
}

type DayState =
  | { readonly kind: 'waiting'; readonly atMs: number; readonly attempts: number }
  | { readonly kind: 'running'; readonly attempts: number }
  | { readonly kind: 'done'; readonly attempts: number };

export class FinalizeSchedule {
  readonly #o: FinalizeScheduleOptions;
  readonly #days = new Map<string, DayState>();

  constructor(options: FinalizeScheduleOptions) {
    this.#o = options;
  }

  /** A day with prelim rows (idempotent; a day already done stays done). */
  noteDay(date: string): void {
    if (this.#days.has(date)) return;
    this.#days.set(date, { kind: 'waiting', atMs: this.#o.calendar.expectedPublishMs(date, this.#o.publishHourEt), attempts: 0 });
  }

  /** The day to finalize now, if any (none while an attempt runs). */
  due(nowMs: number): string | undefined {
    if ([...this.#days.values()].some((s) => s.kind === 'running')) return undefined;
    const ready = [...this.#days].filter(([, s]) => s.kind === 'waiting' && s.atMs <= nowMs).map(([d]) => d).sort();
    return ready[0];
  }

  started(date: string): void {
    const s = this.#days.get(date);
    if (s?.kind !== 'waiting') throw new RangeError(`finalize of ${date} started while ${s?.kind ?? 'unknown'}`);
    this.#days.set(date, { kind: 'running', attempts: s.attempts + 1 });
  }

  /** The outcome of an attempt; returns when a failed day is tried again (ms), or undefined when done. */
  finished(date: string, ok: boolean, nowMs: number): number | undefined {
    const s = this.#days.get(date);
    if (s?.kind !== 'running') throw new RangeError(`finalize of ${date} finished while ${s?.kind ?? 'unknown'}`);
    if (ok) {
      this.#days.set(date, { kind: 'done', attempts: s.attempts });
      return undefined;
    }
    const delay = Math.min(this.#o.retryMaxMs, this.#o.retryMinMs * 2 ** (s.attempts - 1));
    this.#days.set(date, { kind: 'waiting', atMs: nowMs + delay, attempts: s.attempts });
    return nowMs + delay;
  }

  /** Every day noted, oldest first, for the run snapshot. */
  days(): LiveFinalizeDay[] {
    return [...this.#days].sort(([a], [b]) => (a < b ? -1 : 1)).map(([date, s]) => ({
      date, state: s.kind, attempts: s.attempts, nextAtMs: s.kind === 'waiting' ? s.atMs : undefined,
    }));
  }
}
