/**
 * Normalised implied volatility by Peter Jäckel's "Let's Be Rational" (Wilmott, January 2015):
 * a four-segment rational initial guess followed by at most two third-order Householder steps
 * on a segment-specific transformed objective, which reaches full attainable double precision.
 *
 * This module solves the *out-of-the-money normalised* problem only: given x ≤ 0 and a
 * normalised time value 0 < β < e^{x/2}, find s > 0 with b(x, s) = β (see normalised-black.ts).
 * Callers reduce calls, puts and in-the-money options to it by subtracting the intrinsic value
 * (put–call symmetry). Allocation free: the three-value helper results go to module scratch.
 *
 * Ported from the published algorithm (reference: Jäckel's LetsBeRational C++ source and its
 * MIT-licensed Python port py_lets_be_rational; its upper-segment loop has misplaced
 * bracketing statements, corrected here to match the middle/lower loops). Original notice:
 * "Copyright © 2013-2014 Peter Jäckel. Permission to use, copy, modify, and distribute this
 * software is freely granted, provided that this notice is preserved."
 */
import { exp } from './exp.js';
import { inverseNormCdf, normCdf, normPdf } from './normal.js';
import { lastVega, normalisedTimeValueWithVega } from './normalised-black.js';
import {
  convexControlParameterForLeftSecondDerivative,
  convexControlParameterForRightSecondDerivative,
  rationalCubicInterpolation,
} from './rational-cubic.js';

const DBL_EPSILON = 2.220446049250313e-16;
const DBL_MIN = 2.2250738585072014e-308;
const DBL_MAX = Number.MAX_VALUE;
const SQRT_DBL_MAX = Math.sqrt(DBL_MAX);
const TWO_PI = 6.283185307179586476925286766559005768394338798750;
const SQRT_PI_OVER_TWO = 1.253314137315500251207882642405522626503493370305;
const SQRT_THREE = 1.732050807568877293527446341505872366942805253810;
const SQRT_ONE_OVER_THREE = 0.577350269189625764509148780501957455647601751270;
const TWO_PI_OVER_SQRT_TWENTY_SEVEN = 1.209199576156145233729385505094770488189377498728;
const PI_OVER_SIX = 0.523598775598298873077107230546583814032861566563;

/** Householder steps after the rational guess; Jäckel shows 2 reach machine precision. */
export const DEFAULT_HOUSEHOLDER_ITERATIONS = 2;

/** Objective used by the Householder iteration, chosen by the segment of the initial guess. */
const enum Objective {
  /** g(s) = 1/ln b(s) − 1/ln β: lowest segment, tiny prices. */
  Lower,
  /** g(s) = b(s) − β: the two middle segments. */
  Middle,
  /** g(s) = ln(b_max − β) − ln(b_max − b(s)): highest segment, prices near the upper bound. */
  Upper,
}

// Scratch outputs of the map helpers (f, f', f''), in a typed array so that the doubles are not
// boxed as module-level `let`s would be.
const map = new Float64Array(3);
const F = 0, FP = 1, FPP = 2;

/** Lower map f(β) = 2π/√27·|x|·Φ(−z)³, z = |x|/(√3 s), and its first two β-derivatives at s. */
function lowerMap(x: number, s: number): void {
  const ax = Math.abs(x);
  const inverseS = 1 / s;
  const z = SQRT_ONE_OVER_THREE * ax * inverseS;
  const y = z * z;
  const s2 = s * s;
  const Phi = normCdf(-z);
  const phi = normPdf(z);
  map[FPP] = PI_OVER_SIX * y * (inverseS * inverseS * inverseS) * Phi
    * (8 * SQRT_THREE * s * ax + (3 * s2 * (s2 - 8) - 8 * x * x) * Phi / phi)
    * exp(2 * y + 0.25 * s2);
  const Phi2 = Phi * Phi;
  map[FP] = TWO_PI * y * Phi2 * exp(y + 0.125 * s2);
  map[F] = TWO_PI_OVER_SQRT_TWENTY_SEVEN * ax * (Phi2 * Phi);
}

