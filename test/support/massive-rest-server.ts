/**
 * A loopback HTTP server speaking Massive's REST format, for tests and the
 * backfill benchmark. Data comes from the test: rows per ticker (set directly,
 * or loaded from a generated flat-file day with `loadFlatFileDay`), contracts,
 * Treasury yields.
 *
 *   GET /v3/trades/{ticker}, /v3/quotes/{ticker}   timestamp[.gte|.gt|.lte|.lt] (ns or YYYY-MM-DD),
 *                                                  order, sort=timestamp, limit (default 1000, capped at maxLimit)
 *   GET /v3/reference/options/contracts            underlying_ticker, as_of, expired, limit (capped at 1000)
 *   GET /fed/v1/treasury-yields                    date.gte, date.lte, limit
 *
 * Envelope `{status, request_id, results, next_url}`; `next_url` is an absolute
 * URL with a `cursor` and without the key, as Massive's. Nanosecond
 * timestamps are written as exact JSON integers (beyond 2^53).
 *
 * Auth: `Authorization: Bearer <apiKey>` (or `?apiKey=`), else 401. Faults are
 * queued with `fault()`: 429 with or without Retry-After, 500, a connection cut
 * in the middle of a body, 401/403; `maxRequestsPerSecond` answers 429 to
 * requests beyond a rate, as Massive does.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { underlyingOfRoot } from '../../src/formats/opra.js';

export type RestRow = Record<string, string | number | number[] | boolean | undefined>;

export interface RestContract {
  readonly ticker: string;
  readonly underlying_ticker: string;
  readonly contract_type: 'call' | 'put';
  readonly exercise_style: string;
  readonly expiration_date: string;
  readonly strike_price: number;
  readonly shares_per_contract: number;
  readonly primary_exchange?: string;
  readonly cfi?: string;
}

export interface YieldRow { readonly date: string; readonly [tenor: string]: string | number | undefined }

export type FaultKind =
  | { readonly kind: 'status'; readonly status: number; readonly retryAfter?: string; readonly body?: string }
  /** Sends the headers and part of the body, then destroys the socket. */
  | { readonly kind: 'cut' };

export interface QueuedFault {
  readonly fault: FaultKind;
  /** Applies to requests whose path (and query) contains this text; any request when absent. */
  readonly match?: string;
  /** How many requests it hits; default 1. */
  times: number;
}

export interface RestServerOptions {
  readonly apiKey?: string;
  /** Upper bound of `limit` on tick endpoints (Massive: 50,000). */
  readonly maxLimit?: number;
  /** Answer 429 (no Retry-After) to requests beyond this many in any 1 s window. */
  readonly maxRequestsPerSecond?: number;
  /** The server's today (contracts expiring before it are `expired`); default the real date. */
  readonly today?: string;
}

export interface RequestRecord {
  readonly path: string;
  readonly authorization: string | undefined;
  readonly status: number;
  readonly atMs: number;
}

export interface MassiveRestServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly apiKey: string;
  /** Tick rows per (kind, ticker), in time order. */
  readonly trades: Map<string, RestRow[]>;
  readonly quotes: Map<string, RestRow[]>;
  readonly contracts: RestContract[];
  readonly yields: YieldRow[];
  readonly requests: RequestRecord[];
  /** Highest number of requests being answered at once. */
  readonly maxConcurrent: () => number;
  fault(fault: FaultKind, options?: { match?: string; times?: number }): void;
  /** Answers every request with `status` (e.g. 403) until cleared with undefined. */
  setDeny(predicate: ((path: string) => number | undefined) | undefined): void;
  /** Delay each answer by this many ms (to keep requests in flight). */
  setLatencyMs(ms: number): void;
  stop(): Promise<void>;
}

const NS_KEYS = /"(sip_timestamp|participant_timestamp|trf_timestamp)":"(-?\d+)"/g;
/** JSON with nanosecond strings written as bare integers (exact beyond 2^53). */
export function massiveJson(value: unknown): string {
  return JSON.stringify(value).replace(NS_KEYS, '"$1":$2');
}

