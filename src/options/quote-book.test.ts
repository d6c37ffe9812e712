import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultConfig } from '../config/schema.js';
import {
  OptionQuoteBook, QuoteSnapshot, QuoteState, quoteBookOptionsFromConfig, quoteStateOf, windowQuantile, type OptionQuote, type QuoteBookOptions,
} from './quote-book.js';

const SEC = 1_000_000_000n;
const T0 = 1_762_525_800_000_000_000n; // 2025-11-07 09:30 New York
const C = 'O:SPY251107C00680000';
const P = 'O:SPY251107P00680000';

const FIXED_5S: QuoteBookOptions = {
  stalenessMode: 'fixed', maxQuoteStalenessNs: 5n * SEC, adaptiveStalenessMinNs: SEC, adaptiveStalenessMaxNs: 30n * SEC,
};
const quote = (ticker: string, offsetNs: bigint, sequence: number, bidPrice: number, bidSize: number, askPrice: number, askSize: number): OptionQuote =>
  ({ ticker, sipTimestampNs: T0 + offsetNs, sequence, bidPrice, bidSize, askPrice, askSize });

test('no quote before the first one; then the latest quote with its age', () => {
  const book = new OptionQuoteBook(FIXED_5S);
  assert.equal(book.prevailing(C, T0), null);
  assert.equal(book.onQuote(quote(C, 0n, 10, 1.2, 5, 1.25, 7)), true);
  assert.equal(book.prevailing(P, T0), null, 'another contract has no quote');
  const q = book.prevailing(C, T0 + 2n * SEC)!;
  assert.deepEqual(
    [q.bidPrice, q.bidSize, q.askPrice, q.askSize, q.sipTimestampNs, q.sequence, q.ageNs, q.state, q.stale, q.stalenessLimitNs],
    [1.2, 5, 1.25, 7, T0, 10, 2n * SEC, QuoteState.Normal, false, 5n * SEC]);
  assert.equal(book.contracts, 1);
});

test('a quote at the same nanosecond as the lookup prevails (age 0)', () => {
  const book = new OptionQuoteBook(FIXED_5S);
  book.onQuote(quote(C, 0n, 1, 1.0, 1, 1.1, 1));
  book.onQuote(quote(C, SEC, 2, 1.05, 1, 1.15, 1));
  const q = book.prevailing(C, T0 + SEC)!;
  assert.equal(q.bidPrice, 1.05);
  assert.equal(q.ageNs, 0n);
});

test('latest = highest (sip_timestamp, sequence): older quotes are ignored, equal keys replace', () => {
  const book = new OptionQuoteBook(FIXED_5S);
  book.onQuote(quote(C, SEC, 5, 1.0, 1, 1.1, 1));
  assert.equal(book.onQuote(quote(C, SEC, 4, 2.0, 1, 2.1, 1)), false, 'same time, lower sequence');
  assert.equal(book.onQuote(quote(C, 0n, 9, 3.0, 1, 3.1, 1)), false, 'earlier time, higher sequence');
  assert.equal(book.prevailing(C, T0 + SEC)!.bidPrice, 1.0);
  assert.equal(book.onQuote(quote(C, SEC, 6, 1.01, 1, 1.11, 1)), true, 'same time, higher sequence');
  assert.equal(book.prevailing(C, T0 + SEC)!.bidPrice, 1.01);
  assert.equal(book.onQuote(quote(C, SEC, 6, 1.02, 1, 1.12, 1)), true, 'equal key: the last one fed wins');
  assert.equal(book.prevailing(C, T0 + SEC)!.bidPrice, 1.02);
  assert.deepEqual(book.counters, { quotesAccepted: 3, quotesIgnored: 2 });
});

test('a lookup before the held quote breaks the event-time contract and throws', () => {
  const book = new OptionQuoteBook(FIXED_5S);
  book.onQuote(quote(C, SEC, 1, 1.0, 1, 1.1, 1));
  assert.throws(() => book.prevailing(C, T0 + SEC - 1n), RangeError);
});

