/**
 * The option quote book: the latest NBBO of every option contract, fed from the options-quotes lake
 * table (historical) or option `Q` events (realtime), and asked for the *prevailing* quote of a
 * contract at an option trade's time (FEATURES.md "Aggression"). Pure: no I/O.
 *
 * Contract (streaming, as src/options/asof.ts): quotes and trades are fed in event-time order, and
 * at equal SIP timestamps quotes come before trades, so when a trade at `t` is looked up, every
 * quote of its contract at or before `t` has been fed and none after it. The book therefore keeps
 * only the latest quote per contract: the prevailing quote at `t` is the latest fed, latest meaning
 * the highest `(sip_timestamp, sequence_number)`. A quote older than the held one by that key is
 * ignored (counted in {@link QuoteBookCounters.quotesIgnored}); one with an equal key replaces it
 * (the last one fed wins; a re-delivered quote is not counted as a new lifetime). Looking up a time before the held quote breaks the contract and throws
 * a RangeError rather than answering wrongly.
 *
 * Sides: a zero (or negative, or non-finite) price or size on one side means no quote on that side
 * (MASSIVE.md); the book stores such a side as price NaN, size 0, and the quote's {@link QuoteState}
 * says which sides are present.
 *
 * Staleness: the prevailing quote is *stale* when its age `t − quote sip_timestamp` exceeds the
 * contract's staleness limit; the bound is inclusive (age == limit is fresh). The limit is either
 * - `fixed`: `max_quote_staleness` for every contract, or
 * - `adaptive`: per contract, the 99th percentile of the contract's recent *quote lifetimes* (the
 *   time from one quote to the next quote of the same contract, i.e. the age a quote reaches
 *   before it is replaced), clamped to `[adaptive_staleness_min, adaptive_staleness_max]`. The
 *   percentile is exact (numpy's default linear interpolation) over the last
 *   {@link QuoteBookOptions.adaptiveWindow} lifetimes, kept in a fixed-size ring per contract; it
 *   is recomputed lazily at the first lookup after a new lifetime arrived. Until a contract has
 *   {@link QuoteBookOptions.adaptiveMinSamples} lifetimes, its limit is `max_quote_staleness`
 *   clamped to the same bounds. The limit is rounded up to a whole nanosecond.
 * The result depends only on the sequence of quotes fed, so historical and realtime runs over the
 * same events agree.
 *
 * Memory: struct-of-arrays indexed by a per-contract slot (tickers interned once in a Map), grown
 * by doubling. Per contract: 49 bytes of quote state, plus in adaptive mode a ring of
 * `adaptiveWindow` float64 lifetimes and 17 bytes of ring state; nothing grows with the number of
 * quotes, so a full chain over a full day costs O(contracts). {@link OptionQuoteBook.footprint}
 * counts the structures.
 */
import type { AggregationsConfig } from '../config/schema.js';
import { NS_PER_MS, parseDurationMs } from '../calendar/durations.js';

/** Which sides of a quote are present and how they compare (persistable small ints). */
export const QuoteState = {
  /** Both sides present, bid < ask. */
  Normal: 0,
  /** Both sides present, bid == ask (within the price epsilon). */
  Locked: 1,
  /** Both sides present, bid > ask. */
  Crossed: 2,
  /** Only the bid is present. */
  BidOnly: 3,
  /** Only the ask is present. */
  AskOnly: 4,
  /** Neither side is present (the quote withdraws both). */
  Empty: 5,
} as const;
export type QuoteState = (typeof QuoteState)[keyof typeof QuoteState];

/** Tolerance of price comparisons, dollars: far below a tick (1e-4 $), far above float noise on quoted prices. */
export const DEFAULT_PRICE_EPSILON = 1e-9;

/** One option quote (options-quotes row or option `Q` event). */
export interface OptionQuote {
  /** OPRA ticker, `O:` prefix included. */
  readonly ticker: string;
  /** SIP time, ns since the Unix epoch (realtime: the feed's ms × 1e6). */
  readonly sipTimestampNs: bigint;
  /** `sequence_number` (`q`): tie-break at equal timestamps. */
  readonly sequence: number;
  readonly bidPrice: number;
  /** Contracts. */
  readonly bidSize: number;
  readonly askPrice: number;
  readonly askSize: number;
}

export type QuoteStalenessMode = 'fixed' | 'adaptive';