function inverseLowerMap(x: number, f: number): number {
  return Math.abs(x / (SQRT_THREE * inverseNormCdf(Math.cbrt(f / (TWO_PI_OVER_SQRT_TWENTY_SEVEN * Math.abs(x))))));
}

/** Upper map f(β) = Φ(−s/2) and its first two β-derivatives at s. */
function upperMap(x: number, s: number): void {
  map[F] = normCdf(-0.5 * s);
  if (x === 0) {
    map[FP] = -0.5;
    map[FPP] = 0;
  } else {
    const w = (x / s) * (x / s);
    map[FP] = -0.5 * exp(0.5 * w);
    map[FPP] = SQRT_PI_OVER_TWO * exp(w + 0.125 * s * s) * w / s;
  }
}

function householderFactor(newton: number, halley: number, hh3: number): number {
  return (1 + 0.5 * halley * newton) / (1 + newton * (halley + hh3 * newton * (1 / 6)));
}

/**
 * Solves b(x, s) = β for s, the total volatility σ√T.
 * Preconditions (not checked here; see iv.ts): x ≤ 0 and 0 < β < e^{x/2}.
 * @param beta normalised time value  (price − intrinsic) / (discount · √(FK))
 * @param x    −|ln(F/K)|
 * @param maxIterations Householder steps after the initial guess
 * @param bMax  e^{x/2}, the upper bound of b (pass it when already computed)
 */
