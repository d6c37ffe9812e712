import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NyseCalendar, nyWallClockToUtcNs } from '../calendar/index.js';
import { defaultConfig, type AggregationsConfig } from '../config/schema.js';
import { FeatureEngine, featureEngineOptions, type FeatureOptionTrade } from '../features/engine.js';
import { FEATURE_NAMES } from '../features/names.js';
import { DIAG, type FeatureRow } from '../features/row.js';
import { decodeOpra } from '../formats/opra.js';
import { Classification, TickTest, aggressionParamsFromConfig, classify, sideName } from '../options/aggression.js';
import { OptionEnricher, enrichmentParamsFromConfig } from '../options/enrich.js';
import { bsmPrice } from '../options/pricing/bsm.js';
import { OptionQuoteBook, quoteBookOptionsFromConfig } from '../options/quote-book.js';
import type { OptionTrade } from '../formats/records.js';
import type { TradeSide } from '../features/value-sets.js';
import { LivePipeline, type RowEmission } from './pipeline.js';
import type { FeedCluster, FeedDataEvent, OptionQuote, StockTrade } from '../formats/massive-ws/types.js';
import { mulberry32 } from '../../test/support/rng.js';

const calendar = new NyseCalendar();
const DAY = '2025-11-07';
const MS = 1_000_000n;
const OPEN_MS = Number(nyWallClockToUtcNs(DAY, 10, 0) / MS);

interface Tape {
  readonly stocks: StockTrade[];
  readonly options: OptionTrade[];
  readonly quotes: OptionQuote[];
}

/**
 * Seven minutes of SPY from 10:00 New York: stock trades, option trades and quotes on a 50 ms
 * grid (so many events share a millisecond), option prices near BSM at 20 % so most are priced.
 */
function tape(seed: number, minutes = 7): Tape {
  const rand = mulberry32(seed);
  const stocks: StockTrade[] = [], options: OptionTrade[] = [], quotes: OptionQuote[] = [];
  const tickers = [670, 675, 680, 685, 690].flatMap((k) => (['C', 'P'] as const).map((r) => `O:SPY251121${r}00${k}000`));
  let S = 680, stockSeq = 0, optionSeq = 0, quoteSeq = 0;
  for (let ms = 0; ms < minutes * 60_000; ms += 50) {
    const t = BigInt(OPEN_MS + ms) * MS;
    if (rand() < 0.5) {
      S += (rand() - 0.5) * 0.1;
      const conditions = rand() < 0.1 ? [37] : []; // odd lot now and then (excluded from high/low)
      stocks.push({ sym: 'SPY', sipTimestampNs: t, sequence: ++stockSeq, price: Math.round(S * 100) / 100, size: 1 + Math.floor(rand() * 300), conditions, correction: 0 });
    }
    const ticker = tickers[Math.floor(rand() * tickers.length)]!;
    const c = decodeOpra(ticker);
    assert.ok(c.ok);
    const T = 14 / 365;
    const fair = bsmPrice(c.contract.right, S, c.contract.strike, T, 0.04, 0.013, 0.2);
    if (rand() < 0.5) {
      const bid = Math.round((fair - 0.05) * 100) / 100, ask = Math.round((fair + 0.05) * 100) / 100;
      quotes.push({ sipTimestampNs: t, sequence: ++quoteSeq, ticker, bidPrice: bid, askPrice: ask, bidSize: 10, askSize: 12, bidExchange: 1, askExchange: 2 });
    }
    if (rand() < 0.4) {
      const price = Math.max(0.01, Math.round((fair + (rand() - 0.5) * 0.14) * 100) / 100);
      options.push({
        sipTimestampNs: t, sequence: ++optionSeq, ticker, root: c.contract.root, right: c.contract.right, strike: c.contract.strike,
        expiryDays: c.contract.expiryDays, adjusted: false, price, size: 1 + Math.floor(rand() * 20), conditions: [], correction: 0, exchange: 5,
      });
    }
  }
  return { stocks, options, quotes };
}

