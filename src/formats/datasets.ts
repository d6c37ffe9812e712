/**
 * Massive flat-file datasets, declared as data: adding a dataset is a matter
 * of declaring its CSV columns here. Column names are Massive's header names
 * (matched case-insensitively); the parser maps them by name, never by
 * position, so re-ordered or extra columns are fine and a missing required
 * column is a clear error.
 */
import type { ColumnSpec } from './columns.js';

export type DatasetName = 'stocks-trades' | 'stocks-quotes' | 'options-trades' | 'options-quotes';

export interface CsvColumn extends ColumnSpec {
  /** The header must contain this column (otherwise the file is rejected as a whole). */
  readonly requiredInHeader: boolean;
}

export interface DatasetSpec {
  readonly name: DatasetName;
  /** S3 key prefix, e.g. `us_stocks_sip/trades_v1`. */
  readonly prefix: string;
  readonly columns: readonly CsvColumn[];
  /** Bumped whenever the lake layout of this dataset changes; written into each Parquet file's metadata. */
  readonly schemaVersion: number;
  /** Which ticker filter applies while streaming: `tickers` for stocks, `underlyings` for options. */
  readonly filterKind: 'tickers' | 'underlyings';
  /** Values a row must hold to be kept (others are quarantined with the reason); every dataset's event time is `sip_timestamp`, within the file's New York day. */
  readonly checks: { readonly positive: readonly string[]; readonly nonNegative: readonly string[] };
}

const TRADE_CHECKS = { positive: ['price'], nonNegative: ['size'] } as const;
const QUOTE_CHECKS = { positive: [], nonNegative: ['ask_price', 'ask_size', 'bid_price', 'bid_size'] } as const;

const col = (name: string, type: ColumnSpec['type'], opts: { nullable?: boolean; required?: boolean; unit?: 'ns'; doc?: string } = {}): CsvColumn => ({
  name, type,
  nullable: opts.nullable ?? true,
  requiredInHeader: opts.required ?? true,
  ...(opts.unit ? { unit: opts.unit } : {}),
  ...(opts.doc ? { doc: opts.doc } : {}),
});

/** The two sides of a quote, as both quote datasets print them (a zero price/size = no quote on that side). */
const quoteSides = (): CsvColumn[] => [
  col('ask_exchange', 'int32'), col('ask_price', 'float64'), col('ask_size', 'float64'),
  col('bid_exchange', 'int32'), col('bid_price', 'float64'), col('bid_size', 'float64'),
];

export const DATASETS: Readonly<Record<DatasetName, DatasetSpec>> = {
  'stocks-trades': {
    name: 'stocks-trades',
    checks: TRADE_CHECKS,
    prefix: 'us_stocks_sip/trades_v1',
    schemaVersion: 1,
    filterKind: 'tickers',
    columns: [
      col('ticker', 'utf8', { nullable: false }),
      col('conditions', 'list_int32', { doc: 'empty list when the field is empty' }),
      col('correction', 'int32'),
      col('exchange', 'int32'),
      col('id', 'utf8'),
      col('participant_timestamp', 'int64', { unit: 'ns' }),
      col('price', 'float64', { nullable: false }),
      col('sequence_number', 'int64'),
      col('sip_timestamp', 'int64', { nullable: false, unit: 'ns' }),
      col('size', 'float64', { nullable: false, doc: 'float since 2026: fractional shares' }),
      col('tape', 'int32'),
      col('trf_id', 'int32'),
      col('trf_timestamp', 'int64', { unit: 'ns', doc: '0 when not a TRF print' }),
    ],
  },
  'stocks-quotes': {
    name: 'stocks-quotes',
    checks: QUOTE_CHECKS,
    prefix: 'us_stocks_sip/quotes_v1',
    schemaVersion: 1,
    filterKind: 'tickers',
    columns: [
      col('ticker', 'utf8', { nullable: false }),
      ...quoteSides(),
      col('conditions', 'list_int32'),
      col('indicators', 'list_int32'),
      col('participant_timestamp', 'int64', { unit: 'ns' }),
      col('sequence_number', 'int64'),
      col('sip_timestamp', 'int64', { nullable: false, unit: 'ns' }),
      col('tape', 'int32'),
      col('trf_timestamp', 'int64', { unit: 'ns' }),
    ],
  },
  'options-trades': {
    name: 'options-trades',
    checks: TRADE_CHECKS,
    prefix: 'us_options_opra/trades_v1',
    schemaVersion: 1,
    filterKind: 'underlyings',
    columns: [
      col('ticker', 'utf8', { nullable: false }),
      col('conditions', 'list_int32'),
      col('correction', 'int32'),
      col('exchange', 'int32'),
      col('participant_timestamp', 'int64', { unit: 'ns', required: false, doc: 'absent in some sources' }),
      col('price', 'float64', { nullable: false }),
      col('sip_timestamp', 'int64', { nullable: false, unit: 'ns' }),
      col('size', 'float64', { nullable: false }),
    ],
  },
  'options-quotes': {
    name: 'options-quotes',
    checks: QUOTE_CHECKS,
    prefix: 'us_options_opra/quotes_v1',
    schemaVersion: 1,
    filterKind: 'underlyings',
    columns: [
      col('ticker', 'utf8', { nullable: false }),
      ...quoteSides(),
      col('sequence_number', 'int64'),
      col('sip_timestamp', 'int64', { nullable: false, unit: 'ns' }),
    ],
  },
};

export function datasetByName(name: string): DatasetSpec | undefined {
  return (DATASETS as Record<string, DatasetSpec>)[name];
}

/** `us_stocks_sip/trades_v1/2025/11/2025-11-07.csv.gz` */
export function objectKey(spec: DatasetSpec, date: string): string {
  return `${spec.prefix}/${date.slice(0, 4)}/${date.slice(5, 7)}/${date}.csv.gz`;
}
