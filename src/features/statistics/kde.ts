/**
 * Gaussian kernel density estimate on a fixed 512-point grid, its mode and
 * its number of local maxima (FEATURES.md: `mode`, `kde_peaks`).
 *
 * Contract (for n ≥ 2 values, not all equal):
 * - bandwidth h = stddev·n^(−1/5) (Scott; stddev with ddof = 1);
 * - grid: 512 points evenly spaced from min − 3h to max + 3h, built like numpy
 *   `linspace` (g_j = lo + j·step, last point exactly max + 3h);
 * - density f_j = Σ_i φ((g_j − x_i)/h) / (n·h), φ the standard normal pdf.
 *
 * Fast evaluation (evaluateKdeGrid). A direct evaluation costs 512 exp() per
 * value. On a uniform grid with a = step/h, the kernel of a value x at the
 * i-th grid point from a starting point with offset z0 = |g − x|/h factors as
 *
 *   exp(−(z0 + i·a)²/2) = A · Bⁱ · C_i,
 *   A = exp(−z0²/2),  B = exp(−z0·a),  C_i = exp(−(i·a)²/2),
 *
 * where the table C is the same for every value of the window (computed once
 * per call) and only A, B are per value. Each value walks upwards from the
 * first grid point ≥ x and downwards from the last grid point < x, so
 * 0 ≤ z0 ≤ a and all three factors are ≤ 1: no overflow, and C_i, A·Bⁱ are
 * never smaller than the kernel itself (no precision lost to subnormals while
 * the kernel is normal). On fine grids (a ≤ 0.3) values are grouped by the
 * grid cells they fall in, up to four cells per group, and walk four at a
 * time from the group's first point (evaluateKdeGrid explains the bounds):
 * their four A·Bⁱ are summed before the one multiplication by C_i and the one
 * update of the density, and the Bⁱ chains interleave so the multiplications
 * overlap instead of waiting on each other. Leftover values walk alone with
 * four interleaved ×B⁴ chains. A, B come from a short series (expNearZero)
 * when every exponent is within ±0.05. The relative error after 512 steps
 * stays below ~1e-13 (each step adds ≤ ~1.5 ulp), the same order as the
 * rounding of z = (g − x)/h that numpy's direct evaluation itself suffers in
 * the tails (~z²·ε); tests hold it to the direct evaluation.
 *
 * Where a walk ends, whichever comes first:
 * - at the last i with i·a ≤ KERNEL_CUTOFF_Z (C_i ≥ 1e-300, 37.2
 *   bandwidths; numpy's exp underflows at 38.6). A dropped term is below
 *   1e-300, while a grid point within 35.9 bandwidths of some value has a
 *   density ≥ 1e-280 from that value alone, so there the at most n dropped
 *   terms are below rounding. A point farther than that from every value lies
 *   deep in a gap between two groups of values, where numpy's curve is itself
 *   a decreasing plus an increasing Gaussian tail about to underflow (a
 *   valley, no local maximum) and ours is the same valley: peak counts and
 *   the argmax are unchanged;
 * - once its terms are below 2^-80 of a lower bound of the density at every
 *   further point of the walk (negligibleFloors): each density then changes
 *   by less than n·2^-80 < 1e-19 relative, tails included, far below the
 *   rounding any evaluation order has.
 * Equal values (ties are common in trade data) are folded into one weighted
 * kernel.
 */

/** Number of grid points of the KDE curve. */
export const KDE_GRID_POINTS = 512;

/** Grid points within this relative distance of the maximum density tie for the mode; the lowest wins. */
export const MODE_TIE_RELATIVE = 1e-9;

/** Kernel walks stop beyond this many bandwidths from the value: exp(−z²/2) = 1e-300 (see the module comment). */
export const KERNEL_CUTOFF_Z = Math.sqrt(600 * Math.LN10);

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
// Number.POSITIVE_INFINITY rather than the global `Infinity` below: V8 kept variables
// that may hold the global tagged and boxed every double assigned to them.

/** Where the 512 grid points lie: g_j = start + j·step for j < 511, g_511 = end. */
export interface KdeGrid {
  start: number;
  end: number;
  step: number;
}

