/**
 * Unscaled median absolute deviation from the median, median(|x − median(x)|),
 * as numpy `np.median(np.abs(x - np.median(x)))` (no 1.4826 consistency factor).
 *
 * On a sorted sample the deviations form two sorted runs that meet at the
 * median (left of it they grow leftwards, right of it rightwards), so the
 * middle order statistics of the deviations come from an O(n) merge walking
 * outwards from the median, with no allocation and no second sort.
 */

import { lerp, quantileSorted } from './quantile.js';

/** MAD of sorted[0..n). NaN when n = 0. */
export function medianAbsoluteDeviationSorted(sorted: ArrayLike<number>, n: number): number {
  if (n === 0) return NaN;
  const median = quantileSorted(sorted, n, 0.5);
  // First index whose value is >= median (binary search).
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < median) lo = mid + 1;
    else hi = mid;
  }
  let left = lo - 1; // deviations median − sorted[left], increasing as left decreases
  let right = lo; // deviations sorted[right] − median, increasing as right increases
  const virtualIndex = 0.5 * (n - 1);
  const lowerRank = Math.floor(virtualIndex);
  const upperRank = Math.min(lowerRank + 1, n - 1);
  let lowerDeviation = 0;
  let upperDeviation = 0;
  for (let rank = 0; rank <= upperRank; rank++) {
    // Index checks rather than Infinity sentinels: V8 boxes a double that may be Infinity here
    // (5x slower, garbage per value), and a real deviation can itself overflow to Infinity.
    let deviation: number;
    const takeLeft = left >= 0 && (right >= n || Math.abs(sorted[left]! - median) <= Math.abs(sorted[right]! - median));
    if (takeLeft) {
      deviation = Math.abs(sorted[left]! - median);
      left--;
    } else {
      deviation = Math.abs(sorted[right]! - median);
      right++;
    }
    if (rank === lowerRank) lowerDeviation = deviation;
    if (rank === upperRank) upperDeviation = deviation;
  }
  return lerp(lowerDeviation, upperDeviation, virtualIndex - lowerRank);
}