function aggregations(overrides: Partial<AggregationsConfig> = {}): AggregationsConfig {
  return { ...defaultConfig().aggregations, windows: ['1m', '5m'], ...overrides };
}

const byTimeSeq = <T extends { sipTimestampNs: bigint; sequence: number }>(a: T, b: T): number =>
  a.sipTimestampNs < b.sipTimestampNs ? -1 : a.sipTimestampNs > b.sipTimestampNs ? 1 : a.sequence - b.sequence;

/**
 * The historical path, written out independently: the greeks job (option trades in (time,
 * sequence) order; before each, the underlying trades and quotes at or before its time) then the
 * features job (underlying trades first at equal time), one engine, finish().
 */
function historicalRows(t: Tape, agg: AggregationsConfig, aggression: boolean): FeatureRow[] {
  const stocks = [...t.stocks].sort(byTimeSeq), options = [...t.options].sort(byTimeSeq), quotes = [...t.quotes].sort(byTimeSeq);
  const enricher = new OptionEnricher(enrichmentParamsFromConfig(agg));
  const book = new OptionQuoteBook(quoteBookOptionsFromConfig(agg));
  const ticks = new TickTest();
  const verdict = new Classification();
  const enriched: { record: FeatureOptionTrade; side: TradeSide | undefined }[] = [];
  let u = 0, q = 0;
  for (const o of options) {
    while (u < stocks.length && stocks[u]!.sipTimestampNs <= o.sipTimestampNs) enricher.onUnderlyingTrade(stocks[u++]!);
    while (q < quotes.length && quotes[q]!.sipTimestampNs <= o.sipTimestampNs) book.onQuote(quotes[q++]!);
    const e = enricher.enrich(o);
    const side = aggression ? sideName(classify(o, book, aggressionParamsFromConfig(agg), verdict, ticks).side) : undefined;
    enriched.push({ record: e, side });
  }
  const engine = new FeatureEngine(featureEngineOptions(agg, calendar, { symbol: 'SPY', aggression }));
  const rows: FeatureRow[] = [];
  u = 0;
  for (const { record, side } of enriched) {
    while (u < stocks.length && stocks[u]!.sipTimestampNs <= record.sipTimestampNs) engine.onUnderlyingTrade(stocks[u++]!);
    if (aggression) engine.onOptionTrade(record, side);
    else engine.onOptionTrade(record);
    rows.push(...engine.advanceTo(record.sipTimestampNs));
  }
  while (u < stocks.length) engine.onUnderlyingTrade(stocks[u++]!);
  rows.push(...engine.finish());
  return rows;
}

interface Arrival {
  readonly cluster: FeedCluster;
  readonly event: FeedDataEvent;
  /** Wall clock ms of arrival. */
  readonly atMs: number;
}

/** The tape as two clusters deliver it: each event delayed by up to `maxDelayMs` (so arrival order ≠ event order). */
function arrivals(t: Tape, seed: number, maxDelayMs: number): Arrival[] {
  const rand = mulberry32(seed);
  const out: Arrival[] = [];
  const add = (cluster: FeedCluster, event: FeedDataEvent, timeNs: bigint): void => {
    out.push({ cluster, event, atMs: Number(timeNs / MS) - OPEN_MS + Math.floor(rand() * maxDelayMs) });
  };
  for (const trade of t.stocks) add('stocks', { kind: 'stockTrade', trade }, trade.sipTimestampNs);
  for (const trade of t.options) add('options', { kind: 'optionTrade', trade }, trade.sipTimestampNs);
  for (const quote of t.quotes) add('options', { kind: 'optionQuote', quote }, quote.sipTimestampNs);
  return out.sort((a, b) => a.atMs - b.atMs);
}

function live(agg: AggregationsConfig, aggression: boolean): { pipeline: LivePipeline; rows: { row: FeatureRow; emission: RowEmission }[] } {
  const rows: { row: FeatureRow; emission: RowEmission }[] = [];
  const pipeline = new LivePipeline({ symbol: 'SPY', aggregations: agg, calendar, aggression, startMs: 0, onRow: (row, emission) => rows.push({ row, emission }) });
  return { pipeline, rows };
}

