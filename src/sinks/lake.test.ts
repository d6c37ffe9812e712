import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { duckQuery, lit } from '../../test/support/duckdb.js';
import { regularDayRows } from '../../test/support/feature-rows.js';
import { nyWallClockToUtcNs } from '../calendar/index.js';
import { defaultConfig } from '../config/schema.js';
import { featureDataset } from '../features/output.js';
import { featurePolicy, type FeaturePolicy } from '../features/policy.js';
import type { FeatureRow } from '../features/row.js';
import { partitionDir } from '../lake/layout.js';
import { readManifest } from '../lake/manifest.js';
import { LakeFeatureSink } from './lake.js';

const DAY = '2025-11-07';
const dayRows = () => regularDayRows(DAY);

const policies = (aggregations = defaultConfig().aggregations): Map<string, FeaturePolicy> =>
  new Map(['1m', '5m'].map((window) => [window, featurePolicy({ aggregations, window, session: 'regular', aggression: false })]));

test('lake sink: live files appear whole, rotate once the partition is checked; the closed day is published once with the final rows', async () => {
  const lake = mkdtempSync(join(tmpdir(), 'gammaflow-live-lake-'));
  try {
    const sink = new LakeFeatureSink({ lake, symbol: 'SPY', runId: 'run1', aggression: false, policies: policies(), rotateRows: 100, rowGroupRows: 1000, zstdLevel: 1 });
    const rows = dayRows();
    const ones = rows.filter((r) => r.window === '1m'), fives = rows.filter((r) => r.window === '5m');
    const dir1m = partitionDir(lake, featureDataset('SPY', '1m'), DAY);
    for (const row of ones.slice(0, 150)) sink.add(row);
    assert.equal(existsSync(dir1m), false, 'nothing written before the partition was checked (flush)');
    await sink.flush();
    assert.deepEqual(readdirSync(dir1m), ['live-run1-00000.parquet']);
    // Checked: 240 more rows → 2 rotations of 100, no temporary names left.
    for (const row of ones.slice(150)) sink.add(row);
    for (const row of fives) sink.add(row);
    assert.deepEqual(readdirSync(dir1m).sort(), ['live-run1-00000.parquet', 'live-run1-00001.parquet', 'live-run1-00002.parquet']);
    await sink.flush();
    const glob = join(lake, 'features', 'symbol=SPY', 'window=1m', `date=${DAY}`, '*.parquet');
    const [live] = await duckQuery(`SELECT count(*) AS n, count(DISTINCT window_start) AS starts, min(quality) AS q, min(source) AS s FROM read_parquet(${lit(glob)})`);
    assert.deepEqual(live, { n: 390n, starts: 390n, q: 'prelim', s: 'realtime' });
    // A correction of 10:00 (revision) goes into a later live file, and into the published day.
    const tenOClock = rows.find((r) => r.window === '1m' && r.windowStartNs === nyWallClockToUtcNs(DAY, 10, 0))!;
    const corrected: FeatureRow = { ...tenOClock, diagnostics: Int32Array.from(tenOClock.diagnostics, (v, i) => (i === 0 ? v + 1 : v)) };
    sink.add(corrected, { revision: 1 });
    assert.deepEqual(await sink.publishClosedDays([DAY]), [], 'an open day is not published');
    assert.deepEqual(await sink.publishClosedDays([]), [DAY]);
    assert.deepEqual(readdirSync(dir1m).filter((n) => n.endsWith('.parquet')), ['part-00000.parquet']);
    const [published] = await duckQuery(`SELECT count(*) AS n, max(diag_underlying_trades) AS trades FROM read_parquet(${lit(glob)})`);
    assert.deepEqual(published, { n: 390n, trades: 2 });
    const [meta] = await duckQuery(`SELECT decode(value) AS v FROM parquet_kv_metadata(${lit(join(dir1m, 'part-00000.parquet'))}) WHERE decode(key) = 'gammaflow.policy_id'`);
    assert.equal(meta?.v, policies().get('1m')!.id);
    assert.deepEqual(await sink.publishClosedDays([]), [], 'nothing new: not republished');
    // A later revision republishes the whole day, not just that row.
    sink.add({ ...corrected, diagnostics: Int32Array.from(corrected.diagnostics, (v, i) => (i === 0 ? v + 1 : v)) }, { revision: 2 });
    assert.deepEqual(await sink.publishClosedDays([]), [DAY]);
    const [republished] = await duckQuery(`SELECT count(*) AS n, max(diag_underlying_trades) AS trades FROM read_parquet(${lit(glob)})`);
    assert.deepEqual(republished, { n: 390n, trades: 3 });
    const manifest = await readManifest(lake, featureDataset('SPY', '5m'));
    assert.equal(manifest.get(DAY)?.rows, 78);
    assert.equal(manifest.get(DAY)?.source.key, 'live/run1');
    // 1m: first flush, two rotations, second flush; 5m: the second flush. The correction came after the flush: published only.
    assert.deepEqual(sink.stats(), { liveFiles: 4 + 1, liveRows: 390 + 78, daysPublished: 2, partitionsRefused: 0 });

    // Another run under another policy leaves these partitions alone and says what differs; final rows are never overwritten by live ones.
    const logs: string[] = [];
    const other = new LakeFeatureSink({ lake, symbol: 'SPY', runId: 'run2', aggression: false, policies: policies({ ...defaultConfig().aggregations, contract_size: 10 }),
      rowGroupRows: 1000, zstdLevel: 1, onLog: (_l, m) => logs.push(m) });
    for (const row of ones) other.add(row);
    await other.flush();
    assert.deepEqual(await other.publishClosedDays([]), []);
    assert.deepEqual(readdirSync(dir1m).filter((n) => n.endsWith('.parquet')), ['part-00000.parquet']);
    assert.match(logs.join('\n'), /policy .* differ in contract_size: 100 → 10/);
    assert.equal(other.stats().partitionsRefused, 1);
  } finally {
    rmSync(lake, { recursive: true, force: true });
  }
});

