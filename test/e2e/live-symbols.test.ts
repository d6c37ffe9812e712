/**
 * `gammaflow live --symbols SPY,QQQ` against the local Massive WebSocket server: one process, one
 * options connection (`T.*`, `Q.*`), stock topics per symbol, a feed that also carries a symbol
 * nobody follows (IWM). Its rows of each symbol equal, line for line, those of `live --symbol`
 * run alone on the same feed; each symbol's day is published in the lake. In headless Chromium,
 * the Live page of such a run lets the user pick the symbol and draws that symbol's rows, smile
 * and gadvv by strike (skipped with a message when no Chromium is installed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCli } from '../support/cli.js';
import { NO_CHROMIUM, chromiumPath, openBrowser } from '../support/browser.js';
import { dataOf, expectDrawn, flowChartCounts, optionValues, waitFor, type FeatureTableJson } from '../support/dashboard.js';
import { startMassiveWsServer, type ServerConnection } from '../support/massive-ws-server.js';
import { formatDataEvent } from '../support/massive-ws-wire.js';
import { mulberry32 } from '../support/rng.js';
import { nyWallClockToUtcNs } from '../../src/calendar/index.js';
import { decodeOpra } from '../../src/formats/opra.js';
import type { FeedDataEvent } from '../../src/formats/massive-ws/types.js';
import { bsmPrice } from '../../src/options/pricing/bsm.js';

const DAY = '2025-11-07';
const MS = 1_000_000n;
const OPEN_MS = Number(nyWallClockToUtcNs(DAY, 10, 0) / MS);

/** Three minutes of stock trades, option trades and quotes of three underlyings, in event order, on a 100 ms grid. */
function tape(): { stocks: FeedDataEvent[]; options: FeedDataEvent[] } {
  const rand = mulberry32(7);
  const stocks: FeedDataEvent[] = [], options: FeedDataEvent[] = [];
  const names = [['SPY', 680], ['QQQ', 610], ['IWM', 240]] as const;
  const spot = new Map<string, number>(names.map(([s, p]) => [s, p]));
  let seq = 0;
  for (let ms = 0; ms < 180_000; ms += 100) {
    const t = BigInt(OPEN_MS + ms) * MS;
    for (const [sym, base] of names) {
      if (rand() < 0.5) {
        const S = spot.get(sym)! + (rand() - 0.5) * 0.1;
        spot.set(sym, S);
        stocks.push({ kind: 'stockTrade', trade: { sym, sipTimestampNs: t, sequence: ++seq, price: Math.round(S * 100) / 100, size: 1 + Math.floor(rand() * 300), conditions: [], correction: 0 } });
      }
      const strike = base + [-5, 0, 5][Math.floor(rand() * 3)]!;
      const right = rand() < 0.5 ? 'C' : 'P';
      const ticker = `O:${sym}251121${right}${String(strike * 1000).padStart(8, '0')}`;
      const c = decodeOpra(ticker);
      assert.ok(c.ok, ticker);
      const fair = bsmPrice(right, spot.get(sym)!, strike, 14 / 365, 0.04, 0.013, 0.2);
      if (rand() < 0.4) {
        options.push({ kind: 'optionQuote', quote: { sipTimestampNs: t, sequence: ++seq, ticker, bidPrice: Math.round((fair - 0.05) * 100) / 100, askPrice: Math.round((fair + 0.05) * 100) / 100, bidSize: 10, askSize: 12, bidExchange: 1, askExchange: 2 } });
      }
      if (rand() < 0.3) {
        options.push({ kind: 'optionTrade', trade: {
          sipTimestampNs: t, sequence: ++seq, ticker, root: c.contract.root, right: c.contract.right, strike: c.contract.strike, expiryDays: c.contract.expiryDays,
          adjusted: false, price: Math.max(0.01, Math.round((fair + (rand() - 0.5) * 0.14) * 100) / 100), size: 1 + Math.floor(rand() * 20), conditions: [], correction: 0, exchange: 5,
        } });
      }
    }
  }
  return { stocks, options };
}

interface LiveResult { readonly lines: string[]; readonly stockTopics: string[]; readonly optionTopics: string[]; readonly lake: string }

