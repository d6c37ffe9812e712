/**
 * The lake dataset `treasury-yields`: one partition per published date
 * (`LAKE/treasury-yields/date=D/part-00000.parquet`, one row: the eleven
 * `yield_*` columns in percent, null when not published), written by
 * `gammaflow rates` and read by greeks with `risk_free_rate = "treasury"`.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { ColumnSpec } from '../../formats/columns.js';
import { treasuryYieldsSql } from '../../lake/queries/treasury.js';
import { LakeError } from '../../util/errors.js';
import { TENORS, curveOn, type TreasuryCurve, type TreasuryYields } from './treasury-curve.js';

export const TREASURY_DATASET = 'treasury-yields';
export const TREASURY_SCHEMA_VERSION = 1;

/** Columns of a treasury-yields partition (the date is the partition's). */
export const TREASURY_COLUMNS: readonly ColumnSpec[] = TENORS.map((t) => ({
  name: t.field, type: 'float64' as const, nullable: true,
  doc: `percent, ${t.basis === 'investment' ? 'investment (coupon-equivalent) yield' : 'bond-equivalent yield'}, constant maturity ${t.years} year(s)`,
}));

/** Every published date in the lake, oldest first. */
export async function readTreasuryYields(lake: string): Promise<TreasuryYields[]> {
  const dir = join(lake, TREASURY_DATASET);
  let names: string[];
  try { names = (await readdir(dir)).filter((n) => /^date=\d{4}-\d{2}-\d{2}$/.test(n)); } catch { return []; }
  if (names.length === 0) return [];
  const inst = await DuckDBInstance.create(':memory:');
  const conn = await inst.connect();
  try {
    const reader = await conn.runAndReadAll(treasuryYieldsSql(join(dir, 'date=*', '*.parquet'), TENORS.map((t) => t.field)));
    return (reader.getRowObjectsJS() as Record<string, unknown>[]).map((row) => ({
      date: String(row['date']),
      yields: Object.fromEntries(TENORS.map((t) => [t.field, typeof row[t.field] === 'number' ? row[t.field] as number : null])),
    }));
  } catch (e) {
    throw new LakeError(`cannot read ${dir}: ${(e as Error).message}`, { path: dir }, { cause: e });
  } finally {
    conn.closeSync();
    inst.closeSync();
  }
}

/**
 * The curve greeks use on `date`, or a message saying what to run when the lake has none on or
 * before it.
 */
export function treasuryCurveFor(date: string, yields: readonly TreasuryYields[], lake: string): { curve: TreasuryCurve } | { missing: string } {
  const curve = curveOn(date, yields);
  if (curve !== undefined) return { curve };
  return { missing: `greeks ${date}: risk_free_rate = "treasury" but ${join(lake, TREASURY_DATASET)} has no Treasury yields on or before ${date}; `
    + `run gammaflow rates --from <a few days before> --to ${date} first` };
}
