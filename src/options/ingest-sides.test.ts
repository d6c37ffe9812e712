/**
 * Classification during the ingest (ingest-sides.ts) gives the lake pass's verdicts, trade by
 * trade, on a generated day ingested in small batches across several part files; falls back (with
 * the reason) when a file is not ingested in the run, when the quotes come too early, or past the
 * run's budget; and the greeks job writes the same table from those verdicts as from the lake.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig } from '../config/schema.js';
import { generateDay } from '../demo/generateDay.js';
import { DATASETS, objectKey, type DatasetSpec } from '../formats/datasets.js';
import { OPTIONS_QUOTES_HEADER, OPTIONS_TRADES_HEADER } from '../demo/optionFlow.js';
import { writeGz } from '../../test/support/gz.js';
import { tickerFilter, underlyingFilter } from '../formats/filters.js';
import { runIngest } from '../ingest/run.js';
import { LakeReader } from '../lake/reader.js';
import { ProgressTracker } from '../observe/progress.js';
import { LocalSource } from '../sources/local.js';
import { duckQuery, lit } from '../../test/support/duckdb.js';
import { Classification } from './aggression.js';
import { TradeSides } from './aggression-job.js';
import { optionDerivedColumns, optionTickerNames } from './contract-columns.js';
import { runGreeks } from './greeks-job.js';
import { IngestDaySides, SidesBudget, type IngestedSides } from './ingest-sides.js';

const DATE = '2025-11-07';
const agg = defaultConfig().aggregations;
const selection = { underlying: 'SPY', extraRoots: [] };

async function ingest(root: string, lake: string, datasets: readonly DatasetSpec[], day: IngestDaySides | undefined,
  over: { concurrentFiles?: number; force?: boolean } = {}): Promise<void> {
  const r = await runIngest({
    datasets, days: [DATE], lake, source: new LocalSource(root), force: over.force ?? false,
    // Small batches and part files: the row index runs across batches and files.
    concurrentFiles: over.concurrentFiles ?? 2, batchRows: 1000, rowGroupRows: 1000, fileSizeTargetBytes: 10_000, zstdLevel: 1,
    useWorkerWriter: false,
    derivedFor: (d) => (d.filterKind === 'underlyings' ? optionDerivedColumns() : undefined),
    filterFor: (d) => (d.filterKind === 'tickers' ? tickerFilter(['SPY']) : underlyingFilter(['SPY'], optionTickerNames)),
    ...(day ? { tapFor: (d: DatasetSpec) => (d.name === 'options-trades' ? day.tradesTap : d.name === 'options-quotes' ? day.quotesTap : undefined) } : {}),
    expectedPublishMs: () => 0, tracker: new ProgressTracker(), version: 'test',
  });
  assert.equal(r.exitCode, 0, JSON.stringify(r.outcomes));
}

function withDay(name: string, body: (root: string, lake: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const root = mkdtempSync(join(tmpdir(), `gf-${name}-src-`));
    const lake = mkdtempSync(join(tmpdir(), `gf-${name}-lake-`));
    try {
      await generateDay(root, {
        date: DATE, seed: 21, tickers: 3, spyTrades: 3_000, otherTradesPerTicker: 20,
        options: { trades: 2_000, expiries: 3, strikesPerSide: 5 },
      });
      await body(root, lake);
    } finally {
      rmSync(root, { recursive: true, force: true });
      rmSync(lake, { recursive: true, force: true });
    }
  };
}

const OPTIONS = [DATASETS['options-trades'], DATASETS['options-quotes']];

test('verdicts computed while the files stream equal the lake pass, trade by trade', withDay('ingest-sides', async (root, lake) => {
  const day = new IngestDaySides(DATE, selection, agg);
  await ingest(root, lake, OPTIONS, day);
  const result = await day.result();
  assert.ok('sides' in result, 'off' in result ? result.off : '');
  assert.equal(result.trades.dataset, 'options-trades');
  assert.equal(result.quotes.dataset, 'options-quotes');
  assert.ok(result.trades.files.length > 1 && result.quotes.files.length > 1, 'several part files each');

  const reader = await LakeReader.open(lake, { memoryLimit: '256MB', threads: 1 });
  try {
    const lakeSides = await TradeSides.compute(reader.optionTradeKeys(DATE, selection), reader.optionQuotesInFileOrder(DATE, selection), agg);
    assert.ok(lakeSides.size > 1000);
    assert.equal(result.sides.size, lakeSides.size);
    assert.deepEqual(result.sides.summary(), lakeSides.summary());
    assert.ok(lakeSides.summary().buys > 0 && lakeSides.summary().sells > 0);
    const a = new Classification(), b = new Classification();
    let checked = 0;
    for await (const chunk of reader.optionTradeKeys(DATE, selection)) {
      for (let i = 0; i < chunk.length; i++, checked++) {
        const row = chunk.rowIndex[i]!;
        assert.deepEqual(result.sides.get(row, a), lakeSides.get(row, b), `trade at partition row ${row}`);
      }
    }
    assert.equal(checked, lakeSides.size);
  } finally {
    reader.close();
  }
}));

test('the greeks job writes the same table from the ingest\'s verdicts as from the lake; other partitions are not matched', withDay('ingest-sides-greeks', async (root, lake) => {
  const day = new IngestDaySides(DATE, selection, agg);
  await ingest(root, lake, [DATASETS['stocks-trades'], ...OPTIONS], day);
  const ingested = await day.result();
  assert.ok('sides' in ingested);
  const request = { lake, symbol: 'SPY', days: [DATE], config: defaultConfig(), useWorkerWriter: false, duckdbMemoryLimit: '128MB', version: 'test' };
  const glob = lit(join(lake, 'options-greeks', 'symbol=SPY', '*', '*.parquet'));
  const table = async () => duckQuery(`SELECT * FROM read_parquet(${glob}) ORDER BY sip_timestamp, sequence`);

  const fromIngest = await runGreeks({ ...request, tracker: new ProgressTracker(), ingestedSides: new Map([[DATE, ingested]]) });
  assert.equal(fromIngest.outcomes[0]!.state, 'computed');
  const rowsFromIngest = await table();
  const fromLake = await runGreeks({ ...request, tracker: new ProgressTracker(), force: true });
  assert.equal(fromLake.outcomes[0]!.state, 'computed');
  assert.deepEqual(fromIngest.outcomes[0]!.aggression, fromLake.outcomes[0]!.aggression);
  assert.deepEqual(rowsFromIngest, await table());

  // Verdicts that belong to another publication of the quotes are not used: re-ingest the quotes
  // (a new entry) and hand in the old entries with verdicts for one trade only (using them would
  // fail the day: no verdict for the other rows). The table must still equal the lake pass's.
  await ingest(root, lake, [DATASETS['options-quotes']], undefined, { force: true });
  const allBuy = await tamperedSides(ingested);
  const stale = await runGreeks({ ...request, tracker: new ProgressTracker(), force: true, ingestedSides: new Map([[DATE, allBuy]]) });
  assert.equal(stale.outcomes[0]!.state, 'computed');
  assert.deepEqual(stale.outcomes[0]!.aggression, fromLake.outcomes[0]!.aggression);
  assert.deepEqual(await table(), rowsFromIngest);
}));

/** The same entries with verdicts for a single trade at row 0: a day that used them would fail. */
async function tamperedSides(original: IngestedSides): Promise<IngestedSides> {
  const trades = { length: 1, ticker: ['O:SPY251107C00600000'], sipTimestampNs: BigInt64Array.of(1n), price: Float64Array.of(1), rowIndex: Float64Array.of(0) };
  async function* one<T>(x: T) { yield x; }
  async function* none<T>(): AsyncGenerator<T> { /* no quotes */ }
  const sides = await TradeSides.compute(one(trades), none(), agg);
  return { ...original, sides };
}

