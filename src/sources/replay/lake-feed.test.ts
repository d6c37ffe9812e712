/**
 * LakeFeed on a small lake ingested from hand-written flat files (several Parquet parts): stock
 * trades with the feed-only fields, option trades with the historical reader's sequence, quotes
 * merged first at equal time; and a round trip through the replay server and the client at
 * millisecond precision, where what the client receives equals what the lake holds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runIngest } from '../../ingest/run.js';
import { DATASETS, objectKey } from '../../formats/datasets.js';
import { LocalSource } from '../local.js';
import { ProgressTracker } from '../../observe/progress.js';
import { optionDerivedColumns } from '../../options/contract-columns.js';
import { writeGz } from '../../../test/support/gz.js';
import { LakeReader } from '../../lake/reader.js';
import type { OptionTrade } from '../../formats/records.js';
import { LakeFeed, flatten, hasPartition, mergeOptionRecords } from './lake-feed.js';
import type { ReplayOptionRecord } from './codec.js';
import { startReplayServer } from './replay-server.js';
import { MassiveFeedClient } from '../massive-ws/client.js';
import type { FeedDataEvent, OptionQuote, StockTrade } from '../../formats/massive-ws/types.js';

const DATE = '2025-11-07';
const MS = 1_000_000n;
const T = 1_762_525_800_000_000_000n; // 09:30 New York, a whole millisecond
const at = (ms: number): bigint => T + BigInt(ms) * MS;

const STOCKS = 'ticker,conditions,correction,exchange,id,participant_timestamp,price,sequence_number,sip_timestamp,size,tape,trf_id,trf_timestamp';
const OPTIONS = 'ticker,conditions,correction,exchange,participant_timestamp,price,sip_timestamp,size';
const QUOTES = 'ticker,ask_exchange,ask_price,ask_size,bid_exchange,bid_price,bid_size,sequence_number,sip_timestamp';

/** File order (ticker, then time); SPY has an equal-time pair listed out of sequence order and one TRF print. */
const STOCK_ROWS = [
  `QQQ,,,4,1,,600.1,5,${at(1)},10,3,,0`,
  `SPY,,,11,20,,680.00,10,${at(5)},100,1,,0`,
  `SPY,"12,37",,4,30,,680.01,12,${at(7)},5,1,201,${at(6) + 123_456n}`,
  `SPY,,,4,31,,680.02,11,${at(7)},100,1,,0`,
  `SPY,14,,,,,680.03,13,${at(9)},100,,,0`,
];
const OPTION_ROWS = [
  `O:QQQ251107C00600000,209,,302,,1.5,${at(3)},1`,
  `O:SPXW251107C06800000,209,,302,,12.5,${at(4)},2`,
  `O:SPY251107C00680000,209,,302,,2.5,${at(8)},3`,
  `O:SPY251107C00680000,"201",1,302,${at(9)},2.6,${at(10)},4`,
  `O:SPY251107P00675000,209,,323,,1.1,${at(2)},5`,
  `O:SPY251107P00675000,219,,323,,1.2,${at(8)},6`,
  `O:SPY1251107P00675000,209,,323,,1.3,${at(6)},7`,
];
/** A quote at the same time as a trade (8 ms, 2 ms) must come first. */
const QUOTE_ROWS = [
  `O:QQQ251107C00600000,301,1.6,5,302,1.4,5,1,${at(1)}`,
  `O:SPY251107C00680000,301,2.6,10,302,2.4,20,9,${at(4)}`,
  `O:SPY251107C00680000,301,2.7,11,302,,,8,${at(4)}`,
  `O:SPY251107C00680000,301,2.8,12,303,2.5,21,10,${at(8)}`,
  `O:SPY251107P00675000,307,1.2,3,308,1.0,4,3,${at(2)}`,
];

