/**
 * The canonical feature column names (FEATURES.md, feature_names.json), in
 * output order. They are kept here, in the product, because the product never
 * reads ../shared at run time; names.test.ts checks them against
 * /work/shared/feature_names.json whenever that file is present.
 *
 * Pure data: no I/O.
 */

/** The 81 window features, in row order. */
export const FEATURE_NAMES = [
  'underlying_price_open', 'underlying_price_high', 'underlying_price_low', 'underlying_price_close',
  'underlying_dollar_value_total', 'underlying_dollar_value_minimum', 'underlying_dollar_value_maximum',
  'underlying_dollar_value_mean', 'underlying_dollar_value_stddev', 'underlying_dollar_value_skew',
  'underlying_dollar_value_kurtosis', 'underlying_dollar_value_iqr', 'underlying_dollar_value_mad',
  'underlying_dollar_value_cv', 'underlying_dollar_value_mode', 'underlying_dollar_value_bc',
  'underlying_dollar_value_dip_pval', 'underlying_dollar_value_kde_peaks', 'puts_below_intrinsic_pct',
  'puts_above_intrinsic_pct', 'puts_dadvv_total', 'puts_dadvv_minimum', 'puts_dadvv_maximum', 'puts_dadvv_mean',
  'puts_dadvv_stddev', 'puts_dadvv_skew', 'puts_dadvv_kurtosis', 'puts_dadvv_iqr', 'puts_dadvv_mad', 'puts_dadvv_cv',
  'puts_dadvv_mode', 'puts_dadvv_bc', 'puts_dadvv_dip_pval', 'puts_dadvv_kde_peaks', 'puts_gadvv_total',
  'puts_gadvv_minimum', 'puts_gadvv_maximum', 'puts_gadvv_mean', 'puts_gadvv_stddev', 'puts_gadvv_skew',
  'puts_gadvv_kurtosis', 'puts_gadvv_iqr', 'puts_gadvv_mad', 'puts_gadvv_cv', 'puts_gadvv_mode', 'puts_gadvv_bc',
  'puts_gadvv_dip_pval', 'puts_gadvv_kde_peaks', 'calls_dollar_value', 'calls_above_intrinsic_pct',
  'calls_dadvv_total', 'calls_dadvv_minimum', 'calls_dadvv_maximum', 'calls_dadvv_mean', 'calls_dadvv_stddev',
  'calls_dadvv_skew', 'calls_dadvv_kurtosis', 'calls_dadvv_iqr', 'calls_dadvv_mad', 'calls_dadvv_cv',
  'calls_dadvv_mode', 'calls_dadvv_bc', 'calls_dadvv_dip_pval', 'calls_dadvv_kde_peaks', 'calls_gadvv_total',
  'calls_gadvv_minimum', 'calls_gadvv_q1', 'calls_gadvv_q2', 'calls_gadvv_q3', 'calls_gadvv_maximum',
  'calls_gadvv_mean', 'calls_gadvv_stddev', 'calls_gadvv_skew', 'calls_gadvv_kurtosis', 'calls_gadvv_iqr',
  'calls_gadvv_mad', 'calls_gadvv_cv', 'calls_gadvv_mode', 'calls_gadvv_bc', 'calls_gadvv_dip_pval',
  'calls_gadvv_kde_peaks',
] as const;

/** The 68 aggression features, appended after FEATURE_NAMES when aggression is enabled. */
export const AGGRESSION_FEATURE_NAMES = [
  'calls_dadvv_agg_buy_total', 'calls_dadvv_agg_buy_minimum', 'calls_dadvv_agg_buy_q1', 'calls_dadvv_agg_buy_q2',
  'calls_dadvv_agg_buy_q3', 'calls_dadvv_agg_buy_maximum', 'calls_dadvv_agg_buy_mean', 'calls_dadvv_agg_buy_stddev',
  'calls_dadvv_agg_buy_skew', 'calls_dadvv_agg_buy_kurtosis', 'calls_dadvv_agg_buy_iqr', 'calls_dadvv_agg_buy_mad',
  'calls_dadvv_agg_buy_cv', 'calls_dadvv_agg_buy_mode', 'calls_dadvv_agg_buy_bc', 'calls_dadvv_agg_buy_dip_pval',
  'calls_dadvv_agg_buy_kde_peaks', 'calls_dadvv_agg_sell_total', 'calls_dadvv_agg_sell_minimum',
  'calls_dadvv_agg_sell_q1', 'calls_dadvv_agg_sell_q2', 'calls_dadvv_agg_sell_q3', 'calls_dadvv_agg_sell_maximum',
  'calls_dadvv_agg_sell_mean', 'calls_dadvv_agg_sell_stddev', 'calls_dadvv_agg_sell_skew',
  'calls_dadvv_agg_sell_kurtosis', 'calls_dadvv_agg_sell_iqr', 'calls_dadvv_agg_sell_mad', 'calls_dadvv_agg_sell_cv',
  'calls_dadvv_agg_sell_mode', 'calls_dadvv_agg_sell_bc', 'calls_dadvv_agg_sell_dip_pval',
  'calls_dadvv_agg_sell_kde_peaks', 'puts_dadvv_agg_buy_total', 'puts_dadvv_agg_buy_minimum',
  'puts_dadvv_agg_buy_q1', 'puts_dadvv_agg_buy_q2', 'puts_dadvv_agg_buy_q3', 'puts_dadvv_agg_buy_maximum',
  'puts_dadvv_agg_buy_mean', 'puts_dadvv_agg_buy_stddev', 'puts_dadvv_agg_buy_skew', 'puts_dadvv_agg_buy_kurtosis',
  'puts_dadvv_agg_buy_iqr', 'puts_dadvv_agg_buy_mad', 'puts_dadvv_agg_buy_cv', 'puts_dadvv_agg_buy_mode',
  'puts_dadvv_agg_buy_bc', 'puts_dadvv_agg_buy_dip_pval', 'puts_dadvv_agg_buy_kde_peaks',
  'puts_dadvv_agg_sell_total', 'puts_dadvv_agg_sell_minimum', 'puts_dadvv_agg_sell_q1', 'puts_dadvv_agg_sell_q2',
  'puts_dadvv_agg_sell_q3', 'puts_dadvv_agg_sell_maximum', 'puts_dadvv_agg_sell_mean', 'puts_dadvv_agg_sell_stddev',
  'puts_dadvv_agg_sell_skew', 'puts_dadvv_agg_sell_kurtosis', 'puts_dadvv_agg_sell_iqr', 'puts_dadvv_agg_sell_mad',
  'puts_dadvv_agg_sell_cv', 'puts_dadvv_agg_sell_mode', 'puts_dadvv_agg_sell_bc', 'puts_dadvv_agg_sell_dip_pval',
  'puts_dadvv_agg_sell_kde_peaks',
] as const;

export type FeatureName = (typeof FEATURE_NAMES)[number];
export type AggressionFeatureName = (typeof AGGRESSION_FEATURE_NAMES)[number];

/** The feature columns of a row: the 81, then the 68 aggression columns when enabled. */
export function featureNames(aggression: boolean): readonly string[] {
  return aggression ? [...FEATURE_NAMES, ...AGGRESSION_FEATURE_NAMES] : FEATURE_NAMES;
}
