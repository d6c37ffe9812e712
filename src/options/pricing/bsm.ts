/**
 * Black–Scholes–Merton prices and greeks for European options on an asset with a continuous
 * dividend yield.
 *
 * Units and conventions (docs: /work/shared/FEATURES.md, "Per-trade quantities"):
 * - `S` spot and `K` strike in the same currency, `S ≥ 0`, `K ≥ 0`;
 * - `T` time to expiry in years of 365 days, `T ≥ 0`;
 * - `r` risk-free rate and `q` dividend yield, continuously compounded, per year;
 * - `sigma` volatility per √year (0.2 = 20 %), `sigma ≥ 0`.
 * Negative `S`, `K`, `T` or `sigma`, and any NaN, give NaN.
 *
 * Prices are computed as  max(θ(S e^{−qT} − K e^{−rT}), 0) + e^{−rT}·√(FK)·b(−|x|, σ√T)  with
 * F = S e^{(r−q)T}, x = ln(F/K) and b Jäckel's normalised Black time value, which stays
 * accurate to a few ulps even for far out-of-the-money options whose naive
 * Φ·S − Φ·K difference would cancel to zero. The implied-volatility solver inverts exactly
 * this function.
 */
import { normCdf, normPdf } from './normal.js';
import { normalisedTimeValue } from './normalised-black.js';

/** Option right: call or put. */
export type OptionRight = 'C' | 'P';

/** All first-order greeks plus gamma, in natural units (see each field). */
export interface BsmGreeks {
  /** Option value, currency. */
  price: number;
  /** ∂V/∂S. */
  delta: number;
  /** ∂²V/∂S², per currency unit of S. */
  gamma: number;
  /** ∂V/∂σ per 1.00 of volatility (divide by 100 for "per vol point"). */
  vega: number;
  /** ∂V/∂t = −∂V/∂T, currency per year (divide by 365 for per day). */
  theta: number;
}

function invalid(S: number, K: number, T: number, sigma: number): boolean {
  // Written so that NaN fails every comparison and counts as invalid.
  return !(S >= 0 && K >= 0 && T >= 0 && sigma >= 0);
}

/** +1 for a call, −1 for a put. */
function sign(right: OptionRight): number {
  return right === 'C' ? 1 : -1;
}

/** Intrinsic value at the current spot: call max(S − K, 0), put max(K − S, 0). */
export function intrinsicValue(right: OptionRight, S: number, K: number): number {
  const v = right === 'C' ? S - K : K - S;
  return v > 0 ? v : v === v ? 0 : NaN;
}

/**
 * No-arbitrage bounds of a European option price: the price must lie in the OPEN interval
 * (lower, upper). Call: (max(S e^{−qT} − K e^{−rT}, 0), S e^{−qT});
 * put: (max(K e^{−rT} − S e^{−qT}, 0), K e^{−rT}).
 */
export function noArbitrageBounds(right: OptionRight, S: number, K: number, T: number, r: number, q: number):
  { lower: number; upper: number } {
  const spotPv = S * Math.exp(-q * T);
  const strikePv = K * Math.exp(-r * T);
  const forwardIntrinsic = right === 'C' ? spotPv - strikePv : strikePv - spotPv;
  return {
    lower: forwardIntrinsic > 0 ? forwardIntrinsic : forwardIntrinsic === forwardIntrinsic ? 0 : NaN,
    upper: right === 'C' ? spotPv : strikePv,
  };
}

/** BSM price of a European call or put. See the module comment for units and edge cases. */
export function bsmPrice(right: OptionRight, S: number, K: number, T: number, r: number, q: number, sigma: number): number {
  if (invalid(S, K, T, sigma) || r !== r || q !== q) return NaN;
  const theta = sign(right);
  const spotPv = S * Math.exp(-q * T);
  const strikePv = K * Math.exp(-r * T);
  const fwdIntrinsic = theta * (spotPv - strikePv);
  const intrinsic = fwdIntrinsic > 0 ? fwdIntrinsic : 0;
  if (S === 0 || K === 0) return intrinsic; // degenerate: no optionality left
  const s = sigma * Math.sqrt(T);
  if (s === 0) return intrinsic;
  const x = Math.log(S / K) + (r - q) * T;
  // e^{−rT}·√(FK) = √(S e^{−qT} · K e^{−rT})
  return intrinsic + Math.sqrt(spotPv) * Math.sqrt(strikePv) * normalisedTimeValue(x, s);
}

