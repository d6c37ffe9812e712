/**
 * replay → live → page, in headless Chromium: the last 10 minutes of a generated session replayed at 30x over Massive's
 * WebSocket protocol into `gammaflow live`, whose metrics port serves the dashboard. Each window
 * that closes (as read on /features/stream by this test) shows up on the Live page within 2 s;
 * the live charts drew the rows the run emitted; the Jobs page shows the live run's connection
 * state, both on live's port and through `gammaflow serve` ([web] job_endpoints). Skips with a
 * message when no Chromium is installed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, startCli, type CliProcess } from '../support/cli.js';
import { NO_CHROMIUM, chromiumPath, openBrowser, type BrowserSession } from '../support/browser.js';
import { dataOf, expectDrawn, flowChartCounts, optionValues, waitFor, type FeatureTableJson } from '../support/dashboard.js';

const DATE = '2025-11-07';
const KEY = 'web-live-test-key';
const skip = chromiumPath() === undefined ? NO_CHROMIUM : false;
let work: string;
const processes: CliProcess[] = [];
let browser: BrowserSession | undefined;

before(async () => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'gf-e2e-web-live-'));
  writeFileSync(join(work, 'config.toml'), ['[metrics]', 'listen = "127.0.0.1:0"', '[tui]', 'plain_progress_interval_s = 1', ''].join('\n'));
  const g = await runCli(['generate', '--out', 'data', '--date', DATE, '--tickers', '3', '--spy-trades', '8000', '--option-trades', '3000'], { cwd: work, timeoutMs: 180_000 });
  assert.equal(g.code, 0, g.stderr);
  const run = await runCli(['run', '--symbol', 'SPY', '--from', DATE, '--source', 'local:data', '--lake', 'lake', '--windows', '1m,5m', '--no-tui'], { cwd: work, timeoutMs: 300_000 });
  assert.equal(run.code, 0, run.stderr);
  browser = await openBrowser();
});

after(async () => {
  await browser?.close();
  for (const p of processes) { p.kill('SIGKILL'); await p.exited; }
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Feature rows of /features/stream as they arrive: window label, start (ms) and arrival time. */
function readStream(url: string, onRow: (window: string, startMs: number, atMs: number) => void): AbortController {
  const abort = new AbortController();
  void (async () => {
    const res = await fetch(url, { signal: abort.signal });
    const reader = res.body!.getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += new TextDecoder().decode(value);
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const message = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const window = /"window":"([^"]+)"/.exec(message)?.[1];
        const start = /"window_start":(\d+)/.exec(message)?.[1];
        if (window !== undefined && start !== undefined) onRow(window, Number(BigInt(start) / 1_000_000n), Date.now());
      }
    }
  })().catch(() => undefined);
  return abort;
}

