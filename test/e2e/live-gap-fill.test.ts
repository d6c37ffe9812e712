/**
 * End to end: `gammaflow live` loses its options connection for 30 s of event time; on reconnect it
 * fetches the missing option trades from a loopback REST server and merges them in event order: the
 * feature rows equal those of the complete tape, and the log says the gap was filled.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCli } from '../support/cli.js';
import { startMassiveWsServer, type ServerConnection } from '../support/massive-ws-server.js';
import { startMassiveRestServer } from '../support/massive-rest-server.js';
import { NyseCalendar, nyWallClockToUtcNs } from '../../src/calendar/index.js';
import { defaultConfig } from '../../src/config/schema.js';
import { jsonLine } from '../../src/features/output.js';
import { decodeOpra } from '../../src/formats/opra.js';
import { LivePipeline } from '../../src/live/pipeline.js';
import type { FeedDataEvent } from '../../src/formats/massive-ws/types.js';
import { formatDataEvent } from '../support/massive-ws-wire.js';

const DAY = '2025-11-07';
const MS = 1_000_000n;
const OPEN_MS = Number(nyWallClockToUtcNs(DAY, 10, 0) / MS);
const TICKER = 'O:SPY251121C00680000';
const GAP_FROM = 30_000, GAP_TO = 60_000; // ms after 10:00: option trades in [30 s, 60 s) only come from REST

function tape(): { stocks: FeedDataEvent[]; options: FeedDataEvent[] } {
  const c = decodeOpra(TICKER);
  assert.ok(c.ok);
  const stocks: FeedDataEvent[] = [], options: FeedDataEvent[] = [];
  let seq = 0;
  for (let ms = 0, i = 0; ms < 120_000; ms += 100, i++) {
    const t = BigInt(OPEN_MS + ms) * MS;
    const S = Math.round((680 + Math.sin(i / 50)) * 100) / 100;
    stocks.push({ kind: 'stockTrade', trade: { sym: 'SPY', sipTimestampNs: t, sequence: ++seq, price: S, size: 100 + (i % 7), conditions: [], correction: 0 } });
    if (i % 5 === 2) {
      options.push({ kind: 'optionTrade', trade: {
        sipTimestampNs: t, sequence: ++seq, ticker: TICKER, root: 'SPY', right: 'C', strike: c.contract.strike, expiryDays: c.contract.expiryDays,
        adjusted: false, price: Math.round((9 + (S - 680) * 0.5) * 100) / 100, size: 1 + (i % 9), conditions: [], correction: 0, exchange: 5,
      } });
    }
  }
  return { stocks, options };
}

const offsetMs = (e: FeedDataEvent) => Number((e.kind === 'optionQuote' ? e.quote.sipTimestampNs : e.trade.sipTimestampNs) / MS) - OPEN_MS;

test('live refills a lost options connection from REST: rows equal those of the complete tape', async () => {
  const t = tape();
  const agg = { ...defaultConfig().aggregations, windows: ['1m'], aggression: false, quiet_close_ms: 120_000 };
  const expected: string[] = [];
  const p = new LivePipeline({ symbol: 'SPY', aggregations: agg, calendar: new NyseCalendar(), aggression: false, startMs: 0, onRow: (row) => expected.push(jsonLine(row, false)) });
  for (const e of t.stocks) p.push('stocks', e, 0);
  for (const e of t.options) p.push('options', e, 0);
  p.finish();

  const ws = await startMassiveWsServer({ apiKey: 'k' });
  const rest = await startMassiveRestServer({ apiKey: 'k' });
  const gapTrades = t.options.filter((e) => offsetMs(e) >= GAP_FROM && offsetMs(e) < GAP_TO);
  // REST holds the whole day of the contract (the fill must ask for the gap only).
  rest.trades.set(TICKER, t.options.map((e) => {
    assert.ok(e.kind === 'optionTrade');
    return { exchange: e.trade.exchange, price: e.trade.price, size: e.trade.size, sequence_number: e.trade.sequence, sip_timestamp: String(e.trade.sipTimestampNs) };
  }));
  const cwd = mkdtempSync(join(tmpdir(), 'gammaflow-live-gap-'));
  writeFileSync(join(cwd, 'config.toml'), `[metrics]\nlisten = "0"\n[massive]\nrest_url = "${rest.url}"\n[aggregations]\naggression = false\nquiet_close_ms = 120000\n`);
  const cli = startCli(['live', '--symbol', 'SPY', '--windows', '1m', '--url', ws.url, '--exit-on-close', '--jsonl', '--lake', 'lake', '--no-tui'],
    { cwd, env: { MASSIVE_API_KEY: 'k' }, timeoutMs: 60_000 });
  try {
    const first = await Promise.all([ws.connection(0), ws.connection(1)]);
    const byCluster = (conns: ServerConnection[], cluster: string) => conns.find((c) => c.cluster === cluster)!;
    const stocks = byCluster(first, 'stocks'), options1 = byCluster(first, 'options');
    await Promise.all([stocks.subscribed(), options1.subscribed()]);
    const send = (conn: ServerConnection, events: FeedDataEvent[]) => { for (let i = 0; i < events.length; i += 50) conn.sendEvents(events.slice(i, i + 50).map(formatDataEvent)); };
    send(stocks, t.stocks);
    send(options1, t.options.filter((e) => offsetMs(e) < GAP_FROM));
    await new Promise((r) => setTimeout(r, 300));
    options1.drop();
    const options2 = await ws.connection(2);
    assert.equal(options2.cluster, 'options');
    await options2.subscribed();
    send(options2, t.options.filter((e) => offsetMs(e) >= GAP_TO));
    await new Promise((r) => setTimeout(r, 300));
    stocks.closeClean(1000);
    options2.closeClean(1000);
    const r = await cli.exited;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`options gap .*: filled with ${gapTrades.length} trade\\(s\\) from REST \\(1 contract\\(s\\), 1 request\\(s\\)\\)`));
    const gapRequest = rest.requests.find((q) => q.path.startsWith(`/v3/trades/${TICKER}`))!;
    // From just after the last option trade delivered before the drop to the first one after the reconnect.
    const lastDelivered = BigInt(OPEN_MS + Math.max(...t.options.map(offsetMs).filter((ms) => ms < GAP_FROM)));
    const firstAfter = BigInt(OPEN_MS + Math.min(...t.options.map(offsetMs).filter((ms) => ms >= GAP_TO)));
    assert.match(gapRequest.path, new RegExp(`timestamp\\.gte=${(lastDelivered + 1n) * MS}&timestamp\\.lt=${firstAfter * MS}`));
    const lines = r.stdout.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, expected.length);
    assert.deepEqual(lines, expected);
  } finally {
    cli.kill('SIGKILL');
    await ws.close();
    await rest.stop();
    rmSync(cwd, { recursive: true, force: true });
  }
});
