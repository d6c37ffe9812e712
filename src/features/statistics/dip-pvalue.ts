/**
 * p-value of Hartigan's dip test by interpolation in `qDiptab`, reproducing
 * R `diptest::dip.test(x)` (default, no simulation) step by step:
 *
 * 1. rows: i = largest table index with QDIPTAB_N[i] ≤ n, and the next row;
 *    f = (n − n_i)/(n_{i+1} − n_i). For n beyond the last row (72000) both
 *    rows are the last one and f = 0 (dip.test's "asymptotic" use of the
 *    last row; n = 72000 exactly is handled the same way, where dip.test
 *    itself would index past the table).
 * 2. scale each row by √n_row and interpolate between them:
 *    y_k = √n_i·q_ik + f·(√n_{i+1}·q_{i+1,k} − √n_i·q_ik).
 * 3. P = 1 − approx(y, probs, xout = √n·dip, rule = 2), where `approx`
 *    first collapses tied y to their mean probability (ties = mean), then
 *    interpolates linearly, clamping outside the range.
 */

import { QDIPTAB_N, QDIPTAB_PROBS, QDIPTAB_ROWS } from './qdiptab.js';

/** Smallest n the table covers; dip_pval is null (NaN) below it. */
export const DIP_TABLE_MIN_N = QDIPTAB_N[0]!;
/** Largest n in the table; larger samples use this row. */
export const DIP_TABLE_MAX_N = QDIPTAB_N[QDIPTAB_N.length - 1]!;

const columns = QDIPTAB_PROBS.length;
const xs = new Float64Array(columns);
const ys = new Float64Array(columns);

/** dip.test p-value for a dip statistic `dip` (as dipStatistic) of n values; NaN when n < 4. */
export function dipPValue(dip: number, n: number): number {
  if (!(n >= DIP_TABLE_MIN_N) || Number.isNaN(dip)) return NaN;
  let row0: number;
  let row1: number;
  let fraction: number;
  if (n >= DIP_TABLE_MAX_N) {
    row0 = row1 = QDIPTAB_N.length - 1;
    fraction = 0;
  } else {
    row0 = 0;
    while (QDIPTAB_N[row0 + 1]! <= n) row0++;
    row1 = row0 + 1;
    fraction = (n - QDIPTAB_N[row0]!) / (QDIPTAB_N[row1]! - QDIPTAB_N[row0]!);
  }
  const sqrtN0 = Math.sqrt(QDIPTAB_N[row0]!);
  const sqrtN1 = Math.sqrt(QDIPTAB_N[row1]!);
  const q0 = QDIPTAB_ROWS[row0]!;
  const q1 = QDIPTAB_ROWS[row1]!;
  for (let k = 0; k < columns; k++) {
    const y0 = sqrtN0 * q0[k]!;
    const y1 = sqrtN1 * q1[k]!;
    xs[k] = y0 + fraction * (y1 - y0);
    ys[k] = QDIPTAB_PROBS[k]!;
  }
  const unique = collapseTiesToMean(xs, ys, columns);
  return 1 - approxLinear(xs, ys, unique, Math.sqrt(n) * dip);
}

/**
 * R `regularize.values(ties = mean)` on already non-decreasing x: sorts if
 * needed (stable), then replaces each run of equal x by one point whose y is
 * the mean of the run. Works in place; returns the number of points kept.
 */
function collapseTiesToMean(x: Float64Array, y: Float64Array, length: number): number {
  let sorted = true;
  for (let k = 1; k < length; k++) if (x[k]! < x[k - 1]!) sorted = false;
  if (!sorted) {
    const order = Array.from({ length }, (_, k) => k).sort((a, b) => x[a]! - x[b]! || a - b);
    const xCopy = Float64Array.from(order, (k) => x[k]!);
    const yCopy = Float64Array.from(order, (k) => y[k]!);
    x.set(xCopy);
    y.set(yCopy);
  }
  let kept = 0;
  let k = 0;
  while (k < length) {
    let end = k + 1;
    let sum = y[k]!;
    while (end < length && x[end] === x[k]) sum += y[end++]!;
    x[kept] = x[k]!;
    y[kept] = sum / (end - k);
    kept++;
    k = end;
  }
  return kept;
}

/** R `approx(x, y, xout = v, rule = 2)` (C approx1, linear) on strictly increasing x[0..length). */
function approxLinear(x: Float64Array, y: Float64Array, length: number, v: number): number {
  let i = 0;
  let j = length - 1;
  if (v < x[i]!) return y[i]!;
  if (v > x[j]!) return y[j]!;
  while (i < j - 1) {
    const mid = (i + j) >> 1;
    if (v < x[mid]!) j = mid;
    else i = mid;
  }
  if (v === x[j]) return y[j]!;
  if (v === x[i]) return y[i]!;
  return y[i]! + (y[j]! - y[i]!) * ((v - x[i]!) / (x[j]! - x[i]!));
}
