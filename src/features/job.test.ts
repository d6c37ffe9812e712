/**
 * The historical features job end to end: generated flat files → ingest → greeks → runFeatures,
 * read back by DuckDB and checked against sums DuckDB computes from the input tables, plus
 * skip / force, --out files equal to the lake rows, and the missing-greeks error.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { featureTolerance, readFeatureFixture, type ReferenceInput, type ReferenceOutput } from '../../test/support/feature-reference.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { duckQuery, lit } from '../../test/support/duckdb.js';
import { NyseCalendar, nyWallClockToUtcNs } from '../calendar/index.js';
import { defaultConfig } from '../config/schema.js';
import { generateDay } from '../demo/generateDay.js';
import { DATASETS, type DatasetSpec } from '../formats/datasets.js';
import { runIngest } from '../ingest/run.js';
import { ProgressTracker } from '../observe/progress.js';
import { optionDerivedColumns, optionTickerNames } from '../options/contract-columns.js';
import { underlyingFilter } from '../formats/filters.js';
import { SIDE_NAMES, type Side } from '../options/aggression.js';
import { AGGRESSION_FEATURE_NAMES, FEATURE_NAMES } from './names.js';
import { AGGRESSION_DIAG_NAMES, DIAG, featureRowColumnNames } from './row.js';
import { FeatureEngine, type FeatureOptionTrade } from './engine.js';
import { windowSpecs } from './windows.js';
import type { UnderlyingTrade } from '../formats/records.js';
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

function withDirs(name: string, body: (root: string, lake: string, t: TestContext) => Promise<void>): (t: TestContext) => Promise<void> {
  return async (t) => {
    const root = mkdtempSync(join(tmpdir(), `gf-${name}-src-`));
    const lake = mkdtempSync(join(tmpdir(), `gf-${name}-lake-`));
    try { await body(root, lake, t); } finally {
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
    FROM read_parquet(${lit(join(lake, 'options-greeks', 'symbol=SPY', '*', '*.parquet'))})
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

  // Another policy refuses to mix rows into these partitions and names what differs; --force replaces them.
  const before = await duckQuery(`SELECT count(*) AS n, min(quality) AS q, max(quality) AS q2, min(source) AS s FROM read_parquet(${featuresGlob})`);
  assert.deepEqual(before, [{ n: 468n, q: 'final', q2: 'final', s: 'flatfile' }]);
  const otherConfig = { ...defaultConfig(), aggregations: { ...defaultConfig().aggregations, contract_size: 10, max_underlying_staleness: '30s' } };
  const refused = await runFeatures(request(lake, { config: otherConfig }));
  assert.equal(refused.exitCode, 1);
  assert.equal(refused.outcomes[0]!.state, 'failed');
  assert.match(refused.outcomes[0]!.message!, /differ in contract_size: 100 → 10; max_underlying_staleness_ms: 60000 → 30000; rerun with --force/);
  const replaced = await runFeatures(request(lake, { config: otherConfig, force: true }));
  assert.equal(replaced.outcomes[0]!.state, 'computed');
  const back = await runFeatures(request(lake, { force: true }));
  assert.equal(back.outcomes[0]!.state, 'computed');

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

/** A generated day with option quotes, ingested (quotes with --underlyings SPY) and through greeks. */
async function prepareQuotedDay(root: string, lake: string, date: string, quotes: boolean, seed: number): Promise<string> {
  const day = await generateDay(root, {
    date, seed, tickers: 4, spyTrades: 4000, otherTradesPerTicker: 20,
    options: { trades: 2000, expiries: 3, strikesPerSide: 6, quotes },
  });
  const common = {
    days: [date], lake, source: new LocalSource(root), force: false, concurrentFiles: 2, batchRows: 8192, rowGroupRows: 8192,
    fileSizeTargetBytes: 64 << 20, zstdLevel: 1, useWorkerWriter: false, expectedPublishMs: () => 0, tracker: new ProgressTracker(), version: 'test',
    derivedFor: (d: DatasetSpec) => (d.filterKind === 'underlyings' ? optionDerivedColumns() : undefined),
  };
  const trades = await runIngest({ ...common, datasets: [DATASETS['stocks-trades'], DATASETS['options-trades']] });
  assert.equal(trades.exitCode, 0, JSON.stringify(trades.outcomes));
  if (quotes) {
    const q = await runIngest({ ...common, datasets: [DATASETS['options-quotes']], filterFor: () => underlyingFilter(['SPY'], optionTickerNames) });
    assert.equal(q.exitCode, 0, JSON.stringify(q.outcomes));
  }
  const g = await runGreeks({ lake, symbol: 'SPY', days: [date], config: defaultConfig(), tracker: new ProgressTracker(), useWorkerWriter: false, duckdbMemoryLimit: '128MB' });
  assert.equal(g.exitCode, 0, JSON.stringify(g.outcomes));
  return day.truthPath!;
}