test('replay → live → page: each closed window is on the Live page within 2 s; charts, status and jobs', { skip, timeout: 300_000 }, async (t) => {
  const env = { MASSIVE_API_KEY: KEY };
  const replay = startCli(['replay', '--symbol', 'SPY', '--date', DATE, '--lake', 'lake', '--speed', '30x', '--start', '15:50', '--port', '0'], { cwd: work, env, timeoutMs: 240_000 });
  processes.push(replay);
  const feed = await replay.waitForLine((l) => l.startsWith('ws://127.0.0.1:'));
  const live = startCli(['live', '--symbol', 'SPY', '--url', feed, '--windows', '1m,5m', '--all-quotes', '--no-tui', '--lake', 'live-lake'], { cwd: work, env, timeoutMs: 240_000 });
  processes.push(live);
  let base = '';
  for (let i = 0; i < 600 && base === ''; i++) {
    base = /feature rows at (http:\/\/127\.0\.0\.1:\d+)\/features\/latest/.exec(live.stderr())?.[1] ?? '';
    if (base === '') await new Promise((r) => setTimeout(r, 100));
  }
  assert.notEqual(base, '', `live printed no address:\n${live.stderr()}`);
  assert.match(live.stderr(), /dashboard at http:\/\/127\.0\.0\.1:\d+\/#live/);

  const page = await browser!.page();
  await page.goto(`${base}/#live`);
  await waitFor(page, `${dataOf('#live', 'stream')} === 'open'`);
  assert.equal(await page.inputValue('#live-window'), '1m');

  // Each 1m row the stream delivers from now on must reach the page within 2 s.
  const arrivals: { startMs: number; atMs: number }[] = [];
  const stream = readStream(`${base}/features/stream`, (window, startMs, atMs) => { if (window === '1m') arrivals.push({ startMs, atMs }); });
  const delays: number[] = [];
  try {
    const deadline = Date.now() + 60_000;
    for (let checked = 0; checked < 5;) {
      const next = arrivals[checked];
      if (next === undefined) {
        assert.ok(Date.now() < deadline, `only ${checked} rows arrived on /features/stream within 60 s:\n${live.stderr().slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      await waitFor(page, `Number(${dataOf('#live', 'lastWindow1m')} ?? 0) >= ${next.startMs}`, Math.max(1, next.atMs + 2000 - Date.now())).catch(async (e: unknown) => {
        const state = await page.evaluate(`JSON.stringify(document.querySelector('#live').dataset)`);
        throw new Error(`the ${next.startMs} row (on the stream ${Date.now() - next.atMs} ms ago) is not on the page: ${state}`, { cause: e });
      });
      delays.push(Date.now() - next.atMs);
      checked++;
    }
  } finally {
    stream.abort();
  }
  t.diagnostic(`closed window → page: ${delays.join(', ')} ms`);
  assert.ok(delays.every((d) => d <= 2000), `delays ${delays.join(', ')} ms`);

  // The session's last window (15:59) closes about 20 s after the start; then the charts hold all 390 windows of the day
  // (the ones before 15:50 closed empty when the run started).
  const lastStartMs = Date.parse(`${DATE}T20:59:00Z`); // 15:59 New York (EST)
  await waitFor(page, `Number(${dataOf('#live', 'lastWindow1m')} ?? 0) >= ${lastStartMs} && ${dataOf('#live', 'rows')} === '390'`, 60_000);
  const table = await (await fetch(`${base}/api/live?window=1m`)).json() as FeatureTableJson;
  assert.equal(table.rows.length, 390);
  await expectDrawn(page, '#live', flowChartCounts(table));
  const status = await page.textContent('#live-status') ?? '';
  for (const key of ['page stream', 'connection', 'msgs/s', 'lag', 'last 1m window', 'last 5m window']) assert.ok(status.includes(key), `status shows ${key}: ${status}`);
  await browser!.screenshot(page, 'live-view');

  // Jobs: the live run's own snapshot on its port, and the same through gammaflow serve.
  await page.goto(`${base}/#jobs`);
  await page.waitForSelector('#jobs .job[data-command="live"]', { timeout: 10_000 });
  assert.match(await page.textContent('#jobs') ?? '', /connection/);
  writeFileSync(join(work, 'serve.toml'), ['[web]', `job_endpoints = ["${base.replace('http://', '')}"]`, ''].join('\n'));
  const serve = startCli(['serve', '--lake', 'lake', '--port', '0', '--config', 'serve.toml'], { cwd: work, timeoutMs: 120_000 });
  processes.push(serve);
  const serveUrl = (await serve.waitForLine((l) => l.startsWith('http://'))).replace(/\/$/, '');
  await page.goto(`${serveUrl}/#jobs`);
  await page.waitForSelector('#jobs .job[data-command="live"]', { timeout: 10_000 });
  await browser!.screenshot(page, 'jobs-view');
  assert.deepEqual(browser!.errors, []);
});

interface SmileJson { strike: number[]; trades: number }
interface StrikesJson { strike: number[]; trades: number }

test('replay → live → serve (another process, finding live in the lake) → page: each closed window\'s smile and gadvv by strike within 2 s', { skip, timeout: 300_000 }, async (t) => {
  const env = { MASSIVE_API_KEY: KEY };
  const replay = startCli(['replay', '--symbol', 'SPY', '--date', DATE, '--lake', 'lake', '--speed', '10x', '--start', '15:50', '--port', '0'], { cwd: work, env, timeoutMs: 240_000 });
  processes.push(replay);
  const feed = await replay.waitForLine((l) => l.startsWith('ws://127.0.0.1:'));
  const live = startCli(['live', '--symbol', 'SPY', '--url', feed, '--windows', '1m,5m', '--all-quotes', '--no-tui', '--lake', 'live-lake-serve'], { cwd: work, env, timeoutMs: 240_000 });
  processes.push(live);
  let base = '';
  for (let i = 0; i < 600 && base === ''; i++) {
    base = /feature rows at (http:\/\/127\.0\.0\.1:\d+)\/features\/latest/.exec(live.stderr())?.[1] ?? '';
    if (base === '') await new Promise((r) => setTimeout(r, 100));
  }
  assert.notEqual(base, '', `live printed no address:\n${live.stderr()}`);
  // serve over the lake live writes to: no --live, the live process is found through LAKE/_live.
  const serve = startCli(['serve', '--lake', 'live-lake-serve', '--port', '0'], { cwd: work, timeoutMs: 240_000 });
  processes.push(serve);
  const serveUrl = (await serve.waitForLine((l) => l.startsWith('http://'))).replace(/\/$/, '');

  const page = await browser!.page();
  const errorsBefore = browser!.errors.length;
  await page.goto(`${serveUrl}/#live`);
  await waitFor(page, `${dataOf('#live', 'stream')} === 'open'`, 30_000);
  assert.deepEqual(await optionValues(page, '#live-symbol'), ['SPY']);

  const arrivals: { startMs: number; atMs: number }[] = [];
  const stream = readStream(`${base}/features/stream`, (window, startMs, atMs) => { if (window === '1m') arrivals.push({ startMs, atMs }); });
  const delays: number[] = [];
  let withTrades = 0;
  try {
    const deadline = Date.now() + 90_000;
    for (let checked = 0; checked < 4;) {
      const next = arrivals[checked];
      if (next === undefined) {
        assert.ok(Date.now() < deadline, `only ${checked} rows arrived on /features/stream within 90 s:\n${live.stderr().slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      const shown = `Number(${dataOf('#live', 'windowStart')} ?? 0) >= ${next.startMs} && ${dataOf('#live', 'windowState')} === 'ready'`;
      await waitFor(page, shown, Math.max(1, next.atMs + 2000 - Date.now())).catch(async (e: unknown) => {
        const state = await page.evaluate(`JSON.stringify(document.querySelector('#live').dataset)`);
        throw new Error(`the smile of the ${next.startMs} window (closed ${Date.now() - next.atMs} ms ago) is not on the page: ${state}`, { cause: e });
      });
      delays.push(Date.now() - next.atMs);
      // What the page drew, read at once, against what the API returns for that window.
      const drawn = await page.evaluate(`(() => { const l = document.querySelector('#live'); const n = (c) => Number(l.querySelector('.chart[data-chart="' + c + '"]')?.dataset.points);
        return { start: Number(l.dataset.windowStart), smile: n('smile'), strikes: n('strikes') }; })()`) as { start: number; smile: number; strikes: number };
      const q = `symbol=SPY&from_ms=${drawn.start}&to_ms=${drawn.start + 60_000}`;
      const smile = await (await fetch(`${serveUrl}/api/live/smile?${q}`)).json() as SmileJson;
      const strikes = await (await fetch(`${serveUrl}/api/live/gadvv-by-strike?${q}`)).json() as StrikesJson;
      assert.equal(drawn.smile, smile.strike.length, `smile points of the ${drawn.start} window`);
      assert.equal(drawn.strikes, 2 * strikes.strike.length, `strike bars of the ${drawn.start} window`);
      assert.equal(smile.trades, strikes.trades);
      if (smile.strike.length > 0) withTrades++;
      checked++;
    }
  } finally {
    stream.abort();
  }
  t.diagnostic(`closed window → smile and strikes on the page through serve: ${delays.join(', ')} ms`);
  assert.ok(delays.every((d) => d <= 2000), `delays ${delays.join(', ')} ms`);
  assert.ok(withTrades > 0, 'some window had priced option trades');
  const status = await page.textContent('#live-status') ?? '';
  for (const key of ['page stream', 'live process', 'connection', 'msgs/s', 'lag']) assert.ok(status.includes(key), `status shows ${key}: ${status}`);
  await browser!.screenshot(page, 'live-view-serve');
  assert.deepEqual(browser!.errors.slice(errorsBefore), []);

  // The live process is stopped (Ctrl-C): its announcement goes, and the page says that no live process runs.
  live.kill('SIGINT');
  assert.equal((await live.exited).code, 0, live.stderr().slice(-2000));
  assert.deepEqual(readdirSync(join(work, 'live-lake-serve', '_live')), []);
  await waitFor(page, `${dataOf('#live', 'stream')} === 'none' && document.querySelector('#live-note').textContent.includes('No live process')`, 20_000);
  await browser!.screenshot(page, 'live-view-serve-no-live');
});
