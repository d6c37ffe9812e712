/**
 * The normalised Black function of Peter Jäckel, "Let's Be Rational" (Wilmott, 2015), evaluated
 * to full attainable double precision in every region of (x, s).
 *
 * With forward F, strike K, total volatility s = σ√T and log-moneyness x = ln(F/K), an
 * undiscounted Black call is  √(FK) · b(x, s)  where
 *
 *     b(x, s) = Φ(x/s + s/2)·e^{x/2} − Φ(x/s − s/2)·e^{−x/2}.
 *
 * b is increasing in s from the normalised intrinsic value ι(x) = max(e^{x/2} − e^{−x/2}, 0)
 * (s → 0) to b_max = e^{x/2} (s → ∞). Put–call symmetry makes the *time value* of a call or
 * a put equal to b(−|x|, s), so this module only needs the out-of-the-money branch x ≤ 0;
 * {@link normalisedTimeValue} is the entry point used by the BSM pricer and the IV solver.
 *
 * Four evaluation regions (h = x/s, t = s/2), as in Jäckel's reference implementation:
 *  1. h < −10 with small t: asymptotic expansion of Φ(z)/φ(z) (one exponential instead of four);
 *  2. t < 2·ε^{1/16} ≈ 0.21: 12th-order expansion in t;
 *  3. h + t > 0.85: direct Φ difference (the first term dominates);
 *  4. otherwise: ½·e^{−(h²+t²)/2}·[erfcx(−(h+t)/√2) − erfcx(−(h−t)/√2)].
 *
 * Ported from the published algorithm (reference: Jäckel's LetsBeRational C++ source and its
 * MIT-licensed Python port py_lets_be_rational). Original notice: "Copyright © 2013-2014 Peter
 * Jäckel. Permission to use, copy, modify, and distribute this software is freely granted,
 * provided that this notice is preserved."
 */
import { exp } from './exp.js';
import { erfcx, normCdf } from './normal.js';

const ONE_OVER_SQRT_TWO = 0.7071067811865475244008443621048490392848359376887;
const ONE_OVER_SQRT_TWO_PI = 0.3989422804014326779399460599343818684758586311649;
const SQRT_TWO_PI = 2.506628274631000502415765284811045253006986740610;
const DBL_EPSILON = 2.220446049250313e-16;
const SQRT_DBL_MIN = 1.4916681462400413e-154;
/** Threshold η on h = x/s below which the asymptotic expansion is accurate. */
const ASYMPTOTIC_H_THRESHOLD = -10;
/** Threshold τ = 2·ε^{1/16} on t = s/2 below which the small-t expansion is accurate. */
const SMALL_T_THRESHOLD = 2 * Math.pow(DBL_EPSILON, 1 / 16);
const FOURTH_ROOT_DBL_EPSILON = Math.pow(DBL_EPSILON, 0.25);
const INV_FACT_3 = 1 / 6;
const INV_FACT_5 = 1 / 120;
const INV_FACT_7 = 1 / 5040;
const INV_FACT_9 = 1 / 362880;
const INV_FACT_11 = 1 / 39916800;
const INV_FACT_13 = 1 / 6227020800;

/**
 * Normalised intrinsic value of a call, e^{x/2} − e^{−x/2} = 2·sinh(x/2) for x > 0, else 0.
 * A Taylor series keeps full relative precision for tiny x.
 */
export function normalisedIntrinsicCall(x: number): number {
  if (x <= 0) return 0;
  const x2 = x * x;
  if (x2 < 98 * FOURTH_ROOT_DBL_EPSILON) {
    return x * (1 + x2 * (1 / 24 + x2 * (1 / 1920 + x2 * (1 / 322560 + x2 / 92897280))));
  }
  const bMax = exp(0.5 * x);
  return bMax - 1 / bMax;
}

/**
 * Normalised time value b(−|x|, s) ≥ 0: the part of a normalised call or put price above
 * its intrinsic value. s ≤ 0 gives 0.
 */
export function normalisedTimeValue(x: number, s: number): number {
  return normalisedTimeValueWithVega(x, s);
}