/** Scott's rule as FEATURES.md states it: h = stddev·n^(−1/5). */
export function scottBandwidth(stddev: number, n: number): number {
  return stddev * Math.pow(n, -0.2);
}

/** The grid for values spanning [min, max] with bandwidth h (numpy linspace). */
export function kdeGrid(min: number, max: number, bandwidth: number, out: KdeGrid): KdeGrid {
  out.start = min - 3 * bandwidth;
  out.end = max + 3 * bandwidth;
  out.step = (out.end - out.start) / (KDE_GRID_POINTS - 1);
  return out;
}

/** Grid point j (numpy linspace: j·step + start, the last point exactly `end`). */
export function gridPoint(grid: KdeGrid, j: number): number {
  return j === KDE_GRID_POINTS - 1 ? grid.end : j * grid.step + grid.start;
}

/** Work memory of evaluateKdeGrid: the per-window table C_i = exp(−(i·a)²/2). */
const offsetKernel = new Float64Array(KDE_GRID_POINTS);
/** Work memory of evaluateKdeGrid: A and B of up to BATCH values, upwards then downwards. */
const BATCH = 4;
/** A walk's terms below this fraction of the local density floor are left out (see negligibleFloors). */
const NEGLIGIBLE = 2 ** -80;
/** Walks test for the floor every this many points (a power of two, ≥ MAX_CELLS_PER_GROUP). */
const CHECK_EVERY = 16;
/** offsetKernel gets an exact exp() every this many points (recurrence in between). */
const OFFSET_KERNEL_ANCHOR = 16;
/** Windows with fewer values walk to the cutoff (zero floors). */
const TRUNCATION_MIN_N = 64;
/** Work memory of evaluateKdeGrid: floors of the upward and downward walks per grid point. */
const floorUp = new Float64Array(KDE_GRID_POINTS), floorDown = new Float64Array(KDE_GRID_POINTS);
const batchUpA = new Float64Array(BATCH), batchUpB = new Float64Array(BATCH);
const batchDownA = new Float64Array(BATCH), batchDownB = new Float64Array(BATCH);
/** Below this grid step (in bandwidths) the downward walk's A, B derive from the upward ones (exp(−a²) ≫ underflow). */
const DERIVED_DOWN_MAX_A = 16;
/** A group of values walked together spans at most this many grid cells ... */
const MAX_CELLS_PER_GROUP = 4;
/** ... and at most this many bandwidths (m·a ≤ 0.3: C_i and A·Bⁱ within e^±11 of the kernel). */
const GROUP_SPAN_MAX_A = 0.3;
/** expNearZero is used for |x| up to this. */
const SERIES_MAX_X = 0.05;

/**
 * exp(x) for |x| ≤ SERIES_MAX_X = 0.05, within ~1 ulp: Taylor series to
 * degree 8 (truncation |x|⁹/9! < 6e-18 relative, 1/20 ulp), evaluated by
 * Estrin's scheme (short dependency chains). Several times cheaper than
 * Math.exp, which matters at four calls per value.
 */
export function expNearZero(x: number): number {
  const x2 = x * x, x4 = x2 * x2;
  return (1 + x) + x2 * (1 / 2 + x * (1 / 6)) + x4 * ((1 / 24 + x * (1 / 120)) + x2 * (1 / 720 + x * (1 / 5040)) + x4 * (1 / 40320));
}

/**
 * Evaluates the density of sorted[0..n) at the 512 grid points into
 * density[0..512) (factored walks, see the module comment).
 * Requires n ≥ 1, sorted ascending, bandwidth > 0 and values inside the grid.
 *
 * Values whose walks start at the same grid points share C and the grid
 * points, so they go four at a time: the four A·Bⁱ are summed before the one
 * multiplication by C_i and the one update of the density. On a fine grid a
 * group spans up to MAX_CELLS_PER_GROUP grid cells (fewer values left over
 * for one-by-one walks): the upward walks of the group all start at its
 * first grid point U, so a value above U starts with z0 ∈ [−(m−1)·a, 0) and
 * B = exp(−z0·a) ≤ exp((m−1)·a²) slightly above 1; with (m−1)·a ≤ 0.3, C_i
 * and A·Bⁱ stay within e^±11 of the kernel (no subnormals), and the upward
 * walks run m − 1 points further so that every term ≥ 1e-300 is included.
 */
