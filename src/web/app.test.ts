/**
 * The web API over real HTTP on 127.0.0.1 (@hono/node-server, as gammaflow serve runs it), on a
 * lake written by DuckDB: JSON shapes of docs/web.md, errors, downloads read back by DuckDB, the
 * app's files, and run snapshots read from a real metrics server.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAdaptorServer } from '@hono/node-server';
import { DuckDBInstance } from '@duckdb/node-api';
import { Registry } from 'prom-client';
import { WebLakeReader } from '../lake/web-queries.js';
import { ProgressTracker } from '../observe/progress.js';
import { startMetricsServer, type MetricsServer } from '../observe/server.js';
import { attachSnapshotRoutes } from '../observe/snapshot-routes.js';
import { createWebApp } from './app.js';
import { loadAssets } from './assets.js';
import { remoteJobs } from './jobs.js';

const DATE = '2025-11-07';
const OPEN_NS = 1_762_525_800_000_000_000n;
let lake: string;
let reader: WebLakeReader;
let base: string;
let close: () => Promise<void>;
let metrics: MetricsServer;
let tracker: ProgressTracker;

async function duck<T = Record<string, unknown>>(sql: string): Promise<T[]> {
  const inst = await DuckDBInstance.create(':memory:');
  const conn = await inst.connect();
  try { return (await (await conn.runAndReadAll(sql)).getRowObjectsJS()) as T[]; } finally { conn.closeSync(); inst.closeSync(); }
}

before(async () => {
  lake = mkdtempSync(join(tmpdir(), 'gf-web-app-'));
  const d = (...p: string[]): string => { const x = join(lake, ...p); mkdirSync(x, { recursive: true }); return x; };
  await duck(`COPY (SELECT 'SPY' AS ticker, ${OPEN_NS} + i * 1000000000 AS sip_timestamp, 600 + i / 100.0 AS price, 1.0 AS size, 0 AS correction FROM range(3000) t(i))
    TO '${d('stocks-trades', `date=${DATE}`)}/part-00000.parquet' (FORMAT parquet)`);
  await duck(`COPY (SELECT ${OPEN_NS} + i * 100000000 AS sip_timestamp, 600.0 + (i % 5) AS strike, CASE WHEN i % 3 = 0 THEN 'P' ELSE 'C' END AS "right",
      0.2 + (i % 7) / 100.0 AS iv, 1.0 + (i % 4) AS size, 10.0 AS gadvv, DATE '2025-11-14' AS expiry, 0 AS greeks_flag FROM range(20000) t(i))
    TO '${d('options-greeks', 'symbol=SPY', `date=${DATE}`)}/part-00000.parquet' (FORMAT parquet)`);
  await duck(`COPY (SELECT 'SPY' AS symbol, '5m' AS "window", ${OPEN_NS} + i * 300000000000 AS window_start, ${OPEN_NS} + (i + 1) * 300000000000 AS window_end,
      i * 2.5 AS calls_dadvv_total, CASE WHEN i % 2 = 0 THEN NULL ELSE 1.5 END AS puts_dadvv_total, CAST(i AS INTEGER) AS diag_calls FROM range(78) t(i))
    TO '${d('features', 'symbol=SPY', 'window=5m', `date=${DATE}`)}/part-00000.parquet' (FORMAT parquet)`);
  reader = await WebLakeReader.open(lake);
  tracker = new ProgressTracker();
  tracker.startRun({ command: 'ingest', daysTotal: 2, filesTotal: 4 });
  tracker.setExtra('lag', '12 ms');
  metrics = await startMetricsServer('127.0.0.1:0', new Registry());
  attachSnapshotRoutes(metrics, tracker);
  const app = createWebApp({ lake: reader, assets: await loadAssets(), jobs: remoteJobs([metrics.address, '127.0.0.1:1'], 2000), maxPoints: 1000, jobsIntervalMs: 100 });
  const server = createAdaptorServer({ fetch: app.fetch });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => new Promise<void>((resolve) => { server.close(() => resolve()); if ('closeAllConnections' in server) server.closeAllConnections(); });
});

after(async () => {
  await close?.();
  await metrics?.close();
  reader?.close();
  if (lake) rmSync(lake, { recursive: true, force: true });
});

async function get(path: string): Promise<{ status: number; type: string; body: any }> {
  const res = await fetch(base + path);
  const type = res.headers.get('content-type') ?? '';
  return { status: res.status, type, body: type.startsWith('application/json') ? await res.json() : await res.text() };
}

test('GET /api/inventory', async () => {
  const r = await get('/api/inventory');
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { symbols: [{ symbol: 'SPY', days: [{ date: DATE, windows: ['5m'], greeks: true, stocksTrades: true }] }] });
});

test('GET /api/features: columns and rows, timestamps in ms, nulls', async () => {
  const r = await get(`/api/features?symbol=SPY&date=${DATE}&window=5m`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.columns, ['symbol', 'window', 'window_start_ms', 'window_end_ms', 'calls_dadvv_total', 'puts_dadvv_total', 'diag_calls']);
  assert.equal(r.body.rows.length, 78);
  assert.deepEqual(r.body.rows[2], ['SPY', '5m', 1_762_525_800_000 + 600_000, 1_762_525_800_000 + 900_000, 5, null, 2]);
});

test('GET /api/underlying: down-sampled to max_points', async () => {
  const r = await get(`/api/underlying?symbol=SPY&date=${DATE}`);
  assert.equal(r.status, 200);
  assert.equal(r.body.trades, 3000);
  assert.equal(r.body.downsampled, true);
  assert.equal(r.body.max_points, 1000);
  assert.ok(r.body.t_ms.length <= 1000 && r.body.t_ms.length === r.body.price.length);
  assert.equal(r.body.price[0], 600);
  assert.equal(r.body.price.at(-1), 629.99);
});

test('GET /api/smile and /api/gadvv-by-strike: a window range (ms) and the whole day', async () => {
  const from = 1_762_525_800_000 + 300_000;
  const w = await get(`/api/smile?symbol=SPY&date=${DATE}&from_ms=${from}&to_ms=${from + 60_000}`);
  assert.equal(w.status, 200);
  assert.equal(w.body.trades, 600);
  assert.equal(w.body.downsampled, false);
  assert.equal(w.body.strike.length, 600);
  assert.deepEqual(Object.keys(w.body).sort(), ['downsampled', 'expiries', 'iv', 'max_points', 'right', 'size', 'strike', 'trades']);
  const day = await get(`/api/smile?symbol=SPY&date=${DATE}`);
  assert.equal(day.body.trades, 20000);
  assert.equal(day.body.downsampled, true);
  assert.ok(day.body.strike.length <= 1000);
  assert.deepEqual(day.body.expiries, [{ expiry: '2025-11-14', trades: 20000 }]);
  const strikes = await get(`/api/gadvv-by-strike?symbol=SPY&date=${DATE}&from_ms=${from}&to_ms=${from + 60_000}`);
  assert.deepEqual(strikes.body.strike, [600, 601, 602, 603, 604]);
  assert.equal(strikes.body.trades, 600);
  assert.equal(strikes.body.calls.reduce((a: number, b: number) => a + b, 0) + strikes.body.puts.reduce((a: number, b: number) => a + b, 0), 6000);
});

test('errors: 400 naming the parameter, 404 for what the lake does not hold', async () => {
  const missing = await get('/api/features?symbol=SPY&date=2025-11-07');
  assert.equal(missing.status, 400);
  assert.deepEqual(missing.body, { error: 'missing query parameter window' });
  const bad = await get(`/api/smile?symbol=SPY&date=${DATE}&from_ms=yesterday`);
  assert.equal(bad.status, 400);
  assert.match(bad.body.error, /from_ms: expected epoch milliseconds, got "yesterday"/);
  const invalid = await get(`/api/features?symbol=SPY/../x&date=${DATE}&window=5m`);
  assert.equal(invalid.status, 400);
  const absent = await get('/api/features?symbol=SPY&date=2025-11-10&window=5m');
  assert.equal(absent.status, 404);
  assert.match(absent.body.error, /no features for SPY 5m on 2025-11-10/);
  const noEndpoint = await get('/api/nothing');
  assert.equal(noEndpoint.status, 404);
});

test('downloads: the shown rows as CSV and as Parquet (read back by DuckDB), lake columns in ns', async () => {
  const csv = await fetch(`${base}/api/features.csv?symbol=SPY&date=${DATE}&window=5m`);
  assert.equal(csv.status, 200);
  assert.match(csv.headers.get('content-disposition') ?? '', /attachment; filename="features-SPY-5m-2025-11-07.csv"/);
  const lines = (await csv.text()).trim().split('\n');
  assert.equal(lines[0], 'symbol,window,window_start,window_end,calls_dadvv_total,puts_dadvv_total,diag_calls');
  assert.equal(lines.length, 79);
  assert.equal(lines[3], `SPY,5m,${OPEN_NS + 600_000_000_000n},${OPEN_NS + 900_000_000_000n},5.0,,2`);
  const parquet = await fetch(`${base}/api/features.parquet?symbol=SPY&date=${DATE}&window=5m`);
  assert.equal(parquet.status, 200);
  const dir = mkdtempSync(join(tmpdir(), 'gf-web-dl-'));
  try {
    const path = join(dir, 'rows.parquet');
    writeFileSync(path, Buffer.from(await parquet.arrayBuffer()));
    const rows = await duck<{ n: bigint; s: number; first: bigint }>(`SELECT count(*) AS n, sum(calls_dadvv_total) AS s, min(window_start) AS first FROM read_parquet('${path}')`);
    assert.deepEqual(rows, [{ n: 78n, s: 2.5 * (77 * 78) / 2, first: OPEN_NS }]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the app and its files are served from the package (no CDN)', async () => {
  const index = await get('/');
  assert.equal(index.status, 200);
  assert.match(index.type, /text\/html/);
  assert.doesNotMatch(index.body, /https?:\/\//, 'no absolute URL in the page');
  for (const path of ['/assets/main.js', '/assets/vendor/uPlot.esm.js', '/assets/vendor/uPlot.min.css', '/app.css', '/docs/features.md']) {
    const r = await fetch(base + path);
    assert.equal(r.status, 200, path);
    await r.arrayBuffer();
  }
  assert.equal((await fetch(base + '/assets/../../package.json')).status, 404);
});

test('jobs: the run snapshot of each endpoint, an unreachable one named; the SSE stream repeats it', async () => {
  const r = await get('/api/jobs');
  assert.equal(r.status, 200);
  assert.equal(r.body.jobs.length, 2);
  const [running, absent] = r.body.jobs;
  assert.equal(running.state, 'running');
  assert.equal(running.source, metrics.address);
  assert.equal(running.snapshot.command, 'ingest');
  assert.equal(running.snapshot.daysTotal, 2);
  assert.equal(running.snapshot.extra.lag, '12 ms');
  assert.equal(absent.state, 'unreachable');
  assert.match(absent.error, /no run answers at http:\/\/127\.0\.0\.1:1\/run\/snapshot/);

  const res = await fetch(base + '/api/jobs/stream');
  assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
  const reader = res.body!.getReader();
  let text = '';
  while ((text.match(/^data: /gm) ?? []).length < 2) text += new TextDecoder().decode((await reader.read()).value);
  await reader.cancel();
  const first = JSON.parse(text.split('\n').find((l) => l.startsWith('data: '))!.slice(6)) as { jobs: { state: string }[] };
  assert.equal(first.jobs[0]!.state, 'running');
});

test('GET /api/live without a live session', async () => {
  const live = (await get('/api/live')).body as { active: boolean; message: string };
  assert.equal(live.active, false);
  assert.match(live.message, /No live process/);
});
