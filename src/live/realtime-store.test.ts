import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { duckQuery, lit } from '../../test/support/duckdb.js';
import { nyWallClockToUtcNs } from '../calendar/index.js';
import { GapLedger, ledgerPath, readLedger } from './gap-ledger.js';
import type { RealtimeRecord } from './realtime-columns.js';
import { RealtimeStore } from './realtime-store.js';
import { LiveRecorder } from './recorder.js';

const DAY = '2025-11-07';
const t0 = nyWallClockToUtcNs(DAY, 10, 0);

const stock = (i: number, extra: Partial<{ correction: number }> = {}): RealtimeRecord => ({
  dataset: 'realtime-stocks-trades', receivedAtNs: 1_700_000_000_000_000_000n + BigInt(i),
  event: { sym: 'SPY', sipTimestampNs: t0 + BigInt(i) * 1_000_000n, sequence: i, price: 680 + i / 100, size: 100, conditions: i % 2 ? [12, 37] : [],
    correction: extra.correction ?? 0, exchange: 4, ...(i % 3 === 0 ? { tradeId: String(1000 + i), tape: 2 } : {}) },
});
const option = (i: number): RealtimeRecord => ({
  dataset: 'realtime-options-trades', receivedAtNs: 1n,
  event: { sipTimestampNs: t0 + BigInt(i) * 1_000_000n, sequence: i, ticker: 'O:SPY251107C00680000', root: 'SPY', right: 'C', strike: 680,
    expiryDays: 20399, adjusted: false, price: 2.5, size: 1, conditions: [209], correction: 0, exchange: 65 },
});

function withLake(body: (lake: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const lake = mkdtempSync(join(tmpdir(), 'gf-rt-'));
    try { await body(lake); } finally { rmSync(lake, { recursive: true, force: true }); }
  };
}

test('realtime store: one complete file per table and flush, flat-file columns; a reopened store skips what is stored and removes .tmp leftovers', withLake(async (lake) => {
  const store = await RealtimeStore.open({ lake, runId: 'a', zstdLevel: 1, version: 'test' });
  for (let i = 0; i < 10; i++) store.add(stock(i));
  store.add(option(1));
  await store.flush();
  for (let i = 10; i < 20; i++) store.add(stock(i));
  await store.flush();
  await store.flush(); // nothing new: no empty file
  store.close();
  const dir = join(lake, 'realtime-stocks-trades', `date=${DAY}`);
  assert.deepEqual(readdirSync(dir).sort(), ['rt-a-00000.parquet', 'rt-a-00002.parquet']);
  const rows = await duckQuery(`SELECT * FROM read_parquet(${lit(join(dir, '*.parquet'))}, hive_partitioning = false) ORDER BY sip_timestamp`);
  assert.equal(rows.length, 20);
  assert.deepEqual(Object.keys(rows[0]!), ['ticker', 'conditions', 'correction', 'exchange', 'id', 'price', 'sequence_number', 'sip_timestamp', 'size',
    'tape', 'trf_id', 'trf_timestamp', 'received_at']);
  assert.deepEqual([rows[0]!.id, rows[1]!.id, rows[1]!.conditions, rows[0]!.tape, rows[1]!.tape], ['1000', null, [12, 37], 2, null]);

  writeFileSync(join(dir, 'rt-x-00000.parquet.123.tmp'), 'partial');
  const again = await RealtimeStore.open({ lake, runId: 'b', zstdLevel: 1, version: 'test' });
  assert.ok(!readdirSync(dir).some((n) => n.endsWith('.tmp')), 'leftover removed');
  for (let i = 5; i < 25; i++) again.add(stock(i)); // 5..19 stored already
  again.add(stock(7, { correction: 1 })); // not the same event: another correction
  await again.flush();
  assert.equal(again.stats().duplicatesSkipped, 15);
  assert.equal(again.stats().kept['realtime-stocks-trades'], 6);
  again.close();
  const [count] = await duckQuery(`SELECT count(*) AS n, count(DISTINCT sequence_number) AS s FROM read_parquet(${lit(join(dir, '*.parquet'))}, hive_partitioning = false)`);
  assert.deepEqual(count, { n: 26n, s: 25n });
}));