async function buildLake(withQuotes: boolean): Promise<{ root: string; lake: string }> {
  const root = mkdtempSync(join(tmpdir(), 'gf-lakefeed-src-'));
  const lake = mkdtempSync(join(tmpdir(), 'gf-lakefeed-lake-'));
  writeGz(root, objectKey(DATASETS['stocks-trades'], DATE), [STOCKS, ...STOCK_ROWS].join('\n') + '\n');
  writeGz(root, objectKey(DATASETS['options-trades'], DATE), [OPTIONS, ...OPTION_ROWS].join('\n') + '\n');
  const datasets = [DATASETS['stocks-trades'], DATASETS['options-trades']];
  if (withQuotes) {
    writeGz(root, objectKey(DATASETS['options-quotes'], DATE), [QUOTES, ...QUOTE_ROWS].join('\n') + '\n');
    datasets.push(DATASETS['options-quotes']);
  }
  const r = await runIngest({
    datasets, days: [DATE], lake, source: new LocalSource(root),
    force: false, concurrentFiles: 1, batchRows: 2, rowGroupRows: 2, fileSizeTargetBytes: 1, zstdLevel: 1, useWorkerWriter: false,
    derivedFor: (d) => (d.filterKind === 'underlyings' ? optionDerivedColumns() : undefined),
    expectedPublishMs: () => 0, tracker: new ProgressTracker(), version: 'test',
  });
  assert.equal(r.exitCode, 0, JSON.stringify(r.outcomes));
  return { root, lake };
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const x of it) all.push(x);
  return all;
}

const isQuote = (r: ReplayOptionRecord): r is OptionQuote => 'bidPrice' in r;
/** [kind, ms after T, sequence, ticker] of an options-cluster record. */
const key = (r: ReplayOptionRecord): [string, bigint, number, string] => [isQuote(r) ? 'Q' : 'T', (r.sipTimestampNs - T) / MS, r.sequence, r.ticker];

test('stock trades: the historical order with the feed-only fields (exchange, id, tape, TRF only on TRF prints)', async () => {
  const { root, lake } = await buildLake(false);
  const feed = await LakeFeed.open(lake, { memoryLimit: '64MB', threads: 1 });
  const reader = await LakeReader.open(lake, { memoryLimit: '64MB', threads: 1 });
  try {
    const spy = await collect(feed.stockTrades(DATE, 'SPY'));
    const historical = (await collect(reader.underlyingTrades(DATE, 'SPY'))).flat();
    // Same records, same order as the historical reader.
    assert.deepEqual(spy.map(({ sipTimestampNs, sequence, price, size, conditions, correction }) => ({ sipTimestampNs, sequence, price, size, conditions, correction })), historical);
    assert.deepEqual(spy.map((t) => t.sequence), [10, 11, 12, 13]);
    assert.ok(spy.every((t) => t.sym === 'SPY'));
    assert.deepEqual(spy[0], { sym: 'SPY', sipTimestampNs: at(5), sequence: 10, price: 680, size: 100, conditions: [], correction: 0, exchange: 11, tradeId: '20', tape: 1 });
    const trf = spy[2]!;
    assert.equal(trf.trfId, 201);
    assert.equal(trf.trfTimestampMs, Number((at(6) + 123_456n) / MS), 'trft is the TRF time in ms (floor)');
    assert.deepEqual(trf.conditions, [12, 37]);
    assert.equal(spy[1]!.trfId, undefined, 'no TRF fields when trf_timestamp is 0');
    const bare = spy[3]!;
    assert.equal(bare.exchange, undefined);
    assert.equal(bare.tradeId, undefined);
    assert.equal(bare.tape, undefined);
    assert.deepEqual(await collect(feed.stockTrades(DATE, 'NONE')), []);
  } finally {
    feed.close();
    reader.close();
    rmSync(root, { recursive: true, force: true });
    rmSync(lake, { recursive: true, force: true });
  }
});

