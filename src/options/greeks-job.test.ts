/**
 * The greeks job end to end: flat files → ingest → runGreeks → LAKE/options-greeks read back by
 * DuckDB. One demo day checks the as-of join and IV against the generator's truth; a hand-written
 * day checks every flag at its boundary; plus skip / recompute and missing-input behaviour.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runIngest } from '../ingest/run.js';
import { DATASETS, objectKey, type DatasetSpec } from '../formats/datasets.js';
import { LocalSource } from '../sources/local.js';
import { ProgressTracker } from '../observe/progress.js';
import { optionDerivedColumns, optionTickerNames } from './contract-columns.js';
import { tickerFilter, underlyingFilter } from '../formats/filters.js';
import { generateDay } from '../demo/generateDay.js';
import { defaultConfig, type Config } from '../config/schema.js';
import { duckQuery, lit } from '../../test/support/duckdb.js';
import { writeGz } from '../../test/support/gz.js';
import { GREEKS_COLUMNS, GREEKS_FLAG_NAMES, GREEKS_SCHEMA_VERSION, greeksColumns, runGreeks, type GreeksRequest } from './greeks-job.js';
import { AGGRESSION_COLUMNS, SIDE_NAMES, SIDE_REASON_NAMES, type Side } from './aggression.js';
import { GreeksFlag } from '../formats/records.js';
import { impliedVolatility } from './pricing/iv.js';
import { bsmVega } from './pricing/bsm.js';

const DATE = '2025-11-07';
const STOCKS = [DATASETS['stocks-trades'], DATASETS['options-trades']];

async function ingest(root: string, lake: string, date: string, over: { force?: boolean; stocksTickers?: string[] } = {}): Promise<void> {
  const r = await runIngest({
    datasets: STOCKS, days: [date], lake, source: new LocalSource(root), force: over.force ?? false,
    concurrentFiles: 2, batchRows: 8192, rowGroupRows: 8192, fileSizeTargetBytes: 64 << 20, zstdLevel: 1, useWorkerWriter: false,
    derivedFor: (d: DatasetSpec) => (d.filterKind === 'underlyings' ? optionDerivedColumns() : undefined),
    ...(over.stocksTickers ? { filterFor: (d: DatasetSpec) => (d.filterKind === 'tickers' ? tickerFilter(over.stocksTickers!) : undefined) } : {}),
    expectedPublishMs: () => 0, tracker: new ProgressTracker(), version: 'test',
  });
  assert.equal(r.exitCode, 0, JSON.stringify(r.outcomes));
}

function greeksRequest(lake: string, over: Partial<GreeksRequest> = {}): GreeksRequest {
  return {
    lake, symbol: 'SPY', days: [DATE], config: defaultConfig(), tracker: new ProgressTracker(),
    useWorkerWriter: false, duckdbMemoryLimit: '128MB', version: 'test', ...over,
  };
}

const greeksGlob = (lake: string) => lit(join(lake, 'options-greeks', 'symbol=SPY', '*', '*.parquet'));

function withDirs(name: string, body: (root: string, lake: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const root = mkdtempSync(join(tmpdir(), `gf-${name}-src-`));
    const lake = mkdtempSync(join(tmpdir(), `gf-${name}-lake-`));
    try {
      await body(root, lake);
    } finally {
      rmSync(root, { recursive: true, force: true });
      rmSync(lake, { recursive: true, force: true });
    }
  };
}

interface TruthRow { sigma: number; S: number; sTs: bigint; T: number; model: number; price: number }

function readTruth(path: string): Map<string, TruthRow> {
  const [header, ...lines] = readFileSync(path, 'utf8').trim().split('\n');
  assert.equal(header, 'ticker,sip_timestamp,sigma,underlying_price,underlying_sip_timestamp,time_to_expiry_years,model_price,price,side');
  const out = new Map<string, TruthRow>();
  for (const line of lines) {
    const f = line.split(',');
    out.set(`${f[0]}@${f[1]}`, { sigma: Number(f[2]), S: Number(f[3]), sTs: BigInt(f[4]!), T: Number(f[5]), model: Number(f[6]), price: Number(f[7]) });
  }
  return out;
}

test('demo day → ingest → greeks: the as-of join and IV recover the generating σ; DuckDB reads the table', withDirs('demo', async (root, lake) => {
  const day = await generateDay(root, {
    date: DATE, seed: 11, tickers: 6, spyTrades: 20_000, otherTradesPerTicker: 30,
    options: { trades: 3000, expiries: 4, strikesPerSide: 8, quotes: false },
  });
  await ingest(root, lake, DATE);
  const tracker = new ProgressTracker();
  const result = await runGreeks(greeksRequest(lake, { tracker, useWorkerWriter: true }));
  assert.equal(result.exitCode, 0, JSON.stringify(result.outcomes));
  const outcome = result.outcomes[0]!;
  assert.equal(outcome.state, 'computed');
  assert.equal(tracker.snapshot().totals.rowsWritten, outcome.rows);

  const truth = readTruth(day.truthPath!);
  const spyTruth = [...truth.keys()].filter((k) => k.startsWith('O:SPY'));
  const rows = await duckQuery(`SELECT * FROM read_parquet(${greeksGlob(lake)}) ORDER BY sip_timestamp, sequence`);
  assert.equal(rows.length, spyTruth.length, 'every SPY (and SPY1) option trade, no QQQ');
  assert.equal(outcome.rows, rows.length);
  const r = 0.04, q = 0;
  let priced = 0, unrecoverable = 0, worstModelIvError = 0, worstBoundRatio = 0;
  let previous = -1n;
  for (const row of rows) {
    const ts = row.sip_timestamp as bigint;
    assert.ok(ts >= previous, 'time order');
    previous = ts;
    const t = truth.get(`${row.ticker}@${ts}`);
    assert.ok(t, `no truth for ${row.ticker} at ${ts}`);
    assert.equal(row.price, t.price);
    // The as-of join picks exactly the generator's underlying print, T matches its clock.
    assert.equal(row.underlying_price, t.S, `S of ${row.ticker} at ${ts}`);
    assert.equal(row.underlying_sip_timestamp, t.sTs);
    assert.ok(Math.abs((row.t_years as number) - t.T) <= 1e-15 * t.T, `T ${row.t_years} vs ${t.T}`);
    const eligible = row.eligible as boolean;
    const conditions = row.conditions as number[];
    assert.equal(eligible, !(row.adjusted as boolean) && row.correction === 0 && !conditions.some((c) => [201, 203, 205, 207, 247].includes(c)));
    if (!eligible) {
      assert.equal(row.greeks_flag, GreeksFlag.Ineligible);
      assert.equal(row.iv, null);
      continue;
    }
    assert.equal(row.greeks_flag, GreeksFlag.Ok, `flag of ${row.ticker} at ${ts} (price ${t.price}, model ${t.model})`);
    priced++;
    const K = row.strike as number, right = row.right as 'C' | 'P', T = row.t_years as number, S = row.underlying_price as number;
    // The unrounded model price with our S and T gives back σ to 1e-8, up to what the price itself
    // can carry: a double model price is good to a few ulps of max(S, K) (bsmPrice's own rounding,
    // the lower bound's cancellation), which moves σ by that over vega. Deep in-the-money puts
    // minutes before expiry have a time value below that noise: no σ is recoverable from them.
    const fromModel = impliedVolatility(t.model, right, S, K, T, r, q);
    const priceNoise = 8 * Number.EPSILON * Math.max(S, K);
    const vegaAtSigma = bsmVega(right, S, K, T, r, q, t.sigma);
    if (Number.isNaN(fromModel)) {
      const lower = Math.max(right === 'C' ? S - K * Math.exp(-r * T) : K * Math.exp(-r * T) - S, 0);
      assert.ok(t.model - lower <= priceNoise, `no IV from the model price ${t.model} of ${row.ticker} at ${ts}`);
      unrecoverable++;
    } else {
      assert.ok(Math.abs(fromModel - t.sigma) <= 1e-8 + priceNoise / vegaAtSigma, `IV from the model price ${fromModel} vs σ ${t.sigma}`);
      if (priceNoise / vegaAtSigma < 1e-10) worstModelIvError = Math.max(worstModelIvError, Math.abs(fromModel - t.sigma));
    }
    // The printed price is the model price rounded to the cent (or nudged a cent off the lower bound):
    // |σ̂ − σ| = |price − model| / vega(ξ) for some ξ between them, and vega is unimodal in σ, so
    // |σ̂ − σ| ≤ |price − model| / min(vega(σ), vega(σ̂)).
    const iv = row.iv as number;
    const vega = Math.min(bsmVega(right, S, K, T, r, q, t.sigma), bsmVega(right, S, K, T, r, q, iv));
    const bound = Math.abs(t.price - t.model) / vega;
    worstBoundRatio = Math.max(worstBoundRatio, (Math.abs(iv - t.sigma) - 1e-12) / bound);
    assert.ok(Math.abs(iv - t.sigma) <= bound * (1 + 1e-9) + 1e-12, `iv ${iv} vs σ ${t.sigma}, bound ${bound}`);
    assert.ok((row.dadvv as number) > 0 && (row.gadvv as number) >= 0);
  }
  assert.ok(worstModelIvError <= 1e-8, `IV from the model price off by ${worstModelIvError} on well-conditioned trades`);
  assert.ok(unrecoverable < 0.05 * priced, `${unrecoverable} trades without a recoverable σ`);
  assert.ok(priced > 0.9 * rows.length, `${priced} of ${rows.length} priced`);
  assert.ok(worstBoundRatio <= 1, `bound ratio ${worstBoundRatio}`);
  assert.equal(outcome.flags!.ok, priced);

  const types = await duckQuery(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(${greeksGlob(lake)}, hive_partitioning = false))`);
  assert.deepEqual(types.map((c) => c.column_name), GREEKS_COLUMNS.map((c) => c.name));
  const typeOf = Object.fromEntries(types.map((c) => [c.column_name, c.column_type]));
  assert.equal(typeOf.greeks_flag, 'INTEGER');
  assert.equal(typeOf.expiry, 'DATE');
  assert.equal(typeOf.underlying_sip_timestamp, 'BIGINT');
  assert.equal(typeOf.eligible, 'BOOLEAN');
  const kv = await duckQuery(`SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata(${greeksGlob(lake)})`);
  const meta = Object.fromEntries(kv.map((x) => [x.k, x.v]));
  assert.equal(meta['gammaflow.schema_version'], String(GREEKS_SCHEMA_VERSION));
  // No options-quotes partition: computed without the side columns, and the outcome says why.
  assert.equal(meta['gammaflow.aggression'], 'off');
  assert.equal(outcome.aggression, undefined);
  assert.match(outcome.aggressionOff!, /no options-quotes partition .*--dataset options-quotes --underlyings SPY/);
  assert.equal(meta['gammaflow.symbol'], 'SPY');

  // Rerun: up to date. A parameter change or --force recomputes.
  assert.equal((await runGreeks(greeksRequest(lake))).outcomes[0]!.state, 'skipped');
  const config: Config = { ...defaultConfig(), aggregations: { ...defaultConfig().aggregations, risk_free_rate: 0.05 } };
  assert.equal((await runGreeks(greeksRequest(lake, { config }))).outcomes[0]!.state, 'computed');
  assert.equal((await runGreeks(greeksRequest(lake, { config }))).outcomes[0]!.state, 'skipped');
  assert.equal((await runGreeks(greeksRequest(lake, { config, force: true }))).outcomes[0]!.state, 'computed');
  const count = await duckQuery(`SELECT count(*) AS n FROM read_parquet(${greeksGlob(lake)})`);
  assert.equal(count[0]!.n, BigInt(rows.length), 'a recompute replaces the day');

  // Another symbol of the same day lands beside SPY's (options-greeks/symbol=S/date=D), which stays up to date.
  const qqq = await runGreeks(greeksRequest(lake, { symbol: 'QQQ', config }));
  assert.equal(qqq.outcomes[0]!.state, 'computed', JSON.stringify(qqq.outcomes));
  const bySymbol = await duckQuery(`SELECT symbol, count(*) AS n, count(*) FILTER (underlying <> symbol) AS foreign
    FROM read_parquet(${lit(join(lake, 'options-greeks', '*', '*', '*.parquet'))}, hive_partitioning = true) GROUP BY symbol ORDER BY symbol`);
  assert.deepEqual(bySymbol, [
    { symbol: 'QQQ', n: BigInt(qqq.outcomes[0]!.rows!), foreign: 0n },
    { symbol: 'SPY', n: BigInt(rows.length), foreign: 0n },
  ]);
  assert.ok(qqq.outcomes[0]!.rows! > 0);
  assert.equal((await runGreeks(greeksRequest(lake, { config }))).outcomes[0]!.state, 'skipped');
}));

const NS = (hms: string, extraNs = 0n): bigint => {
  const [h, m, s] = hms.split(':').map(Number);
  // 2025-11-07 is EST: New York = UTC − 5 h.
  return BigInt(Date.UTC(2025, 10, 7, h! + 5, m!, s!)) * 1_000_000n + extraNs;
};
const STOCK_HEADER = 'ticker,conditions,correction,exchange,id,participant_timestamp,price,sequence_number,sip_timestamp,size,tape,trf_id,trf_timestamp';
const OPTION_HEADER = 'ticker,conditions,correction,exchange,participant_timestamp,price,sip_timestamp,size';

function handDay(root: string, spyPrice = 680): void {
  const stocks = [
    `QQQ,,,4,1,,600,1,${NS('09:29:00')},100,3,,0`,
    `SPY,,,4,2,,${spyPrice},2,${NS('09:30:00')},100,1,,0`,
    `SPY,37,,4,3,,${spyPrice + 5},3,${NS('09:30:30')},5,1,,0`,
    `SPY,,,4,4,,${spyPrice + 1},4,${NS('09:33:00')},100,1,,0`,
  ];
  const C680 = 'O:SPY251107C00680000', C670 = 'O:SPY251107C00670000', X = 'O:SPY251106C00680000';
  // File order: by ticker, then time.
  const options = [
    `${X},209,,302,,1.0,${NS('09:33:00')},1`,
    `${C670},209,,302,,5.0,${NS('09:33:00')},1`,
    `${C680},209,,302,,1.5,${NS('09:29:00')},1`,
    `${C680},209,,302,,1.5,${NS('09:30:00')},2`,
    `${C680},209,,302,,1.5,${NS('09:31:00')},3`,
    `${C680},209,,302,,1.5,${NS('09:31:00', 1n)},4`,
    `${C680},209,,302,,1.5,${NS('09:32:59')},5`,
    `${C680},209,,302,,1.5,${NS('09:33:00')},6`,
    `${C680},201,1,302,,1.5,${NS('09:33:00')},7`,
  ];
  writeGz(root, objectKey(DATASETS['stocks-trades'], DATE), [STOCK_HEADER, ...stocks].join('\n') + '\n');
  writeGz(root, objectKey(DATASETS['options-trades'], DATE), [OPTION_HEADER, ...options].join('\n') + '\n');
}

test('flags at their boundaries: no underlying, same-instant print, inclusive staleness, ineligible print, expired, below intrinsic', withDirs('flags', async (root, lake) => {
  handDay(root);
  await ingest(root, lake, DATE);
  const result = await runGreeks(greeksRequest(lake));
  assert.equal(result.exitCode, 0, JSON.stringify(result.outcomes));
  const rows = await duckQuery(`SELECT ticker, size, sip_timestamp, underlying_price, underlying_sip_timestamp, intrinsic, iv, greeks_flag, eligible
    FROM read_parquet(${greeksGlob(lake)}) ORDER BY sip_timestamp, sequence`);
  const view = rows.map((r) => [r.ticker, r.size, GREEKS_FLAG_NAMES[r.greeks_flag as number], r.underlying_price]);
  assert.deepEqual(view, [
    ['O:SPY251107C00680000', 1, 'no_underlying', null],
    ['O:SPY251107C00680000', 2, 'ok', 680], // same instant as the first SPY print: underlying first
    ['O:SPY251107C00680000', 3, 'ok', 680], // exactly 60 s old: inclusive bound
    ['O:SPY251107C00680000', 4, 'stale_underlying', null],
    ['O:SPY251107C00680000', 5, 'stale_underlying', null], // the 09:30:30 odd lot does not refresh S
    ['O:SPY251106C00680000', 1, 'expired', 681], // file order at equal time: ticker order
    ['O:SPY251107C00670000', 1, 'below_intrinsic', 681],
    ['O:SPY251107C00680000', 6, 'ok', 681],
    ['O:SPY251107C00680000', 7, 'ineligible', 681],
  ]);
  assert.equal(rows[1]!.underlying_sip_timestamp, NS('09:30:00'));
  assert.equal(rows[0]!.intrinsic, null);
  assert.equal(rows[6]!.intrinsic, 11);
  assert.equal(rows[8]!.eligible, false);
  assert.equal(rows[3]!.iv, null);
  assert.deepEqual(result.outcomes[0]!.flags, { ok: 3, no_underlying: 1, stale_underlying: 2, below_intrinsic: 1, expired: 1, ineligible: 1 });

  // The inputs change upstream and are re-ingested: the day is recomputed from the new S.
  handDay(root, 690);
  await ingest(root, lake, DATE, { force: true });
  const again = await runGreeks(greeksRequest(lake));
  assert.equal(again.outcomes[0]!.state, 'computed');
  const s = await duckQuery(`SELECT max(underlying_price) AS s FROM read_parquet(${greeksGlob(lake)})`);
  assert.equal(s[0]!.s, 691);

  // A lake written by 0.1 (options-greeks/date=D): the run says what to remove, and still computes.
  mkdirSync(join(lake, 'options-greeks', `date=${DATE}`), { recursive: true });
  const tracker = new ProgressTracker();
  const legacy = await runGreeks(greeksRequest(lake, { tracker, force: true }));
  assert.equal(legacy.outcomes[0]!.state, 'computed');
  const warning = tracker.snapshot().logs.find((l) => l.level === 'warn' && l.message.includes('layout of gammaflow 0.1'));
  assert.ok(warning, JSON.stringify(tracker.snapshot().logs));
  assert.match(warning.message, /rm -r .*options-greeks\/date=\*/);
}));

