/**
 * DuckDB as the independent reader of our Parquet output in tests.
 * Values come back as plain JS (BIGINT → bigint, LIST → array, NULL → null).
 */
import { DuckDBInstance } from '@duckdb/node-api';

export async function duckQuery(sql: string): Promise<Record<string, unknown>[]> {
  const inst = await DuckDBInstance.create(':memory:');
  const conn = await inst.connect();
  try {
    const reader = await conn.runAndReadAll(sql);
    return (await reader.getRowObjectsJS()) as Record<string, unknown>[];
  } finally {
    conn.closeSync();
    inst.closeSync();
  }
}

/** SQL string literal. */
export const lit = (s: string): string => `'${s.replace(/'/g, "''")}'`;
