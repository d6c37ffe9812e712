/**
 * `gammaflow serve` in headless Chromium: two generated days through `gammaflow run`, served by
 * the built CLI; the Day view's charts drew what the API returned (points, bars), without console
 * errors; selecting another window, date or window size redraws. Screenshots go to
 * .tmp/test-artifacts/. Skips with a message when no Chromium is installed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, startCli, type CliProcess } from '../support/cli.js';
import { NO_CHROMIUM, chromiumPath, openBrowser, type BrowserSession } from '../support/browser.js';
import { dataOf, drawCountsSoFar, expectDrawn, flowChartCounts, optionValues, waitFor, type FeatureTableJson } from '../support/dashboard.js';

const DAYS = ['2025-11-06', '2025-11-07'];
const skip = chromiumPath() === undefined ? NO_CHROMIUM : false;
let work: string;
let serve: CliProcess | undefined;
let url: string;
let browser: BrowserSession | undefined;

async function api<T>(path: string): Promise<T> {
  const res = await fetch(url + path);
  assert.equal(res.status, 200, `${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

before(async () => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'gf-e2e-web-'));
  writeFileSync(join(work, 'config.toml'), ['[metrics]', 'listen = "0"', ''].join('\n'));
  for (const date of DAYS) {
    const g = await runCli(['generate', '--out', 'data', '--date', date, '--tickers', '3', '--spy-trades', '8000', '--option-trades', '3000'], { cwd: work, timeoutMs: 180_000 });
    assert.equal(g.code, 0, g.stderr);
  }
  const run = await runCli(['run', '--symbol', 'SPY', '--from', DAYS[0]!, '--to', DAYS[1]!, '--source', 'local:data', '--lake', 'lake', '--windows', '1m,5m', '--no-tui'],
    { cwd: work, timeoutMs: 300_000 });
  assert.equal(run.code, 0, run.stderr);
  serve = startCli(['serve', '--lake', 'lake', '--port', '0'], { cwd: work, timeoutMs: 600_000 });
  url = (await serve.waitForLine((l) => l.startsWith('http://'))).replace(/\/$/, '');
  browser = await openBrowser();
});

after(async () => {
  await browser?.close();
  if (serve) { serve.kill('SIGTERM'); await serve.exited; }
  if (work) rmSync(work, { recursive: true, force: true });
});

interface SmileJson { strike: number[]; trades: number }
interface StrikesJson { strike: number[] }

/** What the Day view must show for its current selection. */
async function expectedDay(page: import('playwright-core').Page): Promise<Record<string, number>> {
  const [symbol, date, window] = await Promise.all(['#day-symbol', '#day-date', '#day-window'].map((s) => page.inputValue(s)));
  const q = `symbol=${symbol}&date=${date}`;
  const rows = await api<FeatureTableJson>(`/api/features?${q}&window=${window}`);
  const startCol = rows.columns.indexOf('window_start_ms');
  const endCol = rows.columns.indexOf('window_end_ms');
  const maxPoints = await page.evaluate<number>(`4 * Math.max(500, Math.round(document.querySelector('#day').clientWidth * devicePixelRatio))`);
  const price = await api<{ t_ms: number[] }>(`/api/underlying?${q}&window=${window}&max_points=${maxPoints}`);
  const start = Number(await page.getAttribute('#day', 'data-window-start'));
  const row = rows.rows.find((r) => r[startCol] === start)!;
  const end = row[endCol] as number;
  const smile = await api<SmileJson>(`/api/smile?${q}&from_ms=${start}&to_ms=${end}`);
  const strikes = await api<StrikesJson>(`/api/gadvv-by-strike?${q}&from_ms=${start}&to_ms=${end}`);
  return { ...flowChartCounts(rows, price.t_ms.length), smile: smile.strike.length, strikes: 2 * strikes.strike.length };
}

async function ready(page: import('playwright-core').Page): Promise<void> {
  await page.waitForSelector('#day[data-state="ready"]', { timeout: 30_000 });
}

test('day view: every chart drew what the API returned; another window, date and size redraw; no console errors', { skip, timeout: 300_000 }, async () => {
  const page = await browser!.page();
  await page.goto(`${url}/#day`);
  await ready(page);
  assert.deepEqual(await optionValues(page, '#day-date'), [...DAYS].reverse(), 'dates from the lake, newest first');
  assert.equal(await page.inputValue('#day-window'), '5m');
  const first = await expectedDay(page);
  assert.ok(first.smile! > 0 && first.strikes! > 0 && first.aggression! > 0 && first.price! > 500, JSON.stringify(first));
  await expectDrawn(page, '#day', first);
  assert.equal(await page.getAttribute('.chart[data-chart="dip"]', 'data-thresholds'), '0.05,0.01');
  const tableRows = await page.evaluate<number>(`document.querySelectorAll('#feature-table tbody tr').length`);
  assert.equal(tableRows, 4 + 149 + 22 + 2, 'symbol, window, bounds, 149 features, the diagnostics, quality and source');
  assert.match(await page.getAttribute('#feature-table', 'data-rows') ?? '', /^\d+$/);
  assert.equal(await page.getAttribute('a[href="/docs/features.md"]', 'href'), '/docs/features.md');
  await browser!.screenshot(page, 'day-view');

  // Another window: the smile and strike charts redraw with that window's trades.
  const draws = await drawCountsSoFar(page, '#day');
  const before = await page.getAttribute('#day', 'data-window-start');
  const options = await optionValues(page, '#day-selected-window');
  const current = await page.inputValue('#day-selected-window');
  await page.selectOption('#day-selected-window', options.find((o) => o !== current && Number(o) > 10)!);
  await waitFor(page, `${dataOf('#day', 'windowStart')} !== ${JSON.stringify(before)} && ${dataOf('#day', 'state')} === 'ready'`);
  const second = await expectedDay(page);
  await expectDrawn(page, '#day', second);
  const after = await drawCountsSoFar(page, '#day');
  for (const name of ['smile', 'strikes', 'dadvv', 'price']) assert.ok(after[name]! > draws[name]!, `${name} redrew (${draws[name]} → ${after[name]})`);
  await browser!.screenshot(page, 'day-view-other-window');

  // Another date.
  const day2 = await page.getAttribute('#day', 'data-window-start');
  await page.selectOption('#day-date', DAYS[0]!);
  await waitFor(page, `${dataOf('#day', 'windowStart')} !== ${JSON.stringify(day2)} && ${dataOf('#day', 'state')} === 'ready'`);
  await expectDrawn(page, '#day', await expectedDay(page));

  // Another window size.
  await page.selectOption('#day-window', '1m');
  await waitFor(page, `${dataOf('#day', 'rows')} === '390'`);
  await ready(page);
  const oneMinute = await expectedDay(page);
  assert.ok(oneMinute.dadvv! > first.dadvv!, 'more windows at 1m');
  await expectDrawn(page, '#day', oneMinute);

  // The downloads link to the rows shown.
  const href = await page.getAttribute('#download-parquet', 'href');
  assert.equal(href, `/api/features.parquet?symbol=SPY&date=${DAYS[0]}&window=1m`);
  assert.deepEqual(browser!.errors, []);
});

test('jobs page under serve: no run reachable is shown as such, without errors', { skip, timeout: 60_000 }, async () => {
  const page = await browser!.page();
  await page.goto(`${url}/#jobs`);
  await page.waitForSelector('#jobs[data-jobs="0"]');
  assert.match(await page.textContent('#jobs') ?? '', /No job endpoint configured|no run answers/);
  assert.deepEqual(browser!.errors, []);
});