export function evaluateKdeGrid(sorted: ArrayLike<number>, n: number, bandwidth: number, grid: KdeGrid, density: Float64Array): void {
  density.fill(0, 0, KDE_GRID_POINTS);
  const last = KDE_GRID_POINTS - 1;
  const a = grid.step / bandwidth;
  const C = offsetKernel;
  const cellsPerGroup = Math.max(1, Math.min(MAX_CELLS_PER_GROUP, Math.floor(GROUP_SPAN_MAX_A / a)));
  // Walk length: every i with i·a ≤ KERNEL_CUTOFF_Z (at least the starting point); upwards m − 1 more.
  const reach = Math.min(KDE_GRID_POINTS, Math.floor(KERNEL_CUTOFF_Z / a) + 1);
  const upReach = Math.min(KDE_GRID_POINTS, reach + cellsPerGroup - 1);
  fillOffsetKernel(a, upReach);
  negligibleFloors(sorted, n, bandwidth, a, upReach, grid);
  // Every exponent of A, B within ±SERIES_MAX_X (see below): the series instead of Math.exp.
  const series = cellsPerGroup * a <= GROUP_SPAN_MAX_A && cellsPerGroup * a * a <= SERIES_MAX_X;
  // q/B and A·√q/B stay finite while B ≥ exp(−a²) is far from underflow.
  const derivedDown = a < DERIVED_DOWN_MAX_A;
  const q = Math.exp(-a * a), sqrtQ = Math.exp(-0.5 * a * a);
  let up = 0; // the group's first grid point: the first ≥ its lowest value
  let groupTop = gridPoint(grid, 0); // the group holds values ≤ this grid point
  let gridUp = groupTop;
  let batched = 0;
  let i = 0;
  while (i < n) {
    const x = sorted[i]!;
    let runEnd = i + 1;
    while (runEnd < n && sorted[runEnd] === x) runEnd++;
    const weight = runEnd - i;
    i = runEnd;

    if (x > groupTop) {
      flush(density, up, batched, upReach, reach, C);
      batched = 0;
      while (up <= last && gridPoint(grid, up) < x) up++;
      gridUp = up <= last ? gridPoint(grid, up) : Number.POSITIVE_INFINITY;
      groupTop = up <= last ? gridPoint(grid, Math.min(last, up + cellsPerGroup - 1)) : Number.POSITIVE_INFINITY;
    }
    if (up > 0 && up <= last && series) {
      // z0 ∈ [−(m−1)·a, a] and a − z0 ∈ [0, m·a]: every exponent within ±SERIES_MAX_X.
      const z0 = (gridUp - x) / bandwidth;
      const z0Down = a - z0;
      batchUpA[batched] = weight * expNearZero(-0.5 * z0 * z0);
      batchUpB[batched] = expNearZero(-z0 * a);
      batchDownA[batched] = weight * expNearZero(-0.5 * z0Down * z0Down);
      batchDownB[batched] = expNearZero(-z0Down * a);
    } else if (up > 0 && up <= last && derivedDown) {
      // Both walks on the same spacing: the downward offset is a − z0, so
      // exp(−(a − z0)²/2) = A·√q/B and exp(−(a − z0)·a) = q/B with q = exp(−a²).
      const z0 = (gridUp - x) / bandwidth;
      const upA = weight * Math.exp(-0.5 * z0 * z0);
      const upB = Math.exp(-z0 * a);
      batchUpA[batched] = upA;
      batchUpB[batched] = upB;
      batchDownA[batched] = (upA * sqrtQ) / upB;
      batchDownB[batched] = q / upB;
    } else {
      setWalks(x, weight, up, grid, bandwidth, a, batched);
    }
    if (++batched === BATCH) {
      flush(density, up, batched, upReach, reach, C);
      batched = 0;
    }
  }
  flush(density, up, batched, upReach, reach, C);
  const scale = INV_SQRT_2PI / (n * bandwidth);
  for (let j = 0; j <= last; j++) density[j]! *= scale;
}

