/**
 * LakeReader on a small lake ingested from hand-written flat files: filtering, time order,
 * deterministic tie-breaks across several Parquet parts, record conversion.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runIngest } from '../ingest/run.js';
import { DATASETS, objectKey } from '../formats/datasets.js';
import { LocalSource } from '../sources/local.js';
import { ProgressTracker } from '../observe/progress.js';
import { optionDerivedColumns } from '../options/contract-columns.js';
import { writeGz } from '../../test/support/gz.js';
import { streamChunks } from './duckdb-chunks.js';
import { LakeReader, type LakeOptionTrade, type OptionQuoteColumns } from './reader.js';
import { streamedQuery } from './sql.js';
import type { UnderlyingTrade } from '../formats/records.js';
import { LakeError } from '../util/errors.js';

const DATE = '2025-11-07';
const T = 1_762_525_800_000_000_000n; // 09:30 New York
const STOCKS = 'ticker,conditions,correction,exchange,id,participant_timestamp,price,sequence_number,sip_timestamp,size,tape,trf_id,trf_timestamp';
const OPTIONS = 'ticker,conditions,correction,exchange,participant_timestamp,price,sip_timestamp,size';

/** Sorted by ticker then time, as Massive's files are; SPY has a same-timestamp pair listed out of sequence order. */
const STOCK_ROWS = [
  `QQQ,,,4,1,,600.1,5,${T + 1n},10,3,,0`,
  `SPY,,,4,2,,680.00,10,${T + 5n},100,1,,0`,
  `SPY,"12,37",1,4,3,,680.01,12,${T + 7n},5,1,,0`,
  `SPY,,,4,4,,680.02,11,${T + 7n},100,1,,0`,
  `SPY,,,4,5,,680.03,13,${T + 9n},100,1,,0`,
];
const OPTION_ROWS = [
  `O:QQQ251107C00600000,209,,302,,1.5,${T + 3n},1`,
  `O:SPXW251107C06800000,209,,302,,12.5,${T + 4n},2`,
  `O:SPY251107C00680000,209,,302,,2.5,${T + 8n},3`,
  `O:SPY251107C00680000,"201",1,302,${T + 9n},2.6,${T + 10n},4`,
  `O:SPY251107P00675000,209,,323,,1.1,${T + 2n},5`,
  `O:SPY251107P00675000,219,,323,,1.2,${T + 8n},6`,
  `O:SPY1251107P00675000,209,,323,,1.3,${T + 6n},7`,
];

async function buildLake(): Promise<{ root: string; lake: string }> {
  const root = mkdtempSync(join(tmpdir(), 'gf-reader-src-'));
  const lake = mkdtempSync(join(tmpdir(), 'gf-reader-lake-'));
  writeGz(root, objectKey(DATASETS['stocks-trades'], DATE), [STOCKS, ...STOCK_ROWS].join('\n') + '\n');
  writeGz(root, objectKey(DATASETS['options-trades'], DATE), [OPTIONS, ...OPTION_ROWS].join('\n') + '\n');
  const r = await runIngest({
    datasets: [DATASETS['stocks-trades'], DATASETS['options-trades']], days: [DATE], lake, source: new LocalSource(root),
    force: false, concurrentFiles: 1, batchRows: 2, rowGroupRows: 2, fileSizeTargetBytes: 1, zstdLevel: 1, useWorkerWriter: false,
    derivedFor: (d) => (d.filterKind === 'underlyings' ? optionDerivedColumns() : undefined),
    expectedPublishMs: () => 0, tracker: new ProgressTracker(), version: 'test',
  });
  assert.equal(r.exitCode, 0, JSON.stringify(r.outcomes));
  return { root, lake };
}

async function collect<T>(it: AsyncIterable<T[]>): Promise<T[]> {
  const all: T[] = [];
  for await (const chunk of it) all.push(...chunk);
  return all;
}