test('lake sink: rows of windows that overlap an interval filled from REST have source rest; the others realtime', async () => {
  const lake = mkdtempSync(join(tmpdir(), 'gammaflow-live-lake-'));
  try {
    const sink = new LakeFeatureSink({ lake, symbol: 'SPY', runId: 'run1', aggression: false, policies: policies(), rowGroupRows: 1000, zstdLevel: 1 });
    // Trades of 10:00:30–10:06:10 came from REST: 1m windows 10:00..10:06 (7) and 5m windows 10:00 and 10:05 (2).
    sink.noteRestFill(Number(nyWallClockToUtcNs(DAY, 10, 0, 30) / 1_000_000n), Number(nyWallClockToUtcNs(DAY, 10, 6, 10) / 1_000_000n));
    for (const row of dayRows()) sink.add(row);
    assert.deepEqual(await sink.publishClosedDays([]), [DAY]);
    for (const [window, restRows] of [['1m', 7n], ['5m', 2n]] as const) {
      const glob = join(lake, 'features', 'symbol=SPY', `window=${window}`, `date=${DAY}`, '*.parquet');
      const [r] = await duckQuery(`SELECT count(*) FILTER (WHERE source = 'rest') AS rest, count(*) FILTER (WHERE source = 'realtime') AS realtime,
        min(window_start) FILTER (WHERE source = 'rest') AS first FROM read_parquet(${lit(glob)})`);
      assert.equal(r!.rest, restRows, `${window}: windows overlapping the fill`);
      assert.equal(r!.rest + (r!.realtime as bigint), window === '1m' ? 390n : 78n);
      assert.equal(r!.first, nyWallClockToUtcNs(DAY, 10, 0), `${window}: the first such window starts at 10:00`);
    }
  } finally {
    rmSync(lake, { recursive: true, force: true });
  }
});