/** A and B of both walks of a value from its own offsets (no walk where there is no grid point on that side). */
function setWalks(x: number, weight: number, up: number, grid: KdeGrid, bandwidth: number, a: number, k: number): void {
  if (up < KDE_GRID_POINTS) {
    const z0 = (gridPoint(grid, up) - x) / bandwidth;
    batchUpA[k] = weight * Math.exp(-0.5 * z0 * z0);
    batchUpB[k] = Math.exp(-z0 * a);
  } else {
    batchUpA[k] = 0;
    batchUpB[k] = 0;
  }
  if (up > 0) {
    const z0 = (x - gridPoint(grid, up - 1)) / bandwidth;
    batchDownA[k] = weight * Math.exp(-0.5 * z0 * z0);
    batchDownB[k] = Math.exp(-z0 * a);
  } else {
    batchDownA[k] = 0;
    batchDownB[k] = 0;
  }
}

/** Walks the `count` batched values whose upward walks start at grid point `up` (the downward ones at up − 1). */
function flush(density: Float64Array, up: number, count: number, upReach: number, downReach: number, C: Float64Array): void {
  const upLength = Math.min(upReach, KDE_GRID_POINTS - up);
  const downLength = Math.min(downReach, up);
  if (count === BATCH) {
    walkUpBatch(density, up, upLength, batchUpA, batchUpB, C, floorUp);
    walkDownBatch(density, up - 1, downLength, batchDownA, batchDownB, C, floorDown);
    return;
  }
  for (let k = 0; k < count; k++) {
    walkUp(density, up, upLength, batchUpA[k]!, batchUpB[k]!, C, floorUp);
    walkDown(density, up - 1, downLength, batchDownA[k]!, batchDownB[k]!, C, floorDown);
  }
}

/**
 * density[from + i] += Σ_k A_k·B_kⁱ·C[i] over four values, for i in
 * [0, length): two points per step, eight chains. Every CHECK_EVERY points
 * the walk ends early if the batch's term is below floor[from + i] (then
 * every further term is below its own point's floor, see negligibleFloors).
 */
function walkUpBatch(density: Float64Array, from: number, length: number, A: Float64Array, B: Float64Array, C: Float64Array, floor: Float64Array): void {
  const b0 = B[0]!, b1 = B[1]!, b2 = B[2]!, b3 = B[3]!;
  const s0 = b0 * b0, s1 = b1 * b1, s2 = b2 * b2, s3 = b3 * b3;
  let p0 = A[0]!, p1 = A[1]!, p2 = A[2]!, p3 = A[3]!;
  let q0 = p0 * b0, q1 = p1 * b1, q2 = p2 * b2, q3 = p3 * b3;
  let i = 0;
  for (; i + 1 < length; i += 2) {
    if ((i & (CHECK_EVERY - 1)) === 0 && i !== 0 && ((p0 + p1) + (p2 + p3)) * C[i]! < floor[from + i]!) return;
    const j = from + i;
    density[j]! += ((p0 + p1) + (p2 + p3)) * C[i]!;
    density[j + 1]! += ((q0 + q1) + (q2 + q3)) * C[i + 1]!;
    p0 *= s0; p1 *= s1; p2 *= s2; p3 *= s3;
    q0 *= s0; q1 *= s1; q2 *= s2; q3 *= s3;
  }
  if (i < length) density[from + i]! += ((p0 + p1) + (p2 + p3)) * C[i]!;
}

/** density[from − i] += Σ_k A_k·B_kⁱ·C[i]: walkUpBatch mirrored. */
function walkDownBatch(density: Float64Array, from: number, length: number, A: Float64Array, B: Float64Array, C: Float64Array, floor: Float64Array): void {
  const b0 = B[0]!, b1 = B[1]!, b2 = B[2]!, b3 = B[3]!;
  const s0 = b0 * b0, s1 = b1 * b1, s2 = b2 * b2, s3 = b3 * b3;
  let p0 = A[0]!, p1 = A[1]!, p2 = A[2]!, p3 = A[3]!;
  let q0 = p0 * b0, q1 = p1 * b1, q2 = p2 * b2, q3 = p3 * b3;
  let i = 0;
  for (; i + 1 < length; i += 2) {
    if ((i & (CHECK_EVERY - 1)) === 0 && i !== 0 && ((p0 + p1) + (p2 + p3)) * C[i]! < floor[from - i]!) return;
    const j = from - i;
    density[j]! += ((p0 + p1) + (p2 + p3)) * C[i]!;
    density[j - 1]! += ((q0 + q1) + (q2 + q3)) * C[i + 1]!;
    p0 *= s0; p1 *= s1; p2 *= s2; p3 *= s3;
    q0 *= s0; q1 *= s1; q2 *= s2; q3 *= s3;
  }
  if (i < length) density[from - i]! += ((p0 + p1) + (p2 + p3)) * C[i]!;
}

