/**
 * Live gap fill: when a feed connection comes back after a loss, the trades
 * of the disconnected interval are fetched from REST (sources/rest/gap-fill.ts)
 * and pushed into the pipeline, in event order, before the events that follow
 * the reconnect. While the fill runs, that cluster is not read, so the merger's
 * watermark waits for it (up to `quiet_close_ms`) and windows still open come
 * out complete; filled events behind the watermark (windows already emitted)
 * follow `late_policy` (dropped and counted, or revised). Every gap is logged as
 * filled (events, requests) or not filled (why).
 *
 * Interval: event time from just after the last event received before the loss
 * (its millisecond excluded: it was delivered) up to the first event received
 * after the reconnect (its millisecond excluded too); before that event is known,
 * the reconnect's wall-clock time. Options: the contracts of the symbol seen that
 * day and the quoted set.
 */
import type { RestClient } from '../sources/rest/client.js';
import { fetchGapEvents, type GapFillResult } from '../sources/rest/gap-fill.js';
import { errorMessage } from '../util/errors.js';
import type { FeedGap } from '../sources/massive-ws/feed-types.js';
import type { FeedCluster, FeedDataEvent } from '../formats/massive-ws/types.js';
import { NS_PER_MS } from '../calendar/durations.js';

export interface LiveGapFillerOptions {
  readonly client: RestClient;
  readonly symbol: string;
  /** Contracts currently quoted (the rolling quote set), besides those seen trading. */
  readonly quotedTickers?: () => Iterable<string>;
  readonly log: (level: 'info' | 'warn', message: string) => void;
  readonly signal?: AbortSignal;
}

/** What one gap fill did: the interval asked of REST, and whether all of it came back. */
export interface GapFillOutcome {
  readonly cluster: FeedCluster;
  readonly fromMs: number;
  readonly toMs: number;
  readonly status: 'filled' | 'partial' | 'not_filled';
  /** Trades fetched and merged into the stream. */
  readonly trades: number;
  readonly error?: string;
}

export class LiveGapFiller {
  private readonly seen = new Set<string>();
  private readonly pending = new Map<FeedCluster, FeedGap>();
  private filledGaps = 0;
  private unfilledGaps = 0;

  constructor(private readonly o: LiveGapFillerOptions) {}

  /** An option trade of the symbol went by: its contract is refetched after a gap. */
  noteOptionTicker(ticker: string): void { this.seen.add(ticker); }

  /** The feed client reconnected after `gap` (its onGap callback). */
  onGap(cluster: FeedCluster, gap: FeedGap): void {
    const previous = this.pending.get(cluster);
    // Two losses before the first was filled: one interval covering both.
    this.pending.set(cluster, previous === undefined ? gap : { ...previous, toMs: gap.toMs, reason: `${previous.reason}; ${gap.reason}` });
  }

  hasPending(cluster: FeedCluster): boolean { return this.pending.has(cluster); }

  /** Event time (ms) of the last event received before the pending gap of `cluster`, if known. */
  lastEventBeforeGapMs(cluster: FeedCluster): number | undefined { return this.pending.get(cluster)?.lastEventMs; }

  get stats(): { filled: number; unfilled: number } { return { filled: this.filledGaps, unfilled: this.unfilledGaps }; }

  /** How the last `fill` went (for the gap ledger), undefined before the first. */
  get lastResult(): GapFillOutcome | undefined { return this.last; }

  private last: GapFillOutcome | undefined;

  /**
   * Fetches the pending gap of `cluster` (if any): its events in event order (empty when not
   * filled). `firstEventAfterMs`: event time of the first event received after the reconnect.
   */
  async fill(cluster: FeedCluster, firstEventAfterMs?: number): Promise<FeedDataEvent[]> {
    const gap = this.pending.get(cluster);
    if (gap === undefined) return [];
    this.pending.delete(cluster);
    const fromMs = gap.lastEventMs !== undefined ? gap.lastEventMs + 1 : gap.fromMs;
    const toMs = firstEventAfterMs ?? gap.toMs;
    const label = `${cluster} gap ${new Date(fromMs).toISOString()} → ${new Date(toMs).toISOString()} (${gap.reason})`;
    if (toMs <= fromMs) {
      this.o.log('info', `${label}: nothing to fill`);
      this.last = { cluster, fromMs, toMs, status: 'filled', trades: 0 };
      return [];
    }
    const optionTickers = cluster === 'options' ? [...new Set([...this.seen, ...(this.o.quotedTickers?.() ?? [])])].sort() : [];
    let r: GapFillResult;
    try {
      r = await fetchGapEvents(this.o.client, {
        cluster, symbol: this.o.symbol, optionTickers, fromNs: BigInt(fromMs) * NS_PER_MS, toNs: BigInt(toMs) * NS_PER_MS,
        ...(this.o.signal ? { signal: this.o.signal } : {}),
      });
    } catch (e) {
      this.unfilledGaps++;
      this.o.log('warn', `${label}: NOT filled: ${errorMessage(e)}; its events are missing`);
      this.last = { cluster, fromMs, toMs, status: 'not_filled', trades: 0, error: errorMessage(e) };
      return [];
    }
    this.last = r.failed.length > 0
      ? { cluster, fromMs, toMs, status: 'partial', trades: r.events.length, error: `${r.failed.length} contract(s) failed, e.g. ${r.failed[0]!.ticker}: ${r.failed[0]!.error}` }
      : { cluster, fromMs, toMs, status: 'filled', trades: r.events.length };
    if (r.failed.length > 0) {
      this.unfilledGaps++;
      this.o.log('warn', `${label}: partly filled: ${r.events.length} trade(s) from REST, but ${r.failed.length} contract(s) failed `
        + `(e.g. ${r.failed[0]!.ticker}: ${r.failed[0]!.error}); their trades in the gap are missing`);
    } else {
      this.filledGaps++;
      this.o.log('info', `${label}: filled with ${r.events.length} trade(s) from REST (${cluster === 'options' ? `${optionTickers.length} contract(s), ` : ''}${r.requests} request(s))`
        + (r.malformed > 0 ? `; ${r.malformed} malformed row(s) skipped` : ''));
    }
    return r.events;
  }
}
