/**
 * Aggressor side of an option trade against its contract's prevailing quote (FEATURES.md
 * "Aggression"). Deterministic, on SIP time only; pure: no I/O. The historical job (from
 * the options-quotes lake table) and the realtime path (option `Q` events) drive the same
 * {@link OptionQuoteBook} and call {@link classify} per option trade, so both agree.
 *
 * Quote rule, first that applies (ε = `epsilon`, default 1e-9 $: prices are quoted in cents or
 * hundredths of cents, so ε only absorbs float noise and never merges two ticks):
 *
 * | condition                                   | side         | method  | reason      |
 * |---------------------------------------------|--------------|---------|-------------|
 * | trade price not positive and finite         | unclassified | none    | invalid_price |
 * | no quote of the contract at or before t     | unclassified | none    | no_quote    |
 * | prevailing quote older than the limit       | unclassified | none    | stale       |
 * | quote with neither side                     | unclassified | none    | no_quote    |
 * | bid > ask + ε                               | unclassified | none    | crossed     |
 * | \|ask − bid\| ≤ ε                           | unclassified | none    | locked      |
 * | price ≥ ask − ε (ask present)               | buy          | touch, or beyond when price > ask + ε | ok |
 * | price ≤ bid + ε (bid present)               | sell         | touch, or beyond when price < bid − ε | ok |
 * | both sides present, bid + ε < price < ask − ε | unclassified | none  | inside      |
 * | one side present, price on the other side of it | unclassified | none | one_sided |
 *
 * The prevailing quote is the latest with `sip_timestamp ≤` the trade's (a quote at the same
 * nanosecond counts), its age at most the staleness limit, inclusive (see quote-book.ts). A
 * one-sided quote still classifies a trade at or through its present side: an ask-only quote makes
 * a trade at or above the ask a buy. There is never a "closest side" guess.
 *
 * Tick-test fallback (`aggression_fallback = "tick"`; "none" by default): a trade the quote rule
 * leaves unclassified for a market reason (no_quote, stale, locked, crossed, inside, one_sided)
 * takes the tick test's side with method `tick`, keeping the quote rule's reason. The tick test
 * compares the price with the contract's previous trade price: uptick → buy, downtick → sell,
 * zero tick (within ε) → the direction of the last non-zero tick; with no previous trade or no
 * non-zero tick yet it stays unclassified. The per-contract tick state ({@link TickTest}) sees
 * every valid trade passed to classify, whatever rule decided it.
 *
 * Persisted per trade (see {@link Classification}): side, side_method, side_reason as small ints,
 * the quote used (bid, ask, sizes, quote time, age; also when stale, locked or crossed, so the
 * verdict can be audited), and the offset of the price from the quote's mid in basis points.
 */
import type { AggregationsConfig } from '../config/schema.js';
import type { ColumnSpec } from '../formats/columns.js';
import { DEFAULT_PRICE_EPSILON, QuoteSnapshot, QuoteState, type OptionQuoteBook } from './quote-book.js';

/** Aggressor side (persisted as `side`, int8). */
export const Side = {
  Unclassified: 0,
  /** The buyer crossed the spread: trade at or above the ask. */
  Buy: 1,
  /** The seller crossed the spread: trade at or below the bid. */
  Sell: -1,
} as const;
export type Side = (typeof Side)[keyof typeof Side];

/** How the side was decided (persisted as `side_method`, uint8). */
export const SideMethod = {
  /** Unclassified. */
  None: 0,
  /** At the touch: within ε of the ask (buy) or bid (sell). */
  Touch: 1,
  /** Through the touch: above the ask (buy) or below the bid (sell) by more than ε. */
  Beyond: 2,
  /** Tick-test fallback. */
  Tick: 3,
} as const;
export type SideMethod = (typeof SideMethod)[keyof typeof SideMethod];

/** Why the quote rule decided as it did (persisted as `side_reason`, uint8). */
export const SideReason = {
  /** The quote rule classified the trade. */
  Ok: 0,
  /** No quote of the contract yet, or the prevailing quote has neither side. */
  NoQuote: 1,
  /** The prevailing quote is older than the staleness limit. */
  Stale: 2,
  /** bid == ask (within ε). */
  Locked: 3,
  /** bid > ask. */
  Crossed: 4,
  /** Strictly between bid and ask. */
  Inside: 5,
  /** Only one side quoted and the price is not at or through it. */
  OneSided: 6,
  /** Trade price not positive and finite. */
  InvalidPrice: 7,
} as const;
export type SideReason = (typeof SideReason)[keyof typeof SideReason];

