/**
 * Golden end-to-end test of `gammaflow run`: a generated day →
 * `gammaflow run` → its features CSV compared column by column with
 * test/fixtures/golden/run-2025-11-07.csv, a file that make_golden.mjs wrote
 * only after checking it against the independent numpy/scipy/R implementation
 * bench/features_reference.py (see test/fixtures/golden/README.md).
 *
 * Compared: the header (same columns, same order), the rows (same windows in
 * the same order), nulls exactly, identifiers and timestamps as text, and
 * numbers at the FEATURES.md tolerances: 1e-9 relative; *_dadvv_* and
 * *_gadvv_* 1e-7 relative; *_dip_pval 1e-6 absolute; *_mode within one KDE
 * grid step (the reference's step, run-2025-11-07.mode-steps.json);
 * *_kde_peaks and diag_* counts exactly.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { featureTolerance } from '../support/feature-reference.js';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../support/cli.js';

/** The golden day; must stay equal to GOLDEN_DAY in test/fixtures/golden/make_golden.mjs. */
const DATE = '2025-11-07';
const SEED = 7;
const TICKERS = 5;
const SPY_TRADES = 6000;
const OPTION_TRADES = 2500;
const WINDOWS = '1m,5m,30m';

/** Columns compared as text, never as numbers. */
const TEXT_COLUMNS = new Set(['symbol', 'window', 'window_start', 'window_end']);

/** A features CSV: header and data rows, fields as text ('' = null). */
interface FeatureCsv {
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

/** KDE grid steps of the reference: `rows["<window> <window_start>"][i]` is the step of mode column `columns[i]`. */
interface ModeSteps {
  readonly columns: readonly string[];
  readonly rows: Readonly<Record<string, readonly number[]>>;
}

function goldenDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return join(dir, 'test', 'fixtures', 'golden');
}

/** Parses the features CSV the CLI writes: no quoting (identifiers and numbers only), '\n' line ends. */
function parseFeatureCsv(text: string, name: string): FeatureCsv {
  assert.ok(!text.includes('"'), `${name}: the features CSV has no quoted fields`);
  assert.ok(text.endsWith('\n'), `${name}: ends with a newline`);
  const [headerLine, ...lines] = text.slice(0, -1).split('\n');
  const header = headerLine!.split(',');
  const rows = lines.map((line) => line.split(','));
  rows.forEach((row, i) => assert.equal(row.length, header.length, `${name}: data row ${i + 1} has ${row.length} fields, the header ${header.length}`));
  return { header, rows };
}


/**
 * Every disagreement of `actual` with `golden`, one message each naming the
 * data row (1-based), its window and window_start, and the column. Empty when
 * they match at the tolerances above.
 */
function compareWithGolden(golden: FeatureCsv, actual: FeatureCsv, steps: ModeSteps): string[] {
  if (golden.header.join(',') !== actual.header.join(',')) {
    const i = golden.header.findIndex((name, k) => actual.header[k] !== name);
    return [`header differs at column ${i + 1}: golden ${golden.header[i] ?? '(none)'}, run ${actual.header[i] ?? '(none)'}` +
      ` (golden ${golden.header.length} columns, run ${actual.header.length})`];
  }
  const problems: string[] = [];
  if (golden.rows.length !== actual.rows.length) problems.push(`golden has ${golden.rows.length} rows, the run ${actual.rows.length}`);
  const windowAt = golden.header.indexOf('window');
  const startAt = golden.header.indexOf('window_start');
  golden.rows.forEach((want, r) => {
    const got = actual.rows[r];
    if (got === undefined) return;
    const where = `row ${r + 1} (window ${want[windowAt]} start ${want[startAt]})`;
    if (got[windowAt] !== want[windowAt] || got[startAt] !== want[startAt]) {
      problems.push(`${where}: the run has window ${got[windowAt]} start ${got[startAt]} there`);
      return;
    }
    const rowSteps = steps.rows[`${want[windowAt]} ${want[startAt]}`];
    golden.header.forEach((column, c) => {
      const w = want[c]!;
      const g = got[c]!;
      if (w === g) return;
      if (TEXT_COLUMNS.has(column) || w === '' || g === '') {
        problems.push(`${where} column ${column}: run ${g === '' ? 'null' : g}, golden ${w === '' ? 'null' : w}`);
        return;
      }
      const modeIndex = steps.columns.indexOf(column);
      const { abs, rel } = featureTolerance(column, modeIndex >= 0 && rowSteps ? rowSteps[modeIndex]! : 0);
      const wv = Number(w);
      const gv = Number(g);
      if (!(Math.abs(gv - wv) <= Math.max(abs, rel * Math.max(Math.abs(wv), Math.abs(gv))))) {
        problems.push(`${where} column ${column}: run ${g}, golden ${w} (tolerance ${abs} absolute, ${rel} relative)`);
      }
    });
  });
  return problems;
}

