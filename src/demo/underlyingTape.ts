/**
 * The as-of view of an underlying's printed trades. Pure, no I/O.
 *
 * Records the trades an option-pricing lookup may use (FEATURES.md: the
 * latest high/low-eligible underlying trade with `sip_timestamp <=` the
 * option trade's; latest = highest (sip_timestamp, sequence_number)) in file
 * order, which is time then sequence order, so "latest" is the last
 * recorded trade at or before a time.
 */
export class UnderlyingTape {
  private times: number[] = [];
  private prices: number[] = [];

  constructor(readonly ticker: string) {}

  /** Appends a trade; times must be non-decreasing. `price` in dollars as printed. */
  record(timeOfDayNs: number, price: number): void {
    const n = this.times.length;
    if (n > 0 && timeOfDayNs < this.times[n - 1]!) throw new RangeError('UnderlyingTape.record: times must be non-decreasing');
    this.times.push(timeOfDayNs);
    this.prices.push(price);
  }

  get size(): number {
    return this.times.length;
  }

  /** Index of the latest trade at or before `timeOfDayNs`, or −1 if none. */
  latestIndexAtOrBefore(timeOfDayNs: number): number {
    const t = this.times;
    let lo = 0, hi = t.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (t[mid]! <= timeOfDayNs) lo = mid + 1; else hi = mid;
    }
    return lo - 1;
  }

  timeAt(index: number): number {
    return this.times[index]!;
  }

  priceAt(index: number): number {
    return this.prices[index]!;
  }
}
