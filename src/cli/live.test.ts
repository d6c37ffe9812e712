import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, startCli } from '../../test/support/cli.js';
import { NyseCalendar, nyWallClockToUtcNs } from '../calendar/index.js';
import { defaultConfig } from '../config/schema.js';
import { featureDataset, jsonLine } from '../features/output.js';
import { decodeOpra } from '../formats/opra.js';
import { partitionDir } from '../lake/layout.js';
import type { OptionTrade } from '../formats/records.js';
import { LivePipeline } from '../live/pipeline.js';
import type { FeedDataEvent, OptionQuote, StockTrade } from '../formats/massive-ws/types.js';
import type { ReplayOptionRecord } from '../sources/replay/codec.js';
import { startReplayServer } from '../sources/replay/replay-server.js';

const DAY = '2025-11-07';
const MS = 1_000_000n;
const OPEN_MS = Number(nyWallClockToUtcNs(DAY, 10, 0) / MS);

/** Two minutes of SPY from 10:00 New York on a 100 ms grid: stock trades, option trades and quotes, deterministic. */
function tape(): { stocks: StockTrade[]; options: ReplayOptionRecord[] } {
  const stocks: StockTrade[] = [], options: ReplayOptionRecord[] = [];
  const tickers = ['O:SPY251121C00680000', 'O:SPY251121P00680000', 'O:SPY251121C00685000'];
  let seq = 0;
  for (let ms = 0, i = 0; ms < 120_000; ms += 100, i++) {
    const t = BigInt(OPEN_MS + ms) * MS;
    const S = 680 + Math.sin(i / 50);
    stocks.push({ sym: 'SPY', sipTimestampNs: t, sequence: ++seq, price: Math.round(S * 100) / 100, size: 100 + (i % 7), conditions: [], correction: 0 });
    const ticker = tickers[i % tickers.length]!;
    const c = decodeOpra(ticker);
    assert.ok(c.ok);
    const mid = c.contract.right === 'C' ? 9 + (S - c.contract.strike) * 0.5 : 8 - (S - c.contract.strike) * 0.5;
    const quote: OptionQuote = { sipTimestampNs: t, sequence: ++seq, ticker, bidPrice: Math.round((mid - 0.05) * 100) / 100, askPrice: Math.round((mid + 0.05) * 100) / 100, bidSize: 5, askSize: 5, bidExchange: 1, askExchange: 2 };
    options.push(quote);
    if (i % 2 === 0) {
      const trade: OptionTrade = {
        sipTimestampNs: t, sequence: ++seq, ticker, root: 'SPY', right: c.contract.right, strike: c.contract.strike, expiryDays: c.contract.expiryDays,
        adjusted: false, price: i % 4 === 0 ? quote.askPrice : quote.bidPrice, size: 1 + (i % 9), conditions: [], correction: 0, exchange: 5,
      };
      options.push(trade);
    }
  }
  return { stocks, options };
}

/** The replay server's input shape: chunks of records. */
async function* iterate<T>(items: readonly T[]): AsyncIterable<T[]> {
  for (let i = 0; i < items.length; i += 100) yield items.slice(i, i + 100);
}

/** The rows the pipeline emits for the tape in event order (proved equal to the historical path in pipeline.test.ts). */
function expectedLines(t: ReturnType<typeof tape>): string[] {
  const lines: string[] = [];
  const agg = { ...defaultConfig().aggregations, windows: ['1m', '5m'] };
  const p = new LivePipeline({ symbol: 'SPY', aggregations: agg, calendar: new NyseCalendar(), aggression: true, startMs: 0, onRow: (row) => lines.push(jsonLine(row, true)) });
  for (const trade of t.stocks) p.push('stocks', { kind: 'stockTrade', trade }, 0);
  for (const r of t.options) {
    const e: FeedDataEvent = 'bidPrice' in r ? { kind: 'optionQuote', quote: r } : { kind: 'optionTrade', trade: r };
    p.push('options', e, 0);
  }
  p.finish();
  return lines;
}

function workdir(extraToml = ''): string {
  const dir = mkdtempSync(join(tmpdir(), 'gammaflow-live-cli-'));
  writeFileSync(join(dir, 'config.toml'), '[metrics]\nlisten = "0"\n' + extraToml);
  return dir;
}

