/**
 * The live pipeline against the real historical path: the same tape is written as Massive flat
 * files and run through the ingest, greeks and features jobs (rows written to a JSON lines file),
 * and pushed into LivePipeline as two clusters would deliver it (out of order within the allowed
 * lateness). Both paths must give the same rows, every column, in the features file's serializer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { NyseCalendar, nyWallClockToUtcNs } from '../calendar/index.js';
import { defaultConfig, type AggregationsConfig, type Config } from '../config/schema.js';
import { formatConditions } from '../demo/stockTrades.js';
import { OPTIONS_QUOTES_HEADER, OPTIONS_TRADES_HEADER } from '../demo/optionFlow.js';
import { STOCKS_TRADES_HEADER } from '../demo/stockTrades.js';
import { runFeatures } from '../features/job.js';
import { FEATURE_NAMES } from '../features/names.js';
import { jsonLine } from '../features/output.js';
import { DIAG, type FeatureRow } from '../features/row.js';
import { DATASETS, objectKey, type DatasetSpec } from '../formats/datasets.js';
import { decodeOpra } from '../formats/opra.js';
import { runIngest } from '../ingest/run.js';
import { ProgressTracker } from '../observe/progress.js';
import { optionDerivedColumns } from '../options/contract-columns.js';
import { runGreeks } from '../options/greeks-job.js';
import { bsmPrice } from '../options/pricing/bsm.js';
import type { OptionTrade } from '../formats/records.js';
import { LocalSource } from '../sources/local.js';
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
 * Option trades are numbered from 0 in time order: the row index the greeks job gives them.
 */
function tape(seed: number, minutes = 7): Tape {
  const rand = mulberry32(seed);
  const stocks: StockTrade[] = [], options: OptionTrade[] = [], quotes: OptionQuote[] = [];
  const tickers = [670, 675, 680, 685, 690].flatMap((k) => (['C', 'P'] as const).map((r) => `O:SPY251121${r}00${k}000`));
  let S = 680, stockSeq = 0, optionSeq = -1, quoteSeq = 0;
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

/** The tape as Massive's flat files of its day under `root` (the keys LocalSource reads). */
function writeFlatFiles(root: string, t: Tape): void {
  const write = (dataset: DatasetSpec, header: string, lines: string[]): void => {
    const path = join(root, objectKey(dataset, DAY));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, gzipSync([header, ...lines].join('\n') + '\n'));
  };
  write(DATASETS['stocks-trades'], STOCKS_TRADES_HEADER, t.stocks.map((s) =>
    [s.sym, formatConditions(s.conditions), s.correction, 4, s.sequence, '', s.price, s.sequence, s.sipTimestampNs, s.size, 1, '', ''].join(',')));
  const byTime = [...t.options].sort((a, b) => (a.sipTimestampNs < b.sipTimestampNs ? -1 : a.sipTimestampNs > b.sipTimestampNs ? 1 : a.sequence - b.sequence));
  write(DATASETS['options-trades'], OPTIONS_TRADES_HEADER, byTime.map((o) =>
    [o.ticker, formatConditions(o.conditions), o.correction, o.exchange, '', o.price, o.sipTimestampNs, o.size].join(',')));
  write(DATASETS['options-quotes'], OPTIONS_QUOTES_HEADER, t.quotes.map((q) =>
    [q.ticker, q.askExchange, q.askPrice, q.askSize, q.bidExchange, q.bidPrice, q.bidSize, q.sequence, q.sipTimestampNs].join(',')));
}

/**
 * The historical path itself: the tape's flat files → ingest → greeks (classifying against the
 * option quotes when `aggression`) → features into a JSON lines file; its lines.
 */
async function historicalLines(t: Tape, agg: AggregationsConfig, aggression: boolean): Promise<string[]> {
  const root = mkdtempSync(join(tmpdir(), 'gf-pipeline-src-'));
  const lake = mkdtempSync(join(tmpdir(), 'gf-pipeline-lake-'));
  try {
    writeFlatFiles(root, t);
    const config: Config = { ...defaultConfig(), aggregations: { ...agg, aggression } };
    const ingest = await runIngest({
      datasets: [DATASETS['stocks-trades'], DATASETS['options-trades'], DATASETS['options-quotes']], days: [DAY], lake,
      source: new LocalSource(root), force: false, concurrentFiles: 1, batchRows: 8192, rowGroupRows: 8192, fileSizeTargetBytes: 64 << 20,
      zstdLevel: 1, useWorkerWriter: false, derivedFor: (d) => (d.filterKind === 'underlyings' ? optionDerivedColumns() : undefined),
      expectedPublishMs: () => 0, tracker: new ProgressTracker(), version: 'test',
    });
    assert.equal(ingest.exitCode, 0, JSON.stringify(ingest.outcomes));
    const greeks = await runGreeks({ lake, symbol: 'SPY', days: [DAY], config, tracker: new ProgressTracker(), useWorkerWriter: false, duckdbMemoryLimit: '128MB' });
    assert.equal(greeks.exitCode, 0, JSON.stringify(greeks.outcomes));
    const out = join(root, 'features.jsonl');
    const features = await runFeatures({ lake, symbol: 'SPY', days: [DAY], config, out, tracker: new ProgressTracker(), duckdbMemoryLimit: '128MB' });
    assert.equal(features.exitCode, 0, JSON.stringify(features.outcomes));
    assert.equal(features.aggression, aggression);
    return readFileSync(out, 'utf8').split('\n').filter((l) => l.startsWith('{'));
  } finally {
    rmSync(root, { recursive: true, force: true });
    rmSync(lake, { recursive: true, force: true });
  }
}