test('missing or filtered inputs fail the day with the ingest command to run', withDirs('missing', async (root, lake) => {
  const none = await runGreeks(greeksRequest(lake, { days: ['2025-11-10'] }));
  assert.equal(none.exitCode, 1);
  assert.equal(none.outcomes[0]!.state, 'missing_input');
  assert.match(none.outcomes[0]!.message!, /no stocks-trades or options-trades partition for 2025-11-10.*run gammaflow ingest --dataset stocks-trades,options-trades --from 2025-11-10 --to 2025-11-10 first/);

  handDay(root);
  await ingest(root, lake, DATE, { stocksTickers: ['QQQ'] });
  const filtered = await runGreeks(greeksRequest(lake));
  assert.equal(filtered.outcomes[0]!.state, 'missing_input');
  assert.match(filtered.outcomes[0]!.message!, /stocks-trades of 2025-11-07 were ingested with tickers=QQQ, without SPY/);
}));

/** Ingests the day's options-quotes keeping only the contracts of `underlyings` (as `--underlyings`). */
async function ingestQuotes(root: string, lake: string, date: string, underlyings: string[]): Promise<void> {
  const r = await runIngest({
    datasets: [DATASETS['options-quotes']], days: [date], lake, source: new LocalSource(root), force: false,
    concurrentFiles: 1, batchRows: 8192, rowGroupRows: 8192, fileSizeTargetBytes: 64 << 20, zstdLevel: 1, useWorkerWriter: false,
    derivedFor: () => optionDerivedColumns(), filterFor: () => underlyingFilter(underlyings, optionTickerNames),
    expectedPublishMs: () => 0, tracker: new ProgressTracker(), version: 'test',
  });
  assert.equal(r.exitCode, 0, JSON.stringify(r.outcomes));
}