test('live against a replay: rows on stdout equal the pipeline\'s, the day is published, --exit-on-close ends after the last window', async () => {
  const t = tape();
  const replay = await startReplayServer({ speed: 'max', stocks: iterate(t.stocks), options: iterate(t.options) });
  const cwd = workdir();
  try {
    const r = await runCli(['live', '--symbol', 'SPY', '--windows', '1m,5m', '--url', replay.url, '--exit-on-close', '--jsonl', '--all-quotes', '--lake', 'lake'],
      { cwd, env: { MASSIVE_API_KEY: 'test-key-123' }, timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n').filter((l) => l !== '');
    const expected = expectedLines(t);
    assert.equal(lines.length, 390 + 78);
    assert.deepEqual(lines, expected);
    const busy = JSON.parse(lines.find((l) => l.includes(`"window":"1m","window_start":${nyWallClockToUtcNs(DAY, 10, 0)}`))!);
    assert.equal(busy.diag_option_trades, 300);
    assert.ok(busy.diag_aggressive_buys > 0 && busy.diag_aggressive_sells > 0);
    assert.deepEqual(readdirSync(partitionDir(join(cwd, 'lake'), featureDataset('SPY', '1m'), DAY)).filter((n) => n.endsWith('.parquet')), ['part-00000.parquet']);
    assert.ok(!r.stderr.includes('test-key-123'), 'the key is never printed');
    assert.match(r.stderr, /every remaining window emitted/);
  } finally {
    await replay.close();
    rmSync(cwd, { recursive: true, force: true });
  }
});

test('live: a rejected API key is a clear error, exit code 2, the key not printed', async () => {
  const replay = await startReplayServer({ speed: 'max', apiKey: 'the-right-key', stocks: iterate([]), options: iterate([]) });
  const cwd = workdir();
  try {
    const r = await runCli(['live', '--url', replay.url, '--no-tui'], { cwd, env: { MASSIVE_API_KEY: 'wrong-key-456' }, timeoutMs: 30_000 });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /rejected the API key/);
    assert.ok(!r.stderr.includes('wrong-key-456'));
  } finally {
    await replay.close();
    rmSync(cwd, { recursive: true, force: true });
  }
});

test('live: no API key is a usage error before connecting', async () => {
  const cwd = workdir();
  try {
    const r = await runCli(['live', '--url', 'ws://127.0.0.1:9', '--no-tui'], { cwd, timeoutMs: 30_000 });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /MASSIVE_API_KEY/);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});

test('live: Ctrl-C stops a run mid-day: exit 0, rows so far in live files, the open day not published', async () => {
  const stocks: StockTrade[] = [];
  for (let i = 0; i < 20_000; i++) {
    stocks.push({ sym: 'SPY', sipTimestampNs: BigInt(OPEN_MS + i * 100) * MS, sequence: i, price: 680, size: 100, conditions: [], correction: 0 });
  }
  // 10× real time: the first rows (09:30 … 10:00, empty) close within a second, the day would take minutes.
  const replay = await startReplayServer({ speed: 10, stocks: iterate(stocks), options: iterate([]) });
  // The options stream is empty: it stops holding the watermark back after 300 ms of silence.
  const cwd = workdir('[aggregations]\nquiet_close_ms = 300\n');
  try {
    const p = startCli(['live', '--url', replay.url, '--jsonl', '--windows', '1m', '--lake', 'lake'], { cwd, env: { MASSIVE_API_KEY: 'k' }, timeoutMs: 30_000 });
    await p.waitForLine((line) => line.includes(`"window_start":${nyWallClockToUtcNs(DAY, 9, 59)}`));
    p.kill('SIGINT');
    const r = await p.exited;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /stopped: windows still open are not emitted/);
    const files = readdirSync(partitionDir(join(cwd, 'lake'), featureDataset('SPY', '1m'), DAY));
    assert.ok(files.length > 0 && files.every((f) => /^live-.*-\d{5}\.parquet$/.test(f)), files.join(', '));
    const lines = r.stdout.split('\n').filter((l) => l !== '');
    assert.ok(lines.length >= 30 && lines.length < 390, `${lines.length} rows before the stop`);
  } finally {
    await replay.close();
    rmSync(cwd, { recursive: true, force: true });
  }
});