/** d1 = (ln(S/K) + (r − q + σ²/2)T)/(σ√T). */
function d1Of(S: number, K: number, T: number, r: number, q: number, sigma: number, sqrtT: number): number {
  return (Math.log(S / K) + (r - q + 0.5 * sigma * sigma) * T) / (sigma * sqrtT);
}

/** Delta ∂V/∂S: call e^{−qT}Φ(d1), put −e^{−qT}Φ(−d1). At σ√T = 0, the step of the forward intrinsic. */
export function bsmDelta(right: OptionRight, S: number, K: number, T: number, r: number, q: number, sigma: number): number {
  return bsmGreeks(right, S, K, T, r, q, sigma, scratch).delta;
}

/** Gamma e^{−qT}φ(d1)/(Sσ√T) (same for calls and puts); 0 at σ√T = 0. */
export function bsmGamma(right: OptionRight, S: number, K: number, T: number, r: number, q: number, sigma: number): number {
  return bsmGreeks(right, S, K, T, r, q, sigma, scratch).gamma;
}

/** Vega S e^{−qT} φ(d1) √T per 1.00 of volatility (same for calls and puts). */
export function bsmVega(right: OptionRight, S: number, K: number, T: number, r: number, q: number, sigma: number): number {
  return bsmGreeks(right, S, K, T, r, q, sigma, scratch).vega;
}

/** Theta ∂V/∂t (calendar time passing, T shrinking), currency per year. */
export function bsmTheta(right: OptionRight, S: number, K: number, T: number, r: number, q: number, sigma: number): number {
  return bsmGreeks(right, S, K, T, r, q, sigma, scratch).theta;
}

const scratch: BsmGreeks = { price: 0, delta: 0, gamma: 0, vega: 0, theta: 0 };

/**
 * Price and greeks in one pass. Pass `out` to reuse an object on hot paths (it is filled and
 * returned); otherwise a new object is allocated.
 *
 * At σ√T = 0 (or S = 0, K = 0) the option is its discounted forward intrinsic value: gamma and
 * vega are 0, delta is the step e^{−qT}·θ·1[θx > 0] (half the step at the money), theta the
 * time derivative of the discounted intrinsic.
 */
export function bsmGreeks(right: OptionRight, S: number, K: number, T: number, r: number, q: number, sigma: number,
  out: BsmGreeks = { price: 0, delta: 0, gamma: 0, vega: 0, theta: 0 }): BsmGreeks {
  const price = bsmPrice(right, S, K, T, r, q, sigma);
  out.price = price;
  if (price !== price) {
    out.delta = out.gamma = out.vega = out.theta = NaN;
    return out;
  }
  const theta = sign(right);
  const dq = Math.exp(-q * T);
  const dr = Math.exp(-r * T);
  const sqrtT = Math.sqrt(T);
  const s = sigma * sqrtT;
  if (s === 0 || S === 0 || K === 0) {
    const x = S === 0 ? -Infinity : K === 0 ? Infinity : Math.log(S / K) + (r - q) * T;
    const itm = theta * x > 0 ? 1 : x === 0 ? 0.5 : 0;
    out.delta = theta * dq * itm;
    out.gamma = 0;
    out.vega = 0;
    out.theta = itm * theta * (q * S * dq - r * K * dr);
    return out;
  }
  const d1 = d1Of(S, K, T, r, q, sigma, sqrtT);
  const d2 = d1 - s;
  const pdf = normPdf(d1);
  out.delta = theta * dq * normCdf(theta * d1);
  out.gamma = dq * pdf / (S * s);
  out.vega = S * dq * pdf * sqrtT;
  out.theta = -S * dq * pdf * sigma / (2 * sqrtT)
    - theta * r * K * dr * normCdf(theta * d2)
    + theta * q * S * dq * normCdf(theta * d1);
  return out;
}