/** density[from + i] += A·Bⁱ·C[i] for i in [0, length): four independent chains of ×B⁴; ends early like walkUpBatch. */
function walkUp(density: Float64Array, from: number, length: number, A: number, B: number, C: Float64Array, floor: Float64Array): void {
  let p0 = A, p1 = p0 * B, p2 = p1 * B, p3 = p2 * B;
  const B2 = B * B, B4 = B2 * B2;
  let i = 0;
  for (; i + 3 < length; i += 4) {
    if ((i & (CHECK_EVERY - 1)) === 0 && i !== 0 && p0 * C[i]! < floor[from + i]!) return;
    const j = from + i;
    density[j]! += p0 * C[i]!;
    density[j + 1]! += p1 * C[i + 1]!;
    density[j + 2]! += p2 * C[i + 2]!;
    density[j + 3]! += p3 * C[i + 3]!;
    p0 *= B4; p1 *= B4; p2 *= B4; p3 *= B4;
  }
  // (Shifting p1..p3 down here instead made V8 box every double: ~1 KB of garbage per walk.)
  for (let p = p0; i < length; i++) {
    density[from + i]! += p * C[i]!;
    p *= B;
  }
}

/** density[from − i] += A·Bⁱ·C[i] for i in [0, length): walkUp mirrored. */
function walkDown(density: Float64Array, from: number, length: number, A: number, B: number, C: Float64Array, floor: Float64Array): void {
  let p0 = A, p1 = p0 * B, p2 = p1 * B, p3 = p2 * B;
  const B2 = B * B, B4 = B2 * B2;
  let i = 0;
  for (; i + 3 < length; i += 4) {
    if ((i & (CHECK_EVERY - 1)) === 0 && i !== 0 && p0 * C[i]! < floor[from - i]!) return;
    const j = from - i;
    density[j]! += p0 * C[i]!;
    density[j - 1]! += p1 * C[i + 1]!;
    density[j - 2]! += p2 * C[i + 2]!;
    density[j - 3]! += p3 * C[i + 3]!;
    p0 *= B4; p1 *= B4; p2 *= B4; p3 *= B4;
  }
  for (let p = p0; i < length; i++) {
    density[from - i]! += p * C[i]!;
    p *= B;
  }
}

/**
 * offsetKernel[i] = C_i = exp(−(i·a)²/2) for i in [0, length): an exact exp()
 * every OFFSET_KERNEL_ANCHOR points, in between C_{i+1} = C_i·r_i with
 * r_i = exp(−(2i+1)·a²/2), r_{i+1} = r_i·exp(−a²) (≤ ~2·ANCHOR ulp apart
 * from exp(), i.e. < 1e-14 relative; 1/8 of the exp() calls).
 */
function fillOffsetKernel(a: number, length: number): void {
  const C = offsetKernel;
  const q = Math.exp(-a * a);
  for (let anchor = 0; anchor < length; anchor += OFFSET_KERNEL_ANCHOR) {
    const ia = anchor * a;
    let c = Math.exp(-0.5 * ia * ia);
    let r = Math.exp(-0.5 * (2 * anchor + 1) * a * a);
    const end = Math.min(length, anchor + OFFSET_KERNEL_ANCHOR);
    for (let i = anchor; i < end; i++) {
      C[i] = c;
      c *= r;
      r *= q;
    }
  }
}