/**
 * Outputs of the last {@link normalisedTimeValueWithVega} call besides b: [0] ∂b/∂s and
 * [1] 1/s (for callers that need x/s too: divisions are the slowest arithmetic on this path).
 * A typed array rather than module `let`s: doubles stored there are not boxed.
 */
export const lastVega = new Float64Array(2);

/**
 * {@link normalisedTimeValue}, and ∂b/∂s (the formula of {@link normalisedVega}, with h = x·(1/s))
 * into {@link lastVega}[0]: in three of the four regions b carries the factor e^{−(h²+t²)/2}
 * that is the vega, so the solver's Householder steps get both for one exponential.
 */
export function normalisedTimeValueWithVega(x: number, s: number): number {
  const xm = -Math.abs(x);
  if (!(s > 0)) {
    lastVega[0] = s === 0 && xm === 0 ? ONE_OVER_SQRT_TWO_PI : 0;
    lastVega[1] = 1 / s;
    return 0;
  }
  const inverseS = 1 / s;
  lastVega[1] = inverseS;
  const h = xm * inverseS;
  const t = 0.5 * s;
  // Region 1: h < η and t < τ + |h| − |η|; region 2: t < τ; region 3: h + t > 0.85 (each written
  // without dividing by s, as the reference does), tried in that order.
  const asymptotic = xm < s * ASYMPTOTIC_H_THRESHOLD && 0.5 * s * s + xm < s * (SMALL_T_THRESHOLD + ASYMPTOTIC_H_THRESHOLD);
  const smallT = t < SMALL_T_THRESHOLD;
  if (!asymptotic && !smallT && xm + 0.5 * s * s > s * 0.85) {
    lastVega[0] = normalisedVega(xm, s);
    return usingNormCdf(xm, s);
  }
  const e = exp(-0.5 * (h * h + t * t));
  lastVega[0] = s <= -xm * SQRT_DBL_MIN ? 0 : ONE_OVER_SQRT_TWO_PI * e;
  let b: number;
  if (asymptotic) {
    b = ONE_OVER_SQRT_TWO_PI * e * asymptoticExpansion(h, t);
  } else if (smallT) {
    // Region 2: b = e^{−(h²+t²)/2}/√(2π) · [Y(h+t) − Y(h−t)] expanded to 12th order in t,
    // with a = 1 + h·Y(h), Y(h) = √(π/2)·erfcx(−h/√2). Written here rather than in a function
    // of its own: TurboFan does not inline a body this long, and a call boxes its doubles
    // (2 % of a solve; this is the region of most solver evaluations).
    const h2 = h * h;
    // Jäckel's coefficient of t^{2k+1} is (P_k(h²) + a·Q_k(h²))/(2k+1)!, written in his source as one
    // Horner chain that mixes a into every level. Split into P_k and Q_k, the polynomials depend
    // on h² only, so the CPU evaluates them while erfcx (a's input) is still in flight; the series
    // in w = t² is then summed Estrin-style (short dependency chains; the terms shrink by w < 0.05
    // each, so the order of summation costs no accuracy). 6 % faster solves than the nested form.
    const p2 = -7 - h2;
    const q1 = 3 + h2;
    const q2 = 15 + h2 * (10 + h2);
    const p3 = -57 + h2 * (-18 - h2);
    const q3 = 105 + h2 * (105 + h2 * (21 + h2));
    const p4 = -561 + h2 * (-285 + h2 * (-33 - h2));
    const q4 = 945 + h2 * (1260 + h2 * (378 + h2 * (36 + h2)));
    const p5 = -6555 + h2 * (-4680 + h2 * (-840 + h2 * (-52 - h2)));
    const q5 = 10395 + h2 * (17325 + h2 * (6930 + h2 * (990 + h2 * (55 + h2))));
    const p6 = -89055 + h2 * (-82845 + h2 * (-20370 + h2 * (-1926 + h2 * (-75 - h2))));
    const q6 = 135135 + h2 * (270270 + h2 * (135135 + h2 * (25740 + h2 * (2145 + h2 * (78 + h2)))));
    const a = 1 + h * (0.5 * SQRT_TWO_PI) * erfcx(-ONE_OVER_SQRT_TWO * h);
    const c1 = (a * q1 - 1) * INV_FACT_3;
    const c2 = (p2 + a * q2) * INV_FACT_5;
    const c3 = (p3 + a * q3) * INV_FACT_7;
    const c4 = (p4 + a * q4) * INV_FACT_9;
    const c5 = (p5 + a * q5) * INV_FACT_11;
    const c6 = (p6 + a * q6) * INV_FACT_13;
    const w = t * t;
    const w2 = w * w;
    const expansion = 2 * t * (a + (w * c1 + (w2 * (c2 + w * c3) + w2 * w2 * ((c4 + w * c5) + w2 * c6))));
    b = ONE_OVER_SQRT_TWO_PI * e * expansion;
  } else {
    // Region 4: b = ½·e^{−(h²+t²)/2}·[erfcx(−(h+t)/√2) − erfcx(−(h−t)/√2)].
    b = 0.5 * e * (erfcx(-ONE_OVER_SQRT_TWO * (h + t)) - erfcx(-ONE_OVER_SQRT_TWO * (h - t)));
  }
  return b > 0 ? b : 0;
}