export interface QuoteBookOptions {
  readonly stalenessMode: QuoteStalenessMode;
  /** `max_quote_staleness`, ns: the fixed limit, and the adaptive limit before enough samples. */
  readonly maxQuoteStalenessNs: bigint;
  /** `adaptive_staleness_min`, ns (adaptive mode). */
  readonly adaptiveStalenessMinNs: bigint;
  /** `adaptive_staleness_max`, ns (adaptive mode). */
  readonly adaptiveStalenessMaxNs: bigint;
  /** Lifetimes kept per contract for the adaptive percentile; default 128. */
  readonly adaptiveWindow?: number;
  /** Lifetimes a contract needs before its adaptive limit is used; default 20. */
  readonly adaptiveMinSamples?: number;
  /** Percentile of lifetimes, in (0, 1]; default 0.99. */
  readonly adaptiveQuantile?: number;
  /** Tolerance for locked/crossed, dollars; default {@link DEFAULT_PRICE_EPSILON}. */
  readonly priceEpsilon?: number;
}

/** Book options from `[aggregations]` (durations parsed with parseDurationMs). */
export function quoteBookOptionsFromConfig(agg: AggregationsConfig): QuoteBookOptions {
  return {
    stalenessMode: agg.quote_staleness_mode,
    maxQuoteStalenessNs: BigInt(parseDurationMs(agg.max_quote_staleness)) * NS_PER_MS,
    adaptiveStalenessMinNs: BigInt(parseDurationMs(agg.adaptive_staleness_min)) * NS_PER_MS,
    adaptiveStalenessMaxNs: BigInt(parseDurationMs(agg.adaptive_staleness_max)) * NS_PER_MS,
  };
}

/**
 * The prevailing quote of a contract as seen by one lookup. A mutable out-object: hot callers
 * allocate one and pass it to every {@link OptionQuoteBook.prevailing} call.
 */
export class QuoteSnapshot {
  /** NaN when the bid side is absent. */
  bidPrice = NaN;
  /** 0 when the bid side is absent. */
  bidSize = 0;
  /** NaN when the ask side is absent. */
  askPrice = NaN;
  /** 0 when the ask side is absent. */
  askSize = 0;
  sipTimestampNs = 0n;
  sequence = 0;
  /** Lookup time − quote time, ns (≥ 0). */
  ageNs = 0n;
  state: QuoteState = QuoteState.Empty;
  /** The contract's staleness limit at the lookup, ns (inclusive). */
  stalenessLimitNs = 0n;
  /** ageNs > stalenessLimitNs. */
  stale = false;
}

/** Counters of the book's structures (not RSS): what the memory bound is about. */
export interface QuoteBookFootprint {
  /** Distinct contracts seen since construction or the last reset. */
  readonly contracts: number;
  /** Slots allocated (≥ contracts, grows by doubling). */
  readonly slotCapacity: number;
  /** Lifetimes retained over all contracts (≤ contracts × adaptiveWindow). */
  readonly retainedLifetimes: number;
  /** Bytes of every typed array the book holds. */
  readonly typedArrayBytes: number;
}

export interface QuoteBookCounters {
  /** Quotes that became (or replaced) a contract's latest quote. */
  readonly quotesAccepted: number;
  /** Quotes older than the held one by (sip_timestamp, sequence): ignored. */
  readonly quotesIgnored: number;
}

const INITIAL_SLOTS = 64;

/** State of one side: present when price and size are positive and finite. */
function sidePresent(price: number, size: number): boolean {
  return price > 0 && size > 0 && Number.isFinite(price) && Number.isFinite(size);
}

/** The state of a quote from its (normalized: absent = NaN) prices. */
export function quoteStateOf(bidPrice: number, askPrice: number, epsilon = DEFAULT_PRICE_EPSILON): QuoteState {
  const hasBid = !Number.isNaN(bidPrice);
  const hasAsk = !Number.isNaN(askPrice);
  if (!hasBid) return hasAsk ? QuoteState.AskOnly : QuoteState.Empty;
  if (!hasAsk) return QuoteState.BidOnly;
  const spread = askPrice - bidPrice;
  if (spread > epsilon) return QuoteState.Normal;
  return spread >= -epsilon ? QuoteState.Locked : QuoteState.Crossed;
}

/** Above this many upper order statistics, {@link windowQuantile} sorts instead of selecting. */
const MAX_SELECTED = 16;

