/**
 * Reads Parquet files back through DuckDB (a devDependency) for tests and
 * benchmarks: an independent reader checking what the writer produced. Not
 * imported by product code (DuckDB is a devDependency).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

export class DuckDbReader {
  private constructor(private readonly connection: DuckDBConnection) {}

  static async open(): Promise<DuckDbReader> {
    const instance = await DuckDBInstance.create(':memory:');
    return new DuckDbReader(await instance.connect());
  }

  /** Rows as JS objects (BIGINT → bigint, DATE → Date, LIST → array). */
  async rows(sql: string): Promise<Record<string, unknown>[]> {
    const result = await this.connection.runAndReadAll(sql);
    return result.getRowObjectsJS() as Record<string, unknown>[];
  }

  close(): void {
    this.connection.closeSync();
  }
}

/** A path quoted as a SQL string literal. */
export function sqlString(path: string): string {
  return `'${path.replaceAll("'", "''")}'`;
}

/** A fresh temporary directory for one test (the caller removes it). */
export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'gammaflow-parquet-'));
}