/** Names of the codes, for docs, logs and dictionary columns (index = code; Side by code + 1). */
export const SIDE_NAMES = { [-1]: 'sell', 0: 'unclassified', 1: 'buy' } as const satisfies Record<Side, string>;
export const SIDE_METHOD_NAMES = ['none', 'touch', 'beyond', 'tick'] as const;
export const SIDE_REASON_NAMES = ['ok', 'no_quote', 'stale', 'locked', 'crossed', 'inside', 'one_sided', 'invalid_price'] as const;

export type AggressionFallback = 'none' | 'tick';

export interface AggressionParams {
  /** `aggression_fallback`. */
  readonly fallback: AggressionFallback;
  /** Price tolerance, dollars; {@link DEFAULT_PRICE_EPSILON} by default. */
  readonly epsilon: number;
}

export function aggressionParamsFromConfig(agg: AggregationsConfig): AggressionParams {
  return { fallback: agg.aggression_fallback, epsilon: DEFAULT_PRICE_EPSILON };
}

/** What classify needs of a trade (an OptionTrade fits). */
export interface ClassifiableTrade {
  readonly ticker: string;
  readonly sipTimestampNs: bigint;
  readonly price: number;
}

/** One trade's verdict and the quote it used. A mutable out-object, reused across calls. */
export class Classification {
  side: Side = Side.Unclassified;
  method: SideMethod = SideMethod.None;
  reason: SideReason = SideReason.NoQuote;
  /** The prevailing quote that was judged (null: no quote at or before the trade). */
  quoteTimestampNs: bigint | null = null;
  /** Trade time − quote time, ns; null without a quote. */
  quoteAgeNs: bigint | null = null;
  /** NaN when absent (or no quote). */
  bidPrice = NaN;
  bidSize = 0;
  askPrice = NaN;
  askSize = 0;
  /** Quote state code; null without a quote. */
  quoteState: QuoteState | null = null;
  /** (price − mid) / mid · 10 000, mid = (bid + ask) / 2; NaN unless both sides are quoted and mid > 0. */
  midOffsetBp = NaN;
  /** Internal lookup buffer (not persisted). */
  readonly snapshot = new QuoteSnapshot();
}

/**
 * The per-trade columns a {@link Classification} persists to (historical options table, realtime
 * records), in this order. Codes are the small ints above; the quote columns are null without a
 * prevailing quote, and an absent side has a null price and size 0 (Massive's convention).
 */
export const AGGRESSION_COLUMNS: readonly ColumnSpec[] = [
  { name: 'side', type: 'int32', nullable: false, doc: 'aggressor side: 1 buy, -1 sell, 0 unclassified' },
  { name: 'side_method', type: 'int32', nullable: false, doc: '0 none, 1 touch, 2 beyond, 3 tick' },
  { name: 'side_reason', type: 'int32', nullable: false, doc: '0 ok, 1 no_quote, 2 stale, 3 locked, 4 crossed, 5 inside, 6 one_sided, 7 invalid_price' },
  { name: 'quote_bid_price', type: 'float64', nullable: true },
  { name: 'quote_bid_size', type: 'float64', nullable: true },
  { name: 'quote_ask_price', type: 'float64', nullable: true },
  { name: 'quote_ask_size', type: 'float64', nullable: true },
  { name: 'quote_sip_timestamp', type: 'int64', nullable: true, unit: 'ns', doc: 'sip_timestamp of the prevailing quote judged' },
  { name: 'quote_age_ns', type: 'int64', nullable: true, doc: 'trade sip_timestamp − quote sip_timestamp' },
  { name: 'quote_state', type: 'int32', nullable: true, doc: '0 normal, 1 locked, 2 crossed, 3 bid only, 4 ask only, 5 empty' },
  { name: 'mid_offset_bp', type: 'float64', nullable: true, doc: '(price − mid) / mid · 10 000; null unless both sides are quoted' },
];

/** 'buy' | 'sell' | undefined, as the feature engine's onOptionTrade takes it. */
export function sideName(side: Side): 'buy' | 'sell' | undefined {
  return side === Side.Buy ? 'buy' : side === Side.Sell ? 'sell' : undefined;
}

/**
 * Per-contract tick-test state: the last valid trade price and the direction of the last non-zero
 * tick. Memory O(contracts): one slot per ticker, grown by doubling.
 */
export class TickTest {
  private slotOf = new Map<string, number>();
  private lastPrice = new Float64Array(64);
  private lastDirection = new Int8Array(64);

  constructor(private readonly epsilon = DEFAULT_PRICE_EPSILON) {}

