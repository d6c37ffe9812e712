/**
 * Event-time merge of the realtime clusters behind a watermark. Pure: no I/O, no clock (the
 * caller passes wall-clock milliseconds).
 *
 * Total order of events: the one of src/events/order.ts, which the historical jobs' merge
 * (src/events/merge-sorted.ts) follows too: time; option quote, underlying trade, option trade;
 * sequence number (the feed's `q`); arrival order (stable for exact duplicates). This merger is
 * its push form: events arrive out of order on several clusters and wait behind a watermark.
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
import { EventRank, compareEventKeys } from '../events/order.js';
import type { FeedCluster, FeedDataEvent } from '../formats/massive-ws/types.js';

/** Rank of each feed event kind at equal event time (lower first): order.ts EventRank. */
export const KIND_RANK: Readonly<Record<FeedDataEvent['kind'], EventRank>> = Object.freeze({
  optionQuote: EventRank.optionQuote,
  stockTrade: EventRank.underlyingTrade,
  optionTrade: EventRank.optionTrade,
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
  return compareEventKeys(eventTimeNs(a), rankOf(a), eventSequence(a), eventTimeNs(b), rankOf(b), eventSequence(b));
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
   * order): a sorted run in slots [head, tail), kept as parallel arrays (no object per event):
   * the events, their time keys (Number(time), as Entry.timeKey) and their arrival numbers.
   * Time, rank and sequence are read from the event when keys tie. Events arriving out of order
   * go to the heap. `events` grows by push (never longer than `keys`); its slots outside
   * [head, tail) hold undefined.
   */
  events: (FeedDataEvent | undefined)[];
  keys: Float64Array;
  arrivals: Float64Array;
  head: number;
  tail: number;
}

/** Slots of a run's typed arrays when created (and after it shrinks back). */
const RUN_INITIAL_CAPACITY = 1024;
/** An emptied run whose storage grew beyond this many slots gives it back. */
const RUN_SHRINK_CAPACITY = 1 << 16;

/** An out-of-order event waiting in the heap. */
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
  const c = compareEventKeys(a.timeNs, a.rank, a.sequence, b.timeNs, b.rank, b.sequence);
  return c !== 0 ? c < 0 : a.arrival < b.arrival;
}

/** KIND_RANK[e.kind] without a keyed lookup (the same ranks). */
function rankOf(e: FeedDataEvent): EventRank {
  return e.kind === 'optionQuote' ? EventRank.optionQuote : e.kind === 'stockTrade' ? EventRank.underlyingTrade : EventRank.optionTrade;
}

/**
 * {@link compareEvents} of two events whose time keys are equal (time, rank, sequence; no arrival).
 * Takes no double argument, so a call that is not inlined boxes nothing.
 */
function compareTied(a: FeedDataEvent, b: FeedDataEvent): number {
  return compareEventKeys(eventTimeNs(a), rankOf(a), eventSequence(a), eventTimeNs(b), rankOf(b), eventSequence(b));
}

/** What {@link EventMerger.push} did with an event. */
export type PushOutcome = 'buffered' | 'late';

