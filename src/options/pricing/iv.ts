/**
 * Black–Scholes–Merton implied volatility, to full double precision, allocation free.
 *
 * The price is reduced to Jäckel's normalised out-of-the-money problem (lets-be-rational.ts):
 *   β = (price − lower) / (e^{−rT}·√(FK)),   x = −|ln(S/K) + (r − q)T|,
 * where `lower` is the no-arbitrage lower bound max(θ(S e^{−qT} − K e^{−rT}), 0) — the same
 * decomposition bsmPrice() uses, so bsmPrice(impliedVolatility(p)) reproduces p to rounding.
 *
 * Outcomes (read the status with {@link lastIvStatus} right after the call):
 * - `Ok`: σ in [minIv, maxIv] is returned;
 * - `InvalidInput`: price, S, K or T is NaN, infinite, zero or negative; r or q not finite;
 *   or the bounds are not 0 < minIv ≤ maxIv;
 * - `BelowLowerBound` / `AboveUpperBound`: the price is outside the OPEN no-arbitrage interval
 *   or so close to an edge that double precision cannot tell them apart: the normalised time
 *   value (price − lower)/(e^{−rT}√(FK)) is below the smallest normal double 2.2e−308, or the
 *   distance to the upper bound is lost in rounding;
 * - `OutOfRange`: the implied σ exists but lies outside [minIv, maxIv];
 * - `NoConvergence`: the solver produced no finite σ (not expected; kept as a safety net).
 * Every outcome but `Ok` returns NaN: never a wrong number.
 */
import type { OptionRight } from './bsm.js';
import { DEFAULT_HOUSEHOLDER_ITERATIONS, normalisedImpliedVolatility } from './lets-be-rational.js';

/** Result codes of {@link impliedVolatility}; integer codes, stable for storage. */
export const IvStatus = {
  Ok: 0,
  BelowLowerBound: 1,
  AboveUpperBound: 2,
  OutOfRange: 3,
  InvalidInput: 4,
  NoConvergence: 5,
} as const;
export type IvStatus = (typeof IvStatus)[keyof typeof IvStatus];

const STATUS_NAMES = ['ok', 'below_lower_bound', 'above_upper_bound', 'out_of_range', 'invalid_input', 'no_convergence'] as const;

/** snake_case name of a status, for diagnostics and metrics labels. */
export function ivStatusName(status: IvStatus): (typeof STATUS_NAMES)[number] {
  return STATUS_NAMES[status];
}

/** Default IV bounds (FEATURES.md: min_iv, max_iv). */
export const DEFAULT_MIN_IV = 1e-6;
export const DEFAULT_MAX_IV = 10;

const DBL_MIN = 2.2250738585072014e-308;

let status: IvStatus = IvStatus.Ok;

/** Status of the most recent {@link impliedVolatility} call (module-global; single-threaded JS). */
export function lastIvStatus(): IvStatus {
  return status;
}

/**
 * Implied volatility (per √year) of a European option priced by BSM with continuous dividend yield.
 * Units as in bsm.ts: T in years of 365 days, r and q continuously compounded.
 * Returns NaN when there is no solution in [minIv, maxIv]; {@link lastIvStatus} tells why.
 */
export function impliedVolatility(price: number, right: OptionRight, S: number, K: number, T: number, r: number,
  q: number, minIv: number = DEFAULT_MIN_IV, maxIv: number = DEFAULT_MAX_IV): number {
  if (!(price > 0 && price < Infinity && S > 0 && S < Infinity && K > 0 && K < Infinity && T > 0 && T < Infinity
    && r - r === 0 && q - q === 0 && minIv > 0 && maxIv >= minIv)) {
    status = IvStatus.InvalidInput;
    return NaN;
  }
  const spotPv = q === 0 ? S : S * Math.exp(-q * T); // e^{-0·T} is exactly 1: skip the call
  const strikePv = K * Math.exp(-r * T);
  const isCall = right === 'C';
  const forwardIntrinsic = isCall ? spotPv - strikePv : strikePv - spotPv;
  const lower = forwardIntrinsic > 0 ? forwardIntrinsic : 0;
  const upper = isCall ? spotPv : strikePv;
  if (price <= lower) {
    status = IvStatus.BelowLowerBound;
    return NaN;
  }
  if (price >= upper) {
    status = IvStatus.AboveUpperBound;
    return NaN;
  }
  const x = -Math.abs(Math.log(S / K) + (r - q) * T);
  const beta = (price - lower) / (Math.sqrt(spotPv) * Math.sqrt(strikePv));
  if (!(beta >= DBL_MIN)) {
    // A subnormal (or zero) normalised time value cannot be inverted to any useful precision:
    // the price is indistinguishable from its lower bound.
    status = IvStatus.BelowLowerBound;
    return NaN;
  }
  const bMax = Math.exp(0.5 * x);
  if (beta >= bMax) {
    status = IvStatus.AboveUpperBound;
    return NaN;
  }
  const sigma = normalisedImpliedVolatility(beta, x, DEFAULT_HOUSEHOLDER_ITERATIONS, bMax) / Math.sqrt(T);
  if (!(sigma > 0 && sigma < Infinity)) {
    status = IvStatus.NoConvergence;
    return NaN;
  }
  if (sigma < minIv || sigma > maxIv) {
    status = IvStatus.OutOfRange;
    return NaN;
  }
  status = IvStatus.Ok;
  return sigma;
}