test('option records: trades carry the partition row index as sequence; quotes merged, first at equal time', async () => {
  const { root, lake } = await buildLake(true);
  const feed = await LakeFeed.open(lake, { memoryLimit: '64MB', threads: 1 });
  const reader = await LakeReader.open(lake, { memoryLimit: '64MB', threads: 1 });
  try {
    assert.deepEqual(await feed.contents(DATE), { stocksTrades: true, optionsTrades: true, optionsQuotes: true });
    const records = await collect(feed.optionRecords(DATE, { underlying: 'SPY' }));
    assert.deepEqual(records.map(key), [
      ['Q', 2n, 3, 'O:SPY251107P00675000'],
      ['T', 2n, 4, 'O:SPY251107P00675000'],
      ['Q', 4n, 8, 'O:SPY251107C00680000'],
      ['Q', 4n, 9, 'O:SPY251107C00680000'],
      ['T', 6n, 6, 'O:SPY1251107P00675000'],
      ['Q', 8n, 10, 'O:SPY251107C00680000'],
      ['T', 8n, 2, 'O:SPY251107C00680000'],
      ['T', 8n, 5, 'O:SPY251107P00675000'],
      ['T', 10n, 3, 'O:SPY251107C00680000'],
    ]);
    // The trades are exactly the greeks job's input (same reader, same sequence).
    const historical = (await collect(reader.optionTrades(DATE, { underlying: 'SPY' }))).flat();
    assert.deepEqual(records.filter((r) => !isQuote(r)), historical);
    const quote = records.find((r) => isQuote(r) && r.sequence === 10) as OptionQuote;
    assert.deepEqual(quote, {
      sipTimestampNs: at(8), sequence: 10, ticker: 'O:SPY251107C00680000', bidPrice: 2.5, askPrice: 2.8, bidSize: 21, askSize: 12, bidExchange: 303, askExchange: 301,
    });
    const emptyBid = records.find((r) => isQuote(r) && r.sequence === 8) as OptionQuote;
    assert.equal(emptyBid.bidPrice, 0);
    assert.equal(emptyBid.bidSize, 0);

    // Quotes can be left out; extra roots join the selection.
    assert.ok((await collect(feed.optionRecords(DATE, { underlying: 'SPY' }, { quotes: false }))).every((r) => !isQuote(r)));
    const byRoot = await collect(feed.optionRecords(DATE, { underlying: 'QQQ', extraRoots: ['SPXW'] }));
    assert.deepEqual(byRoot.map(key), [['Q', 1n, 1, 'O:QQQ251107C00600000'], ['T', 3n, 0, 'O:QQQ251107C00600000'], ['T', 4n, 1, 'O:SPXW251107C06800000']]);
  } finally {
    feed.close();
    reader.close();
    rmSync(root, { recursive: true, force: true });
    rmSync(lake, { recursive: true, force: true });
  }
});

test('a lake without option quotes replays trades only; a missing day fails with the partition named', async () => {
  const { root, lake } = await buildLake(false);
  const feed = await LakeFeed.open(lake, { memoryLimit: '64MB', threads: 1 });
  try {
    assert.equal(await hasPartition(lake, 'options-quotes', DATE), false);
    const records = await collect(feed.optionRecords(DATE, { underlying: 'SPY' }));
    assert.equal(records.length, 5);
    assert.ok(records.every((r) => !isQuote(r)));
    await assert.rejects(collect(feed.stockTrades('2025-11-10', 'SPY')), /no stocks-trades partition for 2025-11-10/);
    await assert.rejects(collect(feed.optionRecords(DATE, { underlying: 'SPY' }, { quotes: true })), /no options-quotes partition/);
  } finally {
    feed.close();
    rmSync(root, { recursive: true, force: true });
    rmSync(lake, { recursive: true, force: true });
  }
});

function trade(ms: number, sequence: number): OptionTrade {
  return {
    sipTimestampNs: at(ms), sequence, ticker: 'O:SPY251107C00680000', root: 'SPY', right: 'C', strike: 680, expiryDays: 20399,
    adjusted: false, price: 1, size: 1, conditions: [], correction: 0, exchange: 1,
  };
}
function quote(ms: number, sequence: number): OptionQuote {
  return { sipTimestampNs: at(ms), sequence, ticker: 'O:SPY251107C00680000', bidPrice: 1, askPrice: 2, bidSize: 1, askSize: 1, bidExchange: 1, askExchange: 2 };
}
async function* chunked<T>(chunks: T[][]): AsyncGenerator<T[]> {
  for (const c of chunks) yield c;
}