test('aggression: quotes ingested later recompute the day with side columns; ≥ 99 % of classified trades match the true side; the quote used is the as-of quote', withDirs('aggression', async (root, lake) => {
  const day = await generateDay(root, {
    date: DATE, seed: 12, tickers: 4, spyTrades: 5_000, otherTradesPerTicker: 20,
    options: { trades: 2_500, expiries: 3, strikesPerSide: 6 },
  });
  await ingest(root, lake, DATE);
  const off = await runGreeks(greeksRequest(lake));
  assert.equal(off.outcomes[0]!.state, 'computed');
  assert.equal(off.outcomes[0]!.aggression, undefined);

  await ingestQuotes(root, lake, DATE, ['SPY']);
  const tracker = new ProgressTracker();
  const on = await runGreeks(greeksRequest(lake, { tracker }));
  const outcome = on.outcomes[0]!;
  assert.equal(outcome.state, 'computed', `the quotes partition is part of the source identity: ${outcome.message}`);
  const summary = outcome.aggression!;
  assert.ok(summary, JSON.stringify(outcome));
  assert.equal(summary.trades, outcome.rows);
  assert.ok(tracker.snapshot().logs.some((l) => /aggression: .* classified/.test(l.message)));

  const types = await duckQuery(`SELECT column_name FROM (DESCRIBE SELECT * FROM read_parquet(${greeksGlob(lake)}, hive_partitioning = false))`);
  assert.deepEqual(types.map((c) => c.column_name), greeksColumns(true).map((c) => c.name));
  assert.deepEqual(greeksColumns(true).slice(GREEKS_COLUMNS.length), AGGRESSION_COLUMNS);

  // Accuracy against the generator's truth sidecar.
  const truthSide = new Map<string, string>();
  const [, ...lines] = readFileSync(day.truthPath!, 'utf8').trim().split('\n');
  for (const line of lines) { const f = line.split(','); truthSide.set(`${f[0]}@${f[1]}`, f[8]!); }
  const rows = await duckQuery(`SELECT ticker, sip_timestamp, price, side, side_reason FROM read_parquet(${greeksGlob(lake)})`);
  let classified = 0, correct = 0;
  const reasons = new Map<string, number>();
  for (const r of rows) {
    const truth = truthSide.get(`${r.ticker}@${r.sip_timestamp}`);
    assert.ok(truth !== undefined);
    if (r.side === 0) { const k = SIDE_REASON_NAMES[r.side_reason as number]!; reasons.set(k, (reasons.get(k) ?? 0) + 1); continue; }
    classified++;
    if (SIDE_NAMES[r.side as Side] === truth) correct++;
  }
  assert.equal(classified, summary.buys + summary.sells);
  assert.deepEqual(Object.fromEntries(reasons), summary.unclassifiedByReason);
  assert.ok(correct / classified >= 0.99, `${correct} of ${classified} classified trades correct`);
  assert.ok(summary.unclassified / summary.trades < 0.2, `unclassified share ${summary.unclassified / summary.trades}`);

  // The quote each trade was judged against is DuckDB's ASOF JOIN match (latest quote ≤ trade time).
  const mismatches = await duckQuery(`WITH g AS (SELECT * FROM read_parquet(${greeksGlob(lake)})),
      q AS (SELECT ticker, sip_timestamp AS qts, count(*) AS n, any_value(bid_price) AS bid, any_value(ask_price) AS ask
            FROM read_parquet(${lit(join(lake, 'options-quotes', '*', '*.parquet'))}) GROUP BY ALL)
    SELECT g.ticker, g.sip_timestamp, g.quote_sip_timestamp, q.qts, q.n, g.quote_bid_price, q.bid, g.quote_ask_price, q.ask
    FROM g ASOF LEFT JOIN q ON g.ticker = q.ticker AND g.sip_timestamp >= q.qts
    WHERE g.quote_sip_timestamp IS DISTINCT FROM q.qts
       OR (q.n = 1 AND (g.quote_bid_price IS DISTINCT FROM nullif(q.bid, 0) OR g.quote_ask_price IS DISTINCT FROM nullif(q.ask, 0)))
       OR g.quote_age_ns IS DISTINCT FROM g.sip_timestamp - q.qts`);
  assert.deepEqual(mismatches, []);

  // Unchanged inputs: skipped; the tick fallback is an aggression parameter: recomputed.
  assert.equal((await runGreeks(greeksRequest(lake))).outcomes[0]!.state, 'skipped');
  const tick: Config = { ...defaultConfig(), aggregations: { ...defaultConfig().aggregations, aggression_fallback: 'tick' } };
  const withTick = await runGreeks(greeksRequest(lake, { config: tick }));
  assert.equal(withTick.outcomes[0]!.state, 'computed');
  assert.ok(withTick.outcomes[0]!.aggression!.byMethod.tick! > 0);
  // aggression = false: computed without the columns even though quotes are there.
  const disabled: Config = { ...defaultConfig(), aggregations: { ...defaultConfig().aggregations, aggression: false } };
  const noAgg = await runGreeks(greeksRequest(lake, { config: disabled }));
  assert.equal(noAgg.outcomes[0]!.state, 'computed');
  assert.match(noAgg.outcomes[0]!.aggressionOff!, /disabled/);
  const plain = await duckQuery(`SELECT column_name FROM (DESCRIBE SELECT * FROM read_parquet(${greeksGlob(lake)}, hive_partitioning = false))`);
  assert.deepEqual(plain.map((c) => c.column_name), GREEKS_COLUMNS.map((c) => c.name));
}));

test('aggression: quotes ingested without the symbol leave it off with the ingest hint', withDirs('aggression-filter', async (root, lake) => {
  await generateDay(root, { date: DATE, seed: 13, tickers: 4, spyTrades: 2_000, otherTradesPerTicker: 20, options: { trades: 300, expiries: 2, strikesPerSide: 4 } });
  await ingest(root, lake, DATE);
  await ingestQuotes(root, lake, DATE, ['QQQ']);
  const r = await runGreeks(greeksRequest(lake));
  assert.equal(r.outcomes[0]!.state, 'computed');
  assert.match(r.outcomes[0]!.aggressionOff!, /options-quotes were ingested with underlyings=QQQ, without SPY/);
}));
