/**
 * The columns of LAKE/options-greeks/symbol=S/date=D (docs/greeks.md explains each) and the schema
 * version every part carries in its metadata.
 */
import type { ColumnSpec } from '../../formats/columns.js';
import { AGGRESSION_COLUMNS } from '../aggression.js';
import { OPTION_CONTRACT_COLUMNS } from '../contract-columns.js';
import { GreeksFlag } from '../../formats/records.js';

/**
 * Bumped whenever the columns or their meaning change; written into every part's metadata.
 * 2: AGGRESSION_COLUMNS appended on days computed with quotes.
 */
export const GREEKS_SCHEMA_VERSION = 3;

const ns = (name: string, nullable: boolean, doc: string): ColumnSpec => ({ name, type: 'int64', nullable, unit: 'ns', doc });
const f64 = (name: string, doc: string): ColumnSpec => ({ name, type: 'float64', nullable: true, doc });

/** Columns of LAKE/options-greeks, in file order (docs/greeks.md explains each). */
export const GREEKS_COLUMNS: readonly ColumnSpec[] = [
  { name: 'ticker', type: 'utf8', nullable: false, doc: 'OPRA ticker, O:...' },
  { name: 'conditions', type: 'list_int32', nullable: false },
  { name: 'correction', type: 'int32', nullable: false, doc: '0 when the flat-file field was empty' },
  { name: 'exchange', type: 'int32', nullable: false },
  ns('participant_timestamp', true, 'absent in some sources'),
  { name: 'price', type: 'float64', nullable: false },
  ns('sip_timestamp', false, 'event time'),
  { name: 'size', type: 'float64', nullable: false, doc: 'contracts' },
  { name: 'sequence', type: 'int64', nullable: false, doc: 'row index in the options-trades partition: tie-break at equal sip_timestamp' },
  ...OPTION_CONTRACT_COLUMNS,
  f64('underlying_price', 'S: latest high/low-eligible underlying trade at or before sip_timestamp, within max_underlying_staleness; null when none or stale'),
  ns('underlying_sip_timestamp', true, 'sip_timestamp of that underlying trade; null with underlying_price'),
  { name: 't_years', type: 'float64', nullable: false, doc: '(expiry 16:00 New York − sip_timestamp) / 365 days, floored at min_time_to_expiry' },
  { name: 'r', type: 'float64', nullable: false, doc: 'risk-free rate used, continuous per year: risk_free_rate, or the Treasury curve at t_years' },
  f64('iv', 'BSM implied volatility per √year; null unless greeks_flag = 0'),
  f64('delta', 'null unless greeks_flag = 0'),
  f64('gamma', 'per unit of S; null unless greeks_flag = 0'),
  f64('intrinsic', 'call max(S−K,0), put max(K−S,0); null when S is unknown'),
  f64('dadvv', '|delta|·S·size·contract_size; null unless greeks_flag = 0'),
  f64('gadvv', '|gamma|·S²·size·contract_size·gadvv_scale; null unless greeks_flag = 0'),
  { name: 'greeks_flag', type: 'int32', nullable: false, doc: '0 ok, 1 no underlying, 2 stale underlying, 3 below intrinsic bound, 4 above upper bound, 5 expired, 6 solver failure / IV out of range, 7 ineligible, 8 invalid input' },
  { name: 'eligible', type: 'bool', nullable: false, doc: 'passes exclude_option_conditions, correction and adjusted rules' },
];

/** The table's columns: GREEKS_COLUMNS, then AGGRESSION_COLUMNS on a day classified against quotes. */
export function greeksColumns(aggression: boolean): readonly ColumnSpec[] {
  return aggression ? [...GREEKS_COLUMNS, ...AGGRESSION_COLUMNS] : GREEKS_COLUMNS;
}

/** Snake-case names of the flags, indexed by code (diagnostics, docs). */
export const GREEKS_FLAG_NAMES: readonly string[] = Object.entries(GreeksFlag)
  .sort((a, b) => a[1] - b[1])
  .map(([name]) => name.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase());