test('zero price or size on one side means no quote on that side', () => {
  const book = new OptionQuoteBook(FIXED_5S);
  const cases: [number, number, number, number, QuoteState][] = [
    [1.0, 10, 1.1, 10, QuoteState.Normal],
    [0, 0, 1.1, 10, QuoteState.AskOnly],
    [1.0, 0, 1.1, 10, QuoteState.AskOnly], // price without size
    [1.0, 10, 0, 0, QuoteState.BidOnly],
    [1.0, 10, 1.1, 0, QuoteState.BidOnly],
    [0, 0, 0, 0, QuoteState.Empty],
    [1.1, 10, 1.1, 10, QuoteState.Locked],
    [1.15, 10, 1.1, 10, QuoteState.Crossed],
  ];
  cases.forEach(([bid, bidSize, ask, askSize, state], i) => {
    book.onQuote(quote(C, BigInt(i), i, bid, bidSize, ask, askSize));
    const q = book.prevailing(C, T0 + BigInt(i))!;
    assert.equal(q.state, state, `case ${i}`);
    const hasBid = state === QuoteState.BidOnly || state < QuoteState.BidOnly;
    const hasAsk = state === QuoteState.AskOnly || state < QuoteState.BidOnly;
    assert.deepEqual([q.bidPrice, q.bidSize], hasBid ? [bid, bidSize] : [NaN, 0], `bid of case ${i}`);
    assert.deepEqual([q.askPrice, q.askSize], hasAsk ? [ask, askSize] : [NaN, 0], `ask of case ${i}`);
  });
});

test('quoteStateOf: locked and crossed within the epsilon', () => {
  assert.equal(quoteStateOf(1.1, 1.1 + 5e-10), QuoteState.Locked);
  assert.equal(quoteStateOf(1.1 + 5e-10, 1.1), QuoteState.Locked);
  assert.equal(quoteStateOf(1.1, 1.1 + 1e-8), QuoteState.Normal);
  assert.equal(quoteStateOf(1.1 + 1e-8, 1.1), QuoteState.Crossed);
  assert.equal(quoteStateOf(0.1 + 0.2, 0.3), QuoteState.Locked, 'float noise is not a cross');
  assert.equal(quoteStateOf(NaN, NaN), QuoteState.Empty);
});

test('fixed staleness: age equal to the limit is fresh, one nanosecond more is stale', () => {
  const book = new OptionQuoteBook(FIXED_5S);
  book.onQuote(quote(C, 0n, 1, 1.0, 1, 1.1, 1));
  assert.equal(book.prevailing(C, T0 + 5n * SEC)!.stale, false);
  const q = book.prevailing(C, T0 + 5n * SEC + 1n)!;
  assert.equal(q.stale, true);
  assert.equal(q.bidPrice, 1.0, 'a stale quote is still reported');
});

/** Feeds quotes of `ticker` separated by `lifetimesNs`, starting where the held quote is (or T0). */
function feedLifetimes(book: OptionQuoteBook, ticker: string, lifetimesNs: readonly bigint[], start: { t: bigint; seq: number }): void {
  if (start.seq === 0) book.onQuote(quote(ticker, start.t, ++start.seq, 1.0, 1, 1.1, 1));
  for (const gap of lifetimesNs) {
    start.t += gap;
    book.onQuote(quote(ticker, start.t, ++start.seq, 1.0, 1, 1.1, 1));
  }
}

const ADAPTIVE: QuoteBookOptions = {
  stalenessMode: 'adaptive', maxQuoteStalenessNs: 5n * SEC, adaptiveStalenessMinNs: SEC, adaptiveStalenessMaxNs: 30n * SEC,
  adaptiveWindow: 10, adaptiveMinSamples: 3,
};

