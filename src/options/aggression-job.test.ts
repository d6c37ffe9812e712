/**
 * The two classification drivers agree: TradeSides (contract by contract, partition order) and
 * QuoteStreamClassifier (global time order), on a random day with equal timestamps, locked and
 * crossed quotes, one-sided quotes, contracts without quotes or without trades; with fixed and
 * adaptive staleness and the tick fallback. Plus the order checks and the column builder's nulls.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultConfig, type AggregationsConfig } from '../config/schema.js';
import type { OptionQuoteColumns, OptionTradeKeyColumns } from '../lake/reader.js';
import { LakeError } from '../util/errors.js';
import { AGGRESSION_COLUMNS, Classification, Side, SideReason } from './aggression.js';
import { AggressionColumnsBuilder, QuoteStreamClassifier, TradeSides, readAhead } from './aggression-job.js';

const T0 = 1_762_525_800_000_000_000n;

interface Quote { ticker: string; ts: bigint; seq: number; bid: number; bidSize: number; ask: number; askSize: number }
interface Trade { ticker: string; ts: bigint; price: number; row: number }

/** A deterministic random day: `contracts` tickers, quotes and trades on a coarse clock so timestamps collide. */
function randomDay(seed: number, contracts = 12, quotesPer = 300, tradesPer = 120): { quotes: Quote[]; trades: Trade[] } {
  let x = seed >>> 0;
  const rnd = () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const quotes: Quote[] = [], trades: Trade[] = [];
  for (let c = 0; c < contracts; c++) {
    const ticker = `O:SPY251107C00${String(670 + c).padStart(3, '0')}000`;
    const nq = c === 3 ? 0 : quotesPer; // contract 3 has trades but no quote
    const nt = c === 5 ? 0 : tradesPer; // contract 5 has quotes but no trade
    let mid = 100 + c * 10, seq = 0;
    const qs: Quote[] = [];
    for (let i = 0; i < nq; i++) {
      mid = Math.max(5, mid + Math.round((rnd() - 0.5) * 4));
      const half = Math.floor(rnd() * 4); // 0: locked
      const kind = rnd();
      const bid = kind < 0.03 ? 0 : (mid - half) / 100, ask = kind > 0.97 ? 0 : (mid + half) / 100;
      const crossed = rnd() < 0.02;
      qs.push({ ticker, ts: T0 + BigInt(Math.floor(rnd() * 4000)) * 10_000_000n, seq: ++seq, bid: crossed ? ask + 0.01 : bid, bidSize: bid > 0 ? 10 : 0, ask, askSize: ask > 0 ? 5 : 0 });
    }
    qs.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : a.seq - b.seq));
    quotes.push(...qs);
    const ts: Trade[] = [];
    for (let i = 0; i < nt; i++) {
      const p = (100 + c * 10 + Math.round((rnd() - 0.5) * 10)) / 100;
      ts.push({ ticker, ts: T0 + BigInt(Math.floor(rnd() * 4000)) * 10_000_000n, price: rnd() < 0.01 ? 0 : p, row: 0 });
    }
    ts.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
    trades.push(...ts);
  }
  trades.forEach((t, i) => { t.row = 10 + 2 * i; }); // partition row order = ticker, then time
  return { quotes, trades };
}

async function* quoteChunks(quotes: readonly Quote[], size = 97): AsyncGenerator<OptionQuoteColumns> {
  for (let i = 0; i < quotes.length; i += size) {
    const part = quotes.slice(i, i + size);
    const contracts = [...new Set(part.map((q) => q.ticker))]; // a dictionary per chunk: consumers must follow it
    yield {
      length: part.length, ticker: part.map((q) => q.ticker), contracts, contract: Int32Array.from(part, (q) => contracts.indexOf(q.ticker)), sipTimestampNs: BigInt64Array.from(part.map((q) => q.ts)),
      sequence: Float64Array.from(part.map((q) => q.seq)), bidPrice: Float64Array.from(part.map((q) => q.bid)),
      bidSize: Float64Array.from(part.map((q) => q.bidSize)), askPrice: Float64Array.from(part.map((q) => q.ask)),
      askSize: Float64Array.from(part.map((q) => q.askSize)),
    };
  }
}

async function* tradeChunks(trades: readonly Trade[], size = 50): AsyncGenerator<OptionTradeKeyColumns> {
  for (let i = 0; i < trades.length; i += size) {
    const part = trades.slice(i, i + size);
    yield {
      length: part.length, ticker: part.map((t) => t.ticker), sipTimestampNs: BigInt64Array.from(part.map((t) => t.ts)),
      price: Float64Array.from(part.map((t) => t.price)), rowIndex: Float64Array.from(part.map((t) => t.row)),
    };
  }
}

const fields = (c: Classification) => [c.side, c.method, c.reason, c.quoteState, c.quoteTimestampNs, c.quoteAgeNs, c.bidPrice, c.bidSize, c.askPrice, c.askSize, c.midOffsetBp];

