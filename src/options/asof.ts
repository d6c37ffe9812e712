/**
 * The as-of underlying price for option trades (FEATURES.md "Per-trade quantities"). Pure: no I/O.
 *
 * S for an option trade at `t` is the price of the latest high/low-eligible underlying trade with
 * `sip_timestamp <= t` (latest = highest (sip_timestamp, sequence)), provided its age `t − ts` is
 * at most `maxStalenessNs` (inclusive); an older one makes the option trade *stale*, none at all
 * makes it *none*.
 *
 * Contract (streaming): underlying trades are fed in (sip_timestamp, sequence) order, and before
 * an option trade is looked up every underlying trade at or before its time has been fed and none
 * after it (a merge that puts underlying trades first at equal timestamps, as the lake job and the
 * realtime reorder buffer do). Only the latest eligible trade is kept, so lookups cost one BigInt
 * comparison and allocate nothing. Feeding an eligible trade older than the latest one, or looking
 * up a time before it, breaks the contract and throws a RangeError rather than answering wrongly.
 */
import type { UnderlyingTrade } from '../formats/records.js';
import type { TradeEligibility } from './eligibility.js';

/** Outcome of {@link AsOfUnderlying.lookup}. */
export const AsOfStatus = {
  /** A trade within the staleness bound: read `price` and `timestampNs`. */
  Found: 0,
  /** No eligible underlying trade at or before the time. */
  None: 1,
  /** The latest eligible trade is older than the staleness bound. */
  Stale: 2,
} as const;
export type AsOfStatus = (typeof AsOfStatus)[keyof typeof AsOfStatus];

export class AsOfUnderlying {
  private hasTrade = false;
  private latestPrice = NaN;
  private latestTimestampNs = 0n;

  /**
   * @param maxStalenessNs largest accepted age of S, nanoseconds (`max_underlying_staleness`)
   * @param eligibility decides which trades {@link onTrade} keeps (high/low eligibility)
   */
  constructor(private readonly maxStalenessNs: bigint, private readonly eligibility?: TradeEligibility) {
    if (maxStalenessNs < 0n) throw new RangeError(`maxStalenessNs must be ≥ 0, got ${maxStalenessNs}`);
  }

  /** Feeds any underlying trade; only high/low-eligible ones move S (all of them without an eligibility). */
  onTrade(t: UnderlyingTrade): void {
    if (this.eligibility === undefined || this.eligibility.underlyingHighLow(t)) this.pushEligible(t.sipTimestampNs, t.price);
  }

  /** Feeds an already-eligible trade. At equal timestamps the last one fed wins: feed in sequence order. */
  pushEligible(sipTimestampNs: bigint, price: number): void {
    if (this.hasTrade && sipTimestampNs < this.latestTimestampNs) {
      throw new RangeError(`underlying trades out of time order: ${sipTimestampNs} after ${this.latestTimestampNs}`);
    }
    this.hasTrade = true;
    this.latestPrice = price;
    this.latestTimestampNs = sipTimestampNs;
  }

  /** Classifies the latest eligible trade for an option trade at `sipTimestampNs`. */
  lookup(sipTimestampNs: bigint): AsOfStatus {
    if (!this.hasTrade) return AsOfStatus.None;
    const ageNs = sipTimestampNs - this.latestTimestampNs;
    if (ageNs < 0n) {
      throw new RangeError(`as-of lookup at ${sipTimestampNs} before the latest underlying trade fed (${this.latestTimestampNs})`);
    }
    return ageNs > this.maxStalenessNs ? AsOfStatus.Stale : AsOfStatus.Found;
  }

  /** Price of the latest eligible trade (NaN before the first). */
  get price(): number {
    return this.latestPrice;
  }

  /** sip_timestamp of the latest eligible trade, or null before the first. */
  get timestampNs(): bigint | null {
    return this.hasTrade ? this.latestTimestampNs : null;
  }

  /** Forgets every trade (a new day or a new replay). */
  reset(): void {
    this.hasTrade = false;
    this.latestPrice = NaN;
    this.latestTimestampNs = 0n;
  }
}