/**
 * Fills floorUp/floorDown: floorUp[j] = NEGLIGIBLE · min_{j' ≥ j} L_j' and
 * floorDown[j] = NEGLIGIBLE · min_{j' ≤ j} L_j', where L_j = exp(−d_j²/2)
 * and d_j is the distance in bandwidths from grid point j to the nearest
 * value (bounded below by a C_k): a lower bound of the (unnormalised) density at j, since that
 * value's own term is at least L_j and is never dropped (its walk reaches j
 * with a term ≥ L_j). A walk that ends at point j because its term is below
 * floor[j] leaves out, at every further point j' (its terms keep
 * decreasing once i ≥ m − 1 < CHECK_EVERY), less than NEGLIGIBLE · L_j' ≤
 * NEGLIGIBLE · f_j'. With at most n walks per point, each density changes by
 * less than n · NEGLIGIBLE < 1e-19 relative: 1/1000 of a double's rounding
 * unit, and 1e-5 of the ~1e-14 by which any evaluation order (numpy's
 * included) already differs from another. Tails keep their full relative
 * accuracy (the floor follows the local density, however small it is).
 * Windows under TRUNCATION_MIN_N values get zero floors (walks to the
 * cutoff): their walks are cheap.
 */
function negligibleFloors(sorted: ArrayLike<number>, n: number, bandwidth: number, a: number, length: number, grid: KdeGrid): void {
  if (n < TRUNCATION_MIN_N) {
    floorUp.fill(0);
    floorDown.fill(0);
    return;
  }
  let k = 0; // last value ≤ g_j (or the first value)
  for (let j = 0; j < KDE_GRID_POINTS; j++) {
    const g = gridPoint(grid, j);
    while (k + 1 < n && sorted[k + 1]! <= g) k++;
    let distance = Math.abs(g - sorted[k]!);
    if (k + 1 < n) distance = Math.min(distance, sorted[k + 1]! - g);
    // exp(−d²/2) ≥ C_k for k·a ≥ d: the table gives the lower bound without an exp().
    const offset = Math.ceil(distance / bandwidth / a);
    floorDown[j] = offset < length ? NEGLIGIBLE * offsetKernel[offset]! : 0;
  }
  let min = Number.POSITIVE_INFINITY;
  for (let j = KDE_GRID_POINTS - 1; j >= 0; j--) {
    if (floorDown[j]! < min) min = floorDown[j]!;
    floorUp[j] = min;
  }
  min = Number.POSITIVE_INFINITY;
  for (let j = 0; j < KDE_GRID_POINTS; j++) {
    if (floorDown[j]! < min) min = floorDown[j]!;
    floorDown[j] = min;
  }
}

/** Reference evaluation: one exp() per (grid point, value). Same contract as evaluateKdeGrid. */
export function evaluateKdeGridDirect(values: ArrayLike<number>, n: number, bandwidth: number, grid: KdeGrid, density: Float64Array): void {
  const scale = INV_SQRT_2PI / (n * bandwidth);
  for (let j = 0; j < KDE_GRID_POINTS; j++) {
    const g = gridPoint(grid, j);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const z = (g - values[i]!) / bandwidth;
      sum += Math.exp(-0.5 * z * z);
    }
    density[j] = sum * scale;
  }
}

/**
 * The mode: the lowest grid point whose density is within MODE_TIE_RELATIVE
 * (relative) of the maximum density.
 */
export function kdeMode(density: Float64Array, grid: KdeGrid): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < KDE_GRID_POINTS; j++) if (density[j]! > max) max = density[j]!;
  const threshold = max - MODE_TIE_RELATIVE * max;
  let j = 0;
  while (density[j]! < threshold) j++;
  return gridPoint(grid, j);
}

/**
 * Number of local maxima of density[0..length): maximal runs of equal values
 * (a plateau counts once) higher than both neighbours, the outside of the
 * curve counting as −∞.
 */
export function countLocalMaxima(density: ArrayLike<number>, length: number = KDE_GRID_POINTS): number {
  let peaks = 0;
  let i = 0;
  while (i < length) {
    const level = density[i]!;
    let j = i;
    while (j + 1 < length && density[j + 1] === level) j++;
    const risesIntoRun = i === 0 || density[i - 1]! < level;
    const fallsAfterRun = j === length - 1 || density[j + 1]! < level;
    if (risesIntoRun && fallsAfterRun) peaks++;
    i = j + 1;
  }
  return peaks;
}
