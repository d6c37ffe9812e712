import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bsmPrice } from '../options/pricing/bsm.js';
import { generateDay, type DayGenOptions, type GeneratedDay } from './generateDay.js';
import { newYorkDayStartEpochMs } from './newYorkCalendar.js';
import { DEFAULT_EXCLUDE_HIGH_LOW, STOCKS_TRADES_HEADER } from './stockTrades.js';
import { OPTIONS_QUOTES_HEADER, OPTIONS_TRADES_HEADER, OPTIONS_TRUTH_HEADER } from './optionFlow.js';
import { readCsvFile, sha256File, type CsvTable } from '../../test/support/demo-csv.js';

const DATE = '2025-11-07';
const SMALL: DayGenOptions = {
  date: DATE, seed: 7, tickers: 12, spyTrades: 6000, otherTradesPerTicker: 40,
  options: { trades: 1500, expiries: 5, strikesPerSide: 6 },
};
const TWO_POW_53 = 2n ** 53n;
const OPRA = /^O:([A-Z]{1,5}\d?)(\d{2})(\d{2})(\d{2})([CP])(\d{8})$/;
const NS_PER_YEAR = 365 * 86_400e9;

let root: string;
const tmp = async (name: string) => join(root, name);

before(async () => { root = await mkdtemp(join(tmpdir(), 'gammaflow-demo-')); });
after(async () => { await rm(root, { recursive: true, force: true }); });

function fileOf(day: GeneratedDay, dataset: string): CsvTable {
  const f = day.files.find((x) => x.dataset === dataset);
  assert.ok(f, `no ${dataset} file`);
  return readCsvFile(f.path);
}

/** Timestamp columns of a dataset. */
const TIMESTAMP_COLUMNS: Record<string, string[]> = {
  'stocks-trades': ['participant_timestamp', 'sip_timestamp'],
  'options-trades': ['participant_timestamp', 'sip_timestamp'],
  'options-quotes': ['sip_timestamp'],
};

function assertSortedByTickerThenTime(t: CsvTable): void {
  for (let i = 1; i < t.rows.length; i++) {
    const a = t.field(i - 1, 'ticker'), b = t.field(i, 'ticker');
    assert.ok(a <= b, `row ${i}: ticker ${b} after ${a}`);
    if (a === b) assert.ok(BigInt(t.field(i - 1, 'sip_timestamp')) <= BigInt(t.field(i, 'sip_timestamp')), `row ${i}: time goes back`);
  }
}

function assertSequenceIncreasingPerTicker(t: CsvTable): void {
  for (let i = 1; i < t.rows.length; i++) {
    if (t.field(i - 1, 'ticker') !== t.field(i, 'ticker')) continue;
    assert.ok(Number(t.field(i - 1, 'sequence_number')) < Number(t.field(i, 'sequence_number')), `row ${i}: sequence not increasing`);
  }
}

/** Latest high/low-eligible trade of `ticker` at or before each time: the as-of rule of FEATURES.md. */
function eligibleTape(stocks: CsvTable, ticker: string): { times: bigint[]; prices: number[] } {
  const times: bigint[] = [], prices: number[] = [];
  for (let i = 0; i < stocks.rows.length; i++) {
    if (stocks.field(i, 'ticker') !== ticker || stocks.field(i, 'correction') !== '') continue;
    const conditions = stocks.field(i, 'conditions').split(',').filter((c) => c !== '').map(Number);
    if (conditions.some((c) => DEFAULT_EXCLUDE_HIGH_LOW.has(c))) continue;
    times.push(BigInt(stocks.field(i, 'sip_timestamp')));
    prices.push(Number(stocks.field(i, 'price')));
  }
  return { times, prices };
}

function latestAtOrBefore(times: readonly bigint[], t: bigint): number {
  let lo = 0, hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid]! <= t) lo = mid + 1; else hi = mid;
  }
  return lo - 1;
}