/** Normalised Black call b(x, s) for any sign of x: intrinsic plus time value. */
export function normalisedBlackCall(x: number, s: number): number {
  return normalisedIntrinsicCall(x) + normalisedTimeValue(x, s);
}

/** ∂b/∂s = φ(x/s + s/2)·e^{x/2} = e^{−(x²/s² + s²/4)/2}/√(2π) (same for calls and puts). */
export function normalisedVega(x: number, s: number): number {
  const ax = Math.abs(x);
  if (ax === 0) return ONE_OVER_SQRT_TWO_PI * exp(-0.125 * s * s);
  if (s <= 0 || s <= ax * SQRT_DBL_MIN) return 0;
  const h = x / s;
  const t = 0.5 * s;
  return ONE_OVER_SQRT_TWO_PI * exp(-0.5 * (h * h + t * t));
}

/** Region 3: b = Φ(h+t)·e^{x/2} − Φ(h−t)·e^{−x/2}. */
function usingNormCdf(x: number, s: number): number {
  const h = x / s;
  const t = 0.5 * s;
  const bMax = exp(0.5 * x);
  const b = normCdf(h + t) * bMax - normCdf(h - t) / bMax;
  return b > 0 ? b : 0;
}

/**
 * Region 1: b = e^{−(h²+t²)/2}/√(2π) · (t/r) · A(h, t) with r = (h+t)(h−t) and A the 17th-order
 * asymptotic series of (r/t)·[Y(h+t) − Y(h−t)], Y(z) = Φ(z)/φ(z) (Abramowitz & Stegun 26.2.12),
 * in q = (h/r)² with coefficients polynomial in e = (t/h)².
 */
