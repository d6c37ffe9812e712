/**
 * Per option trade: the as-of underlying price S, time to expiry T, Black–Scholes–Merton implied
 * volatility, delta, gamma, intrinsic value and the delta/gamma-adjusted dollar value volumes
 * (FEATURES.md "Per-trade quantities", normative). Pure: no I/O. The historical job (lake →
 * LAKE/options-greeks) and the realtime path both drive an {@link OptionEnricher} with the same
 * records, so both produce identical numbers.
 *
 * Units and conventions:
 * - timestamps: SIP event time, integer ns since the Unix epoch (bigint);
 * - T = (expiry date at 16:00 America/New_York − trade time) in years of 365·86 400 s, floored at
 *   `min_time_to_expiry`; computed from the exact BigInt difference of the two instants;
 * - a trade is *expired* when its New York date is after the expiry date (a trade after 16:00 on
 *   the expiry date is not expired: it is priced with the floored T);
 * - r, q continuously compounded per year; σ per √year; size in contracts; m = `contract_size`;
 * - delta: call e^{−qT}Φ(d1), put −e^{−qT}Φ(−d1); gamma: e^{−qT}φ(d1)/(Sσ√T);
 * - dadvv = |delta|·S·size·m; gadvv = |gamma|·S²·size·m·gadvv_scale;
 * - intrinsic: call max(S − K, 0), put max(K − S, 0), whenever S is known (not stale, not none).
 *
 * Greeks flags (first that applies): InvalidInput (price or size not positive and finite, bad
 * strike), Ineligible (condition/correction/adjusted rules: not priced), Expired, NoUnderlying,
 * StaleUnderlying, then the IV solver's verdict: BelowIntrinsic (price ≤ the no-arbitrage lower
 * bound max(θ(S e^{−qT} − K e^{−rT}), 0)), AboveUpperBound (price ≥ S e^{−qT} for calls, K e^{−rT}
 * for puts), SolverFailure (implied σ outside [min_iv, max_iv], or no convergence), else Ok.
 * Only Ok trades carry iv, delta, gamma, dadvv and gadvv; the others hold NaN there.
 */
import type { AggregationsConfig } from '../config/schema.js';
import { NS_PER_MS, parseDurationMs } from '../calendar/durations.js';
import { nyWallClockToUtcNs } from '../calendar/nyTime.js';
import { isoDateOfEpochDay } from '../calendar/civilDate.js';
import { impliedVolatility, lastIvStatus, IvStatus } from './pricing/iv.js';
import { normCdf, normPdf } from './pricing/normal.js';
import { AsOfStatus, AsOfUnderlying } from './asof.js';
import { TradeEligibility, eligibilityRulesFromConfig, type EligibilityRules } from './eligibility.js';
import type { RateCurve } from './rates/treasury-curve.js';
import { GreeksFlag, type EnrichedOptionTrade, type OptionTrade, type UnderlyingTrade } from '../formats/records.js';

/** Nanoseconds in a year of 365 days. */
export const NS_PER_YEAR = 365 * 86_400e9;

/** Everything the enrichment depends on, in code units. */
export interface EnrichmentParams {
  /** r, continuous, per year, when `riskFreeSource` is `constant` (NaN for `treasury`). */
  readonly riskFreeRate: number;
  /** `constant`: riskFreeRate for every trade; `treasury`: `rateCurve` at each trade's T. */
  readonly riskFreeSource: 'constant' | 'treasury';
  /** The day's curve (required with `treasury`; see options/rates/treasury-curve.ts). */
  readonly rateCurve?: RateCurve;
  /** q, continuous, per year. */
  readonly dividendYield: number;
  /** m, underlying units per contract. */
  readonly contractSize: number;
  /** Largest accepted age of S, ns (inclusive). */
  readonly maxUnderlyingStalenessNs: bigint;
  /** Floor of T, ns. */
  readonly minTimeToExpiryNs: number;
  readonly minIv: number;
  readonly maxIv: number;
  readonly gadvvScale: number;
  readonly eligibility: EligibilityRules;
}

