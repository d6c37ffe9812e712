/**
 * Data events as the JSON text Massive sends, written straight from the records: the same text
 * as `JSON.stringify(formatStockTrade(trade))` (and the other `format*` functions of
 * test/support/massive-ws-wire.ts), key order and left-out keys included, without building the
 * intermediate object.
 * The replay server writes hundreds of thousands of events per second this way; a test checks
 * the equality on random records, awkward numbers and strings included.
 *
 * Pure: no I/O.
 */
import type { OptionTrade } from '../records.js';
import type { OptionQuote, StockTrade } from './types.js';

/** A number as JSON.stringify writes it (`null` for NaN and ±Infinity, `0` for −0). */
function num(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}

/**
 * An integer like a ms timestamp (13 digits) as JSON.stringify writes it: V8 converts such a
 * number (not a small integer) through its general double-to-string path, ~4× slower than two
 * small integers; split in two where that is exact, `num` otherwise.
 */
function bigInt(n: number): string {
  if (n >= 1e6 && n < 1e15 && Number.isInteger(n)) {
    const hi = Math.floor(n / 1e6);
    const lo = n - hi * 1e6;
    if (lo >= 0 && lo < 1e6) return String(hi) + String(lo + 1e6).slice(1);
  }
  return num(n);
}

/** A conditions list as JSON.stringify writes it. */
function intList(c: readonly number[]): string {
  let s = '[' + num(c[0]!);
  for (let i = 1; i < c.length; i++) s += ',' + num(c[i]!);
  return s + ']';
}

/**
 * A string derived from each symbol, cached: a day's replay repeats a few thousand tickers
 * hundreds of thousands of times. Bounded: cleared when it grows past `maxEntries`.
 */
export class DerivedStrings {
  private readonly cache = new Map<string, string>();
  constructor(private readonly derive: (s: string) => string, private readonly maxEntries = 65_536) {}

  of(s: string): string {
    let d = this.cache.get(s);
    if (d === undefined) {
      if (this.cache.size >= this.maxEntries) this.cache.clear();
      d = this.derive(s);
      this.cache.set(s, d);
    }
    return d;
  }
}

/** JSON string literals of symbols, cached. */
export class QuotedStrings extends DerivedStrings {
  constructor(maxEntries?: number) {
    super((s) => JSON.stringify(s), maxEntries);
  }
}

/** A stock trade `T` event's JSON text; `ms` is its feed time (`msOfNs(trade.sipTimestampNs)`). */
export function stockTradeText(trade: StockTrade, ms: number, quoted: QuotedStrings): string {
  let s = '{"ev":"T","sym":' + quoted.of(trade.sym);
  if (trade.exchange !== undefined) s += ',"x":' + num(trade.exchange);
  if (trade.tradeId !== undefined) s += ',"i":' + JSON.stringify(trade.tradeId);
  if (trade.tape !== undefined) s += ',"z":' + num(trade.tape);
  s += ',"p":' + num(trade.price) + ',"s":' + num(trade.size);
  if (trade.conditions.length > 0) s += ',"c":' + intList(trade.conditions);
  s += ',"t":' + bigInt(ms) + ',"q":' + num(trade.sequence);
  if (trade.trfId !== undefined) s += ',"trfi":' + num(trade.trfId);
  if (trade.trfTimestampMs !== undefined) s += ',"trft":' + bigInt(trade.trfTimestampMs);
  return s + '}';
}

/** An option trade `T` event's JSON text. */
export function optionTradeText(trade: OptionTrade, ms: number, quoted: QuotedStrings): string {
  let s = '{"ev":"T","sym":' + quoted.of(trade.ticker) + ',"x":' + num(trade.exchange) + ',"p":' + num(trade.price)
    + ',"s":' + num(trade.size);
  if (trade.conditions.length > 0) s += ',"c":' + intList(trade.conditions);
  return s + ',"t":' + bigInt(ms) + ',"q":' + num(trade.sequence) + '}';
}

/** An option quote `Q` event's JSON text. */
export function optionQuoteText(quote: OptionQuote, ms: number, quoted: QuotedStrings): string {
  return '{"ev":"Q","sym":' + quoted.of(quote.ticker) + ',"bx":' + num(quote.bidExchange) + ',"ax":' + num(quote.askExchange)
    + ',"bp":' + num(quote.bidPrice) + ',"ap":' + num(quote.askPrice) + ',"bs":' + num(quote.bidSize)
    + ',"as":' + num(quote.askSize) + ',"t":' + bigInt(ms) + ',"q":' + num(quote.sequence) + '}';
}

/** A frame (JSON array) of event texts. */
export function frameText(events: readonly string[]): string {
  return '[' + events.join(',') + ']';
}
