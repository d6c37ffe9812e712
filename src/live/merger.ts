/**
 * Event-time merge of the realtime clusters behind a watermark. Pure: no I/O, no clock (the
 * caller passes wall-clock milliseconds).
 *
 * Total order of events (the same order the historical jobs use, src/options/greeks-job.ts and
 * src/features/job.ts: FEATURES.md "at equal time, quotes and underlying trades come before
 * option trades, then by sequence number"):
 *
 *   1. `sipTimestampNs` ascending;
 *   2. kind rank: option quote (0), underlying trade (1), option trade (2). Quotes and underlying
 *      trades touch disjoint state (quote book vs as-of S), so their relative order cannot change
 *      a result; fixing it makes the order total;
 *   3. sequence number ascending (the feed's `q`);
 *   4. arrival order (stable for exact duplicates).
 *
 * Watermark (epoch ns): per cluster we know the highest event time seen (`maxSeenNs`) and when
 * its last event arrived (wall ms). A cluster is *active* when it has not ended and has sent
 * something within `quietCloseMs` (or was registered less than `quietCloseMs` ago). Then
 *
 *   - some cluster active:      W = min over active clusters of maxSeenNs − allowedLatenessNs
 *     (an active cluster that has sent nothing yet holds the watermark back: undefined);
 *   - every cluster quiet/ended: W = (highest maxSeenNs + wall ms since the last arrival) −
 *     allowedLatenessNs: the event clock is extrapolated with the wall clock so a quiet feed
 *     still closes its windows (the "quiet timer").
 *
 * W never decreases. {@link EventMerger.release} hands out, in the total order, every buffered
 * event with time ≤ W. An event pushed with time ≤ the last released watermark is *late*: it is
 * not buffered (the caller decides: drop, or revise; see src/live/pipeline.ts) and counted.
 *
 * Memory: at most `maxBufferedEvents` wait; beyond that the oldest are released early (see the
 * option), so a cluster running far ahead of a slow one cannot grow memory without bound.
 */
import type { FeedCluster, FeedDataEvent } from './protocol.js';

/** Rank of each event kind at equal event time (lower first). */
export const KIND_RANK: Readonly<Record<FeedDataEvent['kind'], number>> = Object.freeze({
  optionQuote: 0,
  stockTrade: 1,
  optionTrade: 2,
});

/** Event time of a feed event, epoch ns. */
export function eventTimeNs(e: FeedDataEvent): bigint {
  return e.kind === 'optionQuote' ? e.quote.sipTimestampNs : e.trade.sipTimestampNs;
}

/** Sequence number (`q`) of a feed event. */
export function eventSequence(e: FeedDataEvent): number {
  return e.kind === 'optionQuote' ? e.quote.sequence : e.trade.sequence;
}

/** The total order above without the arrival tie-break: negative when `a` comes first. */
export function compareEvents(a: FeedDataEvent, b: FeedDataEvent): number {
  const ta = eventTimeNs(a), tb = eventTimeNs(b);
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ra = KIND_RANK[a.kind], rb = KIND_RANK[b.kind];
  if (ra !== rb) return ra - rb;
  return eventSequence(a) - eventSequence(b);
}

export interface EventMergerOptions {
  /** Clusters whose events are merged; each must send (or go quiet) before the watermark moves. */
  readonly clusters: readonly FeedCluster[];
  /** `[aggregations] allowed_lateness`, ns. */
  readonly allowedLatenessNs: bigint;
  /** `[aggregations] quiet_close_ms`: a cluster silent this long stops holding the watermark back. */
  readonly quietCloseMs: number;
  /** Wall clock at creation, ms (a cluster that never sends is quiet `quietCloseMs` after it). */
  readonly startMs: number;
  /**
   * Most events held behind the watermark (memory bound when one cluster runs far ahead of the
   * other); beyond it the oldest are released early and the watermark jumps to them (counted in
   * `forcedReleases`: later events of the slower cluster may then be late). Default 2 000 000.
   */
  readonly maxBufferedEvents?: number;
}

interface ClusterState {
  maxSeenNs: bigint | undefined;
  lastArrivalMs: number;
  ended: boolean;
}

interface Entry {
  readonly event: FeedDataEvent;
  readonly timeNs: bigint;
  readonly rank: number;
  readonly sequence: number;
  readonly arrival: number;
}

function before(a: Entry, b: Entry): boolean {
  if (a.timeNs !== b.timeNs) return a.timeNs < b.timeNs;
  if (a.rank !== b.rank) return a.rank < b.rank;
  if (a.sequence !== b.sequence) return a.sequence < b.sequence;
  return a.arrival < b.arrival;
}

/** What {@link EventMerger.push} did with an event. */
export type PushOutcome = 'buffered' | 'late';

export class EventMerger {
  readonly allowedLatenessNs: bigint;
  readonly quietCloseMs: number;
  readonly maxBufferedEvents: number;
  readonly #clusters = new Map<FeedCluster, ClusterState>();
  readonly #heap: Entry[] = [];
  #arrivals = 0;
  #watermarkNs: bigint | undefined;
  #globalMaxNs: bigint | undefined;
  #lastArrivalMs: number;
  #late = 0;
  #released = 0;
  #highWater = 0;
  #forced = 0;

