/**
 * The Live page's API over real HTTP on 127.0.0.1: a live process's app (on a metrics server with
 * /features/stream, as `gammaflow live` runs it) following SPY and QQQ, and a serve app that
 * finds it by `--live URL` or by its announcement in the lake and forwards the Live routes and the
 * SSE stream to it; no live process gives a message; a dead process's announcement is ignored.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAdaptorServer, getRequestListener } from '@hono/node-server';
import { NyseCalendar, nyWallClockToUtcNs } from '../calendar/index.js';
import { epochDayOf } from '../calendar/civilDate.js';
import { defaultConfig } from '../config/schema.js';
import { FeatureEngine, featureEngineOptions } from '../features/engine.js';
import type { FeatureRow } from '../features/row.js';
import { FeatureStreamHub } from '../sinks/sse.js';
import { WebLakeReader } from '../lake/web-queries.js';
import { emptyOptionGreeks } from '../options/enrich.js';
import { GreeksFlag, type OptionTrade } from '../formats/records.js';
import { createMetricsRegistry, startMetricsServer, type MetricsServer } from '../observe/metrics.js';
import { ProgressTracker } from '../observe/progress.js';
import { createWebApp } from './app.js';
import { loadAssets } from './assets.js';
import { localJobs, remoteJobs } from './jobs.js';
import { LIVE_DIR, LiveSources, announceLive, readAnnouncements } from './live-discovery.js';
import { LiveSession } from './live-session.js';
import { sampleLiveStatus } from '../../test/support/live-status.js';

const DAY = '2025-11-07';
let lake: string;
let liveServer: MetricsServer;
let hub: FeatureStreamHub;
let session: LiveSession;
let readers: WebLakeReader[] = [];
const closers: (() => Promise<void>)[] = [];

function dayRows(symbol: string): FeatureRow[] {
  const engine = new FeatureEngine(featureEngineOptions(defaultConfig().aggregations, new NyseCalendar(), { symbol, windows: ['1m', '5m'] }));
  engine.onUnderlyingTrade({ sipTimestampNs: nyWallClockToUtcNs(DAY, 10, 0, 30), sequence: 1, price: 680.5, size: 100, conditions: [], correction: 0 });
  return [...engine.finish()];
}

function addTrade(symbol: string, i: number, atNs: bigint, strike: number, right: 'C' | 'P', iv: number): void {
  const t: OptionTrade = {
    sipTimestampNs: atNs, sequence: i, ticker: `O:${symbol}251114${right}00${strike}000`, root: symbol, right, strike,
    expiryDays: epochDayOf('2025-11-14'), adjusted: false, price: 2, size: 1 + (i % 5), conditions: [], correction: 0, exchange: 1,
  };
  session.addTrade(symbol, t, { ...emptyOptionGreeks(), eligible: true, underlyingPrice: 680, iv, delta: 0.5, gamma: 0.01, gadvv: 100 + i, greeksFlag: GreeksFlag.Ok }, i % 2 === 0 ? 'buy' : undefined);
}

async function serveApp(o: { urls: string[]; lake: string | undefined }): Promise<string> {
  const reader = await WebLakeReader.open(lake);
  readers.push(reader);
  const app = createWebApp({ lake: reader, assets: await loadAssets(), jobs: remoteJobs([]), maxPoints: 1000, liveSources: new LiveSources(o) });
  const server = createAdaptorServer({ fetch: app.fetch });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise<void>((resolve) => { server.close(() => resolve()); if ('closeAllConnections' in server) server.closeAllConnections(); }));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const json = async (url: string): Promise<{ status: number; body: Record<string, unknown> }> => {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

before(async () => {
  lake = mkdtempSync(join(tmpdir(), 'gf-web-live-api-'));
  mkdirSync(join(lake, 'features'), { recursive: true });
  session = new LiveSession(['SPY', 'QQQ'], ['1m', '5m'], false);
  for (const symbol of ['SPY', 'QQQ']) for (const row of dayRows(symbol).filter((r) => r.window === '1m').slice(0, 20)) session.addRow(row);
  const t10 = nyWallClockToUtcNs(DAY, 10, 0);
  for (let i = 0; i < 40; i++) addTrade('SPY', i, t10 + BigInt(i) * 3_000_000_000n, 670 + (i % 4), i % 3 === 0 ? 'P' : 'C', 0.2 + i / 1000);
  for (let i = 0; i < 7; i++) addTrade('QQQ', i, t10 + BigInt(i) * 1_000_000_000n, 600, 'C', 0.3);
  const tracker = new ProgressTracker();
  tracker.startRun({ command: 'live', daysTotal: 0, filesTotal: 0 });
  tracker.setLive(sampleLiveStatus());
  liveServer = await startMetricsServer('127.0.0.1:0', createMetricsRegistry());
  hub = new FeatureStreamHub({ aggression: false, windows: ['1m', '5m'], heartbeatMs: 0 });
  hub.attach(liveServer);
  const reader = await WebLakeReader.open(lake);
  readers.push(reader);
  const app = createWebApp({ lake: reader, assets: await loadAssets(), jobs: localJobs(tracker), maxPoints: 1000, live: session, jobsIntervalMs: 100 });
  liveServer.fallback(getRequestListener(app.fetch));
});

after(async () => {
  hub.close();
  for (const c of closers) await c();
  await liveServer.close();
  for (const r of readers) r.close();
  rmSync(lake, { recursive: true, force: true });
});

test('live: /api/live names the symbols and windows; rows, smile, gadvv by strike and per-trade greeks per symbol', async () => {
  const info = await json(`${liveServer.url}/api/live`);
  assert.deepEqual(info.body, { active: true, symbol: 'SPY', symbols: ['SPY', 'QQQ'], windows: ['1m', '5m'] });
  const rows = await json(`${liveServer.url}/api/live?symbol=QQQ&window=1m`);
  assert.equal((rows.body.rows as unknown[][]).length, 20);
  assert.ok((rows.body.rows as unknown[][]).every((r) => r[0] === 'QQQ'));
  assert.equal((await json(`${liveServer.url}/api/live?symbol=IWM`)).status, 404);

  const from = Number(nyWallClockToUtcNs(DAY, 10, 0) / 1_000_000n);
  const smile = (await json(`${liveServer.url}/api/live/smile?symbol=SPY&from_ms=${from}&to_ms=${from + 60_000}`)).body;
  // 10:00:00–10:01:00 holds the trades at 0, 3, ..., 57 s: 20.
  assert.equal(smile.trades, 20);
  assert.equal((smile.strike as number[]).length, 20);
  assert.equal(smile.downsampled, false);
  assert.deepEqual(smile.expiries, [{ expiry: '2025-11-14', trades: 20 }]);
  const capped = (await json(`${liveServer.url}/api/live/smile?symbol=SPY&from_ms=${from}&to_ms=${from + 60_000}&max_points=5`)).body;
  assert.equal(capped.downsampled, true);
  assert.ok((capped.strike as number[]).length <= 5);
  const strikes = (await json(`${liveServer.url}/api/live/gadvv-by-strike?symbol=SPY&from_ms=${from}&to_ms=${from + 60_000}`)).body;
  assert.deepEqual(strikes.strike, [670, 671, 672, 673]);
  let expected = 0;
  for (let i = 0; i < 20; i++) expected += 100 + i;
  assert.equal((strikes.calls as number[]).concat(strikes.puts as number[]).reduce((a, b) => a + b, 0), expected);
  assert.equal(strikes.trades, 20);
  const trades = (await json(`${liveServer.url}/api/live/option-trades?symbol=QQQ`)).body;
  assert.equal((trades.strike as number[]).length, 7);
  assert.deepEqual((trades.side as unknown[]).slice(0, 3), ['buy', null, 'buy']);
  assert.equal(trades.complete, true);
  assert.match(String((await json(`${liveServer.url}/api/live/smile?symbol=SPY&expiry=14-11-2025`)).body.error), /expiry: expected YYYY-MM-DD/);
});

test('serve without a live process: a message, and the Live routes answer 404', async () => {
  const serve = await serveApp({ urls: [], lake });
  const info = (await json(`${serve}/api/live`)).body;
  assert.equal(info.active, false);
  assert.match(String(info.message), /No live process: start gammaflow live/);
  const smile = await json(`${serve}/api/live/smile?symbol=SPY`);
  assert.equal(smile.status, 404);
  // A stream nobody follows: 204, which stops an EventSource without an error.
  assert.equal((await fetch(`${serve}/features/stream?symbol=SPY`)).status, 204);
  assert.equal((await fetch(`${serve}/api/live/run/stream`)).status, 204);
  const down = await serveApp({ urls: ['http://127.0.0.1:1'], lake: undefined });
  const downInfo = (await json(`${down}/api/live`)).body as { active: boolean; sources: { state: string; error: string }[] };
  assert.equal(downInfo.active, false);
  assert.equal(downInfo.sources[0]!.state, 'unreachable');
  assert.match(downInfo.sources[0]!.error, /no live process answers at http:\/\/127\.0\.0\.1:1/);
});

test('serve --live URL forwards the Live routes and /features/stream to the live process', async () => {
  const serve = await serveApp({ urls: [liveServer.url], lake: undefined });
  const info = (await json(`${serve}/api/live`)).body;
  assert.equal(info.active, true);
  assert.deepEqual(info.symbols, ['SPY', 'QQQ']);
  assert.equal(info.source, liveServer.url);
  for (const path of ['/api/live?symbol=QQQ&window=5m', '/api/live/smile?symbol=SPY', '/api/live/gadvv-by-strike?symbol=QQQ', '/api/live/option-trades?symbol=SPY&max_points=3']) {
    assert.deepEqual(await json(`${serve}${path}`), await json(`${liveServer.url}${path}`), path);
  }
  assert.equal((await json(`${serve}/api/live/smile?symbol=IWM`)).status, 404);

  const res = await fetch(`${serve}/features/stream?symbol=SPY`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
  const reader = res.body!.getReader();
  // The stream is open on the live side once its comment line came through.
  let text = new TextDecoder().decode((await reader.read()).value);
  const row = dayRows('SPY')[30]!;
  hub.add(row);
  while (!text.includes('"window_start"')) text += new TextDecoder().decode((await reader.read()).value);
  await reader.cancel();
  assert.match(text, new RegExp(`"window_start":${row.windowStartNs}`));

  const run = await fetch(`${serve}/api/live/run/stream?symbol=QQQ`);
  const runReader = run.body!.getReader();
  let runText = '';
  while (!runText.includes('\n\n')) runText += new TextDecoder().decode((await runReader.read()).value);
  await runReader.cancel();
  assert.match(runText, /"connections":\[\{"cluster":"stocks","state":"streaming"/, "the run stream forwards the live section");
});

test('serve finds a live process announced in the lake; a dead process\'s announcement is ignored and removed by the next live start', async () => {
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const deadPid = Number(dead.stdout);
  mkdirSync(join(lake, LIVE_DIR), { recursive: true });
  writeFileSync(join(lake, LIVE_DIR, `${deadPid}.json`), JSON.stringify({ pid: deadPid, url: 'http://127.0.0.1:1', symbols: ['IWM'], windows: ['1m'], started_at_ms: 1 }));
  assert.deepEqual(await readAnnouncements(lake), []);
  const announced = await announceLive(lake, { url: liveServer.url, symbols: ['SPY', 'QQQ'], windows: ['1m', '5m'], started_at_ms: Date.now() });
  assert.equal(existsSync(join(lake, LIVE_DIR, `${deadPid}.json`)), false);
  const serve = await serveApp({ urls: [], lake });
  const info = (await json(`${serve}/api/live?symbol=QQQ`)).body as { active: boolean; symbol: string; sources: { origin: string; pid: number }[] };
  assert.equal(info.active, true);
  assert.equal(info.symbol, 'QQQ');
  assert.deepEqual(info.sources.map((s) => [s.origin, s.pid]), [['lake', process.pid]]);
  assert.deepEqual(await json(`${serve}/api/live/smile?symbol=QQQ`), await json(`${liveServer.url}/api/live/smile?symbol=QQQ`));
  await announced.remove();
  assert.equal((await json(`${serve}/api/live`)).body.active, false);
});