for (const [name, over] of [
  ['fixed 200 ms staleness', { max_quote_staleness: '200ms' }],
  ['adaptive staleness, tick fallback', { quote_staleness_mode: 'adaptive', adaptive_staleness_min: '10ms', adaptive_staleness_max: '2s', aggression_fallback: 'tick' }],
] as const) {
  test(`TradeSides (per contract, partition order) equals the time-ordered driver: ${name}`, async () => {
    const agg: AggregationsConfig = { ...defaultConfig().aggregations, ...over };
    const { quotes, trades } = randomDay(7);
    const sides = await TradeSides.compute(tradeChunks(trades), quoteChunks(quotes), agg);
    assert.equal(sides.size, trades.length);

    // The reference: everything in event-time order, quotes before trades at equal time.
    const byTime = [...quotes].sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
    const stream = new QuoteStreamClassifier(quoteChunks(byTime, 61)[Symbol.asyncIterator](), agg);
    const tradesByTime = [...trades].sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : a.row - b.row));
    const got = new Classification();
    const reasons = new Set<number>();
    for (const t of tradesByTime) {
      const feeding = stream.advanceTo(t.ts);
      if (feeding !== undefined) await feeding;
      const want = stream.classify({ ticker: t.ticker, sipTimestampNs: t.ts, price: t.price });
      reasons.add(want.reason);
      assert.deepEqual(fields(sides.get(t.row, got)), fields(want), `${t.ticker} at ${t.ts - T0}, row ${t.row}`);
    }
    // Same counts; only the quotes fed differ (contracts without trades are skipped).
    const { quotesFed: _a, contractsQuoted: _b, ...counts } = sides.summary();
    const { quotesFed: _c, contractsQuoted: _d, ...expected } = stream.summary();
    assert.deepEqual(counts, expected);
    assert.ok(sides.summary().quotesFed < quotes.length, 'quotes of a contract without trades are skipped');
    for (const r of [SideReason.Ok, SideReason.NoQuote, SideReason.Locked, SideReason.Crossed, SideReason.Inside, SideReason.InvalidPrice]) {
      assert.ok(reasons.has(r), `the day exercises reason ${r}`);
    }
    assert.throws(() => sides.get(11, got), RangeError);
  });
}

test('a contract going back in time in partition order is a LakeError, not a wrong verdict', async () => {
  const agg = defaultConfig().aggregations;
  const { quotes, trades } = randomDay(9, 3, 50, 20);
  const swapped = [...quotes];
  [swapped[10], swapped[40]] = [swapped[40]!, swapped[10]!];
  await assert.rejects(TradeSides.compute(tradeChunks(trades), quoteChunks(swapped), agg), (e: unknown) => e instanceof LakeError && /options-quotes partition out of \(ticker, time\) order/.test(e.message));
  const late = trades.map((t) => ({ ...t }));
  late[1]!.ts = late[0]!.ts - 1n;
  await assert.rejects(TradeSides.compute(tradeChunks(late), quoteChunks(quotes), agg), (e: unknown) => e instanceof LakeError && /options-trades partition out of/.test(e.message));
});

test('AggressionColumnsBuilder: no quote → null quote columns; an absent side → null price, size 0; mid only with both sides', () => {
  const b = new AggressionColumnsBuilder(4);
  const none = new Classification();
  b.add(none);
  const bidOnly = new Classification();
  Object.assign(bidOnly, { side: Side.Sell, method: 1, reason: 0, quoteTimestampNs: T0, quoteAgeNs: 5n, bidPrice: 1.5, bidSize: 3, askPrice: NaN, askSize: 0, quoteState: 3, midOffsetBp: NaN });
  b.add(bidOnly);
  const cols = b.take();
  assert.equal(cols.length, AGGRESSION_COLUMNS.length);
  const valid = (k: number) => [...((cols[k] as { valid?: Uint8Array }).valid ?? [1, 1])];
  assert.deepEqual([...(cols[0] as { values: Int32Array }).values], [0, -1]);
  assert.deepEqual(valid(3), [0, 1]); // bid price
  assert.deepEqual(valid(4), [0, 1]); // bid size
  assert.deepEqual(valid(5), [0, 0]); // ask price: absent side
  assert.deepEqual(valid(6), [0, 1]); // ask size 0
  assert.deepEqual(valid(7), [0, 1]); // quote time
  assert.deepEqual(valid(10), [0, 0]); // mid offset
  assert.equal(b.rows, 0);
});

test('readAhead keeps the order, ends with the source and closes it when stopped early', async () => {
  let closed = false;
  let requested = 0;
  async function* source(): AsyncGenerator<number> {
    try { for (let i = 0; i < 10; i++) { requested++; await Promise.resolve(); yield i; } } finally { closed = true; }
  }
  const all: number[] = [];
  for await (const x of readAhead(source(), 3)) all.push(x);
  assert.deepEqual(all, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.ok(closed);
  closed = false; requested = 0;
  for await (const x of readAhead(source(), 3)) { if (x === 1) break; }
  assert.ok(closed, 'an early stop closes the source');
  assert.ok(requested <= 5, `${requested} items requested for 2 consumed with depth 3`);
});
