/**
 * SQL text over the lake's Parquet files (DuckDB dialect): literals, the row-numbered scan of a
 * partition's files, the option selection, and streamed queries with their row count. Pure:
 * strings only; duckdb-chunks.ts runs them.
 */
import type { OptionSelection } from './reader.js';

/** SQL string literal. */
export const lit = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** A scan of `files` with their file name and row number columns, without hive columns. */
export function rowNumberedScan(files: readonly string[]): string {
  return `read_parquet([${files.map(lit).join(', ')}], filename = true, file_row_number = true, hive_partitioning = false)`;
}

/** The rows of the selected contracts: underlying = symbol, or root among the extra roots. */
export function optionWhere(selection: OptionSelection): string {
  const roots = selection.extraRoots ?? [];
  const more = selection.moreUnderlyings ?? [];
  const underlying = more.length === 0 ? `underlying = ${lit(selection.underlying)}`
    : `underlying IN (${[selection.underlying, ...more].map(lit).join(', ')})`;
  return underlying + (roots.length > 0 ? ` OR root IN (${roots.map(lit).join(', ')})` : '');
}

/** A streamed query and the count of the rows it must return. */
export interface StreamedQuery {
  readonly sql: string;
  /** `SELECT count(*)` of the same rows (without the ORDER BY: counting does not need the sort). */
  readonly countSql: string;
}

/** `select` (SELECT ... FROM ... WHERE ..., no ORDER BY) ordered by `orderBy`, with its row count query. */
export function streamedQuery(select: string, orderBy?: string): StreamedQuery {
  return { sql: orderBy === undefined ? select : `${select}\n      ORDER BY ${orderBy}`, countSql: `SELECT count(*) FROM (${select})` };
}
