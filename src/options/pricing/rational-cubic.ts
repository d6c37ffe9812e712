/**
 * Shape-preserving rational cubic interpolation (R. Delbourgo & J. A. Gregory, "Shape preserving
 * piecewise rational interpolation", SIAM J. Sci. Stat. Comput. 6 (1985)), as used by Jäckel's
 * "Let's Be Rational" to build its initial implied-volatility guesses.
 *
 * On [xL, xR] with values yL, yR and slopes dL, dR, the interpolant is
 *   (yR t³ + (r yR − h dR) t²(1−t) + (r yL + h dL) t(1−t)² + yL (1−t)³) / (1 + (r − 3) t(1−t)),
 * h = xR − xL, t = (x − xL)/h. r = 3 gives the ordinary cubic Hermite; r → ∞ gives the straight line.
 */

const DBL_EPSILON = 2.220446049250313e-16;
const DBL_MIN = 2.2250738585072014e-308;
const DBL_MAX = Number.MAX_VALUE;
const MINIMUM_CONTROL = -(1 - Math.sqrt(DBL_EPSILON));
const MAXIMUM_CONTROL = 2 / (DBL_EPSILON * DBL_EPSILON);

function isZero(x: number): boolean {
  return Math.abs(x) < DBL_MIN;
}

/** Evaluates the rational cubic with control parameter r at x. */
export function rationalCubicInterpolation(x: number, xL: number, xR: number, yL: number, yR: number,
  dL: number, dR: number, r: number): number {
  const h = xR - xL;
  if (Math.abs(h) <= 0) return 0.5 * (yL + yR);
  const t = (x - xL) / h;
  if (!(r >= MAXIMUM_CONTROL)) {
    const omt = 1 - t;
    const t2 = t * t;
    const omt2 = omt * omt;
    return (yR * t2 * t + (r * yR - h * dR) * t2 * omt + (r * yL + h * dL) * t * omt2 + yL * omt2 * omt)
      / (1 + (r - 3) * t * omt);
  }
  return yR * t + yL * (1 - t); // linear, without over- or underflow
}

/** Smallest r keeping the interpolant monotone and/or convex as the data are (Delbourgo–Gregory 3.8, 3.18). */
function minimumControlParameter(dL: number, dR: number, slope: number, preferShapePreservation: boolean): number {
  const monotonic = dL * slope >= 0 && dR * slope >= 0;
  const convex = dL <= slope && slope <= dR;
  const concave = dL >= slope && slope >= dR;
  if (!monotonic && !convex && !concave) return MINIMUM_CONTROL;
  const dRminusDL = dR - dL;
  const dRminusS = dR - slope;
  const sMinusDL = slope - dL;
  let r1 = -DBL_MAX;
  let r2 = r1;
  if (monotonic) {
    if (!isZero(slope)) r1 = (dR + dL) / slope;
    else if (preferShapePreservation) r1 = MAXIMUM_CONTROL;
  }
  if (convex || concave) {
    if (!(isZero(sMinusDL) || isZero(dRminusS))) {
      r2 = Math.max(Math.abs(dRminusDL / dRminusS), Math.abs(dRminusDL / sMinusDL));
    } else if (preferShapePreservation) {
      r2 = MAXIMUM_CONTROL;
    }
  } else if (monotonic && preferShapePreservation) {
    r2 = MAXIMUM_CONTROL;
  }
  return Math.max(MINIMUM_CONTROL, Math.max(r1, r2));
}

/** Control parameter matching the second derivative at the left end, bounded below for shape preservation. */
export function convexControlParameterForLeftSecondDerivative(xL: number, xR: number, yL: number, yR: number,
  dL: number, dR: number, secondDerivativeL: number, preferShapePreservation: boolean): number {
  const h = xR - xL;
  const numerator = 0.5 * h * secondDerivativeL + (dR - dL);
  let r: number;
  if (isZero(numerator)) r = 0;
  else {
    const denominator = (yR - yL) / h - dL;
    r = isZero(denominator) ? (numerator > 0 ? MAXIMUM_CONTROL : MINIMUM_CONTROL) : numerator / denominator;
  }
  return Math.max(r, minimumControlParameter(dL, dR, (yR - yL) / h, preferShapePreservation));
}

/** Control parameter matching the second derivative at the right end, bounded below for shape preservation. */
export function convexControlParameterForRightSecondDerivative(xL: number, xR: number, yL: number, yR: number,
  dL: number, dR: number, secondDerivativeR: number, preferShapePreservation: boolean): number {
  const h = xR - xL;
  const numerator = 0.5 * h * secondDerivativeR + (dR - dL);
  let r: number;
  if (isZero(numerator)) r = 0;
  else {
    const denominator = dR - (yR - yL) / h;
    r = isZero(denominator) ? (numerator > 0 ? MAXIMUM_CONTROL : MINIMUM_CONTROL) : numerator / denominator;
  }
  return Math.max(r, minimumControlParameter(dL, dR, (yR - yL) / h, preferShapePreservation));
}
