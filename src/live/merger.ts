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
  /** Number(maxSeenNs); −∞ while undefined. */
  maxSeenKey: number;
  /** Bumped whenever maxSeenNs changes. */
  maxSeenVersion: number;
  lastArrivalMs: number;
  ended: boolean;
  /**
   * The cluster's events that arrived in order (each at or after the previous one in the total
   * order): a sorted run, read from `head`. Events arriving out of order go to the heap.
   */
  run: Entry[];
  head: number;
}

interface Entry {
  readonly event: FeedDataEvent;
  readonly timeNs: bigint;
  /**
   * Number(timeNs): rounding is monotone, so a different key decides the time order without a
   * BigInt comparison (only equal keys, i.e. times within ~256 ns, compare the BigInts).
   */
  readonly timeKey: number;
  readonly rank: number;
  readonly sequence: number;
  readonly arrival: number;
}

function before(a: Entry, b: Entry): boolean {
  if (a.timeKey !== b.timeKey) return a.timeKey < b.timeKey;
  if (a.timeNs !== b.timeNs) return a.timeNs < b.timeNs;
  if (a.rank !== b.rank) return a.rank < b.rank;
  if (a.sequence !== b.sequence) return a.sequence < b.sequence;
  return a.arrival < b.arrival;
}

/** `timeNs` (with its key) ≤ `w` (with its key). */
function atOrBefore(timeKey: number, timeNs: bigint, wKey: number, w: bigint): boolean {
  return timeKey !== wKey ? timeKey < wKey : timeNs <= w;
}

/** What {@link EventMerger.push} did with an event. */
export type PushOutcome = 'buffered' | 'late';

/**
 * Buffer layout: each cluster's events that arrive in order (the usual case: a feed is in time
 * order per cluster) are appended to that cluster's sorted run; the few that do not go to a
 * binary heap. Releasing merges the run heads and the heap top (a k-way merge of ≤ clusters + 1
 * sorted sources), so a push and a release cost O(1) comparisons instead of O(log depth), with
 * exactly the order of a single heap (the order is total: arrival breaks every tie).
 */
export class EventMerger {
  readonly allowedLatenessNs: bigint;
  readonly quietCloseMs: number;
  readonly maxBufferedEvents: number;
  readonly #clusters = new Map<FeedCluster, ClusterState>();
  /** The same states as an array (no iterator per release). */
  readonly #states: ClusterState[] = [];
  readonly #heap: Entry[] = [];
  #depth = 0;
  #arrivals = 0;
  #watermarkNs: bigint | undefined;
  /** Number(#watermarkNs); NaN while undefined. */
  #watermarkKey = Number.NaN;
  #globalMaxNs: bigint | undefined;
  #globalMaxKey = Number.NEGATIVE_INFINITY;
  #lastArrivalMs: number;
  #late = 0;
  #released = 0;
  #highWater = 0;
  #forced = 0;
  /** Last candidate computed from an active minimum (the subtraction allocates a BigInt). */
  #lastActive: ClusterState | undefined;
  #lastActiveVersion = -1;
  #lastCandidate: bigint | undefined;
  #lastCandidateKey = Number.NaN;
  /** Number() of what #candidate returned last. */
  #candidateKey = Number.NaN;

