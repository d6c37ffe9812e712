/**
 * The feature row: one per (symbol, window size, window start), and its
 * column layout (FEATURES.md "Output rows"):
 *
 *   symbol        utf8     e.g. 'SPY'
 *   window        utf8     the size label as configured, e.g. '5m'
 *   window_start  int64    epoch nanoseconds (UTC), inclusive
 *   window_end    int64    epoch nanoseconds (UTC), exclusive (= start + size)
 *   <81 features>          float64, null when undefined (NaN in memory)
 *   <68 aggression>        float64, only when aggression is enabled
 *   diag_*        int32    counts (DIAG_NAMES, then AGGRESSION_DIAG_NAMES when enabled)
 *
 * Timestamps are plain int64 nanoseconds tagged with the lake's `ns` unit
 * (footer metadata `gammaflow.units`), like every timestamp in the lake: the
 * Parquet writer has no TIMESTAMP logical type, and an extra converted copy
 * would be a second source of truth. DuckDB: `make_timestamp_ns(window_start)`
 * (or `to_timestamp(window_start / 1e9)`) gives a TIMESTAMP.
 *
 * Pure: no I/O.
 */
import type { ColumnBatch, ColumnSpec, Float64Column, Int32Column, Int64Column, Utf8Column } from '../formats/columns.js';
import { featureNames } from './names.js';

/** One closed window. */
export interface FeatureRow {
  readonly symbol: string;
  /** Window size label, e.g. '5m'. */
  readonly window: string;
  readonly windowSizeNs: bigint;
  readonly windowStartNs: bigint;
  readonly windowEndNs: bigint;
  /** The New York session date whose grid the window belongs to (output partition). */
  readonly date: string;
  /** featureNames(aggression) order; NaN = null. */
  readonly features: Float64Array;
  /** diagNames(aggression) order. */
  readonly diagnostics: Int32Array;
}

/**
 * Diagnostic counts per window, in column order. "In-session" trades are the
 * ones inside the session filter and the window; "eligible" option trades pass
 * the option condition/correction/adjusted rules (EnrichedOptionTrade.eligible).
 */
export const DIAG_NAMES = [
  /** In-session underlying trades, before any condition or correction rule. */
  'diag_underlying_trades',
  /** Of those, left out entirely because correction ≠ 0 (include_corrections = false). */
  'diag_underlying_corrections',
  /** Trades whose dollar value entered underlying_dollar_value_* (volume-eligible). */
  'diag_underlying_volume_trades',
  /** Trades eligible for underlying_price_high/low. */
  'diag_underlying_high_low_trades',
  /** Trades eligible for underlying_price_open/close. */
  'diag_underlying_open_close_trades',
  /** In-session option trades, before eligibility. */
  'diag_option_trades',
  /** Of those, not eligible (conditions, correction, adjusted contract). */
  'diag_option_ineligible',
  /** Eligible put trades. */
  'diag_puts',
  /** Eligible call trades. */
  'diag_calls',
  /** Eligible trades with dadvv and gadvv. */
  'diag_priced',
  /** Eligible trades without greeks (sum of the diag_unpriced_* reasons below). */
  'diag_unpriced',
  'diag_unpriced_no_underlying',
  'diag_unpriced_stale_underlying',
  'diag_unpriced_below_intrinsic',
  'diag_unpriced_above_upper_bound',
  'diag_unpriced_expired',
  'diag_unpriced_solver_failure',
  /** Unpriced for another reason (invalid input, or a flag inconsistent with eligibility). */
  'diag_unpriced_other',
  /** Eligible trades whose underlying price S is unknown (left out of the intrinsic percentages). */
  'diag_unknown_underlying',
] as const;

/** Diagnostics appended when aggression is enabled (eligible option trades by aggressor side). */
export const AGGRESSION_DIAG_NAMES = ['diag_aggressive_buys', 'diag_aggressive_sells', 'diag_unclassified'] as const;

export type DiagName = (typeof DIAG_NAMES)[number] | (typeof AGGRESSION_DIAG_NAMES)[number];

