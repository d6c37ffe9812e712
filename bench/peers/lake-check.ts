/**
 * Cross-check of gammaflow's output against DuckDB's, both read by DuckDB: row
 * count, distinct tickers, sip_timestamp range and an order-independent digest
 * of every row (Σ of a 64-bit hash of the row's values, cast to the same types
 * on both sides: timestamps as BIGINT, conditions as the CSV text "12,37").
 * Float sums are not compared: their last digits depend on summation order.
 *
 *   node dist/bench/peers/lake-check.js 'LAKE/stocks-trades/date=D/*.parquet' DUCKDB.parquet
 *   → prints {"gammaflow": {...}, "duckdb": {...}, "equal": true|false}
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { pathToFileURL } from 'node:url';
import { sqlString } from './sql.js';

export interface TableDigest {
  readonly rows: string;
  readonly tickers: string;
  readonly minSipTimestamp: string;
  readonly maxSipTimestamp: string;
  /** Σ hash(row) as a decimal string. */
  readonly rowHashSum: string;
}

/** `conditions` is LIST(INTEGER) in gammaflow's files and the CSV text in DuckDB's: both compared as that text. */
function rowValues(conditionsIsList: boolean): string {
  const conditions = conditionsIsList ? "array_to_string(conditions, ',')" : "coalesce(conditions::VARCHAR, '')";
  return [
    'ticker::VARCHAR', conditions, 'correction::INTEGER', 'exchange::INTEGER', 'id::VARCHAR',
    'participant_timestamp::BIGINT', 'price::DOUBLE', 'sequence_number::BIGINT', 'sip_timestamp::BIGINT',
    'size::DOUBLE', 'tape::INTEGER', 'trf_id::INTEGER', 'trf_timestamp::BIGINT',
  ].join(', ');
}

export async function digestParquet(glob: string): Promise<TableDigest> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const types = await connection.runAndReadAll(`SELECT typeof(conditions) AS t FROM read_parquet(${sqlString(glob)}) LIMIT 1`);
    const conditionsIsList = String((await types.getRowObjectsJS())[0]?.['t'] ?? '').endsWith('[]');
    const reader = await connection.runAndReadAll(`SELECT count(*)::VARCHAR AS rows, count(DISTINCT ticker)::VARCHAR AS tickers,
        min(sip_timestamp::BIGINT)::VARCHAR AS minSipTimestamp, max(sip_timestamp::BIGINT)::VARCHAR AS maxSipTimestamp,
        sum(hash(${rowValues(conditionsIsList)})::HUGEINT)::VARCHAR AS rowHashSum
      FROM read_parquet(${sqlString(glob)})`);
    return (await reader.getRowObjectsJS())[0] as unknown as TableDigest;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [lakeGlob, duckdbFile] = process.argv.slice(2);
  if (lakeGlob === undefined || duckdbFile === undefined) throw new Error('usage: lake-check.js LAKE_GLOB DUCKDB.parquet');
  const gammaflow = await digestParquet(lakeGlob);
  const duckdb = await digestParquet(duckdbFile);
  const equal = JSON.stringify(gammaflow) === JSON.stringify(duckdb);
  process.stdout.write(JSON.stringify({ gammaflow, duckdb, equal }) + '\n');
}