test('ingest with quotes → greeks → features: 68 aggression columns after the 81; sides match the truth; per-window sums match DuckDB over the greeks table', withDirs('aggr', async (root, lake, t) => {
  const truthPath = await prepareQuotedDay(root, lake, DATE, true, 21);
  const tracker = new ProgressTracker();
  const result = await runFeatures(request(lake, { tracker }));
  assert.equal(result.exitCode, 0, JSON.stringify(result.outcomes));
  assert.equal(result.aggression, true);
  const day = result.outcomes[0]!;
  const sides = day.aggression!;
  assert.equal(sides.buys + sides.sells + sides.unclassified, day.optionTrades);
  assert.ok(tracker.snapshot().logs.some((l) => /aggression .* classified/.test(l.message)));

  // Accuracy of the classified trades against the generator's truth.
  const truth = new Map<string, string>();
  for (const line of readFileSync(truthPath, 'utf8').trim().split('\n').slice(1)) { const f = line.split(','); truth.set(`${f[0]}@${f[1]}`, f[8]!); }
  const greeksGlob = lit(join(lake, 'options-greeks', 'symbol=SPY', '*', '*.parquet'));
  const trades = await duckQuery(`SELECT ticker, sip_timestamp, side FROM read_parquet(${greeksGlob})`);
  const classified = trades.filter((r) => r.side !== 0);
  const correct = classified.filter((r) => SIDE_NAMES[r.side as Side] === truth.get(`${r.ticker}@${r.sip_timestamp}`)).length;
  t.diagnostic(`${trades.length} option trades, ${classified.length} classified, ${correct} correct (${(100 * correct / classified.length).toFixed(2)} %), `
    + `unclassified ${(100 * sides.unclassified / trades.length).toFixed(2)} % ${JSON.stringify(sides.unclassifiedByReason)}`);
  assert.ok(correct / classified.length >= 0.99, `${correct}/${classified.length}`);
  assert.ok(sides.unclassified / trades.length < 0.2);

  // Column layout: keys, the 81, the 68, then diagnostics ending with the aggression ones, then the provenance.
  const featuresGlob = lit(join(lake, 'features', '*', '*', '*', '*.parquet'));
  const columns = (await duckQuery(`SELECT column_name FROM (DESCRIBE SELECT * FROM read_parquet(${featuresGlob}, hive_partitioning = false))`)).map((c) => c.column_name as string);
  const first = columns.indexOf(FEATURE_NAMES[0]);
  assert.deepEqual(columns.slice(first, first + 149), [...FEATURE_NAMES, ...AGGRESSION_FEATURE_NAMES]);
  assert.deepEqual(columns.slice(-5), [...AGGRESSION_DIAG_NAMES, 'quality', 'source']);

  // Per 1-minute window: counts and totals of the sided sets against DuckDB over the greeks table.
  const open = nyWallClockToUtcNs(DATE, 9, 30), close = nyWallClockToUtcNs(DATE, 16, 0);
  const rows = await duckQuery(`SELECT window_start, diag_aggressive_buys AS buys, diag_aggressive_sells AS sells, diag_unclassified AS unc,
      calls_dadvv_agg_buy_total AS cb, calls_dadvv_agg_sell_total AS cs, puts_dadvv_agg_buy_total AS pb, puts_dadvv_agg_sell_total AS ps,
      puts_dadvv_agg_sell_maximum AS psmax
    FROM read_parquet(${featuresGlob}, hive_partitioning = true) WHERE "window" = '1m' ORDER BY window_start`);
  const expected = await duckQuery(`SELECT ${open} + (sip_timestamp - ${open}) // 60000000000 * 60000000000 AS window_start,
      count(*) FILTER (WHERE side = 1) AS buys, count(*) FILTER (WHERE side = -1) AS sells, count(*) FILTER (WHERE side = 0) AS unc,
      coalesce(sum(dadvv) FILTER (WHERE "right" = 'C' AND side = 1 AND greeks_flag = 0), 0) AS cb,
      coalesce(sum(dadvv) FILTER (WHERE "right" = 'C' AND side = -1 AND greeks_flag = 0), 0) AS cs,
      coalesce(sum(dadvv) FILTER (WHERE "right" = 'P' AND side = 1 AND greeks_flag = 0), 0) AS pb,
      coalesce(sum(dadvv) FILTER (WHERE "right" = 'P' AND side = -1 AND greeks_flag = 0), 0) AS ps,
      max(dadvv) FILTER (WHERE "right" = 'P' AND side = -1 AND greeks_flag = 0) AS psmax
    FROM read_parquet(${greeksGlob}) WHERE eligible AND sip_timestamp >= ${open} AND sip_timestamp < ${close} GROUP BY ALL`);
  const byStart = new Map(expected.map((e) => [e.window_start as bigint, e]));
  let sided = 0;
  for (const r of rows) {
    const e = byStart.get(r.window_start as bigint);
    if (e === undefined) { assert.equal(r.buys, 0); assert.equal(r.sells, 0); continue; }
    assert.equal(BigInt(r.buys as number), e.buys); assert.equal(BigInt(r.sells as number), e.sells); assert.equal(BigInt(r.unc as number), e.unc);
    for (const k of ['cb', 'cs', 'pb', 'ps'] as const) assert.ok(near(r[k] as number, e[k] as number), `${r.window_start} ${k}: ${r[k]} vs ${e[k]}`);
    assert.equal(r.psmax, e.psmax);
    sided += Number(e.buys) + Number(e.sells);
  }
  assert.ok(sided > 1000, `${sided} sided eligible trades`);

  // One file: the 149 feature columns too.
  const out = join(root, 'spy.csv');
  const toFile = await runFeatures(request(lake, { out }));
  assert.equal(toFile.exitCode, 0);
  const header = readFileSync(out, 'utf8').split('\n', 1)[0]!.split(',');
  assert.deepEqual(header, featureRowColumnNames(true));
}));

