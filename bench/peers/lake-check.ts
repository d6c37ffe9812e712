/**
 * Cross-check of gammaflow's output against DuckDB's, both read by DuckDB:
 * row count, Σ size, Σ price, min/max sip_timestamp and distinct tickers of the
 * lake partition vs the Parquet file DuckDB wrote from the same CSV.
 *
 *   node dist/bench/peers/lake-check.js 'LAKE/stocks-trades/date=D/*.parquet' DUCKDB.parquet
 *   → prints {"gammaflow": {...}, "duckdb": {...}, "equal": true|false}
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { pathToFileURL } from 'node:url';
import { sqlString } from './sql.js';

export interface TableDigest {
  readonly rows: string;
  readonly sumSize: string;
  readonly sumPrice: string;
  readonly minSipTimestamp: string;
  readonly maxSipTimestamp: string;
  readonly tickers: string;
}

export async function digestParquet(glob: string): Promise<TableDigest> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(`SELECT count(*)::VARCHAR AS rows,
        round(sum(size), 3)::VARCHAR AS sumSize, round(sum(price), 3)::VARCHAR AS sumPrice,
        min(sip_timestamp::BIGINT)::VARCHAR AS minSipTimestamp, max(sip_timestamp::BIGINT)::VARCHAR AS maxSipTimestamp,
        count(DISTINCT ticker)::VARCHAR AS tickers
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
