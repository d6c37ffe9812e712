/**
 * Massive (Polygon.io) WebSocket wire format: the typed events a frame carries.
 *
 * Server → client: every text frame is a JSON array of events, mixing event types. The parser
 * (parse.ts) turns a frame into typed events carrying the shared records of
 * src/formats/records.ts (the same records the lake path produces):
 *
 * - stock trade `T` (`sym` without `O:`) → {@link StockTrade} (an `UnderlyingTrade` tagged with `sym`);
 * - option trade `T` (`sym` = `O:` OPRA ticker) → `OptionTrade`, contract decoded from the ticker;
 * - option quote `Q` (`sym` = `O:` ticker) → {@link OptionQuote};
 * - `status` → {@link StatusEvent} (`connected`, `auth_success`, `auth_failed`, `success`, ...).
 *
 * Feed timestamps `t` are integer milliseconds since the epoch; records hold nanoseconds
 * (`sipTimestampNs = BigInt(t) * 1_000_000n`).
 *
 * Client → server actions and topics are in topics.ts. Pure: no I/O.
 */
import type { OptionTrade, UnderlyingTrade } from '../records.js';
import { NS_PER_MS } from '../../calendar/durations.js';

/** Realtime clusters this layer handles (the last path segment of the URL). */
export type FeedCluster = 'stocks' | 'options';

/** A stock trade from the feed: the shared underlying record plus the fields only the feed carries. */
export interface StockTrade extends UnderlyingTrade {
  /** Ticker, e.g. `SPY`. */
  readonly sym: string;
  /** Exchange id (`x`), when known. */
  readonly exchange?: number;
  /** Trade id (`i`, a string on the wire), when known. */
  readonly tradeId?: string;
  /** Tape 1/2/3 (`z`), when known. */
  readonly tape?: number;
  /** Trade reporting facility id (`trfi`), only for TRF-reported trades. */
  readonly trfId?: number;
  /** TRF timestamp in ms (`trft`), only for TRF-reported trades. */
  readonly trfTimestampMs?: number;
}

/** Top of book of one option contract (an option `Q` event). Prices in currency units, sizes in contracts. */
export interface OptionQuote {
  readonly sipTimestampNs: bigint;
  /** The feed's `q`: tie-break at equal timestamps. */
  readonly sequence: number;
  /** OPRA ticker with the `O:` prefix. */
  readonly ticker: string;
  readonly bidPrice: number;
  readonly askPrice: number;
  readonly bidSize: number;
  readonly askSize: number;
  readonly bidExchange: number;
  readonly askExchange: number;
}

/** A `status` event, e.g. `{status: 'auth_success', message: 'authenticated'}`. */
export interface StatusEvent {
  readonly kind: 'status';
  readonly status: string;
  readonly message: string;
}

export interface StockTradeEvent {
  readonly kind: 'stockTrade';
  readonly trade: StockTrade;
}

export interface OptionTradeEvent {
  readonly kind: 'optionTrade';
  readonly trade: OptionTrade;
}

export interface OptionQuoteEvent {
  readonly kind: 'optionQuote';
  readonly quote: OptionQuote;
}

/** Market data events (what a consumer of the feed reads). */
export type FeedDataEvent = StockTradeEvent | OptionTradeEvent | OptionQuoteEvent;
export type FeedEvent = StatusEvent | FeedDataEvent;

export interface ParsedFrame {
  /** Events in frame order. */
  readonly events: FeedEvent[];
  /** Unparseable frame (counts 1) plus events with missing/invalid fields. */
  readonly malformed: number;
  /** Well-formed events of a type this layer does not handle. */
  readonly unknown: number;
}

/** Nanoseconds per millisecond: feed `t` (ms) × this = `sipTimestampNs`. */
export { NS_PER_MS };

/** Most option quote contracts Massive streams on one connection (no wildcard allowed). */
export const MAX_OPTION_QUOTE_CONTRACTS = 1000;

/** True for a `sym` that is an option ticker (`O:` prefix). */
export function isOptionSymbol(sym: string): boolean {
  return sym.startsWith('O:');
}


/** Feed milliseconds of a record timestamp (floor: the feed has ms precision). */
export function msOfNs(sipTimestampNs: bigint): number {
  const ms = sipTimestampNs / NS_PER_MS;
  return Number(sipTimestampNs < 0n && ms * NS_PER_MS !== sipTimestampNs ? ms - 1n : ms);
}

// Server → client wire shapes: what the parser reads, key for key.

export interface WireStatus { ev: 'status'; status: string; message: string }

export interface WireStockTrade {
  ev: 'T'; sym: string; x?: number; i?: string; z?: number; p: number; s: number; c?: number[];
  t: number; q: number; trfi?: number; trft?: number;
}

export interface WireOptionTrade { ev: 'T'; sym: string; x: number; p: number; s: number; c?: number[]; t: number; q: number }

export interface WireOptionQuote { ev: 'Q'; sym: string; bx: number; ax: number; bp: number; ap: number; bs: number; as: number; t: number; q: number }

export type WireEvent = WireStatus | WireStockTrade | WireOptionTrade | WireOptionQuote;