/** Side by the quote rule of FEATURES.md against the prevailing quote (latest sip ≤ trade, highest sequence). */
function quoteRuleSides(trades: CsvTable, quotes: CsvTable): string[] {
  const byTicker = new Map<string, number[]>();
  for (let i = 0; i < quotes.rows.length; i++) {
    const k = quotes.field(i, 'ticker');
    let list = byTicker.get(k);
    if (!list) byTicker.set(k, list = []);
    list.push(i);
  }
  return trades.rows.map((_, i) => {
    const list = byTicker.get(trades.field(i, 'ticker')) ?? [];
    const t = BigInt(trades.field(i, 'sip_timestamp'));
    let best = -1;
    for (const q of list) {
      if (BigInt(quotes.field(q, 'sip_timestamp')) > t) continue;
      if (best < 0 || BigInt(quotes.field(q, 'sip_timestamp')) > BigInt(quotes.field(best, 'sip_timestamp'))
        || (BigInt(quotes.field(q, 'sip_timestamp')) === BigInt(quotes.field(best, 'sip_timestamp'))
          && Number(quotes.field(q, 'sequence_number')) > Number(quotes.field(best, 'sequence_number')))) best = q;
    }
    if (best < 0) return 'none';
    const bid = Number(quotes.field(best, 'bid_price')), ask = Number(quotes.field(best, 'ask_price'));
    const price = Number(trades.field(i, 'price'));
    if (bid >= ask) return 'none';
    if (price >= ask) return 'buy';
    if (price <= bid) return 'sell';
    return 'none';
  });
}

