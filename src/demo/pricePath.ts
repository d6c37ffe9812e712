/**
 * Underlying price paths: geometric Brownian motion sampled at trade times. Pure, no I/O.
 *
 * Volatility is quoted per trading year of 252 regular sessions of 6.5 h, so
 * `annualVol` 0.15 moves the price about 0.95 % (one standard deviation) over
 * a regular session; outside regular hours the variance rate is a quarter of
 * that. No drift beyond the −σ²/2 term (the path is a martingale).
 */
import type { Rng } from './prng.js';
import { isRegularHours, type Session } from './arrivals.js';

const REGULAR_SESSION_NS = 6.5 * 3600e9;
const TRADING_YEAR_NS = 252 * REGULAR_SESSION_NS;
const EXTENDED_HOURS_VARIANCE_SHARE = 0.25;

export interface PathSpec {
  /** Price at `startNs`. */
  readonly startPrice: number;
  /** Annualised volatility (per 252 regular sessions). */
  readonly annualVol: number;
  /** Time of day at which the path starts (the first arrival may be later). */
  readonly startNs: number;
}

/**
 * Stateful path: ask for prices at non-decreasing times. Keeps O(1) state so
 * the large-file generator can walk tens of millions of arrivals.
 */
export class GbmPath {
  private price: number;
  private lastNs: number;
  private readonly variancePerNs: number;

  constructor(spec: PathSpec, private readonly session: Session, private readonly rng: Rng) {
    this.price = spec.startPrice;
    this.lastNs = spec.startNs;
    this.variancePerNs = spec.annualVol * spec.annualVol / TRADING_YEAR_NS;
  }

  /** Path price at `timeOfDayNs` (≥ the previous call's time). */
  at(timeOfDayNs: number): number {
    const dtNs = timeOfDayNs - this.lastNs;
    if (dtNs > 0) {
      const share = isRegularHours(this.session, timeOfDayNs) ? 1 : EXTENDED_HOURS_VARIANCE_SHARE;
      const variance = this.variancePerNs * share * dtNs;
      this.price *= Math.exp(-0.5 * variance + Math.sqrt(variance) * this.rng.normal());
      this.lastNs = timeOfDayNs;
    }
    return this.price;
  }
}
