/**
 * e^x for the pricing kernels: Tang's table-driven method ("Table-driven implementation of the
 * exponential function in IEEE floating-point arithmetic", ACM TOMS 15, 1989) with 256 table
 * entries and a degree-5 polynomial, within 2 ulp of Math.exp (1 ulp in ~30 % of arguments,
 * 2 ulp in ~2 of 100 000; exp.test.ts counts them).
 *
 * Why not Math.exp: on Node 20, TurboFan compiles Math.exp to a call into V8's C library
 * routine (~9 ns per call on this project's benchmark machine); this function is inlined and
 * runs in ~4 ns. The implied-volatility solver evaluates 5–7 exponentials per solve
 * (bench/iv.ts measures both in the same run). Arguments outside (−708, 709), where the result
 * would be subnormal or overflow, and NaN go to Math.exp, so edge cases are Math.exp's.
 */

const N = 256;
/** 2^{j/256}, j = 0…255. */
const POW2_FRACTION = new Float64Array(N);
for (let j = 0; j < N; j++) POW2_FRACTION[j] = Math.pow(2, j / N);
/** 2^m for m = −1022…1023 at index m + 1022 (exact powers of two). */
const POW2_INTEGER = new Float64Array(2046);
for (let m = -1022; m <= 1023; m++) POW2_INTEGER[m + 1022] = Math.pow(2, m);

const N_OVER_LN2 = N / Math.LN2;
// ln 2 / 256 split Cody–Waite style: the head has 21 trailing zero bits, so k·head is exact
// for every |k| < 2^21 (here |k| < 262 000).
const LN2_OVER_N_HEAD = 6.93147180369123816490e-01 / N;
const LN2_OVER_N_TAIL = 1.90821492927058770002e-10 / N;
/** 1.5·2^52: adding and subtracting it rounds a double (|v| < 2^51) to the nearest integer. */
const ROUNDING_SHIFTER = 6755399441055744;

/** e^x, within 2 ulp; Math.exp outside (−708, 709) and for NaN. */
export function exp(x: number): number {
  if (!(x > -708 && x < 709)) return Math.exp(x);
  // x = (256·m + j)·ln2/256 + r,  |r| ≤ ln2/512,  e^x = 2^m · 2^{j/256} · e^r
  const kd = x * N_OVER_LN2 + ROUNDING_SHIFTER - ROUNDING_SHIFTER;
  const r = (x - kd * LN2_OVER_N_HEAD) - kd * LN2_OVER_N_TAIL;
  const k = kd | 0;
  const j = k & (N - 1);
  const t = POW2_FRACTION[j]!;
  // e^r − 1 to degree 5: the next term, r⁶/720 < 2.3e-20, is below half an ulp.
  const p = r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120)))));
  return (t + t * p) * POW2_INTEGER[((k - j) >> 8) + 1022]!;
}
