/**
 * Sliding-window rate of a cumulative counter (bytes read, rows parsed...).
 *
 * The counter is sampled as a step function: `record(atMs, total)` says "the
 * counter was `total` at `atMs`". `perSecond(nowMs)` is the average increase
 * per second over the last `windowMs` milliseconds, or over the time since the
 * first sample when the counter is younger than the window:
 *
 *     rate = (total(now) - total(max(now - windowMs, firstSampleMs))) / elapsed
 *
 * so a counter that stops moving decays to 0 after one window instead of
 * freezing at its last value. Samples closer together than `windowMs / 100`
 * are merged, which bounds memory to ~110 samples whatever the call rate; the
 * value at the window start is then known to within ~2% of the window's
 * increase, hence the rate too.
 *
 * Pure: no clock of its own, the caller passes the time.
 */
export class RateWindow {
  private readonly windowMs: number;
  private readonly resolutionMs: number;
  /** Ascending by time; `samples[0]` may lie before the window start (it is the baseline). */
  private readonly samples: { atMs: number; total: number }[] = [];

  constructor(windowMs: number) {
    if (!(windowMs > 0)) throw new RangeError(`rate window must be > 0 ms, got ${windowMs}`);
    this.windowMs = windowMs;
    this.resolutionMs = windowMs / 100;
  }

  /** Records the counter's cumulative value at `atMs`. Times must not go backwards. */
  record(atMs: number, total: number): void {
    const n = this.samples.length;
    // Merge into the newest sample when it is younger than the resolution, but never
    // merge away the very first sample: it anchors the start of the counter.
    if (n >= 2 && atMs - this.samples[n - 2]!.atMs < this.resolutionMs) {
      this.samples[n - 1] = { atMs, total };
    } else {
      this.samples.push({ atMs, total });
    }
    this.prune(atMs);
  }

  /** Average increase per second over the window ending at `nowMs`; 0 without enough data. */
  perSecond(nowMs: number): number {
    this.prune(nowMs);
    const n = this.samples.length;
    if (n === 0) return 0;
    const first = this.samples[0]!;
    const latest = this.samples[n - 1]!;
    const windowStartMs = nowMs - this.windowMs;
    // After pruning, samples[0] is either the last sample at or before the window
    // start (so its total is the value at the window start) or the counter's first sample.
    const fromMs = Math.max(windowStartMs, first.atMs);
    const elapsedMs = nowMs - fromMs;
    if (elapsedMs <= 0) return 0;
    return Math.max(0, (latest.total - first.total) / (elapsedMs / 1000));
  }

  /** Drops samples that can no longer be the baseline of a window ending at `nowMs` or later. */
  private prune(nowMs: number): void {
    const windowStartMs = nowMs - this.windowMs;
    // Keep the last sample at or before the window start: it is the value at the window start.
    while (this.samples.length >= 2 && this.samples[1]!.atMs <= windowStartMs) this.samples.shift();
  }
}
