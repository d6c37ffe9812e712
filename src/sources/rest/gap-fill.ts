/**
 * The trades a realtime feed missed while disconnected, fetched from REST:
 * the symbol's stock trades (stocks cluster), and the trades of the given
 * option contracts (options cluster), in an interval of event time. The REST
 * rows are turned into the feed's wire events (`{ev:'T', sym, x, p, s, c, t
 * (ms), q, ...}`) and parsed by the feed's own parser, so each event is the
 * record the WebSocket would have delivered (millisecond times included); they
 * come back in the merger's event order.
 */
import { compareEvents } from '../../live/merger.js';
import { parseFrameJson } from '../../formats/massive-ws/json.js';
import type { FeedCluster, FeedDataEvent } from '../../formats/massive-ws/types.js';
import { errorMessage } from '../../util/errors.js';
import type { RestClient } from './client.js';
import { nanosText } from './exact-json.js';

export interface GapInterval {
  readonly cluster: FeedCluster;
  /** Stocks: the symbol whose trades are fetched. */
  readonly symbol: string;
  /** Options: the contracts whose trades are fetched (OPRA tickers with `O:`). */
  readonly optionTickers: readonly string[];
  /** Event time, epoch ns: from (inclusive) … to (exclusive). */
  readonly fromNs: bigint;
  readonly toNs: bigint;
  readonly signal?: AbortSignal;
}

export interface GapFillResult {
  /** In event order. */
  readonly events: FeedDataEvent[];
  readonly requests: number;
  /** Tickers whose trades could not be fetched, with the first error each. */
  readonly failed: ReadonlyArray<{ readonly ticker: string; readonly error: string }>;
  /** REST rows that did not make a valid event (malformed). */
  readonly malformed: number;
}

/** A REST trade row as the feed's wire object. */
export function wireTradeOfRest(ticker: string, row: Readonly<Record<string, unknown>>): Record<string, unknown> | undefined {
  const ns = nanosText(row['sip_timestamp']);
  if (ns === undefined) return undefined;
  const wire: Record<string, unknown> = {
    ev: 'T', sym: ticker, x: row['exchange'], p: row['price'], s: row['size'],
    t: Number(BigInt(ns) / 1_000_000n), q: typeof row['sequence_number'] === 'number' ? row['sequence_number'] : 0,
  };
  if (Array.isArray(row['conditions']) && row['conditions'].length > 0) wire['c'] = row['conditions'];
  if (typeof row['correction'] === 'number') wire['e'] = row['correction'];
  if (!ticker.startsWith('O:')) {
    if (row['id'] !== undefined) wire['i'] = String(row['id']);
    if (typeof row['tape'] === 'number') wire['z'] = row['tape'];
    if (typeof row['trf_id'] === 'number') {
      wire['trfi'] = row['trf_id'];
      const trf = nanosText(row['trf_timestamp']);
      if (trf !== undefined && trf !== '0') wire['trft'] = Number(BigInt(trf) / 1_000_000n);
    }
  }
  return wire;
}

export async function fetchGapEvents(client: RestClient, gap: GapInterval, concurrency = 8): Promise<GapFillResult> {
  const tickers = gap.cluster === 'stocks' ? [gap.symbol] : [...gap.optionTickers];
  const events: FeedDataEvent[] = [];
  const failed: { ticker: string; error: string }[] = [];
  let requests = 0, malformed = 0, next = 0;
  const one = async (ticker: string): Promise<void> => {
    const url = client.url(`/v3/trades/${ticker}`, { 'timestamp.gte': gap.fromNs.toString(), 'timestamp.lt': gap.toNs.toString(), order: 'asc', sort: 'timestamp', limit: 50_000 });
    const ctx = { what: `gap fill: trades of ${ticker}`, plan: ticker.startsWith('O:') ? 'an Options plan with trades' : 'a Stocks plan with trades', ...(gap.signal ? { signal: gap.signal } : {}) };
    const wires: Record<string, unknown>[] = [];
    for await (const page of client.pages(url, ctx)) {
      requests++;
      for (const row of page.results) {
        const w = wireTradeOfRest(ticker, row);
        if (w === undefined) malformed++;
        else wires.push(w);
      }
    }
    if (wires.length === 0) return;
    let parsed = parseFrameJson(JSON.stringify(wires)).events;
    // One event per wire object (else parse them one by one to know which is which).
    const pairs: Array<[Record<string, unknown>, FeedDataEvent]> = [];
    if (parsed.length === wires.length) parsed.forEach((e, i) => { if (e.kind !== 'status') pairs.push([wires[i]!, e]); });
    else {
      for (const w of wires) {
        parsed = parseFrameJson(JSON.stringify([w])).events;
        const e = parsed[0];
        if (e !== undefined && e.kind !== 'status') pairs.push([w, e]);
      }
    }
    malformed += wires.length - pairs.length;
    for (const [w, e] of pairs) {
      // The feed carries no correction; REST does (a cancelled trade is excluded like in the flat files).
      const correction = typeof w['e'] === 'number' ? w['e'] : 0;
      if (correction !== 0 && e.kind !== 'optionQuote') events.push({ ...e, trade: { ...e.trade, correction } } as FeedDataEvent);
      else events.push(e);
    }
  };
  const worker = async (): Promise<void> => {
    while (next < tickers.length) {
      const ticker = tickers[next++]!;
      try { await one(ticker); } catch (e) {
        if (gap.signal?.aborted) throw e;
        failed.push({ ticker, error: errorMessage(e) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, tickers.length)) }, worker));
  events.sort(compareEvents); // stable: equal keys keep their arrival order
  return { events, requests, failed, malformed };
}
