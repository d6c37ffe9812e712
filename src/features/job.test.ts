/**
 * The historical features job end to end: generated flat files → ingest → greeks → runFeatures,
 * read back by DuckDB and checked against sums DuckDB computes from the input tables, plus
 * skip / force, --out files equal to the lake rows, and the missing-greeks error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { duckQuery, lit } from '../../test/support/duckdb.js';
import { nyWallClockToUtcNs } from '../calendar/index.js';
import { defaultConfig } from '../config/schema.js';
import { generateDay } from '../demo/generateDay.js';
import { DATASETS, type DatasetSpec } from '../formats/datasets.js';
import { runIngest } from '../ingest/run.js';
import { ProgressTracker } from '../observe/progress.js';
import { optionDerivedColumns } from '../options/contract-columns.js';
import { runGreeks } from '../options/greeks-job.js';
import { LocalSource } from '../sources/local.js';
import { runFeatures, type FeaturesRequest } from './job.js';

const DATE = '2025-11-07';

async function prepareLake(root: string, lake: string, greeks: boolean): Promise<void> {
  await generateDay(root, {
    date: DATE, seed: 5, tickers: 4, spyTrades: 6000, otherTradesPerTicker: 20,
    options: { trades: 2000, expiries: 3, strikesPerSide: 6, quotes: false },
  });
  const ingest = await runIngest({
    datasets: [DATASETS['stocks-trades'], DATASETS['options-trades']], days: [DATE], lake, source: new LocalSource(root), force: false,
    concurrentFiles: 2, batchRows: 8192, rowGroupRows: 8192, fileSizeTargetBytes: 64 << 20, zstdLevel: 1, useWorkerWriter: false,
    derivedFor: (d: DatasetSpec) => (d.filterKind === 'underlyings' ? optionDerivedColumns() : undefined),
    expectedPublishMs: () => 0, tracker: new ProgressTracker(), version: 'test',
  });
  assert.equal(ingest.exitCode, 0, JSON.stringify(ingest.outcomes));
  if (!greeks) return;
  const g = await runGreeks({ lake, symbol: 'SPY', days: [DATE], config: defaultConfig(), tracker: new ProgressTracker(), useWorkerWriter: false, duckdbMemoryLimit: '128MB' });
  assert.equal(g.exitCode, 0, JSON.stringify(g.outcomes));
}

function request(lake: string, over: Partial<FeaturesRequest> = {}): FeaturesRequest {
  return { lake, symbol: 'SPY', days: [DATE], config: defaultConfig(), windows: ['1m', '5m'], tracker: new ProgressTracker(), duckdbMemoryLimit: '128MB', ...over };
}

function withDirs(name: string, body: (root: string, lake: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const root = mkdtempSync(join(tmpdir(), `gf-${name}-src-`));
    const lake = mkdtempSync(join(tmpdir(), `gf-${name}-lake-`));
    try { await body(root, lake); } finally {
      rmSync(root, { recursive: true, force: true });
      rmSync(lake, { recursive: true, force: true });
    }
  };
}

const near = (a: number, b: number, rel = 1e-9): boolean => Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b), 1);

test('ingest → greeks → features: full grids in the lake whose totals match the input tables; reruns skip; --out equals the lake', withDirs('features', async (root, lake) => {
  await prepareLake(root, lake, true);
  const result = await runFeatures(request(lake));
  assert.equal(result.exitCode, 0, JSON.stringify(result.outcomes));
  assert.equal(result.outcomes[0]!.state, 'computed');
  assert.equal(result.rowsWritten, 390 + 78);

  const featuresGlob = lit(join(lake, 'features', '*', '*', '*', '*.parquet'));
  const counts = await duckQuery(`SELECT "window", count(*) AS n, min(window_start) AS first, sum(diag_priced) AS priced,
      sum(underlying_dollar_value_total) AS dollars, sum(calls_dollar_value) AS calls, sum(puts_dadvv_total) AS puts_dadvv,
      sum(diag_underlying_trades) AS trades
    FROM read_parquet(${featuresGlob}, hive_partitioning = true) GROUP BY "window" ORDER BY "window"`);
  assert.deepEqual(counts.map((r) => [r.window, r.n]), [['1m', 390n], ['5m', 78n]]);
  for (const r of counts) assert.equal(r.first, nyWallClockToUtcNs(DATE, 9, 30));

  // Independent sums over the input tables, in session, with the default condition rules.
  const open = nyWallClockToUtcNs(DATE, 9, 30), close = nyWallClockToUtcNs(DATE, 16, 0);
  const [stocks] = await duckQuery(`SELECT sum(price * size) FILTER (WHERE NOT list_has_any(conditions, [15, 16, 38])) AS dollars, count(*) AS trades
    FROM read_parquet(${lit(join(lake, 'stocks-trades', '*', '*.parquet'))})
    WHERE ticker = 'SPY' AND sip_timestamp >= ${open} AND sip_timestamp < ${close} AND coalesce(correction, 0) = 0`);
  const [options] = await duckQuery(`SELECT sum(price * size * 100) FILTER (WHERE "right" = 'C') AS calls,
      sum(dadvv) FILTER (WHERE "right" = 'P' AND greeks_flag = 0) AS puts_dadvv, count(*) FILTER (WHERE greeks_flag = 0) AS priced
    FROM read_parquet(${lit(join(lake, 'options-greeks', '*', '*.parquet'))})
    WHERE eligible AND underlying = 'SPY' AND sip_timestamp >= ${open} AND sip_timestamp < ${close}`);
  assert.ok((options!.priced as bigint) > 1000n, 'the day has priced option trades');
  for (const r of counts) {
    assert.ok(near(r.dollars as number, stocks!.dollars as number), `${r.window} dollars ${r.dollars} vs ${stocks!.dollars}`);
    assert.ok(near(r.calls as number, options!.calls as number), `${r.window} calls ${r.calls} vs ${options!.calls}`);
    assert.ok(near(r.puts_dadvv as number, options!.puts_dadvv as number), `${r.window} puts dadvv`);
    assert.equal(r.priced, options!.priced);
    assert.equal(r.trades, stocks!.trades);
  }

  // A rerun with the same inputs skips; --force recomputes.
  const again = await runFeatures(request(lake));
  assert.equal(again.outcomes[0]!.state, 'skipped');
  const forced = await runFeatures(request(lake, { force: true }));
  assert.equal(forced.outcomes[0]!.state, 'computed');

  // One file: the same rows as the lake, whatever the format.
  const out = join(root, 'spy.jsonl');
  const toFile = await runFeatures(request(lake, { out }));
  assert.equal(toFile.exitCode, 0);
  const lines = readFileSync(out, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(lines.length, 468);
  const lakeRows = await duckQuery(`SELECT "window", underlying_price_close, calls_gadvv_q2, puts_dadvv_dip_pval
    FROM read_parquet(${featuresGlob}, hive_partitioning = true) ORDER BY "window", window_start`);
  assert.deepEqual(lines.map((l) => [l.window, l.underlying_price_close, l.calls_gadvv_q2, l.puts_dadvv_dip_pval]),
    lakeRows.map((l) => [l.window, l.underlying_price_close, l.calls_gadvv_q2, l.puts_dadvv_dip_pval]));
}));

test('features without an options-greeks partition fail with a hint to run gammaflow greeks', withDirs('nogreeks', async (root, lake) => {
  await prepareLake(root, lake, false);
  const tracker = new ProgressTracker();
  const result = await runFeatures(request(lake, { tracker }));
  assert.equal(result.exitCode, 1);
  assert.equal(result.outcomes[0]!.state, 'missing_input');
  assert.match(result.outcomes[0]!.message!, /gammaflow greeks --symbol SPY --from 2025-11-07 --to 2025-11-07/);
  assert.equal(result.rowsWritten, 0);
}));
