/**
 * Massive (Polygon.io) WebSocket protocol, both directions, as pure functions.
 *
 * Server → client: every text frame is a JSON array of events, mixing event types.
 * {@link parseFrame} turns a frame into typed events carrying the shared records of
 * src/options/records.ts (the same records the lake path produces):
 *
 * - stock trade `T` (`sym` without `O:`) → {@link StockTrade} (an `UnderlyingTrade` tagged with `sym`);
 * - option trade `T` (`sym` = `O:` OPRA ticker) → `OptionTrade`, contract decoded from the ticker;
 * - option quote `Q` (`sym` = `O:` ticker) → {@link OptionQuote};
 * - `status` → {@link StatusEvent} (`connected`, `auth_success`, `auth_failed`, `success`, ...).
 *
 * Feed timestamps `t` are integer milliseconds since the epoch; records hold nanoseconds
 * (`sipTimestampNs = BigInt(t) * 1_000_000n`). A frame that is not JSON, or not an array, counts
 * as one `malformed`; an event missing a required field (or with an undecodable OPRA ticker)
 * counts as one `malformed`; an event of another type (`A`, `AM`, stock `Q`, ...) counts as one
 * `unknown`. Neither is ever thrown.
 *
 * Client → server: `{"action":"auth"|"subscribe"|"unsubscribe","params":"..."}`
 * ({@link formatAction}, {@link parseAction}).
 *
 * The `format*` functions are the inverse of the parser, used by the replay server and the test
 * server so that they send exactly the wire shape Massive sends.
 */
import { decodeOpra } from '../formats/opra.js';
import type { OptionTrade, UnderlyingTrade } from '../options/records.js';

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
export const NS_PER_MS = 1_000_000n;

/** Most option quote contracts Massive streams on one connection (no wildcard allowed). */
export const MAX_OPTION_QUOTE_CONTRACTS = 1000;

type Json = Record<string, unknown>;

function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function isIntegerArray(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((c) => Number.isInteger(c));
}

/** Conditions `c`: absent → []; present but not an int array → undefined (malformed). */
function conditionsOf(v: unknown): number[] | undefined {
  if (v === undefined || v === null) return [];
  return isIntegerArray(v) ? v : undefined;
}

/** Feed `t` (integer ms) → ns, or undefined when not a safe integer. */
function nsOfMs(t: unknown): bigint | undefined {
  return typeof t === 'number' && Number.isSafeInteger(t) ? BigInt(t) * NS_PER_MS : undefined;
}

/** True for a `sym` that is an option ticker (`O:` prefix). */
export function isOptionSymbol(sym: string): boolean {
  return sym.startsWith('O:');
}

function parseStockTrade(e: Json, sym: string): StockTrade | undefined {
  const ns = nsOfMs(e.t);
  const conditions = conditionsOf(e.c);
  if (ns === undefined || conditions === undefined) return undefined;
  if (!isFiniteNumber(e.p) || !isFiniteNumber(e.s) || !Number.isInteger(e.q)) return undefined;
  const trade: { -readonly [K in keyof StockTrade]: StockTrade[K] } = {
    sym,
    sipTimestampNs: ns,
    sequence: e.q as number,
    price: e.p,
    size: e.s,
    conditions,
    correction: 0,
  };
  if (Number.isInteger(e.x)) trade.exchange = e.x as number;
  if (typeof e.i === 'string') trade.tradeId = e.i;
  if (Number.isInteger(e.z)) trade.tape = e.z as number;
  if (Number.isInteger(e.trfi)) trade.trfId = e.trfi as number;
  if (Number.isSafeInteger(e.trft)) trade.trfTimestampMs = e.trft as number;
  return trade;
}

function parseOptionTrade(e: Json, sym: string): OptionTrade | undefined {
  const ns = nsOfMs(e.t);
  const conditions = conditionsOf(e.c);
  if (ns === undefined || conditions === undefined) return undefined;
  if (!isFiniteNumber(e.p) || !isFiniteNumber(e.s) || !Number.isInteger(e.q) || !Number.isInteger(e.x)) return undefined;
  const decoded = decodeOpra(sym);
  if (!decoded.ok) return undefined;
  const c = decoded.contract;
  return {
    sipTimestampNs: ns,
    sequence: e.q as number,
    ticker: sym,
    root: c.root,
    right: c.right,
    strike: c.strike,
    expiryDays: c.expiryDays,
    adjusted: c.adjusted,
    price: e.p,
    size: e.s,
    conditions,
    correction: 0,
    exchange: e.x as number,
  };
}