/**
 * Buffer layout: each cluster's events that arrive in order (the usual case: a feed is in time
 * order per cluster) are appended to that cluster's sorted run; the few that do not go to a
 * binary heap. Releasing merges the run heads and the heap top (a k-way merge of ≤ clusters + 1
 * sorted sources), so a push and a release cost O(1) comparisons instead of O(log depth), with
 * exactly the order of a single heap (the order is total: arrival breaks every tie). A run is
 * kept as parallel arrays (events, Float64Array time keys and arrival numbers) that grow by
 * doubling and slide back to the start when half of them is released, so the common path
 * allocates nothing per event; only heap entries (out-of-order events, rare) are objects.
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
      const state: ClusterState = { maxSeenNs: undefined, maxSeenKey: Number.NEGATIVE_INFINITY, maxSeenVersion: 0, lastArrivalMs: options.startMs, ended: false,
        events: [], keys: new Float64Array(RUN_INITIAL_CAPACITY), arrivals: new Float64Array(RUN_INITIAL_CAPACITY),
        head: 0, tail: 0,
      };
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
    const w = this.#watermarkNs;
    if (w !== undefined) {
      // At or behind the watermark (the key decides unless equal). Inline, not a helper: a call
      // that is not inlined would box its double arguments.
      const wKey = this.#watermarkKey;
      if (timeKey !== wKey ? timeKey < wKey : timeNs <= w) {
        this.#late++;
        return 'late';
      }
    }
    const arrival = this.#arrivals++;
    const tail = state.tail;
    // In order when not before the run's last event (the same rules as before(): key, then time,
    // rank, sequence; a full tie is in order since this arrival is the latest).
    let inOrder = tail === state.head;
    if (!inOrder) {
      const lastKey = state.keys[tail - 1]!;
      inOrder = timeKey !== lastKey ? timeKey > lastKey : compareTied(event, state.events[tail - 1]!) >= 0;
    }
    if (inOrder) {
      // In order: appended to the run.
      if (tail === state.keys.length) this.#makeRoom(state);
      const t = state.tail;
      const events = state.events;
      if (t === events.length) events.push(event);
      else events[t] = event;
      state.keys[t] = timeKey;
      state.arrivals[t] = arrival;
      state.tail = t + 1;
    } else {
      this.#heapPush({ event, timeNs, timeKey, rank: rankOf(event), sequence: eventSequence(event), arrival });
    }
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
      const timeNs = eventTimeNs(oldest);
      if (this.#watermarkNs === undefined || timeNs > this.#watermarkNs) this.#setWatermark(timeNs);
      this.#forced++;
      this.#released++;
      onEvent(oldest);
    }
    const w = this.#watermarkNs;
    if (w === undefined) return undefined;
    for (let next = this.#take(true); next !== undefined; next = this.#take(true)) {
      this.#released++;
      onEvent(next);
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
      onEvent(this.#take()!);
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
   * the heap top); with `limit`, only when its time is ≤ the watermark (then defined).
   */
  #take(limit = false): FeedDataEvent | undefined {
    let best: FeedDataEvent | undefined;
    let bestKey = 0;
    let bestArrival = 0;
    const heap = this.#heap;
    if (heap.length > 0) {
      const top = heap[0]!;
      best = top.event;
      bestKey = top.timeKey;
      bestArrival = top.arrival;
    }
    let from: ClusterState | undefined;
    const states = this.#states;
    for (let i = 0; i < states.length; i++) {
      const s = states[i]!;
      const h = s.head;
      if (h === s.tail) continue;
      const key = s.keys[h]!, e = s.events[h]!, arrival = s.arrivals[h]!;
      let first = best === undefined;
      if (!first) {
        if (key !== bestKey) first = key < bestKey;
        else {
          const c = compareTied(e, best!);
          first = c !== 0 ? c < 0 : arrival < bestArrival;
        }
      }
      if (first) {
        best = e;
        bestKey = key;
        bestArrival = arrival;
        from = s;
      }
    }
    if (best === undefined) return undefined;
    if (limit) {
      const wKey = this.#watermarkKey;
      if (bestKey !== wKey ? bestKey > wKey : eventTimeNs(best) > this.#watermarkNs!) return undefined;
    }
    this.#depth--;
    if (from === undefined) {
      this.#heapPop();
      return best;
    }
    const h = from.head;
    from.events[h] = undefined; // let the event go
    if (h + 1 === from.tail) {
      from.head = 0;
      from.tail = 0;
      if (from.keys.length > RUN_SHRINK_CAPACITY) {
        from.keys = new Float64Array(RUN_INITIAL_CAPACITY);
        from.arrivals = new Float64Array(RUN_INITIAL_CAPACITY);
        from.events.length = 0;
      }
    } else {
      from.head = h + 1;
    }
    return best;
  }

  /**
   * The run's typed arrays are full up to their capacity: slides the live slots [head, tail) to
   * the start, and doubles the arrays when more than half of them is live.
   */
  #makeRoom(s: ClusterState): void {
    const head = s.head, tail = s.tail, live = tail - head;
    if (head > 0) {
      // A loop, not copyWithin: Array.prototype.copyWithin goes element by element through the
      // generic property path (several times slower); the typed arrays' copyWithin is a memmove.
      const events = s.events;
      for (let i = 0; i < live; i++) events[i] = events[head + i];
      for (let i = live; i < tail; i++) events[i] = undefined; // moved-from slots must not keep events alive
      s.keys.copyWithin(0, head, tail);
      s.arrivals.copyWithin(0, head, tail);
      s.head = 0;
      s.tail = live;
    }
    const capacity = s.keys.length;
    if (live * 2 > capacity) {
      const keys = new Float64Array(capacity * 2);
      keys.set(s.keys);
      const arrivals = new Float64Array(capacity * 2);
      arrivals.set(s.arrivals);
      s.keys = keys;
      s.arrivals = arrivals;
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
