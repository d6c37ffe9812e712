/**
 * What a window accumulates and how its feature columns are computed, as
 * data. A *value set* is the multiset of per-trade values a window keeps
 * (e.g. the dadvv of every priced call trade); a *feature segment* turns the
 * window's state into consecutive columns of the row. The engine walks these
 * tables and knows no column by name, so the 68 aggression columns
 * are four more option value sets filtered by trade side, and the layout test
 * checks that the segments spell FEATURE_NAMES / AGGRESSION_FEATURE_NAMES.
 *
 * Pure data: no I/O.
 */
import { STAT_NAMES_BASE, STAT_NAMES_WITH_QUANTILES, type StatName } from './statistics/index.js';

/** Aggressor side of an option trade against the prevailing quote; undefined = not classified. */
export type TradeSide = 'buy' | 'sell';

/** The per-trade quantity an option value set collects. */
export type OptionQuantity =
  /** |delta|·S·size·m: priced trades only. */
  | 'dadvv'
  /** |gamma|·S²·size·m·gadvv_scale: priced trades only. */
  | 'gadvv'
  /** price·size·m: every eligible trade, priced or not. */
  | 'premium';

/** A set of values collected from eligible option trades of one right (and, for aggression, one side). */
export interface OptionValueSet {
  readonly name: string;
  readonly right: 'C' | 'P';
  readonly quantity: OptionQuantity;
  /** Only trades classified on this side (aggression sets); undefined = every side. */
  readonly side?: TradeSide;
  /** Part of the aggression columns (collected only when aggression is enabled). */
  readonly aggression: boolean;
}

/** Name of the underlying dollar-value set (price·size of volume-eligible in-session trades). */
export const UNDERLYING_DOLLAR_VALUE = 'underlying_dollar_value';

/** Every option value set, in a fixed order (the engine indexes its buffers by position here). */
export const OPTION_VALUE_SETS: readonly OptionValueSet[] = [
  { name: 'puts_dadvv', right: 'P', quantity: 'dadvv', aggression: false },
  { name: 'puts_gadvv', right: 'P', quantity: 'gadvv', aggression: false },
  { name: 'calls_dadvv', right: 'C', quantity: 'dadvv', aggression: false },
  { name: 'calls_gadvv', right: 'C', quantity: 'gadvv', aggression: false },
  { name: 'calls_premium', right: 'C', quantity: 'premium', aggression: false },
  { name: 'calls_dadvv_agg_buy', right: 'C', quantity: 'dadvv', side: 'buy', aggression: true },
  { name: 'calls_dadvv_agg_sell', right: 'C', quantity: 'dadvv', side: 'sell', aggression: true },
  { name: 'puts_dadvv_agg_buy', right: 'P', quantity: 'dadvv', side: 'buy', aggression: true },
  { name: 'puts_dadvv_agg_sell', right: 'P', quantity: 'dadvv', side: 'sell', aggression: true },
];

/** Consecutive feature columns computed from one part of a window's state. */
export type FeatureSegment =
  /** underlying_price_{open,high,low,close}. */
  | { readonly kind: 'ohlc'; readonly prefix: string }
  /** Statistics of a value set, columns `<prefix>_<stat>`. */
  | { readonly kind: 'stats'; readonly set: string; readonly prefix: string; readonly stats: readonly StatName[] }
  /** The plain sum of a value set (one column named `column`). */
  | { readonly kind: 'sum'; readonly set: string; readonly column: string }
  /** 100 × share of eligible trades of a right with known S whose price is below / above intrinsic. */
  | { readonly kind: 'intrinsic_pct'; readonly right: 'C' | 'P'; readonly relation: 'below' | 'above'; readonly column: string };

/** The 81 features (FEATURE_NAMES order). */
export const FEATURE_SEGMENTS: readonly FeatureSegment[] = [
  { kind: 'ohlc', prefix: 'underlying_price' },
  { kind: 'stats', set: UNDERLYING_DOLLAR_VALUE, prefix: 'underlying_dollar_value', stats: STAT_NAMES_BASE },
  { kind: 'intrinsic_pct', right: 'P', relation: 'below', column: 'puts_below_intrinsic_pct' },
  { kind: 'intrinsic_pct', right: 'P', relation: 'above', column: 'puts_above_intrinsic_pct' },
  { kind: 'stats', set: 'puts_dadvv', prefix: 'puts_dadvv', stats: STAT_NAMES_BASE },
  { kind: 'stats', set: 'puts_gadvv', prefix: 'puts_gadvv', stats: STAT_NAMES_BASE },
  { kind: 'sum', set: 'calls_premium', column: 'calls_dollar_value' },
  { kind: 'intrinsic_pct', right: 'C', relation: 'above', column: 'calls_above_intrinsic_pct' },
  { kind: 'stats', set: 'calls_dadvv', prefix: 'calls_dadvv', stats: STAT_NAMES_BASE },
  { kind: 'stats', set: 'calls_gadvv', prefix: 'calls_gadvv', stats: STAT_NAMES_WITH_QUANTILES },
];

/** The 68 aggression features (AGGRESSION_FEATURE_NAMES order). */
export const AGGRESSION_SEGMENTS: readonly FeatureSegment[] = ['calls_dadvv_agg_buy', 'calls_dadvv_agg_sell', 'puts_dadvv_agg_buy', 'puts_dadvv_agg_sell']
  .map((set) => ({ kind: 'stats', set, prefix: set, stats: STAT_NAMES_WITH_QUANTILES }) as const);

/** The segments of a row's feature columns. */
export function featureSegments(aggression: boolean): readonly FeatureSegment[] {
  return aggression ? [...FEATURE_SEGMENTS, ...AGGRESSION_SEGMENTS] : FEATURE_SEGMENTS;
}

/** Column names a segment produces, in order. */
export function segmentColumns(segment: FeatureSegment): string[] {
  switch (segment.kind) {
    case 'ohlc': return ['open', 'high', 'low', 'close'].map((s) => `${segment.prefix}_${s}`);
    case 'stats': return segment.stats.map((s) => `${segment.prefix}_${s}`);
    case 'sum': return [segment.column];
    case 'intrinsic_pct': return [segment.column];
  }
}

/** Guard around intrinsic value for the below/above percentages (FEATURES.md: 1e-9, absolute, in price units). */
export const INTRINSIC_EPSILON = 1e-9;
