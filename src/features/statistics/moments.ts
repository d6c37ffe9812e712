/**
 * Mean and central moments of a sorted sample, and the moment statistics
 * built on them: sample standard deviation (ddof = 1), adjusted Fisher–Pearson
 * skewness G1 and excess kurtosis G2 (pandas `skew`/`kurt`, scipy
 * `skew/kurtosis(bias=False)`).
 *
 * Numerics: two passes over the sorted buffer. Pass 1 is a compensated sum
 * (see summation.ts) giving the mean to about one rounding; pass 2 sums the
 * powers of deviations from that mean, also compensated. Working with
 * deviations avoids the catastrophic cancellation of Σx² − (Σx)²/n on
 * 1e9-dollar values. Everything depends only on the sorted values, so the
 * result is independent of arrival order.
 */

import { neumaierSum } from './summation.js';

/** Sums of powers of deviations from the mean, over n values. */
export interface CentralMoments {
  n: number;
  /** Σx / n, clamped into [min, max] (exactly min when all values are equal). */
  mean: number;
  /** Σ(x − mean)² */
  m2: number;
  /** Σ(x − mean)³ */
  m3: number;
  /** Σ(x − mean)⁴ */
  m4: number;
}

/** Mean of sorted[0..n) (NaN for n = 0): compensated sum / n, kept within [min, max]. */
export function meanSorted(sorted: ArrayLike<number>, n: number, total: number = neumaierSum(sorted, 0, n)): number {
  if (n === 0) return NaN;
  const min = sorted[0]!;
  const max = sorted[n - 1]!;
  if (min === max) return min;
  const mean = total / n;
  return mean < min ? min : mean > max ? max : mean;
}

/** Fills `out` with the central moment sums of sorted[0..n) around `mean`. */
export function centralMomentsSorted(sorted: ArrayLike<number>, n: number, mean: number, out: CentralMoments): CentralMoments {
  let s2 = 0, c2 = 0, s3 = 0, c3 = 0, s4 = 0, c4 = 0;
  for (let i = 0; i < n; i++) {
    const d = sorted[i]! - mean;
    const d2 = d * d;
    const d3 = d2 * d;
    const d4 = d2 * d2;
    // Neumaier steps, inlined for the three sums.
    let t = s2 + d2;
    c2 += Math.abs(s2) >= d2 ? (s2 - t) + d2 : (d2 - t) + s2;
    s2 = t;
    t = s3 + d3;
    c3 += Math.abs(s3) >= Math.abs(d3) ? (s3 - t) + d3 : (d3 - t) + s3;
    s3 = t;
    t = s4 + d4;
    c4 += Math.abs(s4) >= d4 ? (s4 - t) + d4 : (d4 - t) + s4;
    s4 = t;
  }
  out.n = n;
  out.mean = mean;
  out.m2 = s2 + c2;
  out.m3 = s3 + c3;
  out.m4 = s4 + c4;
  return out;
}

/** Sample standard deviation (ddof = 1); NaN when n < 2. */
export function sampleStddev(m: CentralMoments): number {
  return m.n < 2 ? NaN : Math.sqrt(m.m2 / (m.n - 1));
}

/**
 * Adjusted Fisher–Pearson skewness G1 = g1·√(n(n−1))/(n−2), g1 = (m3/n)/(m2/n)^1.5.
 * NaN when n < 3 or m2 = 0 (callers also null it when all values are equal).
 */
export function skewnessG1(m: CentralMoments): number {
  const n = m.n;
  if (n < 3 || m.m2 === 0) return NaN;
  const variance = m.m2 / n;
  const g1 = (m.m3 / n) / Math.pow(variance, 1.5);
  return g1 * Math.sqrt(n * (n - 1)) / (n - 2);
}

/**
 * Bias-corrected excess kurtosis G2 = ((n²−1)·g2' − 3(n−1)²) / ((n−2)(n−3)),
 * g2' = (m4/n)/(m2/n)². NaN when n < 4 or m2 = 0.
 */
export function excessKurtosisG2(m: CentralMoments): number {
  const n = m.n;
  if (n < 4 || m.m2 === 0) return NaN;
  const variance = m.m2 / n;
  const ratio = (m.m4 / n) / (variance * variance);
  return ((n * n - 1) * ratio - 3 * (n - 1) * (n - 1)) / ((n - 2) * (n - 3));
}