/** Rows as the features file writes them, in its order (by window size, then start). */
function asLines(rows: readonly FeatureRow[], windows: readonly string[], aggression: boolean): string[] {
  return [...rows]
    .sort((a, b) => windows.indexOf(a.window) - windows.indexOf(b.window) || (a.windowStartNs < b.windowStartNs ? -1 : a.windowStartNs > b.windowStartNs ? 1 : 0))
    .map((r) => jsonLine(r, aggression));
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
/** The key of a features file line: window@window_start (an exact integer literal in the line). */
const lineKey = (line: string): string => `${/"window":"([^"]+)"/.exec(line)?.[1]}@${/"window_start":(\d+)/.exec(line)?.[1]}`;
const feature = (r: FeatureRow, name: (typeof FEATURE_NAMES)[number]): number => r.features[FEATURE_NAMES.indexOf(name)]!;

test('fed out of order within the lateness, the pipeline emits exactly the historical rows (aggression on)', async () => {
  const t = tape(7);
  const agg = aggregations();
  const expected = await historicalLines(t, agg, true);
  const { pipeline, rows } = live(agg, true);
  for (const a of arrivals(t, 11, 800)) pipeline.push(a.cluster, a.event, a.atMs);
  const beforeFinish = rows.length;
  pipeline.finish();
  const s = pipeline.stats();
  assert.equal(s.late, 0);
  assert.ok(beforeFinish >= 40, `windows closed while streaming (${beforeFinish})`);
  assert.equal(rows.length, 390 + 78);
  assert.ok(rows.every((r) => r.emission.revision === 0));
  assert.deepEqual(asLines(rows.map((r) => r.row), agg.windows, true), expected);
  // The data is not trivial: priced trades, both sides classified.
  const busy = rows.find((r) => r.row.window === '1m' && r.row.windowStartNs === nyWallClockToUtcNs(DAY, 10, 1))!.row;
  assert.ok(busy.diagnostics[DIAG.diag_priced]! > 100);
  assert.ok(busy.diagnostics[DIAG.diag_aggressive_buys]! > 10 && busy.diagnostics[DIAG.diag_aggressive_sells]! > 10);
});

test('without aggression the rows have the 81 columns and still match', async () => {
  const t = tape(3, 3);
  const agg = aggregations();
  const { pipeline, rows } = live(agg, false);
  for (const a of arrivals(t, 5, 1_500)) pipeline.push(a.cluster, a.event, a.atMs);
  pipeline.finish();
  assert.deepEqual(asLines(rows.map((r) => r.row), agg.windows, false), await historicalLines(t, agg, false));
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

test('late policy drop: the late trade is counted and the rows are those without it', async () => {
  const { rows, pipeline, t } = lateRun('drop');
  const s = pipeline.stats();
  assert.equal(s.late, 1);
  assert.equal(s.lateDropped, 1);
  assert.equal(s.rowsRevised, 0);
  assert.deepEqual(asLines(rows.map((r) => r.row), aggregations().windows, false), await historicalLines(t, aggregations(), false));
});

test('late policy revise: closed windows holding the late trade are re-emitted, equal to a run that had it in time', async () => {
  const { rows, pipeline, t, late } = lateRun('revise');
  const s = pipeline.stats();
  assert.equal(s.late, 1);
  assert.equal(s.lateRevised, 1);
  const revised = rows.filter((r) => r.emission.revision > 0);
  // 10:01 closed (1m); the 5m window [10:00, 10:05) was still open and took the trade directly.
  assert.deepEqual(revised.map((r) => [key(r.row), r.emission.revision]), [[`1m@${nyWallClockToUtcNs(DAY, 10, 1)}`, 1]]);
  const withLate = new Map((await historicalLines({ ...t, options: [...t.options, late] }, aggregations(), false)).map((l) => [lineKey(l), l]));
  const revisedKey = key(revised[0]!.row);
  assert.equal(jsonLine(revised[0]!.row, false), withLate.get(revisedKey));
  const five = rows.filter((r) => r.row.window === '5m' && r.row.windowStartNs === nyWallClockToUtcNs(DAY, 10, 0));
  assert.equal(five.length, 1);
  assert.equal(jsonLine(five[0]!.row, false), withLate.get(key(five[0]!.row)));
  // Every other row is the in-time run's.
  const firsts = rows.filter((r) => r.emission.revision === 0 && key(r.row) !== revisedKey);
  assert.equal(firsts.length, withLate.size - 1);
  for (const r of firsts) assert.equal(jsonLine(r.row, false), withLate.get(key(r.row)), key(r.row));
});

test('events of other symbols are ignored', () => {
  const { pipeline, rows } = live(aggregations(), false);
  const trade: StockTrade = { sym: 'QQQ', sipTimestampNs: nyWallClockToUtcNs(DAY, 10, 0), sequence: 1, price: 600, size: 100, conditions: [], correction: 0 };
  pipeline.push('stocks', { kind: 'stockTrade', trade }, 0);
  pipeline.finish();
  assert.equal(pipeline.stats().ignored, 1);
  assert.equal(rows.length, 0, 'no day registered without an event of the symbol');
});
