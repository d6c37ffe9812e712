/**
 * When trades happen: trading sessions and intraday arrival profiles. Pure, no I/O.
 *
 * An `ArrivalProfile` is a piecewise-constant intensity over fixed buckets
 * (one minute by default) between two times of day. `sortedTimes` draws n
 * arrival times from it already in ascending order, in O(n + buckets) and
 * without sorting: it generates uniform order statistics sequentially
 * (U(k+1) = 1 − (1 − U(k)) · V^(1/(n−k))) and maps them through the
 * profile's inverse CDF, which preserves order.
 */
import type { Rng } from './prng.js';
import { wallClockNs } from './newYorkCalendar.js';

/** Session boundaries as `timeOfDayNs` (nanoseconds since 00:00 New York). */
export interface Session {
  /** 04:00: pre-market opens. */
  readonly extendedOpenNs: number;
  /** 09:30 */
  readonly regularOpenNs: number;
  /** 16:00, or 13:00 on an early-close day. */
  readonly regularCloseNs: number;
  /** 20:00, or 17:00 on an early-close day. */
  readonly extendedCloseNs: number;
}

export function tradingSession(halfDay: boolean): Session {
  return {
    extendedOpenNs: wallClockNs(4),
    regularOpenNs: wallClockNs(9, 30),
    regularCloseNs: wallClockNs(halfDay ? 13 : 16),
    extendedCloseNs: wallClockNs(halfDay ? 17 : 20),
  };
}

export function isRegularHours(session: Session, timeOfDayNs: number): boolean {
  return timeOfDayNs >= session.regularOpenNs && timeOfDayNs < session.regularCloseNs;
}

const MINUTE_NS = 60e9;

export class ArrivalProfile {
  private readonly cumulative: Float64Array;

  /**
   * @param startNs first possible arrival (inclusive)
   * @param endNs   last possible arrival (exclusive)
   * @param intensity relative arrival rate at the middle of each bucket (≥ 0, not all 0)
   */
  constructor(readonly startNs: number, readonly endNs: number, intensity: (timeOfDayNs: number) => number,
    readonly bucketNs: number = MINUTE_NS) {
    if (!(endNs > startNs)) throw new RangeError('ArrivalProfile needs endNs > startNs');
    const buckets = Math.ceil((endNs - startNs) / bucketNs);
    this.cumulative = new Float64Array(buckets);
    let total = 0;
    for (let b = 0; b < buckets; b++) {
      const bucketStart = startNs + b * bucketNs;
      const width = Math.min(bucketNs, endNs - bucketStart);
      total += Math.max(0, intensity(bucketStart + width / 2)) * width;
      this.cumulative[b] = total;
    }
    if (!(total > 0)) throw new RangeError('ArrivalProfile intensity is zero everywhere');
  }

  /** n integer arrival times in [startNs, endNs), ascending (ties possible only by rounding). */
  sortedTimes(rng: Rng, n: number): Float64Array {
    const out = new Float64Array(n);
    const c = this.cumulative;
    const total = c[c.length - 1]!;
    let u = 0; // current order statistic in [0, 1)
    let bucket = 0;
    for (let k = 0; k < n; k++) {
      u = 1 - (1 - u) * Math.pow(rng.uniformOpen(), 1 / (n - k));
      const mass = u * total;
      while (bucket < c.length - 1 && c[bucket]! <= mass) bucket++;
      const below = bucket === 0 ? 0 : c[bucket - 1]!;
      const fraction = (mass - below) / (c[bucket]! - below);
      const bucketStart = this.startNs + bucket * this.bucketNs;
      const width = Math.min(this.bucketNs, this.endNs - bucketStart);
      const t = Math.floor(bucketStart + fraction * width);
      out[k] = Math.min(t, this.endNs - 1);
    }
    return out;
  }
}

/**
 * Stock trade intensity: a U shape over regular hours (heavy at the open and
 * into the close), a thin pre-market that picks up before 09:30 and a thin,
 * fading post-market.
 */
export function stockIntensity(session: Session): (timeOfDayNs: number) => number {
  const { regularOpenNs: open, regularCloseNs: close } = session;
  return (t) => {
    if (t < open) return 0.03 + 0.25 * Math.exp((t - open) / (30 * MINUTE_NS));
    if (t >= close) return 0.02 + 0.6 * Math.exp(-(t - close) / (10 * MINUTE_NS));
    return regularUShape(t, open, close);
  };
}

/** Option trade intensity: regular hours only, U shaped. */
export function optionIntensity(session: Session): (timeOfDayNs: number) => number {
  return (t) => regularUShape(t, session.regularOpenNs, session.regularCloseNs);
}

function regularUShape(t: number, open: number, close: number): number {
  return 1 + 3 * Math.exp(-(t - open) / (20 * MINUTE_NS)) + 2.5 * Math.exp(-(close - t) / (25 * MINUTE_NS));
}
