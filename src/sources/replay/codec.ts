/**
 * How the replay server puts each cluster's records on the wire: their feed time, their topic,
 * and their JSON text (wire-text.ts, the exact text Massive sends). Pure: no I/O.
 */
import type { OptionTrade } from '../../formats/records.js';
import { msOfNs, type OptionQuote, type StockTrade } from '../../formats/massive-ws/types.js';
import { DerivedStrings, QuotedStrings, optionQuoteText, optionTradeText, stockTradeText } from '../../formats/massive-ws/wire-text.js';

/** What the options cluster replays: trades and quotes in event order. */
export type ReplayOptionRecord = OptionTrade | OptionQuote;

/** How a cluster's records go on the wire. */
export interface WireCodec<R> {
  /** Feed time, ms. */
  timeMs(record: R): number;
  /** Subscription topic, e.g. `T.SPY`, `Q.O:SPY251107C00680000`. */
  topic(record: R): string;
  /** The event's JSON text. */
  text(record: R, ms: number): string;
}

/** `prefix + symbol` topic names, cached. */
const topicNames = (prefix: string): DerivedStrings => new DerivedStrings((symbol) => prefix + symbol);

const timeOfRecord = (r: { readonly sipTimestampNs: bigint }): number => msOfNs(r.sipTimestampNs);
const isQuote = (r: ReplayOptionRecord): r is OptionQuote => 'bidPrice' in r;

export function stockCodec(): WireCodec<StockTrade> {
  const quoted = new QuotedStrings();
  const topics = topicNames('T.');
  return { timeMs: timeOfRecord, topic: (r) => topics.of(r.sym), text: (r, ms) => stockTradeText(r, ms, quoted) };
}

export function optionCodec(): WireCodec<ReplayOptionRecord> {
  const quoted = new QuotedStrings();
  const trades = topicNames('T.');
  const quotes = topicNames('Q.');
  return {
    timeMs: timeOfRecord,
    topic: (r) => (isQuote(r) ? quotes.of(r.ticker) : trades.of(r.ticker)),
    text: (r, ms) => (isQuote(r) ? optionQuoteText(r, ms, quoted) : optionTradeText(r, ms, quoted)),
  };
}