export function normalisedImpliedVolatility(beta: number, x: number,
  maxIterations: number = DEFAULT_HOUSEHOLDER_ITERATIONS, bMax: number = Math.exp(0.5 * x)): number {
  let s: number;
  let sLeft = DBL_MIN;
  let sRight = DBL_MAX;
  let objective: Objective;

  // Initial guess: four segments split at the inflection point s_c = √(2|x|) and the
  // tangent intersections s_l (with b = 0) and s_h (with b = b_max).
  const sC = Math.sqrt(Math.abs(2 * x));
  const bC = normalisedTimeValueWithVega(x, sC);
  const vC = lastVega[0]!;
  const inverseVC = 1 / vC; // reused: divisions are the slowest arithmetic here
  if (beta < bC) {
    const sL = sC - bC * inverseVC;
    const bL = normalisedTimeValueWithVega(x, sL);
    if (beta < bL) {
      lowerMap(x, sL);
      const fL = map[F]!, fpL = map[FP]!;
      const rLL = convexControlParameterForRightSecondDerivative(0, bL, 0, fL, 1, fpL, map[FPP]!, true);
      let f = rationalCubicInterpolation(beta, 0, bL, 0, fL, 1, fpL, rLL);
      if (!(f > 0)) {
        // Round-off for extreme |x|: quadratic through f(0)=0, f(b_l) and f'(0)=1.
        const t = beta / bL;
        f = (fL * t + bL * (1 - t)) * t;
      }
      s = inverseLowerMap(x, f);
      sRight = sL;
      objective = Objective.Lower;
    } else {
      const inverseVL = 1 / lastVega[0]!;
      const rLM = convexControlParameterForRightSecondDerivative(bL, bC, sL, sC, inverseVL, inverseVC, 0, false);
      s = rationalCubicInterpolation(beta, bL, bC, sL, sC, inverseVL, inverseVC, rLM);
      sLeft = sL;
      sRight = sC;
      objective = Objective.Middle;
    }
  } else {
    const sH = vC > DBL_MIN ? sC + (bMax - bC) * inverseVC : sC;
    const bH = normalisedTimeValueWithVega(x, sH);
    if (beta <= bH) {
      const inverseVH = 1 / lastVega[0]!;
      const rHM = convexControlParameterForLeftSecondDerivative(bC, bH, sC, sH, inverseVC, inverseVH, 0, false);
      s = rationalCubicInterpolation(beta, bC, bH, sC, sH, inverseVC, inverseVH, rHM);
      sLeft = sC;
      sRight = sH;
      objective = Objective.Middle;
    } else {
      upperMap(x, sH);
      const fH = map[F]!, fpH = map[FP]!, fppH = map[FPP]!;
      let f = -DBL_MAX;
      if (fppH > -SQRT_DBL_MAX && fppH < SQRT_DBL_MAX) {
        const rHH = convexControlParameterForLeftSecondDerivative(bH, bMax, fH, 0, fpH, -0.5, fppH, true);
        f = rationalCubicInterpolation(beta, bH, bMax, fH, 0, fpH, -0.5, rHH);
      }
      if (f <= 0) {
        // Quadratic through f(b_h), f(b_max)=0 and f'(b_max)=−1/2.
        const h = bMax - bH;
        const t = (beta - bH) / h;
        f = (fH * (1 - t) + 0.5 * h * t) * (1 - t);
      }
      s = -2 * inverseNormCdf(f);
      sLeft = sH;
      objective = beta > 0.5 * bMax ? Objective.Upper : Objective.Middle;
    }
  }

  // Householder(3): s ← s + ν·(1 + η ν/2)/(1 + ν(η + τ ν/6)), ν = −g/g', η = g''/g', τ = g'''/g',
  // safeguarded by the bracket [sLeft, sRight] (bisection when a step leaves it or oscillates).
  const lnBeta = objective === Objective.Lower ? Math.log(beta) : 0;
  const inverseLnBeta = 1 / lnBeta;
  let iterations = 0;
  let reversals = 0;
  let ds = -DBL_MAX;
  let dsPrevious = 0;
  while (iterations < maxIterations && Math.abs(ds) > DBL_EPSILON * s) {
    if (ds * dsPrevious < 0) reversals++;
    if (iterations > 0 && (reversals === 3 || !(s > sLeft && s < sRight))) {
      s = 0.5 * (sLeft + sRight);
      if (sRight - sLeft <= DBL_EPSILON * s) break;
      reversals = 0;
      ds = 0;
    }
    dsPrevious = ds;
    const b = normalisedTimeValueWithVega(x, s);
    const bp = lastVega[0]!;
    if (b > beta && s < sRight) sRight = s;
    else if (b < beta && s > sLeft) sLeft = s;
    // Divisions are the slowest arithmetic on the hot path (a divider that is not pipelined):
    // one reciprocal of s serves h = x/s and h/s.
    const inverseS = lastVega[1]!;
    const h = x * inverseS;
    const hOverS = h * inverseS;
    const bHalley = h * hOverS - 0.25 * s; // b''/b'
    const bHh3 = bHalley * bHalley - 3 * hOverS * hOverS - 0.25; // b'''/b'
    if (objective === Objective.Middle) {
      const newton = (beta - b) / bp;
      ds = newton * householderFactor(newton, bHalley, bHh3);
    } else if (objective === Objective.Lower) {
      if (b <= 0 || bp <= 0) {
        ds = 0.5 * (sLeft + sRight) - s; // underflow: bisect
      } else {
        const lnB = Math.log(b);
        const inverseLnB = 1 / lnB; // one division for the four 1/ln b terms
        const bpob = bp / b;
        const newton = (lnBeta - lnB) * lnB * inverseLnBeta / bpob;
        const halley = bHalley - bpob * (1 + 2 * inverseLnB);
        const hh3 = bHh3 + 2 * bpob * bpob * (1 + 3 * inverseLnB * (1 + inverseLnB)) - 3 * bHalley * bpob * (1 + 2 * inverseLnB);
        ds = newton * householderFactor(newton, halley, hh3);
      }
    } else {
      if (b >= bMax || bp <= DBL_MIN) {
        ds = 0.5 * (sLeft + sRight) - s; // b indistinguishable from b_max: bisect
      } else {
        const bMaxMinusB = bMax - b;
        const g = Math.log((bMax - beta) / bMaxMinusB);
        const gp = bp / bMaxMinusB;
        const newton = -g / gp;
        const halley = bHalley + gp;
        const hh3 = bHh3 + gp * (2 * gp + 3 * bHalley);
        ds = newton * householderFactor(newton, halley, hh3);
      }
    }
    if (ds < -0.5 * s) ds = -0.5 * s;
    s += ds;
    iterations++;
  }
  return s;
}