describe('generateDay (small day, ns timestamps)', () => {
  let day: GeneratedDay;
  let stocks: CsvTable, optionTrades: CsvTable, optionQuotes: CsvTable, truth: CsvTable;

  before(async () => {
    day = await generateDay(await tmp('a'), SMALL);
    stocks = fileOf(day, 'stocks-trades');
    optionTrades = fileOf(day, 'options-trades');
    optionQuotes = fileOf(day, 'options-quotes');
    assert.ok(day.truthPath);
    truth = readCsvFile(day.truthPath);
  });

  it('writes Massive keys under the root, reporting rows and bytes', () => {
    assert.deepEqual(day.files.map((f) => f.key), [
      'us_stocks_sip/trades_v1/2025/11/2025-11-07.csv.gz',
      'us_options_opra/trades_v1/2025/11/2025-11-07.csv.gz',
      'us_options_opra/quotes_v1/2025/11/2025-11-07.csv.gz',
    ]);
    for (const f of day.files) {
      assert.equal(f.path, join(root, 'a', f.key));
      assert.ok(f.bytes > 0 && f.rows > 0);
      assert.ok(!existsSync(`${f.path}.partial`));
    }
    assert.equal(day.files[0]!.rows, stocks.rows.length);
    assert.equal(day.truthPath, join(root, 'a', '_truth', DATE, 'options-trades.csv'));
  });

  it('uses the exact headers', () => {
    assert.equal(stocks.header, STOCKS_TRADES_HEADER);
    assert.equal(STOCKS_TRADES_HEADER, 'ticker,conditions,correction,exchange,id,participant_timestamp,price,sequence_number,sip_timestamp,size,tape,trf_id,trf_timestamp');
    assert.equal(optionTrades.header, 'ticker,conditions,correction,exchange,participant_timestamp,price,sip_timestamp,size');
    assert.equal(optionQuotes.header, 'ticker,ask_exchange,ask_price,ask_size,bid_exchange,bid_price,bid_size,sequence_number,sip_timestamp');
    assert.equal(optionTrades.header, OPTIONS_TRADES_HEADER);
    assert.equal(optionQuotes.header, OPTIONS_QUOTES_HEADER);
    assert.equal(truth.header, OPTIONS_TRUTH_HEADER);
    for (const t of [stocks, optionTrades, optionQuotes]) for (const row of t.rows) assert.equal(row.length, t.columns.length);
  });

  it('sorts every file by ticker, then time, with sequence numbers increasing per ticker', () => {
    for (const t of [stocks, optionTrades, optionQuotes]) assertSortedByTickerThenTime(t);
    assertSequenceIncreasingPerTicker(stocks);
    assertSequenceIncreasingPerTicker(optionQuotes);
  });

  it('numbers stock trades in time order across the whole file', () => {
    const order = stocks.rows.map((_, i) => i)
      .sort((a, b) => Number(stocks.field(a, 'sequence_number')) - Number(stocks.field(b, 'sequence_number')));
    for (let k = 1; k < order.length; k++) {
      assert.ok(BigInt(stocks.field(order[k - 1]!, 'sip_timestamp')) <= BigInt(stocks.field(order[k]!, 'sip_timestamp')));
    }
  });

  it('prints 19-digit epoch-nanosecond timestamps beyond 2^53, participant before sip', () => {
    for (const [dataset, t] of [['stocks-trades', stocks], ['options-trades', optionTrades], ['options-quotes', optionQuotes]] as const) {
      for (let i = 0; i < t.rows.length; i++) {
        for (const c of TIMESTAMP_COLUMNS[dataset]!) {
          assert.match(t.field(i, c), /^\d{19}$/, `${dataset} row ${i} ${c}`);
          assert.ok(BigInt(t.field(i, c)) > TWO_POW_53);
        }
        if (dataset !== 'options-quotes') assert.ok(BigInt(t.field(i, 'participant_timestamp')) <= BigInt(t.field(i, 'sip_timestamp')));
      }
    }
    const subMs = stocks.rows.filter((_, i) => !stocks.field(i, 'sip_timestamp').endsWith('000000')).length;
    assert.ok(subMs > stocks.rows.length * 0.99, 'ns files carry sub-millisecond digits');
  });

  it('keeps stock trades within 04:00–20:00 New York, Form T (12) exactly outside regular hours', () => {
    const midnightNs = BigInt(newYorkDayStartEpochMs(DATE)) * 1_000_000n;
    const hourNs = 3_600_000_000_000n;
    let extended = 0;
    for (let i = 0; i < stocks.rows.length; i++) {
      const sinceMidnight = BigInt(stocks.field(i, 'sip_timestamp')) - midnightNs;
      assert.ok(sinceMidnight >= 4n * hourNs && sinceMidnight < 20n * hourNs);
      const regular = sinceMidnight >= 9n * hourNs + hourNs / 2n && sinceMidnight < 16n * hourNs;
      const conditions = stocks.field(i, 'conditions').split(',');
      assert.equal(conditions.includes('12'), !regular, `row ${i}`);
      if (!regular) extended++;
    }
    assert.ok(extended > 0 && extended < stocks.rows.length * 0.2);
  });

  it('fills TRF fields only for exchange 4 and uses Massive field shapes', () => {
    const seen = { quotedList: 0, sixDecimals: 0, fractionalSize: 0, trf: 0 };
    for (let i = 0; i < stocks.rows.length; i++) {
      const isTrf = stocks.field(i, 'exchange') === '4';
      assert.equal(stocks.field(i, 'trf_id') !== '', isTrf);
      assert.equal(stocks.field(i, 'trf_timestamp') === '0', !isTrf);
      if (isTrf) seen.trf++;
      assert.match(stocks.field(i, 'tape'), /^[123]$/);
      assert.match(stocks.field(i, 'price'), /^\d+(\.\d{1,6})?$/);
      assert.match(stocks.field(i, 'size'), /^\d+(\.\d{1,6})?$/);
      if (stocks.field(i, 'conditions').includes(',')) seen.quotedList++;
      if (/\.\d{6}$/.test(stocks.field(i, 'price'))) seen.sixDecimals++;
      if (Number(stocks.field(i, 'size')) % 1 !== 0) seen.fractionalSize++;
    }
    for (const [k, v] of Object.entries(seen)) assert.ok(v > 0, `no ${k} rows`);
    const spy = eligibleTape(stocks, 'SPY');
    assert.ok(spy.prices.every((p) => p > 600 && p < 760), 'SPY trades near 680');
  });

  it('names option contracts with valid OPRA tickers: SPY with 0DTE, QQQ and the adjusted SPY1', () => {
    const roots = new Set<string>();
    const expiries = new Set<string>();
    for (let i = 0; i < optionTrades.rows.length; i++) {
      const m = OPRA.exec(optionTrades.field(i, 'ticker'));
      assert.ok(m, optionTrades.field(i, 'ticker'));
      roots.add(m[1]!);
      const expiry = `20${m[2]}-${m[3]}-${m[4]}`;
      assert.ok(expiry >= DATE);
      if (m[1] === 'SPY') expiries.add(expiry);
      assert.equal(Number(m[6]) % 1000, 0, 'whole-dollar strikes');
    }
    assert.deepEqual([...roots].sort(), ['QQQ', 'SPY', 'SPY1']);
    assert.ok(expiries.has(DATE), '0DTE trades');
    assert.equal(expiries.size, 5);
  });

  it('writes one truth row per option trade whose model price is bsmPrice of the truth columns', () => {
    assert.equal(truth.rows.length, optionTrades.rows.length);
    for (let i = 0; i < truth.rows.length; i++) {
      assert.equal(truth.field(i, 'ticker'), optionTrades.field(i, 'ticker'));
      assert.equal(truth.field(i, 'sip_timestamp'), optionTrades.field(i, 'sip_timestamp'));
      assert.equal(truth.field(i, 'price'), optionTrades.field(i, 'price'));
      const m = OPRA.exec(truth.field(i, 'ticker'))!;
      const model = bsmPrice(m[5] as 'C' | 'P', Number(truth.field(i, 'underlying_price')), Number(m[6]) / 1000,
        Number(truth.field(i, 'time_to_expiry_years')), 0.04, 0, Number(truth.field(i, 'sigma')));
      assert.ok(Math.abs(model - Number(truth.field(i, 'model_price'))) <= 1e-12 * Math.max(1, model), `row ${i}`);
      const price = Number(optionTrades.field(i, 'price'));
      // Rounded to the cent; nudged up at most one cent off a no-arbitrage bound.
      assert.ok(price >= 0.01 && Math.abs(price - model) <= 0.01 + 1e-9, `row ${i}: price ${price} model ${model}`);
      assert.ok(Math.abs(Math.round(price * 100) - price * 100) < 1e-6);
    }
    const withinHalfCent = truth.rows.filter((_, i) => Math.abs(Number(truth.field(i, 'price')) - Number(truth.field(i, 'model_price'))) <= 0.005 + 1e-9).length;
    assert.ok(withinHalfCent > truth.rows.length * 0.95);
  });

  it('records T to 16:00 New York on expiry in 365-day years, floored at 60 s', () => {
    for (let i = 0; i < truth.rows.length; i++) {
      const m = OPRA.exec(truth.field(i, 'ticker'))!;
      const expiry = `20${m[2]}-${m[3]}-${m[4]}`;
      const closeNs = BigInt(newYorkDayStartEpochMs(expiry)) * 1_000_000n + 16n * 3_600_000_000_000n;
      const leftNs = Number(closeNs - BigInt(truth.field(i, 'sip_timestamp')));
      const expected = Math.max(leftNs, 60e9) / NS_PER_YEAR;
      assert.ok(Math.abs(expected - Number(truth.field(i, 'time_to_expiry_years'))) <= 1e-15 + 1e-12 * expected, `row ${i}`);
    }
  });

  it('prices each trade off the latest high/low-eligible underlying print at or before it', () => {
    const tapes = new Map(['SPY', 'QQQ'].map((u) => [u, eligibleTape(stocks, u)]));
    for (let i = 0; i < truth.rows.length; i++) {
      const root = OPRA.exec(truth.field(i, 'ticker'))![1]!;
      const tape = tapes.get(root === 'QQQ' ? 'QQQ' : 'SPY')!;
      const j = latestAtOrBefore(tape.times, BigInt(truth.field(i, 'sip_timestamp')));
      assert.ok(j >= 0);
      assert.equal(Number(truth.field(i, 'underlying_price')), tape.prices[j]);
      assert.equal(BigInt(truth.field(i, 'underlying_sip_timestamp')), tape.times[j]);
    }
  });

  it('puts a fresh quote before every trade so the quote rule recovers the true side', () => {
    const sides = quoteRuleSides(optionTrades, optionQuotes);
    const counts = { buy: 0, sell: 0, none: 0 } as Record<string, number>;
    for (let i = 0; i < truth.rows.length; i++) {
      assert.equal(sides[i], truth.field(i, 'side'), `row ${i} ${truth.field(i, 'ticker')}`);
      counts[truth.field(i, 'side')]!++;
    }
    assert.ok(counts.buy! > 0.35 * truth.rows.length && counts.sell! > 0.35 * truth.rows.length);
    assert.ok(counts.none! > 0 && counts.none! < 0.2 * truth.rows.length);
  });

  it('uses OPRA conditions: mostly 209, some ISO 219 and cancelled 201 with a correction', () => {
    const byCondition = new Map<string, number>();
    for (let i = 0; i < optionTrades.rows.length; i++) {
      const c = optionTrades.field(i, 'conditions');
      byCondition.set(c, (byCondition.get(c) ?? 0) + 1);
      assert.equal(optionTrades.field(i, 'correction') !== '', c === '201');
      assert.ok(Number(optionTrades.field(i, 'size')) >= 1);
    }
    assert.ok(byCondition.get('209')! > optionTrades.rows.length / 2);
    assert.ok((byCondition.get('219') ?? 0) > 0);
  });

  it('is deterministic: same seed, same bytes; another seed, other bytes', async () => {
    const again = await generateDay(await tmp('b'), SMALL);
    for (const [k, f] of day.files.entries()) assert.equal(sha256File(again.files[k]!.path), sha256File(f.path), f.key);
    assert.equal(sha256File(again.truthPath!), sha256File(day.truthPath!));
    const other = await generateDay(await tmp('c'), { ...SMALL, seed: 8, options: false });
    assert.notEqual(sha256File(other.files[0]!.path), sha256File(day.files[0]!.path));
    assert.equal(other.files.length, 1);
    assert.equal(other.truthPath, undefined);
  });
});

