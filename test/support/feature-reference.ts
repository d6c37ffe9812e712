/**
 * The independent feature reference (test/fixtures/features/, made by
 * bench/features_reference.py with numpy/scipy and R's diptest) and the
 * FEATURES.md tolerances every comparison with it uses.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Input records of a reference fixture, in the reference's terms (timestamps as decimal strings). */
export interface ReferenceInput {
  windows: string[]; contract_size: number; include_corrections: boolean;
  exclude_conditions_high_low: number[]; exclude_conditions_open_close: number[]; exclude_conditions_volume: number[];
  stocks: { t: string[]; seq: number[]; price: number[]; size: number[]; conditions: number[][]; correction: number[] };
  options: { t: string[]; seq: number[]; right: string; strike: number[]; price: number[]; size: number[]; eligible: number[];
    S: (number | null)[]; flag: number[]; dadvv: (number | null)[]; gadvv: (number | null)[] };
}

/** Reference rows: [window, window_start, window_end, values per column, KDE grid step per mode column, diag counts]. */
export interface ReferenceOutput {
  columns: string[]; mode_columns: string[]; diag_columns: string[];
  rows: [string, string, string, (number | null)[], number[], number[]][];
}

/** Parses `test/fixtures/features/<name>`. */
export function readFeatureFixture<T>(name: string): T {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return JSON.parse(readFileSync(join(dir, 'test', 'fixtures', 'features', name), 'utf8')) as T;
}

/**
 * FEATURES.md tolerances of a feature column: kde_peaks and diag counts exact; dip_pval 1e-6
 * absolute; mode within one KDE grid step (`modeStep`); columns built on implied volatility
 * (`*_dadvv_*`, `*_gadvv_*`) 1e-7 relative; everything else 1e-9 relative.
 */
export function featureTolerance(column: string, modeStep = 0): { abs: number; rel: number } {
  if (column.endsWith('_kde_peaks') || column.startsWith('diag_')) return { abs: 0, rel: 0 };
  if (column.endsWith('_dip_pval')) return { abs: 1e-6, rel: 0 };
  if (column.endsWith('_mode')) return { abs: modeStep * (1 + 1e-9), rel: 1e-9 };
  if (/_(dadvv|gadvv)_/.test(column)) return { abs: 1e-12, rel: 1e-7 };
  return { abs: 1e-12, rel: 1e-9 };
}