function timeBound(text: string | null): bigint | undefined {
  if (text === null || text === '') return undefined;
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return BigInt(Date.parse(text + 'T00:00:00Z')) * 1_000_000n;
  if (/^\d+$/.test(text)) return BigInt(text);
  throw new Error(`bad timestamp bound ${text}`);
}

export async function startMassiveRestServer(options: RestServerOptions = {}): Promise<MassiveRestServer> {
  const apiKey = options.apiKey ?? 'test-key';
  const maxLimit = options.maxLimit ?? 50_000;
  const trades = new Map<string, RestRow[]>();
  const quotes = new Map<string, RestRow[]>();
  const contracts: RestContract[] = [];
  const yields: YieldRow[] = [];
  const requests: RequestRecord[] = [];
  const faults: QueuedFault[] = [];
  let deny: ((path: string) => number | undefined) | undefined;
  let latencyMs = 0;
  let concurrent = 0, maxConcurrent = 0;
  let requestId = 0;
  const recentMs: number[] = [];
  let base = '';

  const send = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
    res.end(body);
  };
  const error = (status: number, message: string): string => JSON.stringify({ status: 'ERROR', request_id: `req-${++requestId}`, message });

  const page = (url: URL, rows: readonly unknown[], limit: number, path: string): string => {
    const offset = Number(url.searchParams.get('cursor') ?? '0');
    const slice = rows.slice(offset, offset + limit);
    const body: Record<string, unknown> = { status: 'OK', request_id: `req-${++requestId}`, results: slice };
    if (offset + limit < rows.length) {
      const next = new URL(base + path);
      for (const [k, v] of url.searchParams) if (k !== 'cursor' && k !== 'apiKey') next.searchParams.set(k, v);
      next.searchParams.set('cursor', String(offset + limit));
      body['next_url'] = next.toString();
    }
    return massiveJson(body);
  };

  const ticks = (url: URL, table: Map<string, RestRow[]>, ticker: string): string => {
    const all = table.get(ticker) ?? [];
    const gte = timeBound(url.searchParams.get('timestamp.gte') ?? url.searchParams.get('timestamp'));
    const gt = timeBound(url.searchParams.get('timestamp.gt'));
    const lte = timeBound(url.searchParams.get('timestamp.lte'));
    const lt = timeBound(url.searchParams.get('timestamp.lt'));
    let rows = all.filter((r) => {
      const t = BigInt(r['sip_timestamp'] as string);
      return (gte === undefined || t >= gte) && (gt === undefined || t > gt) && (lte === undefined || t <= lte) && (lt === undefined || t < lt);
    });
    if ((url.searchParams.get('order') ?? 'desc') === 'desc') rows = rows.slice().reverse();
    const limit = Math.min(maxLimit, Number(url.searchParams.get('limit') ?? '1000'));
    return page(url, rows, limit, url.pathname);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', base);
    const pathAndQuery = url.pathname + url.search;
    const auth = req.headers.authorization;
    const record = (status: number): void => { requests.push({ path: pathAndQuery, authorization: auth, status, atMs: Date.now() }); };
    if (latencyMs > 0) await new Promise((r) => setTimeout(r, latencyMs));
    const keyOk = auth === `Bearer ${apiKey}` || url.searchParams.get('apiKey') === apiKey;
    if (!keyOk) {
      record(401);
      send(res, 401, error(401, auth === undefined ? 'API Key was not provided' : 'Unknown API Key'));
      return;
    }
    const denied = deny?.(pathAndQuery);
    if (denied !== undefined) {
      record(denied);
      send(res, denied, JSON.stringify({ status: 'NOT_AUTHORIZED', request_id: `req-${++requestId}`, message: 'You are not entitled to this data. Please upgrade your plan at https://massive.com/pricing' }));
      return;
    }
    const i = faults.findIndex((f) => f.match === undefined || pathAndQuery.includes(f.match));
    if (i >= 0) {
      const f = faults[i]!;
      if (--f.times <= 0) faults.splice(i, 1);
      if (f.fault.kind === 'status') {
        record(f.fault.status);
        send(res, f.fault.status, f.fault.body ?? error(f.fault.status, f.fault.status === 429 ? 'You\'ve exceeded the maximum requests per minute' : 'Internal error'),
          f.fault.retryAfter !== undefined ? { 'retry-after': f.fault.retryAfter } : {});
        return;
      }
      // A cut: the real answer's headers and half of its body, then the connection dies.
      const body = answer(url);
      record(200);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.write(body.slice(0, Math.max(1, Math.floor(body.length / 2))));
      await new Promise((r) => setTimeout(r, 5));
      res.socket?.destroy();
      return;
    }
    if (options.maxRequestsPerSecond !== undefined) {
      const now = Date.now();
      while (recentMs.length > 0 && recentMs[0]! <= now - 1000) recentMs.shift();
      if (recentMs.length >= options.maxRequestsPerSecond) {
        record(429);
        send(res, 429, error(429, 'You\'ve exceeded the maximum requests per second'));
        return;
      }
      recentMs.push(now);
    }
    let body: string;
    try {
      body = answer(url);
    } catch (e) {
      record(400);
      send(res, 400, error(400, (e as Error).message));
      return;
    }
    record(body === '' ? 404 : 200);
    if (body === '') send(res, 404, error(404, 'not found'));
    else send(res, 200, body);
  };

  const answer = (url: URL): string => {
    const m = /^\/v3\/(trades|quotes)\/(.+)$/.exec(url.pathname);
    if (m) return ticks(url, m[1] === 'trades' ? trades : quotes, decodeURIComponent(m[2]!));
    if (url.pathname === '/v3/reference/options/contracts') {
      const underlying = url.searchParams.get('underlying_ticker');
      // Massive: `as_of` lists what traded on that day; `expired` is relative to today, so a past day's
      // contracts that have since expired only come with expired=true.
      const today = options.today ?? new Date().toISOString().slice(0, 10);
      const asOf = url.searchParams.get('as_of') ?? today;
      const expired = url.searchParams.get('expired') === 'true';
      const rows = contracts
        .filter((c) => underlying === null || c.underlying_ticker === underlying)
        .filter((c) => c.expiration_date >= asOf && (expired ? c.expiration_date < today : c.expiration_date >= today))
        .sort((a, b) => (a.ticker < b.ticker ? -1 : a.ticker > b.ticker ? 1 : 0));
      return page(url, rows, Math.min(1000, Number(url.searchParams.get('limit') ?? '10')), url.pathname);
    }
    if (url.pathname === '/fed/v1/treasury-yields') {
      const gte = url.searchParams.get('date.gte') ?? '0000';
      const lte = url.searchParams.get('date.lte') ?? '9999';
      const rows = yields.filter((y) => y.date >= gte && y.date <= lte).sort((a, b) => (a.date < b.date ? -1 : 1));
      return page(url, rows, Math.min(50_000, Number(url.searchParams.get('limit') ?? '100')), url.pathname);
    }
    return '';
  };

  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    concurrent++;
    maxConcurrent = Math.max(maxConcurrent, concurrent);
    res.on('close', () => { concurrent--; });
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, error(500, String(e)));
      else res.destroy();
    });
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;

  return {
    url: base, apiKey, trades, quotes, contracts, yields, requests,
    maxConcurrent: () => maxConcurrent,
    fault(fault, o = {}) { faults.push({ fault, times: o.times ?? 1, ...(o.match !== undefined ? { match: o.match } : {}) }); },
    setDeny(p) { deny = p; },
    setLatencyMs(ms) { latencyMs = ms; },
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ----------------------------------------------------------------- flat files → REST rows

/** Splits one CSV line (RFC 4180 quotes, no embedded newlines). */
function splitCsv(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let j = i + 1, s = '';
      for (;;) {
        const q = line.indexOf('"', j);
        if (line[q + 1] === '"') { s += line.slice(j, q + 1); j = q + 2; continue; }
        s += line.slice(j, q);
        i = q + 2;
        break;
      }
      out.push(s);
    } else {
      const c = line.indexOf(',', i);
      const end = c < 0 ? line.length : c;
      out.push(line.slice(i, end));
      i = end + 1;
    }
  }
  return out;
}