/** The parameters of `[aggregations]`; `symbol` picks its own dividend yield from `dividend_yields`. */
export function enrichmentParamsFromConfig(agg: AggregationsConfig, symbol?: string): EnrichmentParams {
  const treasury = agg.risk_free_rate === 'treasury';
  return {
    riskFreeRate: treasury ? NaN : agg.risk_free_rate as number,
    riskFreeSource: treasury ? 'treasury' : 'constant',
    dividendYield: (symbol !== undefined ? agg.dividend_yields[symbol] : undefined) ?? agg.dividend_yield,
    contractSize: agg.contract_size,
    maxUnderlyingStalenessNs: BigInt(parseDurationMs(agg.max_underlying_staleness)) * NS_PER_MS,
    minTimeToExpiryNs: parseDurationMs(agg.min_time_to_expiry) * 1e6,
    minIv: agg.min_iv,
    maxIv: agg.max_iv,
    gadvvScale: agg.gadvv_scale,
    eligibility: eligibilityRulesFromConfig(agg),
  };
}

/** The computed part of an enriched trade (reused across calls on hot paths). */
export interface OptionGreeks {
  eligible: boolean;
  /** NaN when unknown (none or stale). */
  underlyingPrice: number;
  /** null when S is unknown. */
  underlyingTimestampNs: bigint | null;
  tYears: number;
  /** The risk-free rate used (continuous, per year). */
  r: number;
  iv: number;
  delta: number;
  gamma: number;
  intrinsic: number;
  dadvv: number;
  gadvv: number;
  greeksFlag: GreeksFlag;
}

export function emptyOptionGreeks(): OptionGreeks {
  return {
    eligible: false, underlyingPrice: NaN, underlyingTimestampNs: null, tYears: NaN, r: NaN, iv: NaN, delta: NaN, gamma: NaN,
    intrinsic: NaN, dadvv: NaN, gadvv: NaN, greeksFlag: GreeksFlag.InvalidInput,
  };
}

/** Expiry instants of one expiry date, epoch ns. */
interface ExpiryInstants {
  /** 16:00 New York on the expiry date. */
  readonly closeNs: bigint;
  /** 00:00 New York on the day after: trades at or after it are expired. */
  readonly expiredFromNs: bigint;
}

/** Maps a pricing-library IV status to the flag persisted for the trade. */
export function flagOfIvStatus(status: IvStatus): GreeksFlag {
  switch (status) {
    case IvStatus.Ok: return GreeksFlag.Ok;
    case IvStatus.BelowLowerBound: return GreeksFlag.BelowIntrinsic;
    case IvStatus.AboveUpperBound: return GreeksFlag.AboveUpperBound;
    case IvStatus.InvalidInput: return GreeksFlag.InvalidInput;
    case IvStatus.OutOfRange: return GreeksFlag.SolverFailure;
    case IvStatus.NoConvergence: return GreeksFlag.SolverFailure;
  }
}

/**
 * Enriches one symbol's option trades as its underlying trades stream by. Feed both in event
 * order, underlying trades first at equal timestamps (see asof.ts for the contract).
 */
export class OptionEnricher {
  readonly params: EnrichmentParams;
  readonly eligibility: TradeEligibility;
  private readonly asOf: AsOfUnderlying;
  private readonly expiries = new Map<number, ExpiryInstants>();
  private readonly scratch = emptyOptionGreeks();

  constructor(params: EnrichmentParams) {
    if (params.riskFreeSource === 'treasury' && params.rateCurve === undefined) {
      throw new RangeError('risk_free_rate = "treasury" needs the day\'s Treasury curve (rateCurve)');
    }
    this.params = params;
    this.eligibility = new TradeEligibility(params.eligibility);
    this.asOf = new AsOfUnderlying(params.maxUnderlyingStalenessNs, this.eligibility);
  }

  /** Feeds an underlying trade (any: ineligible ones are ignored by the as-of join). */
  onUnderlyingTrade(t: UnderlyingTrade): void {
    this.asOf.onTrade(t);
  }

  /** Clears the as-of state (before another day). */
  reset(): void {
    this.asOf.reset();
  }

  /** The trade with its greeks: allocates one record (use {@link compute} on hot paths). */
  enrich(t: OptionTrade): EnrichedOptionTrade {
    const g = this.compute(t, this.scratch);
    return { ...t, ...g };
  }

