import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { OptionTrade } from '../records.js';
import { msOfNs, type OptionQuote, type StockTrade } from './types.js';
import { formatOptionQuote, formatOptionTrade, formatStockTrade } from '../../../test/support/massive-ws-wire.js';
import { QuotedStrings, frameText, optionQuoteText, optionTradeText, stockTradeText } from './wire-text.js';
import { mulberry32 } from '../../../test/support/rng.js';

const AWKWARD_NUMBERS = [0, -0, 1, -1, 0.1, 0.30000000000000004, 1e21, 1e-7, 123456789.125, 5e-324, Number.MAX_VALUE,
  Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 2 ** 53 + 2, 680.01];
const AWKWARD_TIMES = [0, 1, 999_999, 1_000_000, 1_000_001, 1_762_525_800_000, 1_762_525_799_999, 1_762_526_000_000,
  999_999_999_999_999, 1e15, 1e15 + 1, 2 ** 53 - 1];
const AWKWARD_STRINGS = ['SPY', 'BRK.A', 'O:SPY251107C00680000', '', 'a"b', 'back\\slash', 'tab\there', 'ünïcode', '\u0001', '\ud800'];

test('text formatters write exactly JSON.stringify of the wire objects, over random and awkward records', () => {
  const r = mulberry32(7);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const number = (): number => (r() < 0.3 ? pick(AWKWARD_NUMBERS) : Math.round(r() * 1e6) / 100);
  const int = (): number => (r() < 0.1 ? pick(AWKWARD_NUMBERS) : Math.floor(r() * 1000));
  const str = (): string => (r() < 0.3 ? pick(AWKWARD_STRINGS) : 'O:SPY25110' + Math.floor(r() * 10) + 'C0068' + Math.floor(r() * 10000));
  const ns = (): bigint => BigInt(1762525800000 + Math.floor(r() * 1e7)) * 1_000_000n + BigInt(Math.floor(r() * 1e6));
  const conditions = (): number[] => Array.from({ length: Math.floor(r() * 4) }, int);
  const quoted = new QuotedStrings(4); // small, so the bound is exercised
  for (let i = 0; i < 5000; i++) {
    const stock: { -readonly [K in keyof StockTrade]: StockTrade[K] } = {
      sym: str(), sipTimestampNs: ns(), sequence: int(), price: number(), size: int(), conditions: conditions(), correction: 0,
    };
    if (r() < 0.7) stock.exchange = int();
    if (r() < 0.7) stock.tradeId = str();
    if (r() < 0.7) stock.tape = int();
    if (r() < 0.3) stock.trfId = int();
    if (r() < 0.3) stock.trfTimestampMs = int();
    const ms = msOfNs(stock.sipTimestampNs);
    assert.equal(stockTradeText(stock, ms, quoted), JSON.stringify(formatStockTrade(stock)));
    // Timestamps of every size, the split of 13-digit ones at its edges included (t from the record, trft as given).
    const tMs = r() < 0.5 ? pick(AWKWARD_TIMES) : Math.floor(r() * 10 ** Math.floor(r() * 17));
    const timed: StockTrade = { ...stock, sipTimestampNs: BigInt(tMs) * 1_000_000n, trfTimestampMs: r() < 0.5 ? tMs : pick(AWKWARD_NUMBERS) };
    assert.equal(stockTradeText(timed, tMs, quoted), JSON.stringify(formatStockTrade(timed)));

    const trade = {
      sipTimestampNs: ns(), sequence: int(), ticker: str(), root: 'SPY', right: 'C', strike: 680, expiryDays: 20399,
      adjusted: false, price: number(), size: int(), conditions: conditions(), correction: 0, exchange: int(),
    } as OptionTrade;
    assert.equal(optionTradeText(trade, msOfNs(trade.sipTimestampNs), quoted), JSON.stringify(formatOptionTrade(trade)));

    const quote: OptionQuote = {
      sipTimestampNs: ns(), sequence: int(), ticker: str(), bidPrice: number(), askPrice: number(), bidSize: int(),
      askSize: int(), bidExchange: int(), askExchange: int(),
    };
    assert.equal(optionQuoteText(quote, msOfNs(quote.sipTimestampNs), quoted), JSON.stringify(formatOptionQuote(quote)));
  }
});

test('frameText is a JSON array of the event texts', () => {
  assert.equal(frameText([]), '[]');
  const quoted = new QuotedStrings();
  const quote: OptionQuote = { sipTimestampNs: 1_000_000n, sequence: 1, ticker: 'O:X', bidPrice: 1, askPrice: 2, bidSize: 3, askSize: 4, bidExchange: 5, askExchange: 6 };
  const text = frameText([optionQuoteText(quote, 1, quoted), optionQuoteText(quote, 1, quoted)]);
  assert.deepEqual(JSON.parse(text), [formatOptionQuote(quote), formatOptionQuote(quote)]);
});