function parseOptionQuote(e: Json, sym: string): OptionQuote | undefined {
  const ns = nsOfMs(e.t);
  if (ns === undefined || !Number.isInteger(e.q)) return undefined;
  if (!isFiniteNumber(e.bp) || !isFiniteNumber(e.ap) || !isFiniteNumber(e.bs) || !isFiniteNumber(e.as)) return undefined;
  if (!Number.isInteger(e.bx) || !Number.isInteger(e.ax)) return undefined;
  if (!decodeOpra(sym).ok) return undefined;
  return {
    sipTimestampNs: ns,
    sequence: e.q as number,
    ticker: sym,
    bidPrice: e.bp,
    askPrice: e.ap,
    bidSize: e.bs,
    askSize: e.as,
    bidExchange: e.bx as number,
    askExchange: e.ax as number,
  };
}

type EventResult = FeedEvent | 'malformed' | 'unknown';

function parseEvent(raw: unknown): EventResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'malformed';
  const e = raw as Json;
  if (typeof e.ev !== 'string') return 'malformed';
  if (e.ev === 'status') {
    if (typeof e.status !== 'string') return 'malformed';
    return { kind: 'status', status: e.status, message: typeof e.message === 'string' ? e.message : '' };
  }
  if (e.ev !== 'T' && e.ev !== 'Q') return 'unknown';
  if (typeof e.sym !== 'string' || e.sym.length === 0) return 'malformed';
  const option = isOptionSymbol(e.sym);
  if (e.ev === 'T') {
    if (option) {
      const trade = parseOptionTrade(e, e.sym);
      return trade === undefined ? 'malformed' : { kind: 'optionTrade', trade };
    }
    const trade = parseStockTrade(e, e.sym);
    return trade === undefined ? 'malformed' : { kind: 'stockTrade', trade };
  }
  // Stock quotes are not consumed by gammaflow (it never subscribes to them).
  if (!option) return 'unknown';
  const quote = parseOptionQuote(e, e.sym);
  return quote === undefined ? 'malformed' : { kind: 'optionQuote', quote };
}

/** Parses one server text frame. Never throws. */
export function parseFrame(text: string): ParsedFrame {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { events: [], malformed: 1, unknown: 0 };
  }
  if (!Array.isArray(parsed)) return { events: [], malformed: 1, unknown: 0 };
  const events: FeedEvent[] = [];
  let malformed = 0;
  let unknown = 0;
  for (const raw of parsed) {
    const r = parseEvent(raw);
    if (r === 'malformed') malformed++;
    else if (r === 'unknown') unknown++;
    else events.push(r);
  }
  return { events, malformed, unknown };
}

// ---------------------------------------------------------------------------------------------
// Topics

/** Topic of a data event as the server filters it: `T.SPY`, `T.O:SPY251107C00680000`, `Q.O:...`. */
export function topicOf(event: FeedDataEvent): string {
  switch (event.kind) {
    case 'stockTrade': return `T.${event.trade.sym}`;
    case 'optionTrade': return `T.${event.trade.ticker}`;
    case 'optionQuote': return `Q.${event.quote.ticker}`;
  }
}

/**
 * Does a subscription set cover `topic`? Exact match, or a channel wildcard (`T.*`) for the
 * topic's channel.
 */
export function topicSubscribed(subscribed: ReadonlySet<string>, topic: string): boolean {
  if (subscribed.has(topic)) return true;
  const dot = topic.indexOf('.');
  return dot > 0 && subscribed.has(`${topic.slice(0, dot)}.*`);
}

/** Number of option quote contracts (`Q.O:...` topics) in a topic list. */
export function optionQuoteContractCount(topics: Iterable<string>): number {
  let n = 0;
  for (const t of topics) if (t.startsWith('Q.O:')) n++;
  return n;
}

// ---------------------------------------------------------------------------------------------
// Client actions

export type ActionName = 'auth' | 'subscribe' | 'unsubscribe';

export interface ClientAction {
  readonly action: ActionName;
  /** API key for `auth`; comma-separated topics otherwise. */
  readonly params: string;
}

/** The text frame a client sends. */
export function formatAction(action: ActionName, params: string): string {
  return JSON.stringify({ action, params });
}

/** Parses a client frame (server side); undefined when it is not a known action. */
export function parseAction(text: string): ClientAction | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const { action, params } = v as Json;
  if (action !== 'auth' && action !== 'subscribe' && action !== 'unsubscribe') return undefined;
  if (typeof params !== 'string') return undefined;
  return { action, params };
}