const key = (r: FeatureRow): string => `${r.window}@${r.windowStartNs}`;
const feature = (r: FeatureRow, name: (typeof FEATURE_NAMES)[number]): number => r.features[FEATURE_NAMES.indexOf(name)]!;

test('fed out of order within the lateness, the pipeline emits exactly the historical rows (aggression on)', () => {
  const t = tape(7);
  const agg = aggregations();
  const expected = historicalRows(t, agg, true);
  const { pipeline, rows } = live(agg, true);
  for (const a of arrivals(t, 11, 800)) pipeline.push(a.cluster, a.event, a.atMs);
  const beforeFinish = rows.length;
  pipeline.finish();
  const s = pipeline.stats();
  assert.equal(s.late, 0);
  assert.ok(beforeFinish >= 40, `windows closed while streaming (${beforeFinish})`);
  assert.equal(rows.length, 390 + 78);
  assert.ok(rows.every((r) => r.emission.revision === 0));
  assert.deepEqual(rows.map((r) => r.row), expected);
  // The data is not trivial: priced trades, both sides classified.
  const busy = rows.find((r) => r.row.window === '1m' && r.row.windowStartNs === nyWallClockToUtcNs(DAY, 10, 1))!.row;
  assert.ok(busy.diagnostics[DIAG.diag_priced]! > 100);
  assert.ok(busy.diagnostics[DIAG.diag_aggressive_buys]! > 10 && busy.diagnostics[DIAG.diag_aggressive_sells]! > 10);
});

test('without aggression the rows have the 81 columns and still match', () => {
  const t = tape(3, 3);
  const agg = aggregations();
  const { pipeline, rows } = live(agg, false);
  for (const a of arrivals(t, 5, 1_500)) pipeline.push(a.cluster, a.event, a.atMs);
  pipeline.finish();
  assert.deepEqual(rows.map((r) => r.row), historicalRows(t, agg, false));
  assert.equal(rows[0]!.row.features.length, 81);
});

test('a window is emitted once the watermark (slowest cluster − lateness) passes its end, not before', () => {
  const t = tape(9, 3);
  const { pipeline, rows } = live(aggregations(), false);
  const end1001 = nyWallClockToUtcNs(DAY, 10, 1);
  const sorted = arrivals(t, 1, 0);
  for (const a of sorted) {
    if (a.atMs > 60_000 + 1_999) break; // both clusters up to 10:01:01.999: watermark < 10:01
    pipeline.push(a.cluster, a.event, a.atMs);
  }
  assert.ok(!rows.some((r) => r.row.windowEndNs === end1001));
  assert.ok(rows.some((r) => r.row.windowEndNs === end1001 - 60_000n * MS), 'the 09:59 window closed');
  const next = sorted.find((a) => a.atMs >= 62_000 && a.cluster === 'stocks')!;
  const nextOptions = sorted.find((a) => a.atMs >= 62_000 && a.cluster === 'options')!;
  pipeline.push('stocks', next.event, next.atMs);
  assert.ok(!rows.some((r) => r.row.windowEndNs === end1001), 'the options cluster still holds it back');
  pipeline.push('options', nextOptions.event, nextOptions.atMs);
  assert.deepEqual(rows.filter((r) => r.row.windowEndNs === end1001).map((r) => r.row.window), ['1m']);
  assert.equal(pipeline.stats().lastWindowStartNs.get('1m'), end1001 - 60_000n * MS);
});

test('the quiet timer closes windows of a silent feed', () => {
  const { pipeline, rows } = live(aggregations({ quiet_close_ms: 5_000 }), false);
  const trade: StockTrade = { sym: 'SPY', sipTimestampNs: nyWallClockToUtcNs(DAY, 10, 0, 30), sequence: 1, price: 680, size: 100, conditions: [], correction: 0 };
  pipeline.push('stocks', { kind: 'stockTrade', trade }, 1_000);
  pipeline.tick(3_000);
  assert.ok(!rows.some((r) => r.row.windowStartNs === nyWallClockToUtcNs(DAY, 10, 0)));
  // Both clusters quiet from 6 000 ms; at 40 000 the event clock has run 39 s past 10:00:30 → 10:01:07 − 2 s.
  pipeline.tick(40_000);
  const row = rows.find((r) => r.row.window === '1m' && r.row.windowStartNs === nyWallClockToUtcNs(DAY, 10, 0));
  assert.ok(row, 'the 10:00 window closed on the wall clock');
  assert.equal(feature(row.row, 'underlying_price_close'), 680);
});

