/**
 * Hartigan's dip statistic (Hartigan & Hartigan 1985; algorithm AS 217,
 * P. M. Hartigan 1985), ported from `diptst()` in R package diptest's
 * src/dip.c (Maechler's edit of the f2c translation, with the 1994 infinite
 * loop fix and Yong Lu's 2003 parenthesis fix), default `min.is.0 = FALSE`.
 *
 * The port keeps the C code's structure and 1-based indexing (index 0 of the
 * work arrays is unused) so it can be read side by side with dip.c. Like the
 * C code it works with 2n·dip until the very end. One deliberate difference:
 * dip.c computes the GCM/LCM distance `dx` in `long double`; we use float64,
 * which can only matter when two candidate distances tie to ~1e-16.
 *
 * Input must be sorted ascending; the work is O(n) per cycle and the number
 * of cycles is small in practice.
 */

/** Reusable integer work arrays (grown on demand) for dipStatistic. */
export class DipScratch {
  gcm = new Int32Array(0);
  lcm = new Int32Array(0);
  mn = new Int32Array(0);
  mj = new Int32Array(0);

  ensure(n: number): void {
    if (this.gcm.length >= n + 1) return;
    const size = Math.max(n + 1, 2 * this.gcm.length);
    this.gcm = new Int32Array(size);
    this.lcm = new Int32Array(size);
    this.mn = new Int32Array(size);
    this.mj = new Int32Array(size);
  }
}

/** Modal interval [x[low], x[high]] (0-based indices) found with the dip. */
export interface DipResult {
  dip: number;
  lowIndex: number;
  highIndex: number;
}

/**
 * The dip statistic of sorted[0..n) as `diptest::dip(x)`.
 * For n < 2 or all values equal it is 1/(2n) (the C code's initial value), as in R.
 * Throws RangeError for n < 1.
 */
export function dipStatistic(sorted: ArrayLike<number>, n: number, scratch: DipScratch = new DipScratch()): number {
  return dipWithModalInterval(sorted, n, scratch).dip;
}

/** dipStatistic plus the modal interval indices (0-based, into the sorted array). */
export function dipWithModalInterval(sorted: ArrayLike<number>, n: number, scratch: DipScratch = new DipScratch()): DipResult {
  if (!(n >= 1)) throw new RangeError(`dip needs at least one value, got n = ${n}`);
  scratch.ensure(n);
  const { gcm, lcm, mn, mj } = scratch;
  /** 1-based view of the sorted values, as in dip.c. */
  const x = (i: number): number => sorted[i - 1]!;

  let low = 1;
  let high = n;
  let dip = 1; // 2n·dip; min.is.0 = FALSE
  if (n < 2 || x(n) === x(1)) return { dip: dip / (2 * n), lowIndex: low - 1, highIndex: high - 1 };

  // Indices mn[1..n] over which combination is necessary for the convex MINORANT (GCM) fit.
  mn[1] = 1;
  for (let j = 2; j <= n; j++) {
    mn[j] = j - 1;
    for (;;) {
      const mnj = mn[j]!;
      const mnmnj = mn[mnj]!;
      if (mnj === 1 || (x(j) - x(mnj)) * (mnj - mnmnj) < (x(mnj) - x(mnmnj)) * (j - mnj)) break;
      mn[j] = mnmnj;
    }
  }
  // Indices mj[1..n] over which combination is necessary for the concave MAJORANT (LCM) fit.
  mj[n] = n;
  for (let k = n - 1; k >= 1; k--) {
    mj[k] = k + 1;
    for (;;) {
      const mjk = mj[k]!;
      const mjmjk = mj[mjk]!;
      if (mjk === n || (x(k) - x(mjk)) * (mjk - mjmjk) < (x(mjk) - x(mjmjk)) * (k - mjk)) break;
      mj[k] = mjmjk;
    }
  }

  for (;;) {
    // Change points of the GCM from high to low, and of the LCM from low to high.
    gcm[1] = high;
    let i = 1;
    for (; gcm[i]! > low; i++) gcm[i + 1] = mn[gcm[i]!]!;
    const lGcm = i;
    let ig = lGcm;
    let ix = lGcm - 1;

    lcm[1] = low;
    i = 1;
    for (; lcm[i]! < high; i++) lcm[i + 1] = mj[lcm[i]!]!;
    const lLcm = i;
    let ih = lLcm;
    let iv = 2;

    // Largest distance greater than 'dip' between the GCM and the LCM from low to high.
    let d = 0;
    if (lGcm !== 2 || lLcm !== 2) {
      do {
        const gcmix = gcm[ix]!;
        const lcmiv = lcm[iv]!;
        if (gcmix > lcmiv) {
          // The next point of either the GCM or LCM is from the LCM.
          const gcmi1 = gcm[ix + 1]!;
          const dx = (lcmiv - gcmi1 + 1) - (x(lcmiv) - x(gcmi1)) * (gcmix - gcmi1) / (x(gcmix) - x(gcmi1));
          iv++;
          if (dx >= d) {
            d = dx;
            ig = ix + 1;
            ih = iv - 1;
          }
        } else {
          // The next point of either the GCM or LCM is from the GCM.
          const lcmiv1 = lcm[iv - 1]!;
          const dx = (x(gcmix) - x(lcmiv1)) * (lcmiv - lcmiv1) / (x(lcmiv) - x(lcmiv1)) - (gcmix - lcmiv1 - 1);
          ix--;
          if (dx >= d) {
            d = dx;
            ig = ix + 1;
            ih = iv;
          }
        }
        if (ix < 1) ix = 1;
        if (iv > lLcm) iv = lLcm;
      } while (gcm[ix] !== lcm[iv]);
    } else {
      d = 1; // min.is.0 = FALSE
    }

    if (d < dip) break;

    // The dip for the convex minorant.
    let dipL = 0;
    for (let j = ig; j < lGcm; j++) {
      let maxT = 1;
      const jb = gcm[j + 1]!;
      const je = gcm[j]!;
      if (je - jb > 1 && x(je) !== x(jb)) {
        const c = (je - jb) / (x(je) - x(jb));
        for (let jj = jb; jj <= je; jj++) {
          const t = (jj - jb + 1) - (x(jj) - x(jb)) * c;
          if (maxT < t) maxT = t;
        }
      }
      if (dipL < maxT) dipL = maxT;
    }
    // The dip for the concave majorant.
    let dipU = 0;
    for (let j = ih; j < lLcm; j++) {
      let maxT = 1;
      const jb = lcm[j]!;
      const je = lcm[j + 1]!;
      if (je - jb > 1 && x(je) !== x(jb)) {
        const c = (je - jb) / (x(je) - x(jb));
        for (let jj = jb; jj <= je; jj++) {
          const t = (x(jj) - x(jb)) * c - (jj - jb - 1);
          if (maxT < t) maxT = t;
        }
      }
      if (dipU < maxT) dipU = maxT;
    }

    const dipNew = dipU > dipL ? dipU : dipL;
    if (dip < dipNew) dip = dipNew;

    // Necessary, or the cycle may never end (Maechler, 1994).
    if (low === gcm[ig] && high === lcm[ih]) break;
    low = gcm[ig]!;
    high = lcm[ih]!;
  }
  return { dip: dip / (2 * n), lowIndex: low - 1, highIndex: high - 1 };
}