test('mergeOptionRecords: time order across chunk boundaries, quotes first at equal time, either input may be empty', async () => {
  const merged = await collect(flatten(mergeOptionRecords(
    chunked([[trade(1, 0), trade(3, 1)], [], [trade(3, 2), trade(7, 3)]]),
    chunked([[quote(0, 0)], [quote(3, 1), quote(3, 2), quote(5, 3)], [quote(9, 4)]]),
  )));
  assert.deepEqual(merged.map(key).map(([k, ms, seq]) => `${k}${ms}/${seq}`), ['Q0/0', 'T1/0', 'Q3/1', 'Q3/2', 'T3/1', 'T3/2', 'Q5/3', 'T7/3', 'Q9/4']);
  assert.equal((await collect(flatten(mergeOptionRecords(chunked([]), chunked([[quote(1, 0)]]))))).length, 1);
  assert.equal((await collect(flatten(mergeOptionRecords(chunked([[trade(1, 0)]]), chunked([]))))).length, 1);
  assert.deepEqual(await collect(flatten(chunked([[1, 2], [], [3]]))), [1, 2, 3]);

  // An early stop releases both inputs.
  let released = 0;
  async function* tracked<T>(chunks: T[][]): AsyncGenerator<T[]> {
    try { for (const c of chunks) yield c; } finally { released++; }
  }
  for await (const r of mergeOptionRecords(tracked([[trade(1, 0)], [trade(2, 1)]]), tracked([[quote(1, 0)], [quote(2, 1)]]))) { void r; break; }
  assert.equal(released, 2);
});

test('round trip: lake → replay server → client gives back the lake records (ms timestamps, sequences, feed fields)', async () => {
  const { root, lake } = await buildLake(true);
  const feed = await LakeFeed.open(lake, { memoryLimit: '64MB', threads: 1 });
  const replay = await startReplayServer({
    speed: 'max', stocks: feed.stockTradeChunks(DATE, 'SPY'), options: feed.optionRecordChunks(DATE, { underlying: 'SPY' }),
  });
  const stocks = new MassiveFeedClient({ url: `${replay.url}/stocks`, apiKey: 'k', topics: ['T.SPY'], exitOnClose: true, heartbeatIntervalMs: 0, onLog: () => undefined });
  const options = new MassiveFeedClient({ url: `${replay.url}/options`, apiKey: 'k', topics: ['T.*', 'Q.*'], exitOnClose: true, heartbeatIntervalMs: 0, onLog: () => undefined });
  try {
    await Promise.all([stocks.start(), options.start()]);
    const [stockEvents, optionEvents] = await Promise.all([collect(stocks), collect(options)]);
    const summary = await replay.finished;
    assert.equal(summary.stocks.outOfOrder + summary.options.outOfOrder, 0);

    const expectedStocks = await collect(feed.stockTrades(DATE, 'SPY'));
    const receivedStocks = stockEvents.map((e: FeedDataEvent) => (e as { trade: StockTrade }).trade);
    // The feed has no correction field and every record here has correction 0.
    assert.deepEqual(receivedStocks, expectedStocks);

    const expectedOptions = await collect(feed.optionRecords(DATE, { underlying: 'SPY' }));
    const receivedOptions = optionEvents.map((e) => (e.kind === 'optionQuote' ? e.quote : (e as { trade: OptionTrade }).trade));
    assert.deepEqual(receivedOptions.map(key), expectedOptions.map(key));
    // Trades carry the same fields the greeks job reads (the lake-only columns aside).
    const lakeOnly = (t: OptionTrade) => {
      const { underlying: _u, participantTimestampNs: _p, correction: _c, ...rest } = t as OptionTrade & { underlying?: string; participantTimestampNs?: bigint | null };
      return rest;
    };
    assert.deepEqual(receivedOptions.filter((r) => !isQuote(r)).map((t) => lakeOnly(t as OptionTrade)),
      expectedOptions.filter((r) => !isQuote(r)).map((t) => lakeOnly(t as OptionTrade)));
    assert.deepEqual(receivedOptions.filter(isQuote), expectedOptions.filter(isQuote));
  } finally {
    await Promise.all([stocks.close(), options.close()]).catch(() => undefined);
    await replay.close();
    feed.close();
    rmSync(root, { recursive: true, force: true });
    rmSync(lake, { recursive: true, force: true });
  }
});
