/**
 * SIP-style sequence numbers for a whole file. Pure, no I/O.
 *
 * Massive's `sequence_number` increases with time and is unique per ticker,
 * with gaps (the counter is shared with other symbols). Given every row's
 * time of day up front, a row's number is 1 + its rank in time across the
 * whole file; rows of one ticker sharing a timestamp (millisecond files) are
 * told apart by their order within the ticker (`tieIndex`), so numbers stay
 * strictly increasing per ticker. Different tickers may share a number at
 * the same instant, which real files also allow.
 */
export class SequenceNumbering {
  private readonly sortedTimes: Float64Array;

  /** @param timesPerTicker each ticker's row times (`timeOfDayNs`), any order of tickers */
  constructor(timesPerTicker: readonly Float64Array[]) {
    const total = timesPerTicker.reduce((n, t) => n + t.length, 0);
    this.sortedTimes = new Float64Array(total);
    let at = 0;
    for (const times of timesPerTicker) {
      this.sortedTimes.set(times, at);
      at += times.length;
    }
    this.sortedTimes.sort();
  }

  /**
   * Sequence number of a row at `timeOfDayNs`, the `tieIndex`-th row (from 0)
   * of its ticker at that same time.
   */
  numberFor(timeOfDayNs: number, tieIndex: number): number {
    const s = this.sortedTimes;
    let lo = 0, hi = s.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (s[mid]! < timeOfDayNs) lo = mid + 1; else hi = mid;
    }
    return 1 + lo + tieIndex;
  }
}

/** Walks one ticker's non-decreasing times and hands out their sequence numbers. */
export class TickerSequencer {
  private lastTime = Number.NaN;
  private tieIndex = 0;
  constructor(private readonly numbering: SequenceNumbering) {}
  next(timeOfDayNs: number): number {
    this.tieIndex = timeOfDayNs === this.lastTime ? this.tieIndex + 1 : 0;
    this.lastTime = timeOfDayNs;
    return this.numbering.numberFor(timeOfDayNs, this.tieIndex);
  }
}