/** One `gammaflow live` with `symbolArgs` on a fresh feed server sending the tape (stock trades by subscribed topic). */
async function runLive(cwd: string, name: string, symbolArgs: string[], t: ReturnType<typeof tape>): Promise<LiveResult> {
  const ws = await startMassiveWsServer({ apiKey: 'k' });
  const cli = startCli(['live', ...symbolArgs, '--windows', '1m,5m', '--url', ws.url, '--exit-on-close', '--jsonl', '--all-quotes', '--lake', name, '--no-tui'],
    { cwd, env: { MASSIVE_API_KEY: 'k' }, timeoutMs: 120_000 });
  try {
    const conns = await Promise.all([ws.connection(0), ws.connection(1)]);
    const stocks = conns.find((c) => c.cluster === 'stocks')!, options = conns.find((c) => c.cluster === 'options')!;
    await Promise.all([stocks.subscribed(), options.subscribed(['T.*', 'Q.*'])]);
    const send = (conn: ServerConnection, events: FeedDataEvent[]): void => { for (let i = 0; i < events.length; i += 200) conn.sendEvents(events.slice(i, i + 200).map(formatDataEvent)); };
    send(stocks, t.stocks.filter((e) => e.kind === 'stockTrade' && stocks.topics.has(`T.${e.trade.sym}`)));
    send(options, t.options);
    const stockTopics = [...stocks.topics].sort(), optionTopics = [...options.topics].sort();
    await new Promise((r) => setTimeout(r, 300));
    stocks.closeClean(1000);
    options.closeClean(1000);
    const r = await cli.exited;
    assert.equal(r.code, 0, r.stderr);
    return { lines: r.stdout.split('\n').filter((l) => l !== ''), stockTopics, optionTopics, lake: join(cwd, name) };
  } finally {
    cli.kill('SIGKILL');
    await ws.close();
  }
}

test('live --symbols SPY,QQQ: one process, one T.* stream; each symbol\'s rows equal those of live --symbol alone', { timeout: 300_000 }, async () => {
  const t = tape();
  const cwd = mkdtempSync(join(tmpdir(), 'gammaflow-live-symbols-'));
  writeFileSync(join(cwd, 'config.toml'), '[metrics]\nlisten = "0"\n[aggregations]\nquiet_close_ms = 120000\n');
  try {
    const both = await runLive(cwd, 'lake-both', ['--symbols', 'SPY,QQQ'], t);
    assert.deepEqual(both.stockTopics, ['T.QQQ', 'T.SPY']);
    assert.deepEqual(both.optionTopics, ['Q.*', 'T.*']);
    for (const symbol of ['SPY', 'QQQ']) {
      const alone = await runLive(cwd, `lake-${symbol}`, ['--symbol', symbol], t);
      assert.deepEqual(alone.stockTopics, [`T.${symbol}`]);
      const mine = both.lines.filter((l) => l.includes(`"symbol":"${symbol}"`));
      assert.equal(alone.lines.length, 390 + 78, symbol);
      assert.equal(mine.length, alone.lines.length, symbol);
      assert.deepEqual(mine, alone.lines, `${symbol}: the rows of --symbols equal those of --symbol`);
      for (const window of ['1m', '5m']) {
        assert.ok(existsSync(join(both.lake, 'features', `symbol=${symbol}`, `window=${window}`, `date=${DAY}`, '_manifest.json')), `${symbol} ${window} published`);
      }
    }
    assert.equal(both.lines.length, 2 * (390 + 78), 'no row of IWM');
    // The windows with option trades: a symbol's rows carry its own flow, not the other's.
    const dadvv = (line: string): number => Number(/"calls_dadvv_total":([^,]+)/.exec(line)?.[1] ?? 'NaN');
    const spyTen = both.lines.find((l) => l.includes('"symbol":"SPY"') && l.includes('"window":"1m"') && dadvv(l) > 0);
    assert.ok(spyTen !== undefined, 'SPY has option flow');
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});

test('live: --symbol and --symbols together are a usage error', async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'gammaflow-live-symbols-usage-'));
  try {
    writeFileSync(join(cwd, 'config.toml'), '[metrics]\nlisten = "0"\n');
    for (const [args, message] of [[['--symbol', 'SPY', '--symbols', 'QQQ'], /--symbol and --symbols: use one of them/], [['--symbols', 'SPY,Q Q'], /"Q Q" is not a ticker/]] as const) {
      const cli = startCli(['live', ...args, '--url', 'ws://127.0.0.1:9', '--no-tui'], { cwd, env: { MASSIVE_API_KEY: 'k' }, timeoutMs: 30_000 });
      const r = await cli.exited;
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
    }
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});