let work: string;
let golden: FeatureCsv;
let steps: ModeSteps;

before(() => {
  work = mkdtempSync(join(tmpdir(), 'gf-e2e-golden-'));
  copyFileSync(join(goldenDir(), 'config.toml'), join(work, 'config.toml'));
  golden = parseFeatureCsv(readFileSync(join(goldenDir(), `run-${DATE}.csv`), 'utf8'), 'golden');
  steps = JSON.parse(readFileSync(join(goldenDir(), `run-${DATE}.mode-steps.json`), 'utf8')) as ModeSteps;
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

test('gammaflow run on the generated day reproduces the golden features file column by column', async () => {
  const generated = await runCli(['generate', '--out', 'day', '--date', DATE, '--seed', String(SEED), '--tickers', String(TICKERS),
    '--spy-trades', String(SPY_TRADES), '--option-trades', String(OPTION_TRADES)], { cwd: work });
  assert.equal(generated.code, 0, generated.stderr);
  const run = await runCli(['run', '--symbol', 'SPY', '--from', DATE, '--source', 'local:day', '--lake', 'lake', '--out', 'run.csv',
    '--windows', WINDOWS, '--no-tui', '--config', 'config.toml'], { cwd: work, timeoutMs: 120_000 });
  assert.equal(run.code, 0, run.stderr);

  const actual = parseFeatureCsv(readFileSync(join(work, 'run.csv'), 'utf8'), 'run');
  assert.equal(golden.rows.length, 390 + 78 + 13, 'the golden file holds every 1m, 5m and 30m window of a regular session');
  const problems = compareWithGolden(golden, actual, steps);
  assert.deepEqual(problems.slice(0, 30), [], `${problems.length} difference(s) from test/fixtures/golden/run-${DATE}.csv`);
});

test('the golden comparison reports a changed value, a null and a shifted mode, naming row, window and column', () => {
  const column = (name: string): number => golden.header.indexOf(name);
  const changed = golden.rows.map((row) => [...row]);
  // A dadvv mean 1e-6 relative off (its tolerance is 1e-7).
  const mean = column('puts_dadvv_mean');
  const r1 = golden.rows.findIndex((row, i) => i >= 100 && row[mean] !== '');
  assert.ok(r1 >= 0, 'the golden file has a non-null value to change');
  changed[r1]![mean] = String(Number(golden.rows[r1]![mean]) * (1 + 1e-6));
  // A non-null median made null.
  const q2 = column('calls_gadvv_q2');
  const r2 = golden.rows.findIndex((row, i) => i >= 200 && row[q2] !== '');
  assert.ok(r2 >= 0, 'the golden file has a non-null value to change');
  changed[r2]![q2] = '';
  // A mode moved by two grid steps.
  const mode = column('underlying_dollar_value_mode');
  const r3 = golden.rows.findIndex((row, i) => i >= 300 && row[mode] !== '');
  assert.ok(r3 >= 0, 'the golden file has a non-null value to change');
  const key = `${golden.rows[r3]![column('window')]} ${golden.rows[r3]![column('window_start')]}`;
  const step = steps.rows[key]![steps.columns.indexOf('underlying_dollar_value_mode')]!;
  assert.ok(step > 0, `the mode of ${key} has a grid step`);
  changed[r3]![mode] = String(Number(golden.rows[r3]![mode]) + 2 * step);
  // Within tolerance: not reported.
  const total = column('underlying_dollar_value_total');
  changed[0]![total] = String(Number(golden.rows[0]![total]) * (1 + 1e-12));

  const problems = compareWithGolden(golden, { header: golden.header, rows: changed }, steps);
  const at = (r: number): string => `row ${r + 1} (window ${golden.rows[r]![column('window')]} start ${golden.rows[r]![column('window_start')]})`;
  assert.equal(problems.length, 3, problems.join('\n'));
  assert.match(problems[0]!, new RegExp(`^${escape(at(r1))} column puts_dadvv_mean: run `));
  assert.match(problems[1]!, new RegExp(`^${escape(at(r2))} column calls_gadvv_q2: run null, golden `));
  assert.match(problems[2]!, new RegExp(`^${escape(at(r3))} column underlying_dollar_value_mode: `));

  assert.match(compareWithGolden(golden, { header: golden.header.slice(1), rows: changed }, steps)[0]!, /^header differs at column 1/);
  assert.match(compareWithGolden(golden, { header: golden.header, rows: changed.slice(0, -1) }, steps)[0]!, /^golden has 481 rows, the run 480$/);
});

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
