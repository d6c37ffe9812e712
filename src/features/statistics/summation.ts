/**
 * Compensated (Neumaier / Kahan–Babuška) summation.
 *
 * The window statistics always sum the values of the SORTED buffer with this
 * routine, so a set of values gives the same bits whatever order it arrived
 * in (realtime and historical paths agree exactly), and the total is accurate
 * to about one rounding of the exact sum even with mixed magnitudes
 * (1e9-dollar values next to cents).
 */

/** Σ values[from..to) with Neumaier compensation. Returns 0 for an empty range. */
export function neumaierSum(values: ArrayLike<number>, from: number, to: number): number {
  let sum = 0;
  let compensation = 0;
  for (let i = from; i < to; i++) {
    const v = values[i]!;
    const t = sum + v;
    // The lost low-order part of whichever operand is smaller in magnitude.
    if (Math.abs(sum) >= Math.abs(v)) compensation += (sum - t) + v;
    else compensation += (v - t) + sum;
    sum = t;
  }
  return sum + compensation;
}