test('days that disagree on aggression fail the run before computing; aggression = false gives the 81 columns for both', withDirs('aggrmix', async (root, lake) => {
  const NEXT = '2025-11-10';
  await prepareQuotedDay(root, lake, DATE, true, 22);
  await prepareQuotedDay(root, lake, NEXT, false, 23);
  const mixed = await runFeatures(request(lake, { days: [DATE, NEXT] }));
  assert.equal(mixed.exitCode, 1);
  assert.equal(mixed.rowsWritten, 0);
  assert.ok(mixed.outcomes.every((o) => o.state === 'failed'));
  assert.match(mixed.outcomes[0]!.message!, /with trade sides 2025-11-07; without 2025-11-10/);
  const config = { ...defaultConfig(), aggregations: { ...defaultConfig().aggregations, aggression: false } };
  const plain = await runFeatures(request(lake, { days: [DATE, NEXT], config }));
  assert.equal(plain.exitCode, 0, JSON.stringify(plain.outcomes));
  assert.equal(plain.aggression, false);
  const columns = (await duckQuery(`SELECT column_name FROM (DESCRIBE SELECT * FROM read_parquet(${lit(join(lake, 'features', '*', '*', '*', '*.parquet'))}, hive_partitioning = false))`)).map((c) => c.column_name);
  assert.ok(!columns.includes('calls_dadvv_agg_buy_total') && !columns.includes('diag_unclassified'));
}));

// ------------------------------------------- the 68 columns against an independent reference


