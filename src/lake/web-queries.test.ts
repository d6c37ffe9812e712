/**
 * The web dashboard's lake queries on partitions written by DuckDB (a second writer, so the
 * queries are checked against data the product did not write): inventory, feature rows (live
 * files: last occurrence wins), and the down-sampling bounds at full-day scale (1 M option
 * trades, 600 k underlying trades).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { LakeError } from '../util/errors.js';
import { WebLakeReader } from './web-queries.js';

const DATE = '2025-11-07';
/** 09:30 New York on DATE, ns. */
const OPEN_NS = 1_762_525_800_000_000_000n;
let lake: string;
let reader: WebLakeReader;

async function duck(sql: string): Promise<void> {
  const inst = await DuckDBInstance.create(':memory:');
  const conn = await inst.connect();
  try { await conn.run(sql); } finally { conn.closeSync(); inst.closeSync(); }
}

function dir(...parts: string[]): string {
  const d = join(lake, ...parts);
  mkdirSync(d, { recursive: true });
  return d;
}

before(async () => {
  lake = mkdtempSync(join(tmpdir(), 'gf-web-lake-'));
  // 600 000 SPY trades over the session (one every 39 ms), a sine with one spike, and other tickers.
  await duck(`COPY (SELECT CASE WHEN i % 7 = 0 THEN 'QQQ' ELSE 'SPY' END AS ticker, ${OPEN_NS} + i * 39000000 AS sip_timestamp,
      CASE WHEN i = 300001 THEN 999.0 ELSE 600 + 5 * sin(i / 20000.0) END AS price, 1.0 AS size, 0 AS correction
    FROM range(700000) t(i)) TO '${dir('stocks-trades', `date=${DATE}`)}/part-00000.parquet' (FORMAT parquet)`);
  // 1 000 000 priced option trades: 40 strikes × 2 rights × 5 expiries, IVs spread over 0.1–0.6.
  await duck(`COPY (SELECT ${OPEN_NS} + i * 23400000 AS sip_timestamp, 560.0 + (i % 40) * 2 AS strike, CASE WHEN i % 2 = 0 THEN 'C' ELSE 'P' END AS "right",
      0.1 + ((i * 7919) % 5000) / 10000.0 AS iv, 1.0 + (i % 13) AS size, 1000.0 + (i % 40) AS gadvv, DATE '2025-11-07' + CAST(i % 5 AS INTEGER) * 7 AS expiry,
      CASE WHEN i % 50 = 0 THEN 7 ELSE 0 END AS greeks_flag
    FROM range(1000000) t(i)) TO '${dir('options-greeks', 'symbol=SPY', `date=${DATE}`)}/part-00000.parquet' (FORMAT parquet)`);
  // Features: a published 5m partition; a 1m partition of live files where window 2 was revised.
  const rows = (n: number, size: number, value: string) => `SELECT 'SPY' AS symbol, '${size}m' AS "window", ${OPEN_NS} + i * ${size * 60}000000000 AS window_start,
      ${OPEN_NS} + (i + 1) * ${size * 60}000000000 AS window_end, ${value} AS calls_dadvv_total, CAST(NULL AS DOUBLE) AS puts_dadvv_total FROM range(${n}) t(i)`;
  await duck(`COPY (${rows(78, 5, 'i * 1.0')}) TO '${dir('features', 'symbol=SPY', 'window=5m', `date=${DATE}`)}/part-00000.parquet' (FORMAT parquet)`);
  const live = dir('features', 'symbol=SPY', 'window=1m', `date=${DATE}`);
  await duck(`COPY (${rows(3, 1, 'i * 1.0')}) TO '${live}/live-abc-00000.parquet' (FORMAT parquet)`);
  await duck(`COPY (SELECT * FROM (${rows(4, 1, 'i * 10.0')}) WHERE window_start >= ${OPEN_NS + 120_000_000_000n}) TO '${live}/live-abc-00001.parquet' (FORMAT parquet)`);
  dir('features', 'symbol=QQQ', 'window=5m', 'date=2025-11-06'); // empty: not listed
  reader = await WebLakeReader.open(lake);
});

after(() => {
  reader?.close();
  if (lake) rmSync(lake, { recursive: true, force: true });
});

test('inventory: symbols with feature rows, dates newest first, window sizes shortest first, which tables exist', async () => {
  assert.deepEqual(await reader.inventory(), {
    symbols: [{ symbol: 'SPY', days: [{ date: DATE, windows: ['1m', '5m'], greeks: true, stocksTrades: true }] }],
  });
});