const INT_FIELDS = new Set(['correction', 'exchange', 'tape', 'trf_id', 'sequence_number', 'ask_exchange', 'bid_exchange']);
const FLOAT_FIELDS = new Set(['price', 'size', 'ask_price', 'ask_size', 'bid_price', 'bid_size']);
const NS_FIELDS = new Set(['sip_timestamp', 'participant_timestamp', 'trf_timestamp']);

/** One flat-file CSV row as Massive's REST API returns it (empty fields left out). */
export function restRowOfCsv(header: readonly string[], fields: readonly string[]): { ticker: string; row: RestRow } {
  const row: RestRow = {};
  let ticker = '';
  header.forEach((name, k) => {
    const v = fields[k] ?? '';
    if (name === 'ticker') { ticker = v; return; }
    if (v === '') return;
    if (name === 'conditions' || name === 'indicators') row[name] = v.split(',').map(Number);
    else if (INT_FIELDS.has(name)) row[name] = Number(v);
    else if (FLOAT_FIELDS.has(name)) row[name] = Number(v);
    else if (NS_FIELDS.has(name)) row[name] = v;
    else row[name] = v;
  });
  return { ticker, row };
}

/** Adds the rows of a gzipped flat file to `table` (per ticker, file order). Returns the rows added. */
export async function loadFlatFile(path: string, table: Map<string, RestRow[]>): Promise<number> {
  const text = gunzipSync(await readFile(path)).toString('utf8');
  const lines = text.split('\n');
  const header = splitCsv(lines[0]!.trim()).map((h) => h.toLowerCase());
  let n = 0;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line === '') continue;
    const { ticker, row } = restRowOfCsv(header, splitCsv(line));
    let list = table.get(ticker);
    if (!list) table.set(ticker, (list = []));
    list.push(row);
    n++;
  }
  // Massive's REST answers in time order (sort=timestamp); a stable sort keeps the file's order of equal times.
  for (const list of table.values()) list.sort((a, b) => { const d = BigInt(a['sip_timestamp'] as string) - BigInt(b['sip_timestamp'] as string); return d < 0n ? -1 : d > 0n ? 1 : 0; });
  return n;
}

