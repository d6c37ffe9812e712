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
 * Fast evaluation. A direct evaluation costs 512 exp() per value. On a
 * uniform grid the kernel of one value obeys an exact multiplicative
 * recurrence: with a = step/h and z_j = (g_j − x)/h = z_0 + j·a,
 *   k_{j+1} = k_j·ρ_j,  ρ_j = exp(−(z_j·a + a²/2)),  ρ_{j+1} = ρ_j·exp(−a²),
 * so one value costs a few exp() plus two multiplications per grid point.
 * We start at the grid point nearest the value, walk outwards both ways,
 * re-anchor with a fresh exp() every RECURRENCE_REANCHOR steps (bounding the
 * accumulated rounding to ~1e-14 relative) and stop once the kernel falls
 * below KERNEL_CUTOFF (about 37 bandwidths out, where it no longer changes
 * any density that is not itself ~1e-300 of the peak). Equal values (ties are
 * common in trade data) are folded into one weighted kernel. The result
 * matches `evaluateKdeGridDirect` to ~1e-13 relative wherever the density is
 * above ~1e-250 of its maximum.
 */

/** Number of grid points of the KDE curve. */
export const KDE_GRID_POINTS = 512;

/** Grid points within this relative distance of the maximum density tie for the mode; the lowest wins. */
export const MODE_TIE_RELATIVE = 1e-9;

const RECURRENCE_REANCHOR = 32;
const KERNEL_CUTOFF = 1e-300;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

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

/**
 * Evaluates the density of sorted[0..n) at the 512 grid points into
 * density[0..512) (fast recurrence, see the module comment).
 * Requires n ≥ 1 and bandwidth > 0.
 */
export function evaluateKdeGrid(sorted: ArrayLike<number>, n: number, bandwidth: number, grid: KdeGrid, density: Float64Array): void {
  density.fill(0, 0, KDE_GRID_POINTS);
  const last = KDE_GRID_POINTS - 1;
  const a = grid.step / bandwidth;
  const halfA2 = 0.5 * a * a;
  const q = Math.exp(-a * a);
  let i = 0;
  while (i < n) {
    const x = sorted[i]!;
    let runEnd = i + 1;
    while (runEnd < n && sorted[runEnd] === x) runEnd++;
    const weight = runEnd - i;
    i = runEnd;

    let j0 = Math.round((x - grid.start) / grid.step);
    j0 = j0 < 0 ? 0 : j0 > last ? last : j0;
    const z0 = (gridPoint(grid, j0) - x) / bandwidth;
    density[j0]! += weight * Math.exp(-0.5 * z0 * z0);

    // Walk outwards; the kernel only decreases away from the nearest grid point.
    // Upwards: z_j = z0 + (j − j0)·a.
    upwards: for (let j = j0 + 1; j <= last;) {
      const z = (gridPoint(grid, j) - x) / bandwidth;
      let kernel = Math.exp(-0.5 * z * z);
      if (kernel < KERNEL_CUTOFF) break;
      let ratio = Math.exp(-(z * a + halfA2));
      density[j]! += weight * kernel;
      const stop = Math.min(last, j + RECURRENCE_REANCHOR - 1);
      for (j++; j <= stop; j++) {
        kernel *= ratio;
        if (kernel < KERNEL_CUTOFF) break upwards;
        ratio *= q;
        density[j]! += weight * kernel;
      }
    }
    // Walk downwards: z_{j−1} = z_j − a.
    downwards: for (let j = j0 - 1; j >= 0;) {
      const z = (gridPoint(grid, j) - x) / bandwidth;
      let kernel = Math.exp(-0.5 * z * z);
      if (kernel < KERNEL_CUTOFF) break;
      let ratio = Math.exp(z * a - halfA2);
      density[j]! += weight * kernel;
      const stop = Math.max(0, j - RECURRENCE_REANCHOR + 1);
      for (j--; j >= stop; j--) {
        kernel *= ratio;
        if (kernel < KERNEL_CUTOFF) break downwards;
        ratio *= q;
        density[j]! += weight * kernel;
      }
    }
  }
  const scale = INV_SQRT_2PI / (n * bandwidth);
  for (let j = 0; j <= last; j++) density[j]! *= scale;
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
  let max = -Infinity;
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
