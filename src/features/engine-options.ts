/**
 * The options of a FeatureEngine: which windows, session, calendar, underlying rules and contract size,
 * and their construction from `[aggregations]`.
 *
 * Pure: no I/O.
 */
import type { NyseCalendar, SessionKind } from '../calendar/index.js';
import type { AggregationsConfig } from '../config/schema.js';
import type { EnrichedOptionTrade } from '../formats/records.js';
import { windowSpecs, type WindowSpec } from './windows.js';

/**
 * The fields of an enriched option trade the engine reads: any
 * EnrichedOptionTrade fits, and the historical job reads only these columns.
 */
export type FeatureOptionTrade = Pick<EnrichedOptionTrade,
  'sipTimestampNs' | 'sequence' | 'right' | 'price' | 'size' | 'eligible' | 'underlyingPrice' | 'intrinsic' | 'dadvv' | 'gadvv' | 'greeksFlag'>;

/** Massive's consolidated-tape update rules for underlying trades (FEATURES.md "Per-trade quantities"). */
export interface UnderlyingRules {
  /** A trade with any of these conditions does not update high/low (nor the as-of S). */
  readonly excludeConditionsHighLow: readonly number[];
  /** ... does not update open/close. */
  readonly excludeConditionsOpenClose: readonly number[];
  /** ... does not count in volume (the dollar-value distribution). */
  readonly excludeConditionsVolume: readonly number[];
  /** Keep trades with correction ≠ 0 (default false: they are left out of everything). */
  readonly includeCorrections: boolean;
}

export interface FeatureEngineOptions {
  readonly symbol: string;
  /** Window sizes, in output order (windowSpecs(['1m', '5m'])). */
  readonly windows: readonly WindowSpec[];
  readonly session: SessionKind;
  readonly calendar: NyseCalendar;
  readonly underlyingRules: UnderlyingRules;
  /** m, shares per contract (calls_dollar_value = Σ price·size·m). */
  readonly contractSize: number;
  /**
   * The 68 aggression columns (and diag_aggressive_buys/sells,
   * diag_unclassified): each eligible option trade's aggressor side is the
   * `side` argument of onOptionTrade (src/options/aggression.ts classifies it
   * against the prevailing quote); undefined = unclassified. Default false.
   */
  readonly aggression?: boolean;
}

/** Engine options from `[aggregations]` (windows and session may be overridden, e.g. from the command line). */
export function featureEngineOptions(
  aggregations: AggregationsConfig,
  calendar: NyseCalendar,
  overrides: { symbol?: string; windows?: readonly string[]; session?: SessionKind; aggression?: boolean } = {},
): FeatureEngineOptions {
  return {
    symbol: overrides.symbol ?? aggregations.symbol,
    windows: windowSpecs(overrides.windows ?? aggregations.windows),
    session: overrides.session ?? aggregations.session,
    calendar,
    underlyingRules: {
      excludeConditionsHighLow: aggregations.exclude_conditions_high_low,
      excludeConditionsOpenClose: aggregations.exclude_conditions_open_close,
      excludeConditionsVolume: aggregations.exclude_conditions_volume,
      includeCorrections: aggregations.include_corrections,
    },
    contractSize: aggregations.contract_size,
    // Not `aggregations.aggression`: only a caller that feeds trade sides (quotes) may turn it on.
    aggression: overrides.aggression ?? false,
  };
}
