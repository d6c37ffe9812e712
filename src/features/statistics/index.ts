/**
 * Window statistics over a set of float64 values (FEATURES.md, "Statistics
 * over a set x of n values"): small single-purpose modules sharing one sorted
 * buffer, combined by `computeStats`.
 *
 * Nulls are NaN. A statistic is NaN exactly when FEATURES.md says it is
 * null: minimum/maximum/q1–q3/mean/iqr/mad/mode/kde_peaks when n = 0; stddev
 * when n < 2; skew when n < 3 or all values equal; kurtosis and bc when n < 4
 * or all values equal; cv when stddev is null or mean = 0; dip_pval when
 * n < 4. total is 0 for n = 0. "All values equal" means max = min.
 * Inputs must be finite numbers (filter nulls/NaN before calling).
 *
 * Determinism: everything is computed from the sorted values, and sums are
 * compensated sums in sorted order, so the same multiset of values gives
 * bit-identical results whatever order it arrived in (realtime = historical).
 */

import { bimodalityCoefficient } from './bimodality.js';
import { dipStatistic, DipScratch } from './dip.js';
import { dipPValue } from './dip-pvalue.js';
import { countLocalMaxima, evaluateKdeGrid, KDE_GRID_POINTS, kdeGrid, kdeMode, scottBandwidth, type KdeGrid } from './kde.js';
import { medianAbsoluteDeviationSorted } from './mad.js';
import { centralMomentsSorted, excessKurtosisG2, meanSorted, sampleStddev, skewnessG1, type CentralMoments } from './moments.js';
import { quantileSorted } from './quantile.js';
import { neumaierSum } from './summation.js';

export { bimodalityCoefficient } from './bimodality.js';
export { dipStatistic, dipWithModalInterval, DipScratch, type DipResult } from './dip.js';
export { dipPValue, DIP_TABLE_MIN_N, DIP_TABLE_MAX_N } from './dip-pvalue.js';
export {
  countLocalMaxima, evaluateKdeGrid, evaluateKdeGridDirect, gridPoint, KDE_GRID_POINTS, kdeGrid, kdeMode,
  MODE_TIE_RELATIVE, scottBandwidth, type KdeGrid,
} from './kde.js';
export { medianAbsoluteDeviationSorted } from './mad.js';
export { centralMomentsSorted, excessKurtosisG2, meanSorted, sampleStddev, skewnessG1, type CentralMoments } from './moments.js';
export { lerp, quantileSorted } from './quantile.js';
export { neumaierSum } from './summation.js';

/** The statistics of most feature groups, in feature_names.json order. */
export const STAT_NAMES_BASE = ['total', 'minimum', 'maximum', 'mean', 'stddev', 'skew', 'kurtosis', 'iqr', 'mad', 'cv', 'mode', 'bc', 'dip_pval', 'kde_peaks'] as const;
/** The statistics of groups that also report quartiles, in feature_names.json order. */
export const STAT_NAMES_WITH_QUANTILES = ['total', 'minimum', 'q1', 'q2', 'q3', 'maximum', 'mean', 'stddev', 'skew', 'kurtosis', 'iqr', 'mad', 'cv', 'mode', 'bc', 'dip_pval', 'kde_peaks'] as const;
export type StatName = (typeof STAT_NAMES_WITH_QUANTILES)[number];

/** Reusable work memory for computeStats (one per thread of work; not shared concurrently). */
export class StatsScratch {
  readonly density = new Float64Array(KDE_GRID_POINTS);
  readonly grid: KdeGrid = { start: 0, end: 0, step: 0 };
  readonly moments: CentralMoments = { n: 0, mean: NaN, m2: NaN, m3: NaN, m4: NaN };
  readonly dip = new DipScratch();
  readonly sort = new SortScratch();
}

/** Below this many values the built-in sort is faster than the radix sort (fixed cost of 6 × 2048 counters). */
const RADIX_SORT_MIN_N = 512;
/** The radix sort reads a float64 as two 32-bit words, low word first (every platform Node runs on). */
const LITTLE_ENDIAN = new Uint8Array(Float64Array.of(1).buffer)[7] === 0x3f;
const DIGIT_BITS = 11, DIGIT_BUCKETS = 1 << DIGIT_BITS, DIGIT_MASK = DIGIT_BUCKETS - 1, DIGITS = 6;

/** Work memory of sortAscending: sortable keys (high and low 32-bit words) in two generations, and digit counters. */
export class SortScratch {
  high = new Uint32Array(0);
  low = new Uint32Array(0);
  nextHigh = new Uint32Array(0);
  nextLow = new Uint32Array(0);
  readonly counts = new Uint32Array(DIGITS * DIGIT_BUCKETS);