test('the Live page of live --symbols: pick a symbol, its rows, smile and gadvv by strike are drawn', { skip: chromiumPath() === undefined ? NO_CHROMIUM : false, timeout: 180_000 }, async () => {
  const t = tape();
  const cwd = mkdtempSync(join(tmpdir(), 'gammaflow-live-symbols-web-'));
  writeFileSync(join(cwd, 'config.toml'), '[metrics]\nlisten = "127.0.0.1:0"\n[aggregations]\nquiet_close_ms = 120000\n');
  const ws = await startMassiveWsServer({ apiKey: 'k' });
  const cli = startCli(['live', '--symbols', 'SPY,QQQ', '--windows', '1m,5m', '--url', ws.url, '--all-quotes', '--lake', 'lake', '--no-tui'],
    { cwd, env: { MASSIVE_API_KEY: 'k' }, timeoutMs: 150_000 });
  const browser = await openBrowser();
  try {
    const conns = await Promise.all([ws.connection(0), ws.connection(1)]);
    const stocks = conns.find((c) => c.cluster === 'stocks')!, options = conns.find((c) => c.cluster === 'options')!;
    await Promise.all([stocks.subscribed(['T.SPY', 'T.QQQ']), options.subscribed(['T.*', 'Q.*'])]);
    const send = (conn: ServerConnection, events: FeedDataEvent[]): void => { for (let i = 0; i < events.length; i += 200) conn.sendEvents(events.slice(i, i + 200).map(formatDataEvent)); };
    send(stocks, t.stocks.filter((e) => e.kind === 'stockTrade' && e.trade.sym !== 'IWM'));
    send(options, t.options);
    let base = '';
    for (let i = 0; i < 600 && base === ''; i++) {
      base = /feature rows at (http:\/\/127\.0\.0\.1:\d+)\/features\/latest/.exec(cli.stderr())?.[1] ?? '';
      if (base === '') await new Promise((r) => setTimeout(r, 100));
    }
    assert.notEqual(base, '', `live printed no address:\n${cli.stderr()}`);
    const tenOClock = OPEN_MS;
    // The 10:01 window closes once the feed's events reach 10:01 + allowed_lateness: wait for it on the API.
    const rowsOf = async (symbol: string): Promise<FeatureTableJson> => (await fetch(`${base}/api/live?symbol=${symbol}&window=1m`)).json() as Promise<FeatureTableJson>;
    for (let i = 0; i < 300; i++) {
      const rows = await rowsOf('QQQ');
      if (rows.rows.some((r) => r[2] === tenOClock + 60_000)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const page = await browser!.page();
    await page.goto(`${base}/#live`);
    await waitFor(page, `${dataOf('#live', 'stream')} === 'open'`);
    assert.deepEqual(await optionValues(page, '#live-symbol'), ['SPY', 'QQQ']);
    await page.selectOption('#live-symbol', 'QQQ');
    const qqq = await rowsOf('QQQ');
    await waitFor(page, `${dataOf('#live', 'rows')} === '${qqq.rows.length}'`);
    await expectDrawn(page, '#live', flowChartCounts(qqq));
    await page.selectOption('#live-selected-window', String(tenOClock));
    await waitFor(page, `${dataOf('#live', 'windowStart')} === '${tenOClock}' && ${dataOf('#live', 'windowState')} === 'ready'`);
    const q = `from_ms=${tenOClock}&to_ms=${tenOClock + 60_000}`;
    const smile = await (await fetch(`${base}/api/live/smile?symbol=QQQ&${q}`)).json() as { strike: number[] };
    const strikes = await (await fetch(`${base}/api/live/gadvv-by-strike?symbol=QQQ&${q}`)).json() as { strike: number[] };
    assert.ok(smile.strike.length > 0 && smile.strike.every((k) => k >= 600 && k <= 620), `QQQ strikes: ${smile.strike.join(',')}`);
    await expectDrawn(page, '#live .window-charts', { smile: smile.strike.length, strikes: 2 * strikes.strike.length });
    await browser!.screenshot(page, 'live-view-symbols');
    assert.deepEqual(browser!.errors, []);
  } finally {
    await browser?.close();
    cli.kill('SIGKILL');
    await cli.exited;
    await ws.close();
    rmSync(cwd, { recursive: true, force: true });
  }
});