test('adaptive staleness: max_quote_staleness (clamped) until enough lifetimes, then their p99', () => {
  const book = new OptionQuoteBook(ADAPTIVE);
  assert.equal(book.stalenessLimitNs(C), 5n * SEC, 'unknown contract');
  const cursor = { t: 0n, seq: 0 };
  feedLifetimes(book, C, [SEC, 2n * SEC], cursor);
  assert.equal(book.stalenessLimitNs(C), 5n * SEC, 'two lifetimes are not enough');
  // Lifetimes 1..8 s and 9 s twice: sorted, p99 interpolates between the two 9 s values.
  feedLifetimes(book, C, [3n, 4n, 5n, 6n, 7n, 8n, 9n, 9n].map((s) => s * SEC), cursor);
  assert.equal(book.stalenessLimitNs(C), 9n * SEC);
  // The limit drives the stale flag, inclusive.
  assert.equal(book.prevailing(C, T0 + cursor.t + 9n * SEC)!.stale, false);
  assert.equal(book.prevailing(C, T0 + cursor.t + 9n * SEC + 1n)!.stale, true);
});

test('adaptive staleness: the percentile is rolling over the last adaptiveWindow lifetimes and clamped', () => {
  const book = new OptionQuoteBook(ADAPTIVE);
  const cursor = { t: 0n, seq: 0 };
  feedLifetimes(book, C, Array(10).fill(20n * SEC), cursor);
  assert.equal(book.stalenessLimitNs(C), 20n * SEC);
  feedLifetimes(book, C, Array(10).fill(3n * SEC), cursor);
  assert.equal(book.stalenessLimitNs(C), 3n * SEC, 'the 20 s lifetimes rolled out of the ring');
  feedLifetimes(book, C, Array(10).fill(SEC / 5n), cursor);
  assert.equal(book.stalenessLimitNs(C), SEC, 'clamped to adaptive_staleness_min');
  feedLifetimes(book, C, Array(10).fill(60n * SEC), cursor);
  assert.equal(book.stalenessLimitNs(C), 30n * SEC, 'clamped to adaptive_staleness_max');
  // Contracts are independent; a re-delivered quote (same key) adds no lifetime.
  const other = { t: 0n, seq: 0 };
  feedLifetimes(book, P, [SEC, SEC, SEC], other);
  book.onQuote(quote(P, other.t, other.seq, 1.0, 1, 1.1, 1));
  assert.equal(book.stalenessLimitNs(P), SEC);
  assert.equal(book.footprint().retainedLifetimes, 10 + 3);
});

test('adaptive staleness: an interpolated percentile is rounded up to a whole nanosecond', () => {
  const book = new OptionQuoteBook({ ...ADAPTIVE, adaptiveQuantile: 0.5 });
  feedLifetimes(book, C, [2n * SEC, 2n * SEC + 1n, 3n * SEC, 3n * SEC + 2n], { t: 0n, seq: 0 });
  // Median of 2e9, 2e9+1, 3e9, 3e9+2 = 2.5e9 + 0.5 → 2 500 000 001 ns.
  assert.equal(book.stalenessLimitNs(C), 2_500_000_001n);
});

test('windowQuantile equals numpy linear interpolation over the sorted window (selection and sort paths)', () => {
  let state = 12345;
  const next = () => (state = (state * 48271) % 2147483647) / 2147483647;
  const scratch = new Float64Array(128);
  for (const n of [1, 2, 3, 5, 20, 127, 128]) {
    for (const q of [0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 1]) {
      const values = new Float64Array(7 + n);
      // Coarse values so that ties occur; an offset base checks the window addressing.
      for (let i = 0; i < values.length; i++) values[i] = Math.floor(next() * 40) * 25_000_000;
      const sorted = Float64Array.from(values.subarray(7, 7 + n)).sort();
      const h = (n - 1) * q, lo = Math.floor(h), hi = Math.min(lo + 1, n - 1);
      const expected = sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
      assert.equal(windowQuantile(values, 7, n, q, scratch), expected, `n=${n} q=${q}`);
    }
  }
});

