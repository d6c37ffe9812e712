/**
 * What a live run keeps: the events it uses (RealtimeStore) and what it knows it missed
 * (GapLedger), flushed together every `[live] flush_interval`.
 *
 * At start the recorder looks at the latest day the realtime tables hold: when the ledger shows
 * that the previous run of that day never ended (killed), the interval from its last stored
 * event's arrival to now is recorded as a `process_restart` gap; when it ended, as `not_running`.
 * Per flush it records the events the feed clients dropped (slow consumer) and the late events of
 * that interval; the clients' reconnection gaps are recorded as they are reported.
 */
import { withPartitionsIfFree } from '../lake/lock.js';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { nyDateOfNs } from '../calendar/index.js';
import { GapLedger, readLedger } from './gap-ledger.js';
import { REALTIME_DATASETS, type RealtimeRecord } from './realtime-columns.js';
import { RealtimeStore, type RealtimeStoreStats } from './realtime-store.js';
import { compactRealtimeDay } from './realtime-compact.js';
import { errorMessage } from '../util/errors.js';

export interface RecorderOptions {
  readonly lake: string;
  readonly runId: string;
  readonly symbol: string;
  readonly zstdLevel: number;
  readonly version: string;
  readonly nowMs?: number;
  /** Compaction of a finished day (realtime-compact.ts); default: not compacted by the recorder. */
  readonly compaction?: { readonly rowGroupRows: number; readonly fileSizeTargetBytes: number };
  readonly onLog?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

/** Counters the recorder turns into per-interval ledger entries. */
export interface RecorderCounters {
  /** Events dropped by each feed client so far. */
  readonly droppedByCluster: Readonly<Record<string, number>>;
  readonly late: number;
  readonly lateDropped: number;
  readonly lateRevised: number;
  /** Latest event time seen (dates the entries), or undefined. */
  readonly maxEventTimeNs: bigint | undefined;
}

const nyDateOfMs = (ms: number): string => nyDateOfNs(BigInt(Math.floor(ms)) * 1_000_000n);

export class LiveRecorder {
  readonly store: RealtimeStore;
  readonly ledger: GapLedger;
  readonly #o: RecorderOptions;
  #last: RecorderCounters = { droppedByCluster: {}, late: 0, lateDropped: 0, lateRevised: 0, maxEventTimeNs: undefined };
  #lastFlushMs: number;
  /** run_start is written to the ledger of the first event's date (the run's day), at the first flush that has one. */
  #startLogged = false;
  /** Days already compacted by this run. */
  readonly #compacted = new Set<string>();
  readonly #startMs: number;
  #flushing: Promise<void> = Promise.resolve();
  /** The restart gap found at start, for the log. */
  readonly restartGap: { readonly date: string; readonly fromMs: number; readonly toMs: number; readonly reason: string } | undefined;

  private constructor(o: RecorderOptions, store: RealtimeStore, restartGap: LiveRecorder['restartGap']) {
    this.#o = o;
    this.store = store;
    this.ledger = new GapLedger(o.lake);
    this.#lastFlushMs = this.#startMs = o.nowMs ?? Date.now();
    this.restartGap = restartGap;
  }

  static async open(o: RecorderOptions): Promise<LiveRecorder> {
    const now = o.nowMs ?? Date.now();
    const store = await RealtimeStore.open({ lake: o.lake, runId: o.runId, zstdLevel: o.zstdLevel, version: o.version });
    const restartGap = await previousRunGap(o.lake, store, now);
    const r = new LiveRecorder(o, store, restartGap);
    if (restartGap !== undefined) {
      r.ledger.add(restartGap.date, { type: 'gap', run_id: o.runId, cluster: 'all', from_ms: restartGap.fromMs, to_ms: restartGap.toMs, reason: restartGap.reason });
    }
    await r.ledger.flush();
    return r;
  }

  add(record: RealtimeRecord): void {
    this.store.add(record);
  }

  /** A feed client's reconnection gap. */
  gap(cluster: string, gap: { fromMs: number; toMs: number; lastEventMs?: number; reason: string }): void {
    const date = gap.lastEventMs !== undefined ? nyDateOfMs(gap.lastEventMs) : nyDateOfMs(gap.fromMs);
    this.ledger.add(date, {
      type: 'gap', run_id: this.#o.runId, cluster, from_ms: gap.fromMs, to_ms: gap.toMs,
      ...(gap.lastEventMs !== undefined ? { last_event_ms: gap.lastEventMs } : {}), reason: gap.reason,
    });
  }

  /** How a reconnection gap was filled from REST (windows already emitted before the fill count as `late`). */
  gapFill(outcome: { cluster: string; fromMs: number; toMs: number; status: 'filled' | 'partial' | 'not_filled'; trades: number; error?: string }, late: number): void {
    this.ledger.add(nyDateOfMs(outcome.fromMs), {
      type: 'gap_fill', run_id: this.#o.runId, cluster: outcome.cluster, from_ms: outcome.fromMs, to_ms: outcome.toMs,
      status: outcome.status, trades: outcome.trades, late, ...(outcome.error !== undefined ? { error: outcome.error } : {}),
    });
  }