/**
 * The linear-interpolation quantile (numpy's default) of `values[base, base + n)`, exact. With
 * h = (n − 1)·q it needs the order statistics ⌊h⌋ and ⌊h⌋ + 1 (ascending); for high quantiles
 * (the p99 of 128 values needs the top 3) it keeps only the n − ⌊h⌋ largest values in an
 * insertion-sorted buffer, O(n) with no sort, else it sorts a copy. `scratch` holds ≥ n values.
 */
export function windowQuantile(values: Float64Array, base: number, n: number, q: number, scratch: Float64Array): number {
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const top = n - lo; // order statistics lo … n−1
  let a: number, b: number;
  if (top <= MAX_SELECTED) {
    // scratch[0, kept) ascending: the largest values seen so far.
    let kept = 0;
    for (let i = base; i < base + n; i++) {
      const v = values[i]!;
      if (kept < top) {
        let j = kept++;
        while (j > 0 && scratch[j - 1]! > v) { scratch[j] = scratch[j - 1]!; j--; }
        scratch[j] = v;
      } else if (v > scratch[0]!) {
        // Drop the smallest kept value and slide v into place.
        let j = 0;
        while (j + 1 < top && scratch[j + 1]! < v) { scratch[j] = scratch[j + 1]!; j++; }
        scratch[j] = v;
      }
    }
    a = scratch[0]!;
    b = top > 1 ? scratch[1]! : a;
  } else {
    const sorted = scratch.subarray(0, n);
    sorted.set(values.subarray(base, base + n));
    sorted.sort();
    a = sorted[lo]!;
    b = sorted[Math.min(lo + 1, n - 1)]!;
  }
  return a + (h - lo) * (b - a);
}

export class OptionQuoteBook {
  readonly options: Readonly<Required<QuoteBookOptions>>;
  private readonly adaptive: boolean;
  private readonly ringSize: number;

  private slotOf = new Map<string, number>();
  private capacity = 0;
  private bidPrice = new Float64Array(0);
  private bidSize = new Float64Array(0);
  private askPrice = new Float64Array(0);
  private askSize = new Float64Array(0);
  private sequence = new Float64Array(0);
  private timestampNs = new BigInt64Array(0);
  private state = new Uint8Array(0);
  // Adaptive staleness (length 0 per contract in fixed mode).
  private lifetimesNs = new Float64Array(0);
  private lifetimeCount = new Int32Array(0);
  private lifetimeHead = new Int32Array(0);
  private limitNs = new BigInt64Array(0);
  private limitDirty = new Uint8Array(0);
  private readonly scratch: Float64Array;

  private accepted = 0;
  private ignored = 0;

  constructor(options: QuoteBookOptions) {
    const o: Required<QuoteBookOptions> = {
      adaptiveWindow: 128, adaptiveMinSamples: 20, adaptiveQuantile: 0.99, priceEpsilon: DEFAULT_PRICE_EPSILON, ...options,
    };
    if (o.stalenessMode !== 'fixed' && o.stalenessMode !== 'adaptive') throw new RangeError(`unknown staleness mode ${String(o.stalenessMode)}`);
    if (o.maxQuoteStalenessNs < 0n) throw new RangeError(`maxQuoteStalenessNs must be ≥ 0, got ${o.maxQuoteStalenessNs}`);
    if (o.adaptiveStalenessMinNs < 0n || o.adaptiveStalenessMaxNs < o.adaptiveStalenessMinNs) {
      throw new RangeError(`adaptive staleness bounds must satisfy 0 ≤ min ≤ max, got [${o.adaptiveStalenessMinNs}, ${o.adaptiveStalenessMaxNs}]`);
    }
    if (!Number.isInteger(o.adaptiveWindow) || o.adaptiveWindow < 1) throw new RangeError(`adaptiveWindow must be a positive integer, got ${o.adaptiveWindow}`);
    if (!Number.isInteger(o.adaptiveMinSamples) || o.adaptiveMinSamples < 1 || o.adaptiveMinSamples > o.adaptiveWindow) {
      throw new RangeError(`adaptiveMinSamples must be an integer in [1, adaptiveWindow], got ${o.adaptiveMinSamples}`);
    }
    if (!(o.adaptiveQuantile > 0 && o.adaptiveQuantile <= 1)) throw new RangeError(`adaptiveQuantile must be in (0, 1], got ${o.adaptiveQuantile}`);
    if (!(o.priceEpsilon >= 0)) throw new RangeError(`priceEpsilon must be ≥ 0, got ${o.priceEpsilon}`);
    this.options = o;
    this.adaptive = o.stalenessMode === 'adaptive';
    this.ringSize = this.adaptive ? o.adaptiveWindow : 0;
    this.scratch = new Float64Array(this.ringSize);
  }