test('gap ledger: appended per date, a torn last line is skipped and the next entry starts on its own line', withLake(async (lake) => {
  const ledger = new GapLedger(lake);
  ledger.add(DAY, { type: 'run_start', run_id: 'a', at_ms: 1, symbol: 'SPY' });
  await ledger.flush();
  appendFileSync(ledgerPath(lake, DAY), '{"type":"gap","run_id":"a","clus');
  ledger.add(DAY, { type: 'run_end', run_id: 'a', at_ms: 2, reason: 'stopped' });
  await ledger.flush();
  assert.deepEqual(readLedger(lake, DAY).map((e) => e.type), ['run_start', 'run_end']);
  assert.deepEqual(readLedger(lake, '2025-11-10'), []);
}));

test('recorder: a run that did not end leaves a process_restart gap from its last stored event; dropped and late events per interval', withLake(async (lake) => {
  const first = await LiveRecorder.open({ lake, runId: 'a', symbol: 'SPY', zstdLevel: 1, version: 'test', nowMs: 1_000 });
  first.add(stock(1));
  await first.flush({ droppedByCluster: { stocks: 0 }, late: 0, lateDropped: 0, lateRevised: 0, maxEventTimeNs: t0 }, 2_000);
  first.store.close(); // killed: no close()
  mkdirSync(join(lake, 'realtime-options-trades'), { recursive: true });
  const second = await LiveRecorder.open({ lake, runId: 'b', symbol: 'SPY', zstdLevel: 1, version: 'test', nowMs: 1_700_000_100_000 });
  assert.deepEqual(second.restartGap, { date: DAY, fromMs: 1_700_000_000_000, toMs: 1_700_000_100_000, reason: 'process_restart' });
  await second.flush({ droppedByCluster: { stocks: 5, options: 0 }, late: 3, lateDropped: 3, lateRevised: 0, maxEventTimeNs: t0 }, 1_700_000_101_000);
  await second.close({ droppedByCluster: { stocks: 5, options: 0 }, late: 3, lateDropped: 3, lateRevised: 0, maxEventTimeNs: t0 }, 'stream_closed', 1_700_000_102_000);
  const entries = readLedger(lake, DAY);
  assert.deepEqual(entries.map((e) => e.type), ['run_start', 'gap', 'run_start', 'dropped', 'late', 'run_end']);
  assert.deepEqual(entries[3], { type: 'dropped', run_id: 'b', cluster: 'stocks', count: 5, from_ms: 1_700_000_100_000, to_ms: 1_700_000_101_000 });
  const third = await LiveRecorder.open({ lake, runId: 'c', symbol: 'SPY', zstdLevel: 1, version: 'test', nowMs: 1_700_000_200_000 });
  assert.equal(third.restartGap?.reason, 'not_running', 'the second run ended: live was simply not running');
  third.store.close();
}));

test('recorder: once events of a later day arrive, the earlier day\'s per-flush files are compacted into one sorted part; stragglers get new files', withLake(async (lake) => {
  const logs: string[] = [];
  const r = await LiveRecorder.open({ lake, runId: 'a', symbol: 'SPY', zstdLevel: 1, version: 'test', nowMs: 1_000,
    compaction: { rowGroupRows: 1000, fileSizeTargetBytes: 1 << 20 }, onLog: (_l, m) => logs.push(m) });
  const counters = (maxEventTimeNs: bigint) => ({ droppedByCluster: {}, late: 0, lateDropped: 0, lateRevised: 0, maxEventTimeNs });
  for (let i = 9; i >= 5; i--) r.add(stock(i));
  await r.flush(counters(t0), 2_000);
  for (let i = 0; i < 5; i++) r.add(stock(i));
  await r.flush(counters(t0), 3_000);
  const dir = join(lake, 'realtime-stocks-trades', `date=${DAY}`);
  assert.equal(readdirSync(dir).length, 2, 'one file per flush while the day lasts');
  const nextDay = nyWallClockToUtcNs('2025-11-10', 9, 30);
  r.add({ ...stock(100), event: { ...stock(100).event, sipTimestampNs: nextDay } } as RealtimeRecord);
  await r.flush(counters(nextDay), 4_000);
  assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.parquet')), ['part-00000.parquet']);
  const rows = await duckQuery(`SELECT sequence_number FROM read_parquet(${lit(join(dir, '*.parquet'))}, hive_partitioning = false)`);
  assert.deepEqual(rows.map((x) => Number(x.sequence_number)), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'sorted by time');
  assert.match(logs.join('\n'), /realtime-stocks-trades 2025-11-07: 2 files compacted \(10 events\)/);
  r.add(stock(50));
  await r.flush(counters(nextDay), 5_000);
  assert.equal(readdirSync(dir).filter((n) => n.endsWith('.parquet')).length, 2, 'a straggler: a new per-flush file next to the part');
  await r.close(counters(nextDay), 'stopped', 6_000);
}));