  /** Flushes the events and the ledger (serialised: one flush at a time). */
  flush(counters: RecorderCounters, nowMs = Date.now(), closing = false): Promise<void> {
    this.#flushing = this.#flushing.then(async () => {
      this.#intervalEntries(counters, nowMs, closing);
      await this.store.flush(nowMs);
      await this.ledger.flush();
      // A day is over once events of a later day arrive: its per-flush files are compacted (in this chain, so no
      // flush writes into a partition while it is replaced). Stragglers of that day go to new files afterwards.
      if (counters.maxEventTimeNs !== undefined) await this.#compactBefore(nyDateOfNs(counters.maxEventTimeNs));
    });
    return this.#flushing;
  }

  /** Compacts every day this run received events for (the stream ended: the days are complete). */
  compactAll(): Promise<void> {
    this.#flushing = this.#flushing.then(() => this.#compactBefore('9999-12-31'));
    return this.#flushing;
  }

  async #compactBefore(date: string): Promise<void> {
    const c = this.#o.compaction;
    if (c === undefined) return;
    const due = this.store.dates().filter((day) => day < date && !this.#compacted.has(day));
    if (due.length === 0) return;
    // Compaction publishes partitions: each under its partition lock, like every writer. A day whose
    // partition another run holds stays in per-flush files (finalize compacts whatever is left).
    const r = await withPartitionsIfFree(() => this.#compactDays(due, c));
    if (!r.ran && !this.#waitLogged) this.#o.onLog?.('info', `realtime compaction waits for the lake: ${r.busy}`);
    this.#waitLogged = !r.ran;
  }

  #waitLogged = false;

  async #compactDays(due: readonly string[], c: NonNullable<RecorderOptions['compaction']>): Promise<void> {
    for (const day of due) {
      this.#compacted.add(day);
      const duck = await this.store.duck();
      for (const dataset of REALTIME_DATASETS) {
        try {
          const done = await compactRealtimeDay(duck, {
            lake: this.#o.lake, dataset, date: day, runId: `${this.#o.runId}-c`, rowGroupRows: c.rowGroupRows,
            fileSizeTargetBytes: c.fileSizeTargetBytes, zstdLevel: this.#o.zstdLevel, version: this.#o.version,
          });
          if (done !== undefined) this.#o.onLog?.('info', `${dataset} ${day}: ${done.files} files compacted (${done.rows} events)`);
        } catch (e) {
          // The per-flush files stay as they were (nothing is published half-way); finalize compacts them.
          this.#o.onLog?.('warn', `${dataset} ${day}: compaction failed, the per-flush files stay: ${errorMessage(e)}`);
        }
      }
    }
  }

  /** Final flush and the run_end entry. */
  async close(counters: RecorderCounters, reason: string, nowMs = Date.now()): Promise<void> {
    await this.flush(counters, nowMs, true);
    const date = counters.maxEventTimeNs !== undefined ? nyDateOfNs(counters.maxEventTimeNs) : nyDateOfMs(nowMs);
    this.ledger.add(date, { type: 'run_end', run_id: this.#o.runId, at_ms: nowMs, reason });
    await this.ledger.flush();
    this.store.close();
  }

  stats(): RealtimeStoreStats {
    return this.store.stats();
  }

  #intervalEntries(c: RecorderCounters, nowMs: number, closing = false): void {
    const date = c.maxEventTimeNs !== undefined ? nyDateOfNs(c.maxEventTimeNs) : nyDateOfMs(nowMs);
    const from = this.#lastFlushMs, runId = this.#o.runId;
    if (!this.#startLogged && (c.maxEventTimeNs !== undefined || closing)) {
      this.#startLogged = true;
      this.ledger.add(date, { type: 'run_start', run_id: runId, at_ms: this.#startMs, symbol: this.#o.symbol });
    }
    for (const [cluster, dropped] of Object.entries(c.droppedByCluster)) {
      const delta = dropped - (this.#last.droppedByCluster[cluster] ?? 0);
      if (delta > 0) this.ledger.add(date, { type: 'dropped', run_id: runId, cluster, count: delta, from_ms: from, to_ms: nowMs });
    }
    const late = c.late - this.#last.late;
    if (late > 0) {
      this.ledger.add(date, {
        type: 'late', run_id: runId, count: late, dropped: c.lateDropped - this.#last.lateDropped, revised: c.lateRevised - this.#last.lateRevised,
        from_ms: from, to_ms: nowMs,
      });
    }
    this.#last = c;
    this.#lastFlushMs = nowMs;
  }
}

/** The gap since the previous run of the latest day in the realtime tables, if any. */
async function previousRunGap(lake: string, store: RealtimeStore, nowMs: number): Promise<LiveRecorder['restartGap']> {
  let latest: string | undefined;
  for (const dataset of REALTIME_DATASETS) {
    let names: string[];
    try { names = readdirSync(join(lake, dataset)); } catch { continue; }
    for (const n of names) {
      const m = /^date=(\d{4}-\d{2}-\d{2})$/.exec(n);
      if (m && (latest === undefined || m[1]! > latest)) latest = m[1]!;
    }
  }
  if (latest === undefined) return undefined;
  let lastReceivedMs: number | undefined;
  for (const dataset of REALTIME_DATASETS) {
    const max = await store.storedMaxNs(dataset, latest);
    if (max !== undefined) {
      const ms = Number(max.maxReceivedNs / 1_000_000n);
      lastReceivedMs = lastReceivedMs === undefined ? ms : Math.max(lastReceivedMs, ms);
    }
  }
  if (lastReceivedMs === undefined) return undefined;
  const ended = [...readLedger(lake, latest)].reverse().find((e) => e.type === 'run_start' || e.type === 'run_end');
  if (ended !== undefined && ended.type === 'run_end') return { date: latest, fromMs: Math.max(ended.at_ms, lastReceivedMs), toMs: nowMs, reason: 'not_running' };
  return { date: latest, fromMs: lastReceivedMs, toMs: nowMs, reason: 'process_restart' };
}
