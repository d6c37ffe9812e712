/**
 * Quantiles of a sorted sample with numpy's default ("linear", Hyndman–Fan
 * type 7) definition: the p-quantile sits at virtual index p·(n−1) and is
 * interpolated linearly between the two neighbouring order statistics.
 */

/**
 * numpy's `_lerp`: a + (b−a)·t, computed from the nearer end (b − (b−a)(1−t)
 * when t ≥ 0.5) so that the result is exact at t = 1 and monotone in t.
 */
export function lerp(a: number, b: number, t: number): number {
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/**
 * The p-quantile (0 ≤ p ≤ 1) of sorted[0..n), numpy `np.quantile(x, p)`
 * (method "linear"). NaN when n = 0.
 */
export function quantileSorted(sorted: ArrayLike<number>, n: number, p: number): number {
  if (n === 0) return NaN;
  const virtualIndex = p * (n - 1);
  const below = Math.floor(virtualIndex);
  if (below >= n - 1) return sorted[n - 1]!;
  return lerp(sorted[below]!, sorted[below + 1]!, virtualIndex - below);
}
