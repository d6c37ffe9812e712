/**
 * The JSON.parse path of the frame parser: every frame the scanner (scanner.ts) does not take.
 *
 * A frame that is not JSON, or not an array, counts as one `malformed`; an event missing a
 * required field (or with an undecodable OPRA ticker) counts as one `malformed`; an event of
 * another type (`A`, `AM`, stock `Q`, ...) counts as one `unknown`. Neither is ever thrown.
 * Pure: no I/O.
 */
import { decodeOpra } from '../opra.js';
import type { OptionTrade } from '../records.js';
import {
  NS_PER_MS, isOptionSymbol, type FeedEvent, type OptionQuote, type ParsedFrame, type StockTrade,
} from './types.js';

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


/**
 * The trade correction field `e` when a message carries it (Massive's knowledge base names it; its
 * WebSocket spec does not list it): an integer read as the print's `correction`, else 0.
 */
function correctionOf(value: unknown): number {
  return Number.isInteger(value) ? value as number : 0;
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
    correction: correctionOf(e.e),
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
    correction: correctionOf(e.e),
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

/** Parses one frame through JSON.parse and the field checks above. Never throws. */
export function parseFrameJson(text: string): ParsedFrame {
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