function asymptoticExpansion(h: number, t: number): number {
  const e = (t / h) * (t / h);
  const r = (h + t) * (h - t);
  const q = (h / r) * (h / r);
  const sum = 2.0 + q * (-6.0E0 - 2.0 * e + 3.0 * q * (1.0E1 + e * (2.0E1 + 2.0 * e) + 5.0 * q * (-1.4E1 + e * (-7.0E1 + e * (-4.2E1 - 2.0 * e)) + 7.0 * q * (1.8E1 + e * (1.68E2 + e * (2.52E2 + e * (7.2E1 + 2.0 * e))) + 9.0 * q * (-2.2E1 + e * (-3.3E2 + e * (-9.24E2 + e * (-6.6E2 + e * (-1.1E2 - 2.0 * e)))) + 1.1E1 * q * (2.6E1 + e * (5.72E2 + e * (2.574E3 + e * (3.432E3 + e * (1.43E3 + e * (1.56E2 + 2.0 * e))))) + 1.3E1 * q * (-3.0E1 + e * (-9.1E2 + e * (-6.006E3 + e * (-1.287E4 + e * (-1.001E4 + e * (-2.73E3 + e * (-2.1E2 - 2.0 * e)))))) + 1.5E1 * q * (3.4E1 + e * (1.36E3 + e * (1.2376E4 + e * (3.8896E4 + e * (4.862E4 + e * (2.4752E4 + e * (4.76E3 + e * (2.72E2 + 2.0 * e))))))) + 1.7E1 * q * (-3.8E1 + e * (-1.938E3 + e * (-2.3256E4 + e * (-1.00776E5 + e * (-1.84756E5 + e * (-1.51164E5 + e * (-5.4264E4 + e * (-7.752E3 + e * (-3.42E2 - 2.0 * e)))))))) + 1.9E1 * q * (4.2E1 + e * (2.66E3 + e * (4.0698E4 + e * (2.3256E5 + e * (5.8786E5 + e * (7.05432E5 + e * (4.0698E5 + e * (1.08528E5 + e * (1.197E4 + e * (4.2E2 + 2.0 * e))))))))) + 2.1E1 * q * (-4.6E1 + e * (-3.542E3 + e * (-6.7298E4 + e * (-4.90314E5 + e * (-1.63438E6 + e * (-2.704156E6 + e * (-2.288132E6 + e * (-9.80628E5 + e * (-2.01894E5 + e * (-1.771E4 + e * (-5.06E2 - 2.0 * e)))))))))) + 2.3E1 * q * (5.0E1 + e * (4.6E3 + e * (1.0626E5 + e * (9.614E5 + e * (4.08595E6 + e * (8.9148E6 + e * (1.04006E7 + e * (6.53752E6 + e * (2.16315E6 + e * (3.542E5 + e * (2.53E4 + e * (6.0E2 + 2.0 * e))))))))))) + 2.5E1 * q * (-5.4E1 + e * (-5.85E3 + e * (-1.6146E5 + e * (-1.77606E6 + e * (-9.37365E6 + e * (-2.607579E7 + e * (-4.01166E7 + e * (-3.476772E7 + e * (-1.687257E7 + e * (-4.44015E6 + e * (-5.9202E5 + e * (-3.51E4 + e * (-7.02E2 - 2.0 * e)))))))))))) + 2.7E1 * q * (5.8E1 + e * (7.308E3 + e * (2.3751E5 + e * (3.12156E6 + e * (2.003001E7 + e * (6.919458E7 + e * (1.3572783E8 + e * (1.5511752E8 + e * (1.0379187E8 + e * (4.006002E7 + e * (8.58429E6 + e * (9.5004E5 + e * (4.7502E4 + e * (8.12E2 + 2.0 * e))))))))))))) + 2.9E1 * q * (-6.2E1 + e * (-8.99E3 + e * (-3.39822E5 + e * (-5.25915E6 + e * (-4.032015E7 + e * (-1.6934463E8 + e * (-4.1250615E8 + e * (-6.0108039E8 + e * (-5.3036505E8 + e * (-2.8224105E8 + e * (-8.870433E7 + e * (-1.577745E7 + e * (-1.472562E6 + e * (-6.293E4 + e * (-9.3E2 - 2.0 * e)))))))))))))) + 3.1E1 * q * (6.6E1 + e * (1.0912E4 + e * (4.74672E5 + e * (8.544096E6 + e * (7.71342E7 + e * (3.8707344E8 + e * (1.14633288E9 + e * (2.07431664E9 + e * (2.33360622E9 + e * (1.6376184E9 + e * (7.0963464E8 + e * (1.8512208E8 + e * (2.7768312E7 + e * (2.215136E6 + e * (8.184E4 + e * (1.056E3 + 2.0 * e))))))))))))))) + 3.3E1 * (-7.0E1 + e * (-1.309E4 + e * (-6.49264E5 + e * (-1.344904E7 + e * (-1.4121492E8 + e * (-8.344518E8 + e * (-2.9526756E9 + e * (-6.49588632E9 + e * (-9.0751353E9 + e * (-8.1198579E9 + e * (-4.6399188E9 + e * (-1.6689036E9 + e * (-3.67158792E8 + e * (-4.707164E7 + e * (-3.24632E6 + e * (-1.0472E5 + e * (-1.19E3 - 2.0 * e))))))))))))))))) * q))))))))))))))));
  return (t / r) * sum;
}