test('falls back, saying why: a file skipped as already in the lake, quotes before the trades end, the run\'s budget', withDay('ingest-sides-off', async (root, lake) => {
  await ingest(root, lake, [DATASETS['options-trades']], undefined);
  const skipped = new IngestDaySides(DATE, selection, agg);
  await ingest(root, lake, OPTIONS, skipped); // trades already there: only the quotes are ingested
  const r1 = await skipped.result();
  assert.ok('off' in r1);
  assert.match(r1.off, /options-trades 2025-11-07 not ingested in this run: already in the lake/);

  // One file at a time, quotes first: they all arrive before the trades file has started.
  const early = new IngestDaySides(DATE, selection, agg, { maxQueuedQuotes: 500 });
  await ingest(root, lake, [DATASETS['options-quotes'], DATASETS['options-trades']], early, { concurrentFiles: 1, force: true });
  const r2 = await early.result();
  assert.ok('off' in r2);
  assert.match(r2.off, /more than 500 of the symbol's quotes arrived before the options-trades file ended/);

  // The same order with room for them: the queue holds the quotes until the trades are in.
  const queued = new IngestDaySides(DATE, selection, agg);
  await ingest(root, lake, [DATASETS['options-quotes'], DATASETS['options-trades']], queued, { concurrentFiles: 1, force: true });
  assert.ok('sides' in (await queued.result()));

  const budget = new SidesBudget(100);
  const over = new IngestDaySides(DATE, selection, agg, { budget });
  await ingest(root, lake, OPTIONS, over, { force: true });
  const r3 = await over.result();
  assert.ok('off' in r3);
  assert.match(r3.off, /budget of 100 trades/);
}));

test('empty quote fields read as 0 (as the lake reader coalesces them), other roots and other underlyings are left out', async () => {
  const root = mkdtempSync(join(tmpdir(), 'gf-ingest-sides-nulls-src-'));
  const lake = mkdtempSync(join(tmpdir(), 'gf-ingest-sides-nulls-lake-'));
  try {
    const t0 = 1_762_525_800_000_000_000n;
    const ts = (ms: number) => String(t0 + BigInt(ms) * 1_000_000n);
    const call = 'O:SPY251107C00670000', put = 'O:SPY251107P00660000', other = 'O:QQQ251107C00600000', adjusted = 'O:SPY1251107C00670000';
    // Sorted by ticker, then time, as Massive's files are.
    writeGz(root, objectKey(DATASETS['options-quotes'], DATE), [OPTIONS_QUOTES_HEADER,
      `${other},301,1.10,5,302,1.00,5,1,${ts(0)}`,
      `${call},301,2.10,5,302,2.00,5,1,${ts(0)}`,
      `${call},301,2.20,5,302,,,,${ts(1000)}`, // no bid, no sequence number
      `${call},301,,,302,2.05,7,3,${ts(2000)}`, // no ask
      `${put},301,1.50,4,302,1.40,4,9007199254740993,${ts(0)}`, // a sequence number beyond 2^53
      `${adjusted},301,3.10,5,302,3.00,5,1,${ts(0)}`,
    ].join('\n') + '\n');
    writeGz(root, objectKey(DATASETS['options-trades'], DATE), [OPTIONS_TRADES_HEADER,
      `${other},,0,301,,1.10,${ts(10)},1`,
      `${call},,0,301,,2.10,${ts(10)},1`,
      `${call},,0,301,,2.20,${ts(1500)},1`,
      `${call},,0,301,,2.05,${ts(2500)},1`,
      `${put},,0,301,,1.40,${ts(10)},2`,
      `${adjusted},,0,301,,3.10,${ts(10)},1`,
    ].join('\n') + '\n');
    const day = new IngestDaySides(DATE, { underlying: 'SPY', extraRoots: [] }, agg);
    const r = await runIngest({
      datasets: OPTIONS, days: [DATE], lake, source: new LocalSource(root), force: false, concurrentFiles: 2, batchRows: 1000,
      rowGroupRows: 1000, fileSizeTargetBytes: 1 << 20, zstdLevel: 1, useWorkerWriter: false,
      derivedFor: () => optionDerivedColumns(), filterFor: () => underlyingFilter(['SPY', 'QQQ'], optionTickerNames),
      tapFor: (d) => (d.name === 'options-trades' ? day.tradesTap : day.quotesTap), expectedPublishMs: () => 0,
      tracker: new ProgressTracker(), version: 'test',
    });
    assert.equal(r.exitCode, 0, JSON.stringify(r.outcomes));
    const result = await day.result();
    assert.ok('sides' in result, 'off' in result ? result.off : '');
    const reader = await LakeReader.open(lake, { memoryLimit: '128MB', threads: 1 });
    try {
      const selection = { underlying: 'SPY' };
      const lakeSides = await TradeSides.compute(reader.optionTradeKeys(DATE, selection), reader.optionQuotesInFileOrder(DATE, selection), agg);
      assert.equal(result.sides.size, 5, 'the SPY and SPY1 trades, not QQQ');
      assert.deepEqual(result.sides.summary(), lakeSides.summary());
      const a = new Classification(), b = new Classification();
      for (const row of [1, 2, 3, 4, 5]) assert.deepEqual(result.sides.get(row, a), lakeSides.get(row, b), `row ${row}`);
    } finally {
      reader.close();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
    rmSync(lake, { recursive: true, force: true });
  }
});