  reserve(n: number): void {
    if (this.high.length >= n) return;
    const capacity = Math.max(n, 2 * this.high.length);
    this.high = new Uint32Array(capacity);
    this.low = new Uint32Array(capacity);
    this.nextHigh = new Uint32Array(capacity);
    this.nextLow = new Uint32Array(capacity);
  }
}

/**
 * Sorts values[0..n) ascending in place, with exactly the order of
 * Float64Array.prototype.sort for non-NaN values (−0 before +0), so results
 * stay bit-identical. From RADIX_SORT_MIN_N values on it is an LSD radix sort
 * on the IEEE-754 bits (2–3× faster than the built-in sort on windows of
 * thousands of values): each float maps to an unsigned 64-bit key in numeric
 * order (negative: all bits flipped; positive: sign bit set), six stable
 * passes of 11-bit digits order the keys, and a digit that every key shares
 * (e.g. the sign and exponent of same-magnitude values) is skipped.
 */
export function sortAscending(values: Float64Array, n: number, scratch: SortScratch = defaultScratch.sort): void {
  if (n < RADIX_SORT_MIN_N || !LITTLE_ENDIAN) {
    values.subarray(0, n).sort();
    return;
  }
  scratch.reserve(n);
  const words = new Uint32Array(values.buffer, values.byteOffset, 2 * n); // little-endian: low word first
  const counts = scratch.counts;
  counts.fill(0);
  let high = scratch.high, low = scratch.low, nextHigh = scratch.nextHigh, nextLow = scratch.nextLow;
  const B = DIGIT_BUCKETS, M = DIGIT_MASK;
  for (let k = 0; k < n; k++) {
    let lo = words[2 * k]!, hi = words[2 * k + 1]!;
    if (hi >>> 31) {
      hi = ~hi >>> 0;
      lo = ~lo >>> 0;
    } else {
      hi = (hi | 0x80000000) >>> 0;
    }
    high[k] = hi;
    low[k] = lo;
    counts[lo & M]!++;
    counts[B + ((lo >>> 11) & M)]!++;
    counts[2 * B + (lo >>> 22)]!++;
    counts[3 * B + (hi & M)]!++;
    counts[4 * B + ((hi >>> 11) & M)]!++;
    counts[5 * B + (hi >>> 22)]!++;
  }
  for (let digit = 0; digit < DIGITS; digit++) {
    const base = digit * B;
    // Counts → first output position of each bucket; a digit every key shares needs no pass.
    let position = 0, shared = false;
    for (let b = base; b < base + B; b++) {
      const count = counts[b]!;
      if (count === n) { shared = true; break; }
      counts[b] = position;
      position += count;
    }
    if (shared) continue;
    const shift = (digit % 3) * DIGIT_BITS;
    if (digit < 3) {
      for (let k = 0; k < n; k++) {
        const lo = low[k]!;
        const to = counts[base + ((lo >>> shift) & M)]!++;
        nextLow[to] = lo;
        nextHigh[to] = high[k]!;
      }
    } else {
      for (let k = 0; k < n; k++) {
        const hi = high[k]!;
        const to = counts[base + ((hi >>> shift) & M)]!++;
        nextHigh[to] = hi;
        nextLow[to] = low[k]!;
      }
    }
    const h = high; high = nextHigh; nextHigh = h;
    const l = low; low = nextLow; nextLow = l;
  }
  for (let k = 0; k < n; k++) {
    let hi = high[k]!, lo = low[k]!;
    if (hi >>> 31) {
      hi = (hi & 0x7fffffff) >>> 0;
    } else {
      hi = ~hi >>> 0;
      lo = ~lo >>> 0;
    }
    words[2 * k] = lo;
    words[2 * k + 1] = hi;
  }
}

const defaultScratch = new StatsScratch();

/**
 * Computes the requested statistics of values[0..n) (the array MAY be sorted
 * in place), writing them into out[outOffset + k] in the order of `names`.
 * Shared work (sort, moments, KDE curve) is done once.
 */
export function computeStats(values: Float64Array, n: number, names: readonly StatName[], out: Float64Array, outOffset: number, scratch: StatsScratch = defaultScratch): void {
  sortAscending(values, n, scratch.sort);
  const sorted = values.subarray(0, n);
  const window = new SortedWindow(sorted, n, scratch);
  for (let k = 0; k < names.length; k++) out[outOffset + k] = window.stat(names[k]!);
}

let warmedUp = false;