/** Pushes the tape in event order, then one late option trade in the 10:01 minute once 10:03 has passed. */
function lateRun(policy: 'drop' | 'revise'): { rows: { row: FeatureRow; emission: RowEmission }[]; pipeline: LivePipeline; t: Tape; late: OptionTrade } {
  const t = tape(21, 4);
  const { pipeline, rows } = live(aggregations({ late_policy: policy }), false);
  const lateTime = nyWallClockToUtcNs(DAY, 10, 1, 30);
  const base = t.options.find((o) => o.sipTimestampNs > lateTime)!;
  const late: OptionTrade = { ...base, sipTimestampNs: lateTime + 7n * MS, sequence: 999_999, size: 500 };
  let sent = false;
  for (const a of arrivals(t, 1, 0)) {
    if (!sent && a.atMs >= 3 * 60_000 + 2_000) {
      pipeline.push('options', { kind: 'optionTrade', trade: late }, a.atMs);
      sent = true;
    }
    pipeline.push(a.cluster, a.event, a.atMs);
  }
  pipeline.finish();
  return { rows, pipeline, t, late };
}

test('late policy drop: the late trade is counted and the rows are those without it', () => {
  const { rows, pipeline, t } = lateRun('drop');
  const s = pipeline.stats();
  assert.equal(s.late, 1);
  assert.equal(s.lateDropped, 1);
  assert.equal(s.rowsRevised, 0);
  assert.deepEqual(rows.map((r) => r.row), historicalRows(t, aggregations(), false));
});

test('late policy revise: closed windows holding the late trade are re-emitted, equal to a run that had it in time', () => {
  const { rows, pipeline, t, late } = lateRun('revise');
  const s = pipeline.stats();
  assert.equal(s.late, 1);
  assert.equal(s.lateRevised, 1);
  const revised = rows.filter((r) => r.emission.revision > 0);
  // 10:01 closed (1m); the 5m window [10:00, 10:05) was still open and took the trade directly.
  assert.deepEqual(revised.map((r) => [key(r.row), r.emission.revision]), [[`1m@${nyWallClockToUtcNs(DAY, 10, 1)}`, 1]]);
  const withLate = historicalRows({ ...t, options: [...t.options, late] }, aggregations(), false);
  const expected1m = withLate.find((r) => key(r) === key(revised[0]!.row))!;
  assert.deepEqual(revised[0]!.row, expected1m);
  const five = rows.filter((r) => r.row.window === '5m' && r.row.windowStartNs === nyWallClockToUtcNs(DAY, 10, 0));
  assert.equal(five.length, 1);
  assert.deepEqual(five[0]!.row, withLate.find((r) => key(r) === key(five[0]!.row)));
  // Every other row is the in-time run's.
  const firsts = rows.filter((r) => r.emission.revision === 0).map((r) => r.row).filter((r) => key(r) !== key(expected1m));
  assert.deepEqual(firsts, withLate.filter((r) => key(r) !== key(expected1m)));
});

test('events of other symbols are ignored', () => {
  const { pipeline, rows } = live(aggregations(), false);
  const trade: StockTrade = { sym: 'QQQ', sipTimestampNs: nyWallClockToUtcNs(DAY, 10, 0), sequence: 1, price: 600, size: 100, conditions: [], correction: 0 };
  pipeline.push('stocks', { kind: 'stockTrade', trade }, 0);
  pipeline.finish();
  assert.equal(pipeline.stats().ignored, 1);
  assert.equal(rows.length, 0, 'no day registered without an event of the symbol');
});