test('reads one symbol-day in time order with deterministic tie-breaks across parts', async () => {
  const { root, lake } = await buildLake();
  const reader = await LakeReader.open(lake, { memoryLimit: '64MB', threads: 1 });
  try {
    assert.ok((await reader.partitionFiles('options-trades', DATE)).length >= 3, 'several parts, so row offsets matter');
    const spy: UnderlyingTrade[] = await collect(reader.underlyingTrades(DATE, 'SPY'));
    assert.deepEqual(spy.map((t) => [t.sipTimestampNs - T, t.sequence, t.price]), [[5n, 10, 680], [7n, 11, 680.02], [7n, 12, 680.01], [9n, 13, 680.03]]);
    assert.deepEqual(spy[2]!.conditions, [12, 37]);
    assert.equal(spy[2]!.correction, 1);
    assert.deepEqual(spy[0]!.conditions, []);
    assert.equal(spy[0]!.correction, 0);

    const options: LakeOptionTrade[] = await collect(reader.optionTrades(DATE, { underlying: 'SPY' }));
    // Row indexes in the partition: 2 SPY C (0-based), 3, 4 P, 5 P, 6 SPY1; equal time T+8: row order.
    assert.deepEqual(options.map((t) => [t.sipTimestampNs - T, t.sequence]), [[2n, 4], [6n, 6], [8n, 2], [8n, 5], [10n, 3]]);
    const adjusted = options[1]!;
    assert.equal(adjusted.root, 'SPY1');
    assert.equal(adjusted.underlying, 'SPY');
    assert.equal(adjusted.adjusted, true);
    const cancelled = options[4]!;
    assert.deepEqual(cancelled.conditions, [201]);
    assert.equal(cancelled.correction, 1);
    assert.equal(cancelled.participantTimestampNs, T + 9n);
    assert.equal(options[0]!.participantTimestampNs, null);
    assert.equal(options[0]!.right, 'P');
    assert.equal(options[0]!.strike, 675);
    assert.equal(options[0]!.expiryDays, Date.UTC(2025, 10, 7) / 86_400_000);
    assert.equal(options[0]!.exchange, 323);
    assert.equal(options[0]!.ticker, 'O:SPY251107P00675000');

    // Classification keys: partition row order, prices and times as stored.
    const keys: [number, string, bigint, number][] = [];
    for await (const c of reader.optionTradeKeys(DATE, { underlying: 'SPY' })) {
      for (let i = 0; i < c.length; i++) keys.push([c.rowIndex[i]!, c.ticker[i]!, c.sipTimestampNs[i]! - T, c.price[i]!]);
    }
    assert.deepEqual(keys, [
      [2, 'O:SPY251107C00680000', 8n, 2.5], [3, 'O:SPY251107C00680000', 10n, 2.6], [4, 'O:SPY251107P00675000', 2n, 1.1],
      [5, 'O:SPY251107P00675000', 8n, 1.2], [6, 'O:SPY1251107P00675000', 6n, 1.3],
    ]);

    // Extra roots join the selection (SPXW's underlying is SPX, selected here by root).
    const withRoots = await collect(reader.optionTrades(DATE, { underlying: 'QQQ', extraRoots: ['SPXW'] }));
    assert.deepEqual(withRoots.map((t) => t.root), ['QQQ', 'SPXW']);
    assert.deepEqual(await collect(reader.underlyingTrades(DATE, 'NONE')), []);

    // An early stop releases the stream; the reader stays usable.
    for await (const chunk of reader.underlyingTrades(DATE, 'SPY')) { assert.ok(chunk.length > 0); break; }
    assert.equal((await collect(reader.underlyingTrades(DATE, 'QQQ'))).length, 1);
    await assert.rejects(collect(reader.underlyingTrades('2025-11-10', 'SPY')), (e: unknown) => e instanceof LakeError && /no stocks-trades partition for 2025-11-10/.test(e.message));
  } finally {
    reader.close();
    rmSync(root, { recursive: true, force: true });
    rmSync(lake, { recursive: true, force: true });
  }
});

const QUOTES = 'ticker,ask_exchange,ask_price,ask_size,bid_exchange,bid_price,bid_size,sequence_number,sip_timestamp';
/** Sorted by ticker then time (file order); SPY C has an equal-time pair listed out of sequence order and an empty bid. */
const QUOTE_ROWS = [
  `O:QQQ251107C00600000,301,1.6,5,302,1.4,5,1,${T + 1n}`,
  `O:SPXW251107C06800000,301,12.6,5,302,12.4,5,2,${T + 2n}`,
  `O:SPY251107C00680000,301,2.6,10,302,2.4,20,9,${T + 4n}`,
  `O:SPY251107C00680000,301,2.7,11,302,,,8,${T + 4n}`,
  `O:SPY251107C00680000,301,2.8,12,302,2.5,21,10,${T + 6n}`,
  `O:SPY251107P00675000,301,1.2,3,302,1.0,4,3,${T + 3n}`,
  `O:SPY1251107P00675000,301,1.3,3,302,1.1,4,4,${T + 5n}`,
];

function quoteRows(chunks: readonly OptionQuoteColumns[]): [string, bigint, number, number, number, number, number][] {
  const rows: [string, bigint, number, number, number, number, number][] = [];
  for (const c of chunks) {
    for (let i = 0; i < c.length; i++) {
      rows.push([c.ticker[i]!, c.sipTimestampNs[i]! - T, c.sequence[i]!, c.bidPrice[i]!, c.bidSize[i]!, c.askPrice[i]!, c.askSize[i]!]);
    }
  }
  return rows;
}