  constructor(options: EventMergerOptions) {
    if (options.clusters.length === 0) throw new RangeError('the merger needs at least one cluster');
    if (options.allowedLatenessNs < 0n) throw new RangeError('allowed lateness must be ≥ 0');
    this.allowedLatenessNs = options.allowedLatenessNs;
    this.quietCloseMs = options.quietCloseMs;
    this.maxBufferedEvents = options.maxBufferedEvents ?? 2_000_000;
    if (!(this.maxBufferedEvents >= 1)) throw new RangeError('maxBufferedEvents must be ≥ 1');
    this.#lastArrivalMs = options.startMs;
    for (const c of options.clusters) {
      if (this.#clusters.has(c)) continue;
      const state: ClusterState = { maxSeenNs: undefined, maxSeenKey: Number.NEGATIVE_INFINITY, maxSeenVersion: 0, lastArrivalMs: options.startMs, ended: false, run: [], head: 0 };
      this.#clusters.set(c, state);
      this.#states.push(state);
    }
  }

  /** Events pushed behind the watermark (not buffered). */
  get lateEvents(): number { return this.#late; }
  /** Events handed out by release/drain. */
  get releasedEvents(): number { return this.#released; }
  /** Events waiting for the watermark. */
  get depth(): number { return this.#depth; }
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
    const timeKey = Number(timeNs);
    state.lastArrivalMs = nowMs;
    if (nowMs > this.#lastArrivalMs) this.#lastArrivalMs = nowMs;
    if (timeKey > state.maxSeenKey || (timeKey === state.maxSeenKey && timeNs > state.maxSeenNs!)) {
      state.maxSeenNs = timeNs;
      state.maxSeenKey = timeKey;
      state.maxSeenVersion++;
    }
    if (timeKey > this.#globalMaxKey || (timeKey === this.#globalMaxKey && timeNs > this.#globalMaxNs!)) {
      this.#globalMaxNs = timeNs;
      this.#globalMaxKey = timeKey;
    }
    if (this.#watermarkNs !== undefined && atOrBefore(timeKey, timeNs, this.#watermarkKey, this.#watermarkNs)) {
      this.#late++;
      return 'late';
    }
    const entry: Entry = { event, timeNs, timeKey, rank: KIND_RANK[event.kind], sequence: eventSequence(event), arrival: this.#arrivals++ };
    const run = state.run;
    if (state.head === run.length || !before(entry, run[run.length - 1]!)) run.push(entry);
    else this.#heapPush(entry);
    if (++this.#depth > this.#highWater) this.#highWater = this.#depth;
    return 'buffered';
  }

  /** The cluster's stream is over (e.g. a replay closed it): it no longer holds the watermark back. */
  endCluster(cluster: FeedCluster): void {
    const state = this.#clusters.get(cluster);
    if (state !== undefined) state.ended = true;
  }

  /** The watermark the rules above give at `nowMs` (not applied), or undefined when it cannot move yet. */
  candidateWatermarkNs(nowMs: number): bigint | undefined {
    return this.#candidate(nowMs);
  }

  /** candidateWatermarkNs; leaves Number(candidate) in #candidateKey. */
  #candidate(nowMs: number): bigint | undefined {
    let active: ClusterState | undefined;
    let activeMin: bigint | undefined;
    let activeKey = Number.POSITIVE_INFINITY;
    let anyActive = false;
    const states = this.#states;
    for (let i = 0; i < states.length; i++) {
      const s = states[i]!;
      if (s.ended || nowMs - s.lastArrivalMs >= this.quietCloseMs) continue;
      anyActive = true;
      if (s.maxSeenNs === undefined) return undefined;
      if (activeMin === undefined || s.maxSeenKey < activeKey || (s.maxSeenKey === activeKey && s.maxSeenNs < activeMin)) {
        activeMin = s.maxSeenNs;
        activeKey = s.maxSeenKey;
        active = s;
      }
    }
    if (anyActive) {
      // Usually the same minimum as last time (only the slowest cluster moves it): no new BigInt.
      if (active !== this.#lastActive || active!.maxSeenVersion !== this.#lastActiveVersion) {
        this.#lastActive = active;
        this.#lastActiveVersion = active!.maxSeenVersion;
        this.#lastCandidate = activeMin! - this.allowedLatenessNs;
        this.#lastCandidateKey = Number(this.#lastCandidate);
      }
      this.#candidateKey = this.#lastCandidateKey;
      return this.#lastCandidate;
    }
    if (this.#globalMaxNs === undefined) return undefined;
    const quietMs = Math.max(0, nowMs - this.#lastArrivalMs);
    const candidate = this.#globalMaxNs + BigInt(Math.floor(quietMs)) * 1_000_000n - this.allowedLatenessNs;
    this.#candidateKey = Number(candidate);
    return candidate;
  }

  /**
   * Advances the watermark to its candidate at `nowMs` (never backwards) and hands every
   * buffered event at or before it to `onEvent`, in order. Returns the watermark (undefined
   * while it cannot move).
   */
  release(nowMs: number, onEvent: (e: FeedDataEvent) => void): bigint | undefined {
    const candidate = this.#candidate(nowMs);
    if (candidate !== undefined && (this.#watermarkNs === undefined || this.#candidateKey > this.#watermarkKey
      || (this.#candidateKey === this.#watermarkKey && candidate > this.#watermarkNs))) {
      this.#watermarkNs = candidate;
      this.#watermarkKey = this.#candidateKey;
    }
    // Over the memory bound: the oldest go now, and the watermark follows them.
    while (this.#depth > this.maxBufferedEvents) {
      const oldest = this.#take()!;
      if (this.#watermarkNs === undefined || oldest.timeNs > this.#watermarkNs) this.#setWatermark(oldest.timeNs);
      this.#forced++;
      this.#released++;
      onEvent(oldest.event);
    }
    const w = this.#watermarkNs;
    if (w === undefined) return undefined;
    const wKey = this.#watermarkKey;
    for (let next = this.#take(true, wKey, w); next !== undefined; next = this.#take(true, wKey, w)) {
      this.#released++;
      onEvent(next.event);
    }
    return w;
  }

  /**
   * End of the stream: hands out every buffered event in order and moves the watermark to the
   * highest event time seen (later pushes at or before it are late).
   */
  drain(onEvent: (e: FeedDataEvent) => void): void {
    while (this.#depth > 0) {
      this.#released++;
      onEvent(this.#take()!.event);
    }
    if (this.#globalMaxNs !== undefined && (this.#watermarkNs === undefined || this.#globalMaxNs > this.#watermarkNs)) {
      this.#setWatermark(this.#globalMaxNs);
    }
  }

  #setWatermark(w: bigint): void {
    this.#watermarkNs = w;
    this.#watermarkKey = Number(w);
  }

  /**
   * Removes and returns the first buffered event in the total order (the smallest run head or
   * the heap top); with `limit`, only when its time is ≤ `w`.
   */
  #take(limit = false, wKey = 0, w = 0n): Entry | undefined {
    let best: Entry | undefined = this.#heap[0];
    let from: ClusterState | undefined;
    const states = this.#states;
    for (let i = 0; i < states.length; i++) {
      const s = states[i]!;
      if (s.head === s.run.length) continue;
      const e = s.run[s.head]!;
      if (best === undefined || before(e, best)) { best = e; from = s; }
    }
    if (best === undefined || (limit && !atOrBefore(best.timeKey, best.timeNs, wKey, w))) return undefined;
    this.#depth--;
    if (from === undefined) return this.#heapPop();
    const run = from.run;
    run[from.head++] = undefined as unknown as Entry; // let the event go
    if (from.head === run.length) {
      run.length = 0;
      from.head = 0;
    } else if (from.head >= 4096 && from.head * 2 >= run.length) {
      run.copyWithin(0, from.head);
      run.length -= from.head;
      from.head = 0;
    }
    return best;
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
