/**
 * A few feature rows of one window size of a day, with the columns a first look wants (New York
 * start time, close, calls/puts dadvv and calls gadvv in $M, puts dadvv dip p-value), read back
 * from the lake with DuckDB: what `gammaflow demo` prints.
 */
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { lit } from '../sql.js';

/** The first `limit` rows of `LAKE/features/symbol=S/window=W/date=D`, in window order, as plain objects. */
export async function readFeatureSample(lake: string, symbol: string, date: string, window = '5m', limit = 6): Promise<Record<string, unknown>[]> {
  const glob = join(lake, 'features', `symbol=${symbol}`, `window=${window}`, `date=${date}`, '*.parquet');
  const inst = await DuckDBInstance.create(':memory:');
  const conn = await inst.connect();
  try {
    const reader = await conn.runAndReadAll(`
      SELECT strftime(timezone('America/New_York', to_timestamp(window_start / 1e9)), '%H:%M') AS "start (NY)",
             round(underlying_price_close, 2) AS close,
             round(calls_dadvv_total / 1e6, 2) AS "calls dadvv $M",
             round(puts_dadvv_total / 1e6, 2) AS "puts dadvv $M",
             round(calls_gadvv_total / 1e6, 2) AS "calls gadvv $M",
             round(puts_dadvv_dip_pval, 3) AS "puts dadvv dip p"
      FROM read_parquet(${lit(glob)}) ORDER BY window_start LIMIT ${Math.max(0, Math.floor(limit))}`);
    return (await reader.getRowObjectsJS()) as Record<string, unknown>[];
  } finally {
    conn.closeSync();
    inst.closeSync();
  }
}