test('option quotes of one symbol-day: selection, (time, sequence) order across parts, absent side as 0', async () => {
  const root = mkdtempSync(join(tmpdir(), 'gf-reader-q-src-'));
  const lake = mkdtempSync(join(tmpdir(), 'gf-reader-q-lake-'));
  writeGz(root, objectKey(DATASETS['options-quotes'], DATE), [QUOTES, ...QUOTE_ROWS].join('\n') + '\n');
  const reader = await (async () => {
    const r = await runIngest({
      datasets: [DATASETS['options-quotes']], days: [DATE], lake, source: new LocalSource(root),
      force: false, concurrentFiles: 1, batchRows: 2, rowGroupRows: 2, fileSizeTargetBytes: 1, zstdLevel: 1, useWorkerWriter: false,
      derivedFor: (d) => (d.filterKind === 'underlyings' ? optionDerivedColumns() : undefined),
      expectedPublishMs: () => 0, tracker: new ProgressTracker(), version: 'test',
    });
    assert.equal(r.exitCode, 0, JSON.stringify(r.outcomes));
    return LakeReader.open(lake, { memoryLimit: '64MB', threads: 1 });
  })();
  try {
    assert.ok((await reader.partitionFiles('options-quotes', DATE)).length >= 3, 'several parts');
    const chunks: OptionQuoteColumns[] = [];
    for await (const c of reader.optionQuotes(DATE, { underlying: 'SPY' })) chunks.push(c);
    assert.deepEqual(quoteRows(chunks), [
      ['O:SPY251107P00675000', 3n, 3, 1.0, 4, 1.2, 3],
      ['O:SPY251107C00680000', 4n, 8, 0, 0, 2.7, 11],
      ['O:SPY251107C00680000', 4n, 9, 2.4, 20, 2.6, 10],
      ['O:SPY1251107P00675000', 5n, 4, 1.1, 4, 1.3, 3],
      ['O:SPY251107C00680000', 6n, 10, 2.5, 21, 2.8, 12],
    ]);
    // Partition order (ticker, then time, as the flat file), without a sort.
    const inFileOrder: OptionQuoteColumns[] = [];
    for await (const c of reader.optionQuotesInFileOrder(DATE, { underlying: 'SPY' })) inFileOrder.push(c);
    assert.deepEqual(quoteRows(inFileOrder).map((r) => [r[0], r[1], r[2]]), [
      ['O:SPY251107C00680000', 4n, 9],
      ['O:SPY251107C00680000', 4n, 8],
      ['O:SPY251107C00680000', 6n, 10],
      ['O:SPY251107P00675000', 3n, 3],
      ['O:SPY1251107P00675000', 5n, 4],
    ]);
    const byRoot: OptionQuoteColumns[] = [];
    for await (const c of reader.optionQuotes(DATE, { underlying: 'QQQ', extraRoots: ['SPXW'] })) byRoot.push(c);
    assert.deepEqual(quoteRows(byRoot).map((r) => r[0]), ['O:QQQ251107C00600000', 'O:SPXW251107C06800000']);
    await assert.rejects(async () => { for await (const c of reader.optionQuotes('2025-11-10', { underlying: 'SPY' })) void c; },
      (e: unknown) => e instanceof LakeError && /no options-quotes partition for 2025-11-10/.test(e.message));
  } finally {
    reader.close();
    rmSync(root, { recursive: true, force: true });
    rmSync(lake, { recursive: true, force: true });
  }
});

test('streamChunks: every row of the query, and a stream shorter than its count is a LakeError, not a partial read', async () => {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  try {
    const read = async (query: { sql: string; countSql: string }): Promise<number> => {
      let rows = 0;
      for await (const chunk of streamChunks(instance, '/lake', query)) rows += chunk.rowCount;
      return rows;
    };
    // More than one chunk (DuckDB's are 2,048 rows), ordered: the count query has no sort.
    const q = streamedQuery('SELECT range AS i FROM range(5000) WHERE range % 2 = 0', 'i DESC');
    assert.equal(q.countSql, 'SELECT count(*) FROM (SELECT range AS i FROM range(5000) WHERE range % 2 = 0)');
    assert.equal(await read(q), 2500);
    // What DuckDB does when it runs out of memory mid-stream (an early end without an error),
    // stood in for by a count that disagrees with the rows the stream returns.
    await assert.rejects(read({ sql: q.sql, countSql: 'SELECT 2600' }),
      (e: unknown) => e instanceof LakeError && /ended a result after 2500 of its 2600 rows/.test(e.message));
  } finally {
    instance.closeSync();
  }
});
