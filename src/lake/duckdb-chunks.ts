/**
 * Running lake queries on DuckDB and reading their result vectors: streamed chunks with a checked
 * row count, ticker dictionaries, and block copies of numeric and list columns.
 */
import type { DuckDBConnection, DuckDBDataChunk, DuckDBInstance, DuckDBListVector, DuckDBVector } from '@duckdb/node-api';
import { NO_CONDITIONS } from '../formats/records.js';
import { LakeError } from '../util/errors.js';
import type { StreamedQuery } from './sql.js';

/**
 * Creates the temp table `table(id, ticker)` of the distinct tickers of `scan WHERE where` (ids
 * in ticker order) on `conn`; returns the tickers by id. Streams then carry the id, not a
 * string to decode per row.
 */
export async function createTickerDictionary(conn: DuckDBConnection, table: string, scan: string, where: string): Promise<string[]> {
  await conn.run(`CREATE TEMP TABLE ${table} AS
      SELECT row_number() OVER (ORDER BY ticker) - 1 AS id, ticker FROM (SELECT DISTINCT ticker FROM ${scan} WHERE ${where})`);
  const reader = await conn.runAndReadAll(`SELECT ticker FROM ${table} ORDER BY id`);
  return reader.getRows().map(([ticker]) => String(ticker));
}

/**
 * Streams a query's result chunks on a connection of its own; the connection closes when the
 * consumer stops (even early). Failures become LakeErrors.
 *
 * The row count is checked: DuckDB's streamed results can end early without an error (measured
 * with @duckdb/node-api 1.5: a sorted read that runs out of its memory_limit while another
 * query runs returned an empty chunk after 0.49 M of 6 M rows, and the bindings expose no
 * result error), so the rows are counted first (`query.countSql`, a scan without the sort) and
 * a stream that ends short is a LakeError, never a silently partial read.
 */
export async function* streamChunks(instance: DuckDBInstance, lake: string, query: StreamedQuery,
  prepare?: (conn: DuckDBConnection) => Promise<void>): AsyncGenerator<DuckDBDataChunk> {
  let conn: DuckDBConnection | undefined;
  try {
    conn = await instance.connect();
    await prepare?.(conn);
    const expected = Number((await conn.runAndReadAll(query.countSql)).getRows()[0]![0]);
    const result = await conn.stream(query.sql);
    let rows = 0;
    for (;;) {
      const chunk = await result.fetchChunk();
      if (chunk === null || chunk.rowCount === 0) break;
      rows += chunk.rowCount;
      yield chunk;
    }
    if (rows !== expected) {
      throw new LakeError(`reading the lake failed: DuckDB ended a result after ${rows} of its ${expected} rows without reporting an error `
        + '(it does so when it runs out of its memory limit during a sorted read); the read was abandoned: raise [storage] duckdb_memory_limit '
        + 'in config.toml and rerun', { lake });
    }
  } catch (e) {
    if (e instanceof LakeError) throw e;
    throw new LakeError(`reading the lake failed: ${(e as Error).message}`, { lake }, { cause: e });
  } finally {
    conn?.closeSync();
  }
}

/** The int list of row i of a list vector (no allocation for an empty list). */
export function intList(list: DuckDBListVector, i: number): readonly number[] {
  const n = list.getEntryLength(i);
  if (n === 0) return NO_CONDITIONS;
  const child = list.childVector as DuckDBVector<number>;
  const at = list.getEntryOffset(i);
  const out = new Array<number>(n);
  for (let k = 0; k < n; k++) out[k] = child.getItem(at + k)!;
  return out;
}

/**
 * Copies the first `n` values of a vector of a NOT NULL column (every caller's SQL guarantees it:
 * a non-nullable column or a coalesce) into `out`. The node API keeps a vector's values in a typed
 * array; copying it in one `set` is several times faster than a getItem call per value, which
 * dominates reading a day of quotes. Falls back to getItem when the vector is not laid out so.
 */
export function copyValues(vector: DuckDBVector, n: number, out: Float64Array | BigInt64Array): void {
  const items = (vector as unknown as { items?: unknown }).items;
  if (items instanceof out.constructor && (items as Float64Array | BigInt64Array).length >= n) {
    (out as Float64Array).set((items as Float64Array).subarray(0, n));
    return;
  }
  if (out instanceof BigInt64Array) for (let i = 0; i < n; i++) out[i] = BigInt(vector.getItem(i) as bigint);
  else for (let i = 0; i < n; i++) out[i] = Number(vector.getItem(i));
}