test('the 68 aggression columns and side diagnostics of a half day match the numpy/scipy/R reference (make_aggression_reference.py)', () => {
  const input = readFeatureFixture<ReferenceInput>('input.json');
  const { sides } = readFeatureFixture<{ sides: string }>('aggression-input.json');
  const reference = readFeatureFixture<ReferenceOutput>('aggression-reference.json');
  assert.deepEqual([...reference.columns].sort(), [...AGGRESSION_FEATURE_NAMES].sort(), 'the reference covers the 68 columns');
  const e = new FeatureEngine({
    symbol: 'SPY', windows: windowSpecs(input.windows), session: 'regular', calendar: new NyseCalendar(), contractSize: input.contract_size,
    aggression: true,
    underlyingRules: {
      excludeConditionsHighLow: input.exclude_conditions_high_low, excludeConditionsOpenClose: input.exclude_conditions_open_close,
      excludeConditionsVolume: input.exclude_conditions_volume, includeCorrections: input.include_corrections,
    },
  });
  const st = input.stocks, op = input.options;
  assert.equal(sides.length, op.t.length);
  const stocks: UnderlyingTrade[] = st.t.map((t, i) => ({
    sipTimestampNs: BigInt(t), sequence: st.seq[i]!, price: st.price[i]!, size: st.size[i]!, conditions: st.conditions[i]!, correction: st.correction[i]!,
  }));
  const options: FeatureOptionTrade[] = op.t.map((t, i) => {
    const right = op.right[i] as 'C' | 'P';
    const S = op.S[i] ?? NaN, strike = op.strike[i]!;
    return {
      sipTimestampNs: BigInt(t), sequence: op.seq[i]!, right, price: op.price[i]!, size: op.size[i]!, eligible: op.eligible[i] === 1,
      underlyingPrice: S, intrinsic: Number.isNaN(S) ? NaN : right === 'C' ? Math.max(S - strike, 0) : Math.max(strike - S, 0),
      greeksFlag: op.flag[i] as FeatureOptionTrade['greeksFlag'], dadvv: op.dadvv[i] ?? NaN, gadvv: op.gadvv[i] ?? NaN,
    };
  });
  const sideOf = (i: number) => (sides[i] === 'B' ? 'buy' : sides[i] === 'S' ? 'sell' : undefined);
  let u = 0, o = 0;
  while (u < stocks.length || o < options.length) {
    if (o >= options.length || (u < stocks.length && stocks[u]!.sipTimestampNs <= options[o]!.sipTimestampNs)) e.onUnderlyingTrade(stocks[u++]!);
    else { e.onOptionTrade(options[o]!, sideOf(o)); o++; }
  }
  const rows = e.finish();
  assert.equal(rows.length, reference.rows.length);
  let compared = 0;
  for (const [window, start, end, values, modeSteps, diags] of reference.rows) {
    const row = rows.find((r) => r.windowStartNs === BigInt(start) && r.window === window);
    assert.ok(row, `${window} ${start}`);
    assert.equal(row.windowEndNs, BigInt(end));
    assert.equal(row.features.length, 149);
    reference.columns.forEach((column, c) => {
      const want = values[c]!;
      const got = row.features[81 + AGGRESSION_FEATURE_NAMES.indexOf(column as (typeof AGGRESSION_FEATURE_NAMES)[number])]!;
      const where = `${window} ${start} ${column}`;
      if (want === null) { assert.ok(Number.isNaN(got), `${where}: expected null, got ${got}`); return; }
      const modeIndex = reference.mode_columns.indexOf(column);
      const { abs, rel } = featureTolerance(column, modeIndex >= 0 ? modeSteps[modeIndex] : undefined);
      assert.ok(Math.abs(got - want) <= Math.max(abs, rel * Math.max(Math.abs(want), Math.abs(got))), `${where}: got ${got}, reference ${want}`);
      compared++;
    });
    reference.diag_columns.forEach((name, d) => assert.equal(row.diagnostics[DIAG[name as keyof typeof DIAG]], diags[d], `${window} ${start} ${name}`));
  }
  assert.ok(compared > 2000, `${compared} non-null values compared`);
});
