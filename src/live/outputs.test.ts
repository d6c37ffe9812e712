import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { duckQuery, lit } from '../../test/support/duckdb.js';
import { NyseCalendar, nyWallClockToUtcNs } from '../calendar/index.js';
import { defaultConfig } from '../config/schema.js';
import { FeatureEngine, featureEngineOptions } from '../features/engine.js';
import { featureDataset, jsonLine } from '../features/output.js';
import type { FeatureRow } from '../features/row.js';
import { featurePolicy, type FeaturePolicy } from '../features/policy.js';
import { partitionDir } from '../lake/layout.js';
import { readManifest } from '../lake/manifest.js';
import { createMetricsRegistry, startMetricsServer } from '../observe/metrics.js';
import { FeatureStreamHub, JsonlSink, LakeFeatureSink, type LineStream } from './outputs.js';

const DAY = '2025-11-07';

/** A regular day's 1m and 5m rows (390 + 78) with one underlying trade at 10:00:30. */
function dayRows(): FeatureRow[] {
  const engine = new FeatureEngine(featureEngineOptions(defaultConfig().aggregations, new NyseCalendar(), { symbol: 'SPY', windows: ['1m', '5m'] }));
  engine.onUnderlyingTrade({ sipTimestampNs: nyWallClockToUtcNs(DAY, 10, 0, 30), sequence: 1, price: 680.5, size: 100, conditions: [], correction: 0 });
  return [...engine.finish()];
}

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

test('jsonl sink: the lines of `features --out x.jsonl`; rows are dropped (counted, logged) while the reader lags', () => {
  const written: string[] = [];
  const stream: LineStream & { writableLength: number } = { writableLength: 0, write: (s: string) => { written.push(s); return true; } };
  const logs: string[] = [];
  const sink = new JsonlSink(stream, { aggression: false, maxBufferedBytes: 1000, onLog: (_l, m) => logs.push(m) });
  const rows = dayRows().slice(0, 5);
  sink.add(rows[0]!);
  stream.writableLength = 5000;
  sink.add(rows[1]!);
  sink.add(rows[2]!);
  stream.writableLength = 0;
  sink.add(rows[3]!);
  assert.deepEqual(written, [jsonLine(rows[0]!, false) + '\n', jsonLine(rows[3]!, false) + '\n']);
  assert.equal(sink.written, 2);
  assert.equal(sink.dropped, 2);
  assert.equal(logs.length, 1);
});

function get(url: string): Promise<{ status: number; body: string; type: string }> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: String(res.headers['content-type']) }));
    }).on('error', reject).end();
  });
}

test('http: /features/latest holds the last row per window; /features/stream sends each row as SSE', async () => {
  const server = await startMetricsServer('127.0.0.1:0', createMetricsRegistry());
  const hub = new FeatureStreamHub({ aggression: false, windows: ['1m', '5m'], heartbeatMs: 0 });
  hub.attach(server);
  try {
    assert.deepEqual(await get(`${server.url}/features/latest`), { status: 200, body: '{}\n', type: 'application/json; charset=utf-8' });
    const received: string[] = [];
    let resolveThree!: () => void;
    const three = new Promise<void>((r) => { resolveThree = r; });
    const sse = request(`${server.url}/features/stream`, (res) => {
      assert.equal(res.headers['content-type'], 'text/event-stream; charset=utf-8');
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (c: string) => {
        buffer += c;
        for (let i = buffer.indexOf('\n\n'); i >= 0; i = buffer.indexOf('\n\n')) {
          const message = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          if (!message.startsWith(':')) received.push(message);
          if (received.length === 3) resolveThree();
        }
      });
    });
    sse.end();
    while (hub.stats().clients === 0) await new Promise((r) => setTimeout(r, 5));
    const rows = dayRows();
    const a = rows.find((r) => r.window === '1m')!, b = rows.find((r) => r.window === '5m')!;
    hub.add(a);
    hub.add(b);
    hub.add(a, { revision: 1 });
    await three;
    assert.deepEqual(received, [`data: ${jsonLine(a, false)}`, `data: ${jsonLine(b, false)}`, `event: revision\ndata: ${jsonLine(a, false)}`]);
    const latest = await get(`${server.url}/features/latest`);
    assert.equal(latest.body, `{"1m":${jsonLine(a, false)},"5m":${jsonLine(b, false)}}\n`);
    // A revision of an older 1m window does not replace the newer one in /features/latest.
    const a2 = rows.filter((r) => r.window === '1m')[1]!;
    hub.add(a2);
    hub.add(a, { revision: 2 });
    assert.equal(JSON.parse((await get(`${server.url}/features/latest`)).body)['1m'].window_start, Number(a2.windowStartNs));
    assert.equal(JSON.parse(latest.body)['5m'].window, '5m');
    sse.destroy();
  } finally {
    hub.close();
    await server.close();
  }
});

test('http: an SSE client that stops reading is disconnected (counted, logged); the others keep receiving', async () => {
  const server = await startMetricsServer('127.0.0.1:0', createMetricsRegistry());
  const logs: string[] = [];
  const hub = new FeatureStreamHub({ aggression: false, windows: ['1m'], heartbeatMs: 0, maxClientBufferedBytes: 64 * 1024, onLog: (_l, m) => logs.push(m) });
  hub.attach(server);
  const { port } = new URL(server.url);
  const stalled = connect(Number(port), '127.0.0.1');
  try {
    await new Promise<void>((resolve) => stalled.once('connect', () => resolve()));
    stalled.write('GET /features/stream HTTP/1.1\r\nHost: x\r\n\r\n');
    while (hub.stats().clients === 0) await new Promise((r) => setTimeout(r, 5));
    stalled.pause(); // never reads again: the kernel buffers fill, then the server's
    const row = dayRows()[0]!;
    for (let i = 0; i < 20_000 && hub.stats().droppedClients === 0; i++) {
      hub.add(row);
      if (i % 500 === 0) await new Promise((r) => setImmediate(r));
    }
    assert.equal(hub.stats().droppedClients, 1);
    assert.equal(hub.stats().clients, 0);
    assert.match(logs[0]!, /read too slowly/);
  } finally {
    stalled.destroy();
    hub.close();
    await server.close();
  }
});

test('http: on a non-loopback metrics bind, attaching the hub warns that the feature rows and the SSE stream are exposed', async () => {
  const warnings: string[] = [];
  // Loopback in the test, judged as remote (what 0.0.0.0 gets in production).
  const server = await startMetricsServer('127.0.0.1:0', createMetricsRegistry({ defaultMetrics: false }), { onWarn: (m) => warnings.push(m), isLoopback: () => false });
  const hub = new FeatureStreamHub({ aggression: false, windows: ['1m'], heartbeatMs: 0 });
  try {
    hub.attach(server);
    assert.equal(warnings.length, 3, warnings.join('\n'));
    assert.match(warnings[1]!, /^\/features\/latest on 127\.0\.0\.1:\d+ is reachable from other machines: the latest feature row of each window/);
    assert.match(warnings[2]!, /^\/features\/stream on 127\.0\.0\.1:\d+ is reachable from other machines: every feature row as it is emitted \(Server-Sent Events\)/);
  } finally {
    hub.close();
    await server.close();
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