  /**
   * Records a trade of `ticker` at `price` and returns its tick-test side: +1 uptick, -1 downtick,
   * a zero tick repeats the last non-zero direction; 0 for the contract's first trade or while no
   * non-zero tick has been seen.
   */
  onTrade(ticker: string, price: number): Side {
    let slot = this.slotOf.get(ticker);
    if (slot === undefined) {
      slot = this.slotOf.size;
      if (slot === this.lastPrice.length) this.grow();
      this.slotOf.set(ticker, slot);
      this.lastPrice[slot] = price;
      this.lastDirection[slot] = 0;
      return Side.Unclassified;
    }
    const diff = price - this.lastPrice[slot]!;
    const direction = diff > this.epsilon ? 1 : diff < -this.epsilon ? -1 : this.lastDirection[slot]!;
    this.lastPrice[slot] = price;
    this.lastDirection[slot] = direction;
    return direction as Side;
  }

  /** Contracts seen. */
  get contracts(): number {
    return this.slotOf.size;
  }

  /** Forgets every contract (a new day). */
  reset(): void {
    this.slotOf = new Map();
    this.lastPrice = new Float64Array(64);
    this.lastDirection = new Int8Array(64);
  }

  private grow(): void {
    const price = new Float64Array(this.lastPrice.length * 2); price.set(this.lastPrice); this.lastPrice = price;
    const dir = new Int8Array(this.lastDirection.length * 2); dir.set(this.lastDirection); this.lastDirection = dir;
  }
}

/**
 * Classifies `trade` against the prevailing quote of its contract in `book` and writes the verdict
 * and the quote used into `out` (returned). With `params.fallback === 'tick'` pass a {@link TickTest}
 * (one per stream, fed by every call); it is required then, optional and still updated otherwise.
 * Allocation-free apart from BigInt arithmetic.
 */
export function classify(trade: ClassifiableTrade, book: OptionQuoteBook, params: AggressionParams, out: Classification,
  ticks?: TickTest): Classification {
  if (params.fallback === 'tick' && ticks === undefined) throw new RangeError('aggression_fallback "tick" needs a TickTest');
  const price = trade.price;
  const eps = params.epsilon;
  const q = book.prevailing(trade.ticker, trade.sipTimestampNs, out.snapshot);
  copyQuote(q, price, out);
  out.side = Side.Unclassified;
  out.method = SideMethod.None;
  if (!(price > 0 && Number.isFinite(price))) {
    out.reason = SideReason.InvalidPrice;
    return out; // neither classified nor fed to the tick test
  }
  out.reason = quoteRule(q, price, eps, out);
  const tick = ticks?.onTrade(trade.ticker, price) ?? Side.Unclassified;
  if (out.side === Side.Unclassified && params.fallback === 'tick' && tick !== Side.Unclassified) {
    out.side = tick;
    out.method = SideMethod.Tick;
  }
  return out;
}

/** The quote rule: sets out.side/out.method when it classifies; returns the reason. */
function quoteRule(q: QuoteSnapshot | null, price: number, eps: number, out: Classification): SideReason {
  if (q === null) return SideReason.NoQuote;
  if (q.stale) return SideReason.Stale;
  switch (q.state) {
    case QuoteState.Empty: return SideReason.NoQuote;
    case QuoteState.Crossed: return SideReason.Crossed;
    case QuoteState.Locked: return SideReason.Locked;
    default: break;
  }
  const ask = q.askPrice; // NaN when absent: every comparison below is then false
  const bid = q.bidPrice;
  if (price >= ask - eps) {
    out.side = Side.Buy;
    out.method = price > ask + eps ? SideMethod.Beyond : SideMethod.Touch;
    return SideReason.Ok;
  }
  if (price <= bid + eps) {
    out.side = Side.Sell;
    out.method = price < bid - eps ? SideMethod.Beyond : SideMethod.Touch;
    return SideReason.Ok;
  }
  return q.state === QuoteState.Normal ? SideReason.Inside : SideReason.OneSided;
}

function copyQuote(q: QuoteSnapshot | null, price: number, out: Classification): void {
  if (q === null) {
    out.quoteTimestampNs = null;
    out.quoteAgeNs = null;
    out.bidPrice = NaN;
    out.bidSize = 0;
    out.askPrice = NaN;
    out.askSize = 0;
    out.quoteState = null;
    out.midOffsetBp = NaN;
    return;
  }
  out.quoteTimestampNs = q.sipTimestampNs;
  out.quoteAgeNs = q.ageNs;
  out.bidPrice = q.bidPrice;
  out.bidSize = q.bidSize;
  out.askPrice = q.askPrice;
  out.askSize = q.askSize;
  out.quoteState = q.state;
  const mid = (q.bidPrice + q.askPrice) / 2; // NaN when a side is absent
  out.midOffsetBp = mid > 0 ? ((price - mid) / mid) * 10_000 : NaN;
}