  constructor(options: EventMergerOptions) {
    if (options.clusters.length === 0) throw new RangeError('the merger needs at least one cluster');
    if (options.allowedLatenessNs < 0n) throw new RangeError('allowed lateness must be ≥ 0');
    this.allowedLatenessNs = options.allowedLatenessNs;
    this.quietCloseMs = options.quietCloseMs;
    this.maxBufferedEvents = options.maxBufferedEvents ?? 2_000_000;
    if (!(this.maxBufferedEvents >= 1)) throw new RangeError('maxBufferedEvents must be ≥ 1');
    this.#lastArrivalMs = options.startMs;
    for (const c of options.clusters) this.#clusters.set(c, { maxSeenNs: undefined, lastArrivalMs: options.startMs, ended: false });
  }

  /** Events pushed behind the watermark (not buffered). */
  get lateEvents(): number { return this.#late; }
  /** Events handed out by release/drain. */
  get releasedEvents(): number { return this.#released; }
  /** Events waiting for the watermark. */
  get depth(): number { return this.#heap.length; }
  /** Events released before the watermark reached them because the buffer was full. */
  get forcedReleases(): number { return this.#forced; }
  /** Highest depth reached. */
  get highWaterDepth(): number { return this.#highWater; }
  /** Every event with time ≤ this has been released (undefined before the first release). */
  get watermarkNs(): bigint | undefined { return this.#watermarkNs; }
  /** Highest event time pushed on any cluster. */
  get maxEventTimeNs(): bigint | undefined { return this.#globalMaxNs; }

  /**
   * Adds an event that arrived on `cluster` at wall time `nowMs`. Returns 'late' (and does not
   * keep it) when its time is at or behind the released watermark.
   */
  push(cluster: FeedCluster, event: FeedDataEvent, nowMs: number): PushOutcome {
    const state = this.#clusters.get(cluster);
    if (state === undefined) throw new RangeError(`cluster ${cluster} is not merged`);
    const timeNs = eventTimeNs(event);
    state.lastArrivalMs = nowMs;
    if (nowMs > this.#lastArrivalMs) this.#lastArrivalMs = nowMs;
    if (state.maxSeenNs === undefined || timeNs > state.maxSeenNs) state.maxSeenNs = timeNs;
    if (this.#globalMaxNs === undefined || timeNs > this.#globalMaxNs) this.#globalMaxNs = timeNs;
    if (this.#watermarkNs !== undefined && timeNs <= this.#watermarkNs) {
      this.#late++;
      return 'late';
    }
    this.#heapPush({ event, timeNs, rank: KIND_RANK[event.kind], sequence: eventSequence(event), arrival: this.#arrivals++ });
    return 'buffered';
  }

  /** The cluster's stream is over (e.g. a replay closed it): it no longer holds the watermark back. */
  endCluster(cluster: FeedCluster): void {
    const state = this.#clusters.get(cluster);
    if (state !== undefined) state.ended = true;
  }

  /** The watermark the rules above give at `nowMs` (not applied), or undefined when it cannot move yet. */
  candidateWatermarkNs(nowMs: number): bigint | undefined {
    let activeMin: bigint | undefined;
    let anyActive = false;
    for (const s of this.#clusters.values()) {
      if (s.ended || nowMs - s.lastArrivalMs >= this.quietCloseMs) continue;
      anyActive = true;
      if (s.maxSeenNs === undefined) return undefined;
      if (activeMin === undefined || s.maxSeenNs < activeMin) activeMin = s.maxSeenNs;
    }
    if (anyActive) return activeMin! - this.allowedLatenessNs;
    if (this.#globalMaxNs === undefined) return undefined;
    const quietMs = Math.max(0, nowMs - this.#lastArrivalMs);
    return this.#globalMaxNs + BigInt(Math.floor(quietMs)) * 1_000_000n - this.allowedLatenessNs;
  }

  /**
   * Advances the watermark to its candidate at `nowMs` (never backwards) and hands every
   * buffered event at or before it to `onEvent`, in order. Returns the watermark (undefined
   * while it cannot move).
   */
  release(nowMs: number, onEvent: (e: FeedDataEvent) => void): bigint | undefined {
    const candidate = this.candidateWatermarkNs(nowMs);
    if (candidate !== undefined && (this.#watermarkNs === undefined || candidate > this.#watermarkNs)) this.#watermarkNs = candidate;
    let w = this.#watermarkNs;
    // Over the memory bound: the oldest go now, and the watermark follows them.
    while (this.#heap.length > this.maxBufferedEvents) {
      const oldest = this.#heap[0]!.timeNs;
      if (w === undefined || oldest > w) this.#watermarkNs = w = oldest;
      this.#forced++;
      this.#released++;
      onEvent(this.#heapPop().event);
    }
    if (w === undefined) return undefined;
    while (this.#heap.length > 0 && this.#heap[0]!.timeNs <= w) {
      this.#released++;
      onEvent(this.#heapPop().event);
    }
    return w;
  }

  /**
   * End of the stream: hands out every buffered event in order and moves the watermark to the
   * highest event time seen (later pushes at or before it are late).
   */
  drain(onEvent: (e: FeedDataEvent) => void): void {
    while (this.#heap.length > 0) {
      this.#released++;
      onEvent(this.#heapPop().event);
    }
    if (this.#globalMaxNs !== undefined && (this.#watermarkNs === undefined || this.#globalMaxNs > this.#watermarkNs)) {
      this.#watermarkNs = this.#globalMaxNs;
    }
  }

  #heapPush(e: Entry): void {
    const h = this.#heap;
    let i = h.length;
    h.push(e);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(e, h[p]!)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = e;
    if (h.length > this.#highWater) this.#highWater = h.length;
  }

  #heapPop(): Entry {
    const h = this.#heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      const n = h.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && before(h[r]!, h[l]!) ? r : l;
        if (!before(h[c]!, last)) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}
