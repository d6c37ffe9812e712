/**
 * The model price of an option trade at a time of day, exactly as the
 * feature engine should reconstruct it (FEATURES.md, "Per-trade quantities"). Pure, no I/O.
 *
 * - S: the latest high/low-eligible print of the underlying at or before the
 *   time (see underlyingTape.ts);
 * - T: (expiry date 16:00 New York − time) in years of 365 days, floored at 60 s;
 * - r, q: continuous rates (default 0.04 and 0);
 * - σ: the contract's constant true volatility;
 * - price: `bsmPrice(right, S, K, T, r, q, σ)`.
 */
import { bsmPrice } from '../options/pricing/bsm.js';
import { newYorkDayStartEpochMs, wallClockNs } from './newYorkCalendar.js';
import type { OptionContract } from './optionChain.js';
import type { UnderlyingTape } from './underlyingTape.js';

const NS_PER_YEAR = 365 * 86_400e9;

export interface PricingParams {
  /** Epoch ms of 00:00 New York on the trading day (origin of `timeOfDayNs`). */
  readonly dayStartEpochMs: number;
  readonly riskFreeRate: number;
  readonly dividendYield: number;
  /** Floor of T, nanoseconds (60 s). */
  readonly minTimeToExpiryNs: number;
  /** Eligible-print tapes by underlying ticker. */
  readonly tapes: ReadonlyMap<string, UnderlyingTape>;
}

export interface ModelQuote {
  /** Underlying price used, dollars. */
  readonly underlyingPrice: number;
  /** Time of day of that underlying print. */
  readonly underlyingTimeOfDayNs: number;
  /** Time to expiry, years of 365 days (floored). */
  readonly yearsToExpiry: number;
  /** BSM value before any rounding, dollars. */
  readonly modelPrice: number;
}

export class ContractPricer {
  private readonly expiryCloseCache = new Map<string, number>();

  constructor(readonly params: PricingParams) {}

  /** Nanoseconds from the trading day's New York midnight to 16:00 New York on `expiry` (DST-aware). */
  expiryCloseNs(expiry: string): number {
    let ns = this.expiryCloseCache.get(expiry);
    if (ns === undefined) {
      ns = (newYorkDayStartEpochMs(expiry) - this.params.dayStartEpochMs) * 1e6 + wallClockNs(16);
      this.expiryCloseCache.set(expiry, ns);
    }
    return ns;
  }

  /** T in years for a trade at `timeOfDayNs` (floored at the minimum). */
  yearsToExpiry(expiry: string, timeOfDayNs: number): number {
    return Math.max(this.expiryCloseNs(expiry) - timeOfDayNs, this.params.minTimeToExpiryNs) / NS_PER_YEAR;
  }

  /** Model value of `contract` at `timeOfDayNs`, or undefined if its underlying has not printed yet. */
  quote(contract: OptionContract, timeOfDayNs: number): ModelQuote | undefined {
    const tape = this.params.tapes.get(contract.underlying);
    const i = tape ? tape.latestIndexAtOrBefore(timeOfDayNs) : -1;
    if (!tape || i < 0) return undefined;
    const S = tape.priceAt(i);
    const T = this.yearsToExpiry(contract.expiry, timeOfDayNs);
    return {
      underlyingPrice: S,
      underlyingTimeOfDayNs: tape.timeAt(i),
      yearsToExpiry: T,
      modelPrice: bsmPrice(contract.right, S, contract.strike, T, this.params.riskFreeRate, this.params.dividendYield, contract.sigma),
    };
  }
}