/** The contract listing of the option tickers in `table` (OPRA decoded), as Massive's reference endpoint lists them. */
export function contractsOfTickers(tickers: Iterable<string>, underlyingOf: (root: string) => string = (r) => underlyingOfRoot(r)): RestContract[] {
  const out: RestContract[] = [];
  for (const ticker of tickers) {
    const m = /^O:([A-Z]{1,6}\d?)(\d{2})(\d{2})(\d{2})([CP])(\d{8})$/.exec(ticker);
    if (!m) continue;
    out.push({
      ticker, underlying_ticker: underlyingOf(m[1]!), contract_type: m[5] === 'C' ? 'call' : 'put', exercise_style: 'american',
      expiration_date: `20${m[2]}-${m[3]}-${m[4]}`, strike_price: Number(m[6]) / 1000, shares_per_contract: 100, primary_exchange: 'BATO', cfi: 'OCASPS',
    });
  }
  return out;
}

/** Serves a generated flat-file day (src/demo): stocks trades, option trades and quotes, and the contracts they trade. */
export async function loadFlatFileDay(server: MassiveRestServer, rootDir: string, date: string): Promise<{ stockRows: number; optionTradeRows: number; optionQuoteRows: number }> {
  const [y, m] = [date.slice(0, 4), date.slice(5, 7)];
  const file = (prefix: string): string => join(rootDir, prefix, y, m, `${date}.csv.gz`);
  const stockRows = await loadFlatFile(file('us_stocks_sip/trades_v1'), server.trades);
  const optionTrades = new Map<string, RestRow[]>();
  const optionTradeRows = await loadFlatFile(file('us_options_opra/trades_v1'), optionTrades);
  for (const [k, v] of optionTrades) server.trades.set(k, v);
  let optionQuoteRows = 0;
  const optionQuotes = new Map<string, RestRow[]>();
  try { optionQuoteRows = await loadFlatFile(file('us_options_opra/quotes_v1'), optionQuotes); } catch { /* no quotes file */ }
  for (const [k, v] of optionQuotes) server.quotes.set(k, v);
  const tickers = new Set([...optionTrades.keys(), ...optionQuotes.keys()]);
  server.contracts.push(...contractsOfTickers(tickers));
  return { stockRows, optionTradeRows, optionQuoteRows };
}
