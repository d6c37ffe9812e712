/**
 * Peer "DuckDB": the whole file CSV.gz → one zstd Parquet file:
 * `COPY (SELECT * FROM read_csv(file)) TO out (FORMAT parquet, COMPRESSION zstd)`,
 * with DuckDB's defaults (all cores, insertion order preserved).
 *
 *   node dist/bench/peers/duckdb-copy.js IN.csv.gz OUT.parquet   → prints {"rows": N}
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { pathToFileURL } from 'node:url';
import { sqlString } from './sql.js';

export async function duckdbCopy(input: string, output: string): Promise<number> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const result = await connection.run(
      `COPY (SELECT * FROM read_csv(${sqlString(input)})) TO ${sqlString(output)} (FORMAT parquet, COMPRESSION zstd)`);
    return Number(result.rowsChanged);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [input, output] = process.argv.slice(2);
  if (input === undefined || output === undefined) throw new Error('usage: duckdb-copy.js IN.csv.gz OUT.parquet');
  process.stdout.write(JSON.stringify({ rows: await duckdbCopy(input, output) }) + '\n');
}