  /** Feeds one quote; false when it was ignored as older than the contract's held quote. */
  onQuote(q: OptionQuote): boolean {
    return this.update(q.ticker, q.sipTimestampNs, q.sequence, q.bidPrice, q.bidSize, q.askPrice, q.askSize);
  }

  /** {@link onQuote} without a record object (column batches, parsed events). */
  update(ticker: string, sipTimestampNs: bigint, sequence: number,
    bidPrice: number, bidSize: number, askPrice: number, askSize: number): boolean {
    let slot = this.slotOf.get(ticker);
    if (slot === undefined) {
      slot = this.slotOf.size;
      if (slot === this.capacity) this.grow();
      this.slotOf.set(ticker, slot);
    } else {
      const heldNs = this.timestampNs[slot]!;
      if (sipTimestampNs < heldNs || (sipTimestampNs === heldNs && sequence < this.sequence[slot]!)) {
        this.ignored++;
        return false;
      }
      const sameKey = sipTimestampNs === heldNs && sequence === this.sequence[slot]!;
      if (this.adaptive && !sameKey) this.recordLifetime(slot, Number(sipTimestampNs - heldNs));
    }
    const hasBid = sidePresent(bidPrice, bidSize);
    const hasAsk = sidePresent(askPrice, askSize);
    const bid = hasBid ? bidPrice : NaN;
    const ask = hasAsk ? askPrice : NaN;
    this.bidPrice[slot] = bid;
    this.bidSize[slot] = hasBid ? bidSize : 0;
    this.askPrice[slot] = ask;
    this.askSize[slot] = hasAsk ? askSize : 0;
    this.sequence[slot] = sequence;
    this.timestampNs[slot] = sipTimestampNs;
    this.state[slot] = quoteStateOf(bid, ask, this.options.priceEpsilon);
    this.accepted++;
    return true;
  }

  /**
   * The prevailing quote of `ticker` for a trade at `tradeTimestampNs`: fills `out` and returns it,
   * or returns null when the contract has no quote yet. A stale quote is still returned (with
   * `stale` set) so callers can persist what they judged.
   */
  prevailing(ticker: string, tradeTimestampNs: bigint, out: QuoteSnapshot = new QuoteSnapshot()): QuoteSnapshot | null {
    const slot = this.slotOf.get(ticker);
    if (slot === undefined) return null;
    const quoteNs = this.timestampNs[slot]!;
    const ageNs = tradeTimestampNs - quoteNs;
    if (ageNs < 0n) {
      throw new RangeError(`quote lookup for ${ticker} at ${tradeTimestampNs} before its latest quote fed (${quoteNs}): feed quotes and trades in event-time order`);
    }
    const limitNs = this.adaptive ? this.adaptiveLimitOfSlot(slot) : this.options.maxQuoteStalenessNs;
    out.bidPrice = this.bidPrice[slot]!;
    out.bidSize = this.bidSize[slot]!;
    out.askPrice = this.askPrice[slot]!;
    out.askSize = this.askSize[slot]!;
    out.sipTimestampNs = quoteNs;
    out.sequence = this.sequence[slot]!;
    out.ageNs = ageNs;
    out.state = this.state[slot]! as QuoteState;
    out.stalenessLimitNs = limitNs;
    out.stale = ageNs > limitNs;
    return out;
  }

  /** The staleness limit (ns, inclusive) a lookup of `ticker` would use now. */
  stalenessLimitNs(ticker: string): bigint {
    const o = this.options;
    if (!this.adaptive) return o.maxQuoteStalenessNs;
    const slot = this.slotOf.get(ticker);
    if (slot === undefined) return clamp(o.maxQuoteStalenessNs, o.adaptiveStalenessMinNs, o.adaptiveStalenessMaxNs);
    return this.adaptiveLimitOfSlot(slot);
  }

  /** Contracts seen since construction or the last reset. */
  get contracts(): number {
    return this.slotOf.size;
  }