/** Splits `subscribe`/`unsubscribe` params into topics (trimmed, empty entries dropped). */
export function splitTopics(params: string): string[] {
  return params.split(',').map((t) => t.trim()).filter((t) => t.length > 0);
}

/** Prefix of the `success` status message acknowledging one subscribed topic. */
export const SUBSCRIBED_PREFIX = 'subscribed to: ';
/** Prefix of the `success` status message acknowledging one unsubscribed topic. */
export const UNSUBSCRIBED_PREFIX = 'unsubscribed to: ';

/** The topic a `success` status acknowledges, with its direction; undefined for other statuses. */
export function acknowledgedTopic(status: StatusEvent): { topic: string; subscribed: boolean } | undefined {
  if (status.status !== 'success') return undefined;
  if (status.message.startsWith(SUBSCRIBED_PREFIX)) return { topic: status.message.slice(SUBSCRIBED_PREFIX.length), subscribed: true };
  if (status.message.startsWith(UNSUBSCRIBED_PREFIX)) return { topic: status.message.slice(UNSUBSCRIBED_PREFIX.length), subscribed: false };
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Server → client wire shapes (inverse of the parser)

export interface WireStatus { ev: 'status'; status: string; message: string }

export interface WireStockTrade {
  ev: 'T'; sym: string; x?: number; i?: string; z?: number; p: number; s: number; c?: number[];
  t: number; q: number; trfi?: number; trft?: number;
}

export interface WireOptionTrade { ev: 'T'; sym: string; x: number; p: number; s: number; c?: number[]; t: number; q: number }

export interface WireOptionQuote { ev: 'Q'; sym: string; bx: number; ax: number; bp: number; ap: number; bs: number; as: number; t: number; q: number }

export type WireEvent = WireStatus | WireStockTrade | WireOptionTrade | WireOptionQuote;

/** Feed milliseconds of a record timestamp (floor: the feed has ms precision). */
export function msOfNs(sipTimestampNs: bigint): number {
  const ms = sipTimestampNs / NS_PER_MS;
  return Number(sipTimestampNs < 0n && ms * NS_PER_MS !== sipTimestampNs ? ms - 1n : ms);
}

export function formatStatus(status: string, message: string): WireStatus {
  return { ev: 'status', status, message };
}

/**
 * A stock trade as Massive sends it (key order as on the wire). Fields the record does not
 * know (`x`, `i`, `z`, TRF) are left out; `c` is left out when there are no conditions.
 */
export function formatStockTrade(trade: StockTrade): WireStockTrade {
  // Built in wire key order; optional keys only when the record knows them.
  const out: Partial<WireStockTrade> = { ev: 'T', sym: trade.sym };
  if (trade.exchange !== undefined) out.x = trade.exchange;
  if (trade.tradeId !== undefined) out.i = trade.tradeId;
  if (trade.tape !== undefined) out.z = trade.tape;
  out.p = trade.price;
  out.s = trade.size;
  if (trade.conditions.length > 0) out.c = [...trade.conditions];
  out.t = msOfNs(trade.sipTimestampNs);
  out.q = trade.sequence;
  if (trade.trfId !== undefined) out.trfi = trade.trfId;
  if (trade.trfTimestampMs !== undefined) out.trft = trade.trfTimestampMs;
  return out as WireStockTrade;
}

/** An option trade as Massive sends it; `c` is left out when there are no conditions. */
export function formatOptionTrade(trade: OptionTrade): WireOptionTrade {
  const out: Partial<WireOptionTrade> = { ev: 'T', sym: trade.ticker, x: trade.exchange, p: trade.price, s: trade.size };
  if (trade.conditions.length > 0) out.c = [...trade.conditions];
  out.t = msOfNs(trade.sipTimestampNs);
  out.q = trade.sequence;
  return out as WireOptionTrade;
}

export function formatOptionQuote(quote: OptionQuote): WireOptionQuote {
  return {
    ev: 'Q', sym: quote.ticker, bx: quote.bidExchange, ax: quote.askExchange, bp: quote.bidPrice, ap: quote.askPrice,
    bs: quote.bidSize, as: quote.askSize, t: msOfNs(quote.sipTimestampNs), q: quote.sequence,
  };
}

/** Wire shape of any data event. */
export function formatDataEvent(event: FeedDataEvent): WireEvent {
  switch (event.kind) {
    case 'stockTrade': return formatStockTrade(event.trade);
    case 'optionTrade': return formatOptionTrade(event.trade);
    case 'optionQuote': return formatOptionQuote(event.quote);
  }
}

/** One text frame: a JSON array of events. */
export function formatFrame(events: readonly WireEvent[]): string {
  return JSON.stringify(events);
}