describe('generateDay (millisecond timestamps, half day)', () => {
  let day: GeneratedDay;
  before(async () => {
    day = await generateDay(await tmp('ms'), { ...SMALL, date: '2025-11-28', timestampPrecision: 'ms', halfDay: true });
  });

  it('writes every timestamp as a multiple of 1e6', () => {
    for (const f of day.files) {
      const t = readCsvFile(f.path);
      for (let i = 0; i < t.rows.length; i++) {
        for (const c of TIMESTAMP_COLUMNS[f.dataset]!) assert.match(t.field(i, c), /^\d{13}000000$/, `${f.dataset} ${c}`);
      }
    }
    const stocks = fileOf(day, 'stocks-trades');
    for (let i = 0; i < stocks.rows.length; i++) {
      const trf = stocks.field(i, 'trf_timestamp');
      assert.ok(trf === '0' || /^\d{13}000000$/.test(trf));
    }
  });

  it('still lets the quote rule recover every true side despite shared milliseconds', () => {
    const trades = fileOf(day, 'options-trades');
    const truth = readCsvFile(day.truthPath!);
    const sides = quoteRuleSides(trades, fileOf(day, 'options-quotes'));
    for (let i = 0; i < truth.rows.length; i++) assert.equal(sides[i], truth.field(i, 'side'), `row ${i}`);
    assertSortedByTickerThenTime(trades);
    assertSequenceIncreasingPerTicker(fileOf(day, 'options-quotes'));
  });

  it('ends the half day: stocks by 17:00, options by 13:00 New York', () => {
    const midnightNs = BigInt(newYorkDayStartEpochMs('2025-11-28')) * 1_000_000n;
    const hourNs = 3_600_000_000_000n;
    const stocks = fileOf(day, 'stocks-trades');
    for (let i = 0; i < stocks.rows.length; i++) assert.ok(BigInt(stocks.field(i, 'sip_timestamp')) - midnightNs < 17n * hourNs);
    const trades = fileOf(day, 'options-trades');
    for (let i = 0; i < trades.rows.length; i++) {
      assert.ok(BigInt(trades.field(i, 'sip_timestamp')) - midnightNs < 13n * hourNs + 1_000_000_000n);
    }
  });
});

describe('generateDay validation', () => {
  it('rejects weekends, bad dates and bad counts', async () => {
    await assert.rejects(generateDay(await tmp('bad'), { date: '2025-11-08' }), /weekend/);
    await assert.rejects(generateDay(await tmp('bad'), { date: '2025-02-30' }), /date/);
    await assert.rejects(generateDay(await tmp('bad'), { date: DATE, tickers: -1 }), /tickers/);
  });
});