test('memory: 5,000 contracts × a day of quotes keeps O(contracts) structures', () => {
  const contracts = 5_000;
  const quotesPerContract = 400; // 2 M quotes over 6.5 hours
  const book = new OptionQuoteBook({ ...ADAPTIVE, adaptiveStalenessMaxNs: 120n * SEC, adaptiveWindow: 128, adaptiveMinSamples: 20 });
  const tickers = Array.from({ length: contracts }, (_, i) => `O:SPY251107${i % 2 ? 'C' : 'P'}${String(400_000 + i * 100).padStart(8, '0')}`);
  const stepNs = (390n * 60n * SEC) / BigInt(quotesPerContract);
  const snapshot = new QuoteSnapshot();
  let footprintAtHalfDay;
  for (let r = 0; r < quotesPerContract; r++) {
    for (let c = 0; c < contracts; c++) {
      const t = T0 + BigInt(r) * stepNs + BigInt(c * 1_000);
      book.update(tickers[c]!, t, r * contracts + c, 1 + c / 1000, 10, 1.05 + c / 1000, 10);
      if (c % 97 === 0) assert.equal(book.prevailing(tickers[c]!, t, snapshot)!.sipTimestampNs, t);
    }
    if (r === quotesPerContract / 2) footprintAtHalfDay = book.footprint();
  }
  const end = book.footprint();
  assert.equal(end.contracts, contracts);
  assert.equal(end.retainedLifetimes, contracts * 128, 'each ring is full and no larger');
  assert.deepEqual(end, { ...footprintAtHalfDay, retainedLifetimes: end.retainedLifetimes }, 'nothing grew in the second half of the day');
  const perContractBytes = 49 + 17 + 128 * 8;
  assert.ok(end.slotCapacity < 2 * contracts);
  assert.ok(end.typedArrayBytes <= end.slotCapacity * perContractBytes + 128 * 8, `${end.typedArrayBytes} bytes`);
  assert.deepEqual(book.counters, { quotesAccepted: contracts * quotesPerContract, quotesIgnored: 0 });
  // Uniform lifetimes of stepNs: the adaptive limit is that lifetime, within the clamp.
  assert.equal(book.stalenessLimitNs(tickers[0]!), stepNs);
  book.reset();
  assert.equal(book.footprint().contracts, 0);
  assert.equal(book.prevailing(tickers[0]!, T0), null);
});

test('fixed mode keeps no lifetimes', () => {
  const book = new OptionQuoteBook(FIXED_5S);
  feedLifetimes(book, C, [SEC, 60n * SEC], { t: 0n, seq: 0 });
  assert.equal(book.footprint().retainedLifetimes, 0);
  assert.equal(book.stalenessLimitNs(C), 5n * SEC);
});

test('options from [aggregations]: defaults 5 s fixed, adaptive bounds 1 s and 30 s', () => {
  const agg = defaultConfig().aggregations;
  assert.deepEqual(quoteBookOptionsFromConfig(agg), FIXED_5S);
  const adaptive = quoteBookOptionsFromConfig({ ...agg, quote_staleness_mode: 'adaptive', max_quote_staleness: '250ms', adaptive_staleness_max: '2m' });
  assert.equal(adaptive.stalenessMode, 'adaptive');
  assert.equal(adaptive.maxQuoteStalenessNs, 250_000_000n);
  assert.equal(adaptive.adaptiveStalenessMaxNs, 120n * SEC);
  // Before enough lifetimes, the adaptive limit is max_quote_staleness clamped into the bounds.
  assert.equal(new OptionQuoteBook(adaptive).stalenessLimitNs(C), SEC);
});

test('invalid options are rejected', () => {
  assert.throws(() => new OptionQuoteBook({ ...FIXED_5S, maxQuoteStalenessNs: -1n }), RangeError);
  assert.throws(() => new OptionQuoteBook({ ...ADAPTIVE, adaptiveStalenessMinNs: 31n * SEC }), RangeError);
  assert.throws(() => new OptionQuoteBook({ ...ADAPTIVE, adaptiveMinSamples: 11 }), RangeError);
  assert.throws(() => new OptionQuoteBook({ ...ADAPTIVE, adaptiveQuantile: 0 }), RangeError);
});