  get counters(): QuoteBookCounters {
    return { quotesAccepted: this.accepted, quotesIgnored: this.ignored };
  }

  footprint(): QuoteBookFootprint {
    let retained = 0;
    if (this.adaptive) for (let s = 0; s < this.slotOf.size; s++) retained += this.lifetimeCount[s]!;
    const arrays = [this.bidPrice, this.bidSize, this.askPrice, this.askSize, this.sequence, this.timestampNs, this.state,
      this.lifetimesNs, this.lifetimeCount, this.lifetimeHead, this.limitNs, this.limitDirty, this.scratch];
    return {
      contracts: this.slotOf.size,
      slotCapacity: this.capacity,
      retainedLifetimes: retained,
      typedArrayBytes: arrays.reduce((sum, a) => sum + a.byteLength, 0),
    };
  }

  /** Forgets every contract and quote (a new day, a new replay); counters restart too. */
  reset(): void {
    this.slotOf = new Map();
    this.capacity = 0;
    for (const name of ['bidPrice', 'bidSize', 'askPrice', 'askSize', 'sequence', 'lifetimesNs'] as const) this[name] = new Float64Array(0);
    this.timestampNs = new BigInt64Array(0);
    this.limitNs = new BigInt64Array(0);
    this.state = new Uint8Array(0);
    this.limitDirty = new Uint8Array(0);
    this.lifetimeCount = new Int32Array(0);
    this.lifetimeHead = new Int32Array(0);
    this.accepted = 0;
    this.ignored = 0;
  }

  private recordLifetime(slot: number, lifetimeNs: number): void {
    const base = slot * this.ringSize;
    const head = this.lifetimeHead[slot]!;
    this.lifetimesNs[base + head] = lifetimeNs;
    this.lifetimeHead[slot] = head + 1 === this.ringSize ? 0 : head + 1;
    if (this.lifetimeCount[slot]! < this.ringSize) this.lifetimeCount[slot]!++;
    this.limitDirty[slot] = 1;
  }

  /** The cached adaptive limit of a slot, recomputed when a lifetime arrived since the last call. */
  private adaptiveLimitOfSlot(slot: number): bigint {
    if (this.limitDirty[slot] === 1) {
      this.limitNs[slot] = this.computeAdaptiveLimit(slot);
      this.limitDirty[slot] = 0;
    }
    return this.limitNs[slot]!;
  }

  private computeAdaptiveLimit(slot: number): bigint {
    const o = this.options;
    const n = this.lifetimeCount[slot]!;
    if (n < o.adaptiveMinSamples) return clamp(o.maxQuoteStalenessNs, o.adaptiveStalenessMinNs, o.adaptiveStalenessMaxNs);
    const p = BigInt(Math.ceil(windowQuantile(this.lifetimesNs, slot * this.ringSize, n, o.adaptiveQuantile, this.scratch)));
    return clamp(p, o.adaptiveStalenessMinNs, o.adaptiveStalenessMaxNs);
  }

  private grow(): void {
    const next = Math.max(INITIAL_SLOTS, this.capacity * 2);
    const f64 = (a: Float64Array, per = 1) => { const b = new Float64Array(next * per); b.set(a); return b; };
    this.bidPrice = f64(this.bidPrice);
    this.bidSize = f64(this.bidSize);
    this.askPrice = f64(this.askPrice);
    this.askSize = f64(this.askSize);
    this.sequence = f64(this.sequence);
    const ts = new BigInt64Array(next); ts.set(this.timestampNs); this.timestampNs = ts;
    const st = new Uint8Array(next); st.set(this.state); this.state = st;
    if (this.adaptive) {
      this.lifetimesNs = f64(this.lifetimesNs, this.ringSize);
      const count = new Int32Array(next); count.set(this.lifetimeCount); this.lifetimeCount = count;
      const head = new Int32Array(next); head.set(this.lifetimeHead); this.lifetimeHead = head;
      const limit = new BigInt64Array(next); limit.set(this.limitNs); this.limitNs = limit;
      // New contracts start dirty so their first lookup computes the pre-sample limit.
      const dirty = new Uint8Array(next).fill(1); dirty.set(this.limitDirty); this.limitDirty = dirty;
    }
    this.capacity = next;
  }
}

function clamp(x: bigint, lo: bigint, hi: bigint): bigint {
  return x < lo ? lo : x > hi ? hi : x;
}
