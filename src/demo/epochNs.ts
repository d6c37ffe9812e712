/**
 * Exact epoch-nanosecond strings without BigInt. Pure, no I/O.
 *
 * A timestamp is held as (dayStartEpochMs, timeOfDayNs): both exact JS
 * numbers. Its 19-digit decimal form is the epoch milliseconds followed by
 * the six sub-millisecond digits, so no value beyond 2^53 is ever computed.
 */

/** `timeOfDayNs` rounded down to a whole millisecond (for `timestampPrecision: 'ms'`). */
export function truncateToMs(timeOfDayNs: number): number {
  return Math.floor(timeOfDayNs / 1e6) * 1e6;
}

/**
 * Decimal epoch nanoseconds of `dayStartEpochMs + timeOfDayNs`.
 * `timeOfDayNs` is a non-negative integer; may exceed one day (e.g. 20:00 is
 * 7.2e13 ns) or reach into the next UTC day: it is only an offset.
 */
export function epochNsString(dayStartEpochMs: number, timeOfDayNs: number): string {
  const wholeMs = Math.floor(timeOfDayNs / 1e6);
  const subMsNs = timeOfDayNs - wholeMs * 1e6;
  return String(dayStartEpochMs + wholeMs) + String(1e6 + subMsNs).slice(1);
}

/** Exact BigInt of the same instant (for tests and callers that want BigInt). */
export function epochNsBigInt(dayStartEpochMs: number, timeOfDayNs: number): bigint {
  return BigInt(dayStartEpochMs) * 1_000_000n + BigInt(timeOfDayNs);
}

/**
 * `epochNsString` for one day, caching the seconds prefix: consecutive
 * timestamps of a busy ticker mostly share their second, so most calls only
 * format the nine sub-second digits.
 */
export class EpochNsFormatter {
  private cachedSecond = Number.NaN;
  private cachedPrefix = '';
  private readonly dayStartEpochSeconds: number;
  private readonly dayStartSubSecondNs: number;

  constructor(dayStartEpochMs: number) {
    this.dayStartEpochSeconds = Math.floor(dayStartEpochMs / 1000);
    this.dayStartSubSecondNs = (dayStartEpochMs - this.dayStartEpochSeconds * 1000) * 1e6;
  }

  /** Decimal epoch nanoseconds of `timeOfDayNs` (a non-negative integer). */
  format(timeOfDayNs: number): string {
    const sinceSecond = timeOfDayNs + this.dayStartSubSecondNs;
    const second = Math.floor(sinceSecond / 1e9);
    if (second !== this.cachedSecond) {
      this.cachedSecond = second;
      this.cachedPrefix = String(this.dayStartEpochSeconds + second);
    }
    return this.cachedPrefix + String(1e9 + (sinceSecond - second * 1e9)).slice(1);
  }
}
