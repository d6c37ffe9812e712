/**
 * Typed trade records shared by the historical (lake) and realtime (WebSocket)
 * paths: both produce these, and the enrichment and feature code consume them
 * without knowing where they came from. Timestamps are SIP event time in
 * integer nanoseconds since the Unix epoch (bigint: they exceed 2^53; the
 * realtime feed's milliseconds are multiplied by 1e6).
 */

/**
 * The lake table of one symbol's enriched option trades (`gammaflow greeks`):
 * `LAKE/options-greeks/symbol=SPY/date=D/`, so that symbols of the same day live side by side.
 */
export function greeksDataset(symbol: string): string {
  return `options-greeks/symbol=${symbol}`;
}

/** The conditions list of every record without conditions: one shared, frozen array (records are read-only). */
export const NO_CONDITIONS: readonly number[] = Object.freeze([]);

/** One trade of the underlying (stocks-trades row or stock `T` event). */
export interface UnderlyingTrade {
  readonly sipTimestampNs: bigint;
  /** SIP sequence number: tie-break at equal timestamps. */
  readonly sequence: number;
  readonly price: number;
  readonly size: number;
  readonly conditions: readonly number[];
  /** 0 when the CSV field is empty. */
  readonly correction: number;
}

/** One option trade (options-trades row or option `T` event), contract decoded from its OPRA ticker. */
export interface OptionTrade {
  readonly sipTimestampNs: bigint;
  /** Tie-break at equal timestamps: the feed's `q`, or the row's order in the flat file. */
  readonly sequence: number;
  readonly ticker: string;
  readonly root: string;
  readonly right: 'C' | 'P';
  readonly strike: number;
  /** Expiry as days since 1970-01-01. */
  readonly expiryDays: number;
  /** Root ends in a digit: non-standard deliverable, left out of features by default. */
  readonly adjusted: boolean;
  readonly price: number;
  readonly size: number;
  readonly conditions: readonly number[];
  readonly correction: number;
  readonly exchange: number;
}

/** Why an option trade has no greeks (persisted as `greeks_flag`, an int). */
export const GreeksFlag = {
  Ok: 0,
  NoUnderlying: 1,
  StaleUnderlying: 2,
  BelowIntrinsic: 3,
  AboveUpperBound: 4,
  Expired: 5,
  SolverFailure: 6,
  Ineligible: 7,
  InvalidInput: 8,
} as const;
export type GreeksFlag = (typeof GreeksFlag)[keyof typeof GreeksFlag];

/** An option trade with the underlying price as of its time and BSM greeks. */
export interface EnrichedOptionTrade extends OptionTrade {
  /** Passes the option condition/correction rules (and is not adjusted unless configured). */
  readonly eligible: boolean;
  /** As-of underlying price, NaN when none (or stale). */
  readonly underlyingPrice: number;
  readonly underlyingTimestampNs: bigint | null;
  readonly tYears: number;
  /** NaN when unpriced. */
  readonly iv: number;
  readonly delta: number;
  readonly gamma: number;
  /** max(S−K,0) for calls, max(K−S,0) for puts; NaN when S is unknown. */
  readonly intrinsic: number;
  /** |delta|·S·size·m; NaN when unpriced. */
  readonly dadvv: number;
  /** |gamma|·S²·size·m·gadvv_scale; NaN when unpriced. */
  readonly gadvv: number;
  readonly greeksFlag: GreeksFlag;
}