test('feature rows: window order, ms timestamps, nulls kept; in live files the last occurrence of a window wins', async () => {
  const published = await reader.featureRows('SPY', DATE, '5m');
  assert.deepEqual(published.columns, ['symbol', 'window', 'window_start_ms', 'window_end_ms', 'calls_dadvv_total', 'puts_dadvv_total']);
  assert.equal(published.rows.length, 78);
  assert.deepEqual(published.rows[1], ['SPY', '5m', Number(OPEN_NS / 1_000_000n) + 300_000, Number(OPEN_NS / 1_000_000n) + 600_000, 1, null]);
  const live = await reader.featureRows('SPY', DATE, '1m');
  assert.deepEqual(live.rows.map((r) => r[4]), [0, 1, 20, 30]);
});

test('bad names and missing partitions are LakeErrors naming them', async () => {
  await assert.rejects(reader.featureRows("SP'Y", DATE, '5m'), (e: unknown) => e instanceof LakeError && /invalid symbol "SP'Y"/.test(e.message));
  await assert.rejects(reader.featureRows('SPY', '2025-11-08', '5m'), (e: unknown) => e instanceof LakeError && /no features for SPY 5m on 2025-11-08/.test(e.message));
  await assert.rejects(reader.smile({ symbol: 'QQQ', date: DATE }, 10), (e: unknown) => e instanceof LakeError && /no options-greeks partition for QQQ/.test(e.message));
});

test('underlying prices: 600 k trades reach the chart as ≤ 50 000 points that keep every bucket\'s extremes (the spike included)', async () => {
  const s = await reader.underlyingPrices('SPY', DATE, 50_000);
  assert.equal(s.trades, 600_000);
  assert.equal(s.downsampled, true);
  assert.ok(s.tMs.length <= 50_000 && s.tMs.length > 40_000, `${s.tMs.length} points`);
  assert.equal(s.tMs.length, s.price.length);
  for (let i = 1; i < s.tMs.length; i++) assert.ok(s.tMs[i]! >= s.tMs[i - 1]!, 'time order');
  assert.equal(Math.max(...s.price), 999);
  assert.ok(Math.abs(Math.min(...s.price) - 595) < 1e-6, 'the lowest trade is kept');
  const small = await reader.underlyingPrices('SPY', DATE, 1_000_000);
  assert.equal(small.downsampled, false);
  assert.equal(small.tMs.length, 600_000);
});

test('smile: 1 M option trades of a day reach the chart as ≤ 50 000 points; a window range and an expiry select', async () => {
  const day = await reader.smile({ symbol: 'SPY', date: DATE }, 50_000);
  assert.equal(day.trades, 980_000, 'priced trades only (greeks_flag 0)');
  assert.equal(day.downsampled, true);
  assert.ok(day.strike.length <= 50_000, `${day.strike.length} points`);
  assert.deepEqual(day.expiries.map((e) => e.expiry), ['2025-11-07', '2025-11-14', '2025-11-21', '2025-11-28', '2025-12-05']);
  assert.equal(day.expiries.reduce((n, e) => n + e.trades, 0), 980_000);
  for (let i = 0; i < day.iv.length; i++) assert.ok(day.iv[i]! >= 0.1 && day.iv[i]! <= 0.6 && (day.right[i] === 'C' || day.right[i] === 'P'));
  // One 1-minute window: 60 s / 23.4 ms ≈ 2 564 trades, all shown as they are.
  const fromNs = OPEN_NS + 60_000_000_000n;
  const window = await reader.smile({ symbol: 'SPY', date: DATE, fromNs, toNs: fromNs + 60_000_000_000n }, 50_000);
  assert.equal(window.downsampled, false);
  assert.equal(window.strike.length, window.trades);
  assert.ok(window.trades > 2_400 && window.trades < 2_600, String(window.trades));
  const oneExpiry = await reader.smile({ symbol: 'SPY', date: DATE, fromNs, toNs: fromNs + 60_000_000_000n, expiry: '2025-11-14' }, 50_000);
  assert.ok(oneExpiry.trades > 0 && oneExpiry.trades < window.trades);
});

test('gadvv by strike: Σ gadvv of priced calls and puts per strike, for the day or a range', async () => {
  const p = await reader.gadvvByStrike({ symbol: 'SPY', date: DATE });
  assert.equal(p.strike.length, 40);
  assert.equal(p.trades, 980_000);
  // Strike 560 is i % 40 = 0: even i only, so calls only; 25 000 trades, of which the 5 000 with i % 200 = 0 are unpriced (i % 50 = 0).
  assert.equal(p.puts[0], 0);
  assert.equal(p.calls[0], 1000 * (25_000 - 5_000));
  assert.ok(p.strike.every((s, i) => i === 0 || s > p.strike[i - 1]!));
});