  /** Computes the greeks of `t` into `out` (allocation-free) and returns it. */
  compute(t: OptionTrade, out: OptionGreeks = emptyOptionGreeks()): OptionGreeks {
    const p = this.params;
    out.eligible = this.eligibility.option(t);
    out.iv = out.delta = out.gamma = out.dadvv = out.gadvv = NaN;
    const expiry = this.expiryInstants(t.expiryDays);
    const toExpiryNs = Number(expiry.closeNs - t.sipTimestampNs);
    const T = (toExpiryNs > p.minTimeToExpiryNs ? toExpiryNs : p.minTimeToExpiryNs) / NS_PER_YEAR;
    out.tYears = T;
    const r = p.rateCurve !== undefined ? p.rateCurve.rateAt(T) : p.riskFreeRate;
    out.r = r;

    const status = this.asOf.lookup(t.sipTimestampNs);
    const S = status === AsOfStatus.Found ? this.asOf.price : NaN;
    out.underlyingPrice = S;
    out.underlyingTimestampNs = status === AsOfStatus.Found ? this.asOf.timestampNs : null;
    const K = t.strike;
    const isCall = t.right === 'C';
    if (S === S) {
      const v = isCall ? S - K : K - S;
      out.intrinsic = v > 0 ? v : 0;
    } else {
      out.intrinsic = NaN;
    }

    if (!(t.price > 0 && t.price < Infinity && t.size > 0 && t.size < Infinity && K > 0 && K < Infinity)) {
      out.greeksFlag = GreeksFlag.InvalidInput;
    } else if (!out.eligible) {
      out.greeksFlag = GreeksFlag.Ineligible;
    } else if (t.sipTimestampNs >= expiry.expiredFromNs) {
      out.greeksFlag = GreeksFlag.Expired;
    } else if (status === AsOfStatus.None) {
      out.greeksFlag = GreeksFlag.NoUnderlying;
    } else if (status === AsOfStatus.Stale) {
      out.greeksFlag = GreeksFlag.StaleUnderlying;
    } else {
      const q = p.dividendYield;
      const sigma = impliedVolatility(t.price, t.right, S, K, T, r, q, p.minIv, p.maxIv);
      out.greeksFlag = flagOfIvStatus(lastIvStatus());
      if (out.greeksFlag === GreeksFlag.Ok) {
        const sqrtT = Math.sqrt(T);
        const sigmaSqrtT = sigma * sqrtT;
        const d1 = (Math.log(S / K) + (r - q) * T) / sigmaSqrtT + 0.5 * sigmaSqrtT;
        const dq = Math.exp(-q * T);
        const delta = isCall ? dq * normCdf(d1) : -dq * normCdf(-d1);
        const gamma = dq * normPdf(d1) / (S * sigmaSqrtT);
        const notional = S * t.size * p.contractSize;
        out.iv = sigma;
        out.delta = delta;
        out.gamma = gamma;
        out.dadvv = Math.abs(delta) * notional;
        out.gadvv = Math.abs(gamma) * S * notional * p.gadvvScale;
      }
    }
    return out;
  }

  private expiryInstants(expiryDays: number): ExpiryInstants {
    let e = this.expiries.get(expiryDays);
    if (e === undefined) {
      e = {
        closeNs: nyWallClockToUtcNs(isoDateOfEpochDay(expiryDays), 16, 0, 0),
        expiredFromNs: nyWallClockToUtcNs(isoDateOfEpochDay(expiryDays + 1), 0, 0, 0),
      };
      this.expiries.set(expiryDays, e);
    }
    return e;
  }
}

/** T in years for a trade at `sipTimestampNs` on a contract expiring on `expiryDays` (same rule as the enricher). */
export function yearsToExpiry(expiryDays: number, sipTimestampNs: bigint, minTimeToExpiryNs: number): number {
  const closeNs = nyWallClockToUtcNs(isoDateOfEpochDay(expiryDays), 16, 0, 0);
  const toExpiryNs = Number(closeNs - sipTimestampNs);
  return Math.max(toExpiryNs, minTimeToExpiryNs) / NS_PER_YEAR;
}
