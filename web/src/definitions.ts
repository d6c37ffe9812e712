/**
 * One-line definitions of the feature columns, built from their names (docs/features.md,
 * "Feature definitions", is the reference the table links to).
 */

const STATS: Record<string, string> = {
  total: 'sum over the set (0 when empty)',
  minimum: 'smallest value', maximum: 'largest value',
  q1: 'first quartile', q2: 'median', q3: 'third quartile',
  mean: 'arithmetic mean', stddev: 'standard deviation', skew: 'skewness', kurtosis: 'excess kurtosis',
  iqr: 'interquartile range (q3 − q1)', mad: 'median absolute deviation', cv: 'coefficient of variation (stddev / mean)',
  mode: 'mode of the kernel density estimate', bc: 'bimodality coefficient',
  dip_pval: "p-value of Hartigan's dip test of unimodality (below 0.05 / 0.01: likely more than one mode)",
  kde_peaks: 'number of peaks of the kernel density estimate',
};

const SETS: [RegExp, string][] = [
  [/^underlying_dollar_value$/, 'price × size of the volume-eligible underlying trades'],
  [/^(calls|puts)_dadvv_agg_(buy|sell)$/, 'dadvv of priced eligible $1 trades classified as aggressive $2s (at/above ask: buy, at/below bid: sell)'],
  [/^(calls|puts)_dadvv$/, 'dadvv (|delta| · S · size · contract size) of priced eligible $1 trades'],
  [/^(calls|puts)_gadvv$/, 'gadvv (|gamma| · S² · size · contract size) of priced eligible $1 trades'],
];

const SPECIAL: Record<string, string> = {
  underlying_price_open: 'price of the first open/close-eligible underlying trade',
  underlying_price_high: 'highest price of the high/low-eligible underlying trades',
  underlying_price_low: 'lowest price of the high/low-eligible underlying trades',
  underlying_price_close: 'price of the last open/close-eligible underlying trade',
  puts_below_intrinsic_pct: '% of eligible put trades (known S) priced below intrinsic value',
  puts_above_intrinsic_pct: '% of eligible put trades (known S) priced above intrinsic value',
  calls_above_intrinsic_pct: '% of eligible call trades (known S) priced above intrinsic value',
  calls_dollar_value: 'Σ price × size × contract size of eligible call trades',
  window_start_ms: 'window start (inclusive), epoch ms UTC', window_end_ms: 'window end (exclusive), epoch ms UTC',
  symbol: 'underlying symbol', window: 'window size',
};

export function definition(name: string): string {
  const special = SPECIAL[name];
  if (special !== undefined) return special;
  if (name.startsWith('diag_')) return `diagnostic count: ${name.slice(5).replace(/_/g, ' ')} (docs/features.md, "Rows")`;
  for (const stat of Object.keys(STATS).sort((a, b) => b.length - a.length)) {
    if (!name.endsWith('_' + stat)) continue;
    const set = name.slice(0, -stat.length - 1);
    for (const [re, text] of SETS) if (re.test(set)) return `${STATS[stat]} of ${set.replace(re, text)}`;
  }
  return '';
}