/**
 * Runs computeStats on a few synthetic windows, once per process, so that V8
 * has compiled the hot paths (KDE walks on fine and coarse grids, radix and
 * built-in sort, dip test) before the first real window closes; otherwise
 * the first rows of a session take 10–70 ms instead of ~2 ms. Costs a few
 * tens of ms, once. Deterministic and side-effect free apart from the JIT state.
 */
export function warmUpStatistics(): void {
  if (warmedUp) return;
  warmedUp = true;
  const scratch = new StatsScratch();
  const out = new Float64Array(STAT_NAMES_WITH_QUANTILES.length);
  let state = 7;
  const uniform = (): number => (state = (state * 48271) % 2147483647) / 2147483647;
  for (let round = 0; round < 18; round++) {
    const n = [40, 600, 2500][round % 3]!;
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      // KDE grids of every kind: fine (bounded values), medium (heavy tail), very coarse (one far outlier).
      const u = uniform();
      values[i] = round % 3 === 0 ? u * 100 : round % 3 === 1 ? Math.exp(8 * u * u) : i === 0 ? 1e6 : u;
    }
    computeStats(values, n, STAT_NAMES_WITH_QUANTILES, out, 0, scratch);
  }
}

/** Lazily computed shared state of one sorted window: each piece at most once. */
class SortedWindow {
  private total: number | undefined;
  private momentsReady = false;
  private g1: number | undefined;
  private g2: number | undefined;
  private kdeReady = false;
  readonly allEqual: boolean;

  constructor(readonly sorted: Float64Array, readonly n: number, readonly scratch: StatsScratch) {
    this.allEqual = n > 0 && sorted[0] === sorted[n - 1];
  }

  stat(name: StatName): number {
    const { n, sorted } = this;
    switch (name) {
      case 'total': return this.sum();
      case 'minimum': return n === 0 ? NaN : sorted[0]!;
      case 'maximum': return n === 0 ? NaN : sorted[n - 1]!;
      case 'q1': return quantileSorted(sorted, n, 0.25);
      case 'q2': return quantileSorted(sorted, n, 0.5);
      case 'q3': return quantileSorted(sorted, n, 0.75);
      case 'iqr': return n === 0 ? NaN : quantileSorted(sorted, n, 0.75) - quantileSorted(sorted, n, 0.25);
      case 'mad': return medianAbsoluteDeviationSorted(sorted, n);
      case 'mean': return n === 0 ? NaN : this.moments().mean;
      case 'stddev': return this.stddev();
      case 'cv': {
        const sd = this.stddev();
        const mean = n === 0 ? NaN : this.moments().mean;
        return Number.isNaN(sd) || mean === 0 ? NaN : sd / mean;
      }
      case 'skew': return this.skew();
      case 'kurtosis': return this.kurtosis();
      case 'bc': return n < 4 || this.allEqual ? NaN : bimodalityCoefficient(this.skew(), this.kurtosis(), n);
      case 'mode':
        if (n === 0) return NaN;
        if (this.allEqual) return sorted[0]!;
        return kdeMode(this.kde(), this.scratch.grid);
      case 'kde_peaks':
        if (n === 0) return NaN;
        if (this.allEqual) return 1;
        return countLocalMaxima(this.kde());
      case 'dip_pval': return n < 4 ? NaN : dipPValue(dipStatistic(sorted, n, this.scratch.dip), n);
    }
  }

  private sum(): number {
    if (this.total === undefined) this.total = neumaierSum(this.sorted, 0, this.n);
    return this.total;
  }

  private moments(): CentralMoments {
    if (!this.momentsReady) {
      const mean = meanSorted(this.sorted, this.n, this.sum());
      centralMomentsSorted(this.sorted, this.n, mean, this.scratch.moments);
      this.momentsReady = true;
    }
    return this.scratch.moments;
  }

  private stddev(): number {
    return this.n < 2 ? NaN : sampleStddev(this.moments());
  }

  private skew(): number {
    if (this.g1 === undefined) this.g1 = this.n < 3 || this.allEqual ? NaN : skewnessG1(this.moments());
    return this.g1;
  }

  private kurtosis(): number {
    if (this.g2 === undefined) this.g2 = this.n < 4 || this.allEqual ? NaN : excessKurtosisG2(this.moments());
    return this.g2;
  }

  /** The 512-point density (n ≥ 2, not all equal, so the bandwidth is positive). */
  private kde(): Float64Array {
    const { scratch, sorted, n } = this;
    if (!this.kdeReady) {
      const bandwidth = scottBandwidth(this.stddev(), n);
      kdeGrid(sorted[0]!, sorted[n - 1]!, bandwidth, scratch.grid);
      evaluateKdeGrid(sorted, n, bandwidth, scratch.grid, scratch.density);
      this.kdeReady = true;
    }
    return scratch.density;
  }
}
