import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NyseCalendar, nyWallClockToUtcNs } from '../calendar/index.js';
import { defaultConfig, type AggregationsConfig } from '../config/schema.js';
import { jsonLine } from '../features/output.js';
import { decodeOpra } from '../formats/opra.js';
import type { FeedCluster, FeedDataEvent } from '../formats/massive-ws/types.js';
import { bsmPrice } from '../options/pricing/bsm.js';
import { mulberry32 } from '../../test/support/rng.js';
import { LivePipeline } from './pipeline.js';
import { SymbolDispatch } from './symbol-dispatch.js';

const calendar = new NyseCalendar();
const DAY = '2025-11-07';
const MS = 1_000_000n;
const OPEN_MS = Number(nyWallClockToUtcNs(DAY, 10, 0) / MS);

interface Arrival { readonly cluster: FeedCluster; readonly event: FeedDataEvent; readonly atMs: number }

/** Four minutes of one symbol's stock trades, option trades and quotes from 10:00, arriving up to 30 ms late. */
function tape(symbol: string, root: string, spot: number, seed: number): Arrival[] {
  const rand = mulberry32(seed);
  const out: Arrival[] = [];
  const strikes = [-10, -5, 0, 5, 10].map((d) => Math.round(spot) + d);
  const tickers = strikes.flatMap((k) => (['C', 'P'] as const).map((r) => `O:${root}251121${r}${String(k * 1000).padStart(8, '0')}`));
  let S = spot, seq = 0;
  for (let ms = 0; ms < 4 * 60_000; ms += 70) {
    const t = BigInt(OPEN_MS + ms) * MS;
    const at = ms + Math.floor(rand() * 30);
    if (rand() < 0.5) {
      S += (rand() - 0.5) * 0.1;
      out.push({ cluster: 'stocks', atMs: at, event: { kind: 'stockTrade', trade: { sym: symbol, sipTimestampNs: t, sequence: ++seq, price: Math.round(S * 100) / 100, size: 1 + Math.floor(rand() * 300), conditions: [], correction: 0 } } });
    }
    const ticker = tickers[Math.floor(rand() * tickers.length)]!;
    const c = decodeOpra(ticker);
    assert.ok(c.ok, ticker);
    const fair = bsmPrice(c.contract.right, S, c.contract.strike, 14 / 365, 0.04, 0.013, 0.2);
    if (rand() < 0.5) {
      out.push({ cluster: 'options', atMs: at, event: { kind: 'optionQuote', quote: { sipTimestampNs: t, sequence: ++seq, ticker, bidPrice: Math.round((fair - 0.05) * 100) / 100, askPrice: Math.round((fair + 0.05) * 100) / 100, bidSize: 10, askSize: 12, bidExchange: 1, askExchange: 2 } } });
    }
    if (rand() < 0.4) {
      out.push({ cluster: 'options', atMs: at, event: { kind: 'optionTrade', trade: {
        sipTimestampNs: t, sequence: ++seq, ticker, root: c.contract.root, right: c.contract.right, strike: c.contract.strike,
        expiryDays: c.contract.expiryDays, adjusted: false, price: Math.max(0.01, Math.round((fair + (rand() - 0.5) * 0.14) * 100) / 100),
        size: 1 + Math.floor(rand() * 20), conditions: [], correction: 0, exchange: 5,
      } } });
    }
  }
  return out;
}

const aggregations = (): AggregationsConfig => ({ ...defaultConfig().aggregations, windows: ['1m', '5m'] });

/** A pipeline of one symbol collecting its rows as JSON lines and its option trades' greeks. */
function pipelineOf(symbol: string, rows: string[], trades: string[]): LivePipeline {
  return new LivePipeline({
    symbol, aggregations: aggregations(), calendar, aggression: true, startMs: 0,
    onRow: (row, { revision }) => rows.push(`${revision} ${jsonLine(row, true)}`),
    onOptionTrade: (t, g, side) => trades.push(`${t.ticker} ${t.sipTimestampNs} ${g.greeksFlag} ${g.iv} ${g.gadvv} ${side}`),
  });
}

test('several symbols in one dispatch give the rows and enriched trades of a run per symbol', () => {
  const feed = [...tape('SPY', 'SPY', 680, 1), ...tape('QQQ', 'QQQ', 610, 2), ...tape('IWM', 'IWM', 240, 3)].sort((a, b) => a.atMs - b.atMs);
  const symbols = ['SPY', 'QQQ'];
  const together = new Map(symbols.map((s) => [s, { rows: [] as string[], trades: [] as string[] }]));
  const dispatch = new SymbolDispatch({ pipelines: new Map(symbols.map((s) => [s, pipelineOf(s, together.get(s)!.rows, together.get(s)!.trades)])) });
  const routed = new Map<string, number>();
  for (const a of feed) {
    const s = dispatch.push(a.cluster, a.event, a.atMs);
    routed.set(s ?? '-', (routed.get(s ?? '-') ?? 0) + 1);
  }
  dispatch.finish();
  assert.equal(dispatch.ignored, routed.get('-'));
  assert.ok(dispatch.ignored > 0, 'IWM events were ignored');

  for (const symbol of symbols) {
    const alone = { rows: [] as string[], trades: [] as string[] };
    const p = pipelineOf(symbol, alone.rows, alone.trades);
    for (const a of feed) p.push(a.cluster, a.event, a.atMs);
    p.finish();
    const t = together.get(symbol)!;
    assert.equal(alone.rows.length, 390 + 78, symbol);
    assert.ok(t.trades.length > 1000, `${symbol}: ${t.trades.length} option trades`);
    assert.deepEqual(t.rows, alone.rows, `${symbol}: rows`);
    assert.deepEqual(t.trades, alone.trades, `${symbol}: enriched trades`);
    assert.ok(t.rows.every((r) => r.includes(`"symbol":"${symbol}"`)));
  }
});

test('quotes and option trades go to the symbol of their root; extra roots to the symbol they are given to', () => {
  const make = (symbol: string): LivePipeline => pipelineOf(symbol, [], []);
  const d = new SymbolDispatch({ pipelines: new Map([['SPX', make('SPX')], ['QQQ', make('QQQ')]]), extraRoots: new Map([['QQQ', ['NQX']]]) });
  assert.equal(d.symbolOfRoot('SPXW'), 'SPX');
  assert.equal(d.symbolOfRoot('QQQ1'), 'QQQ');
  assert.equal(d.symbolOfRoot('NQX'), 'QQQ');
  assert.equal(d.symbolOfRoot('SPY'), undefined);
  const quote = (ticker: string): FeedDataEvent => ({ kind: 'optionQuote', quote: { sipTimestampNs: 1n, sequence: 1, ticker, bidPrice: 1, askPrice: 1.1, bidSize: 1, askSize: 1, bidExchange: 1, askExchange: 1 } });
  assert.equal(d.symbolOf(quote('O:SPXW251121C06800000')), 'SPX');
  assert.equal(d.symbolOf(quote('O:SPY251121C00680000')), undefined);
  assert.equal(d.symbolOf(quote('not a ticker')), undefined);
  assert.throws(() => new SymbolDispatch({ pipelines: new Map() }), /no symbol/);
});