/** Column index of each diagnostic within a row's diagnostics (aggression ones after the base ones). */
export const DIAG = Object.fromEntries([...DIAG_NAMES, ...AGGRESSION_DIAG_NAMES].map((name, i) => [name, i])) as { readonly [K in DiagName]: number };

/** The diagnostic columns of a row, in order. */
export function diagNames(aggression: boolean): readonly DiagName[] {
  return aggression ? [...DIAG_NAMES, ...AGGRESSION_DIAG_NAMES] : DIAG_NAMES;
}

/** The Parquet/CSV column list of a feature row. */
export function featureRowSchema(aggression: boolean): ColumnSpec[] {
  return [
    { name: 'symbol', type: 'utf8', nullable: false },
    { name: 'window', type: 'utf8', nullable: false, doc: 'window size label, e.g. 5m' },
    { name: 'window_start', type: 'int64', nullable: false, unit: 'ns', doc: 'inclusive, epoch ns UTC' },
    { name: 'window_end', type: 'int64', nullable: false, unit: 'ns', doc: 'exclusive, epoch ns UTC' },
    ...featureNames(aggression).map((name): ColumnSpec => ({ name, type: 'float64', nullable: true })),
    ...diagNames(aggression).map((name): ColumnSpec => ({ name, type: 'int32', nullable: false })),
  ];
}

/** Column names of a feature row, in order. */
export function featureRowColumnNames(aggression: boolean): string[] {
  return featureRowSchema(aggression).map((c) => c.name);
}

const encoder = new TextEncoder();

function utf8Column(values: readonly string[]): Utf8Column {
  const encoded = values.map((v) => encoder.encode(v));
  const offsets = new Int32Array(values.length + 1);
  let total = 0;
  encoded.forEach((b, i) => { total += b.length; offsets[i + 1] = total; });
  const bytes = new Uint8Array(total);
  encoded.forEach((b, i) => bytes.set(b, offsets[i]!));
  return { type: 'utf8', offsets, bytes };
}

/** Rows (all with the same feature count) as one columnar batch in featureRowSchema order; NaN features become nulls. */
export function rowsToBatch(rows: readonly FeatureRow[], aggression: boolean): ColumnBatch {
  const featureCount = featureNames(aggression).length;
  const n = rows.length;
  for (const row of rows) {
    if (row.features.length !== featureCount) throw new RangeError(`a feature row has ${row.features.length} features, the layout ${featureCount}`);
  }
  const starts = new BigInt64Array(n);
  const ends = new BigInt64Array(n);
  rows.forEach((r, i) => { starts[i] = r.windowStartNs; ends[i] = r.windowEndNs; });
  const columns: (Utf8Column | Int64Column | Float64Column | Int32Column)[] = [
    utf8Column(rows.map((r) => r.symbol)),
    utf8Column(rows.map((r) => r.window)),
    { type: 'int64', values: starts },
    { type: 'int64', values: ends },
  ];
  for (let f = 0; f < featureCount; f++) {
    const values = new Float64Array(n);
    const valid = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const v = rows[i]!.features[f]!;
      if (!Number.isNaN(v)) { values[i] = v; valid[i] = 1; }
    }
    columns.push({ type: 'float64', values, valid });
  }
  const diagCount = diagNames(aggression).length;
  for (let d = 0; d < diagCount; d++) {
    const values = new Int32Array(n);
    for (let i = 0; i < n; i++) values[i] = rows[i]!.diagnostics[d]!;
    columns.push({ type: 'int32', values });
  }
  return { rows: n, columns };
}

/**
 * A row as [column name, value] pairs in schema order, for text formats:
 * timestamps stay bigint (exact), null features are null.
 */
export function rowEntries(row: FeatureRow, aggression: boolean): [string, string | number | bigint | null][] {
  const names = featureNames(aggression);
  const entries: [string, string | number | bigint | null][] = [
    ['symbol', row.symbol], ['window', row.window], ['window_start', row.windowStartNs], ['window_end', row.windowEndNs],
  ];
  names.forEach((name, i) => {
    const v = row.features[i]!;
    entries.push([name, Number.isNaN(v) ? null : v]);
  });
  diagNames(aggression).forEach((name, i) => entries.push([name, row.diagnostics[i]!]));
  return entries;
}
