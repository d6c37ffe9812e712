/**
 * The HTTP sink of the realtime pipeline, on the metrics server: `GET /features/latest` (the last
 * row of each window size, a JSON object keyed by window label; with several symbols, of any
 * symbol, or of one with `?symbol=S`) and `GET /features/stream`
 * (Server-Sent Events: `data: <row JSON>` per row; corrections as `event: revision`). A client
 * with more than `maxClientBufferedBytes` unsent is disconnected (counted, logged): one slow
 * consumer never holds rows for the others nor blocks the pipeline.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { jsonLine } from '../features/output.js';
import type { FeatureRow } from '../features/row.js';
import type { RowEmission } from '../live/pipeline.js';
import { isPowerOfTen, type OutputLog } from './sink-log.js';

/** What the hub needs of the metrics server. */
export interface RouteTarget {
  route(path: string, handler: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>, exposes?: string): void;
}

export interface FeatureStreamHubOptions {
  readonly aggression: boolean;
  /** Window labels in output order (order of /features/latest keys). */
  readonly windows: readonly string[];
  /** Unsent bytes at which an SSE client is disconnected; default 1 MiB. */
  readonly maxClientBufferedBytes?: number;
  /** SSE comment line interval keeping idle connections open, ms; 0 disables; default 15 000. */
  readonly heartbeatMs?: number;
  readonly onLog?: OutputLog;
}

export interface StreamHubStats {
  readonly clients: number;
  /** Clients disconnected because they read too slowly. */
  readonly droppedClients: number;
  /** Rows published. */
  readonly rows: number;
}

export class FeatureStreamHub {
  readonly #aggression: boolean;
  readonly #windows: readonly string[];
  readonly #maxBuffered: number;
  readonly #onLog: OutputLog | undefined;
  /** Last row (its start and JSON) per window label, of any symbol. */
  readonly #latest = new Map<string, { startNs: bigint; line: string }>();
  /** The same per symbol. */
  readonly #latestOf = new Map<string, Map<string, { startNs: bigint; line: string }>>();
  readonly #clients = new Set<ServerResponse>();
  readonly #heartbeat: NodeJS.Timeout | undefined;
  #dropped = 0;
  #rows = 0;

  constructor(options: FeatureStreamHubOptions) {
    this.#aggression = options.aggression;
    this.#windows = options.windows;
    this.#maxBuffered = options.maxClientBufferedBytes ?? 1024 * 1024;
    this.#onLog = options.onLog;
    const heartbeatMs = options.heartbeatMs ?? 15_000;
    if (heartbeatMs > 0) {
      this.#heartbeat = setInterval(() => this.#broadcast(': keep-alive\n\n'), heartbeatMs);
      this.#heartbeat.unref();
    }
  }

  stats(): StreamHubStats {
    return { clients: this.#clients.size, droppedClients: this.#dropped, rows: this.#rows };
  }

  /** Registers GET /features/latest and GET /features/stream. */
  attach(server: RouteTarget): void {
    server.route('/features/latest', (req, res) => this.#serveLatest(req, res), 'the latest feature row of each window');
    server.route('/features/stream', (req, res) => this.#serveStream(req, res), 'every feature row as it is emitted (Server-Sent Events)');
  }

  /** The body of /features/latest: `{"1m":{row},"5m":{row}}` in window order (sizes without a row yet are absent). */
  latestJson(symbol?: string): string {
    const parts: string[] = [];
    const latestOf = symbol === undefined ? this.#latest : (this.#latestOf.get(symbol) ?? new Map<string, { startNs: bigint; line: string }>());
    for (const w of this.#windows) {
      const latest = latestOf.get(w);
      if (latest !== undefined) parts.push(`${JSON.stringify(w)}:${latest.line}`);
    }
    return `{${parts.join(',')}}`;
  }

  add(row: FeatureRow, emission: RowEmission = { revision: 0 }): void {
    const line = jsonLine(row, this.#aggression);
    this.#rows++;
    let ofSymbol = this.#latestOf.get(row.symbol);
    if (ofSymbol === undefined) this.#latestOf.set(row.symbol, (ofSymbol = new Map()));
    for (const latest of [this.#latest, ofSymbol]) {
      const previous = latest.get(row.window);
      // A revision of an older window must not hide a newer one; a revision of the latest replaces it.
      if (emission.revision === 0 || previous === undefined || row.windowStartNs >= previous.startNs) {
        latest.set(row.window, { startNs: row.windowStartNs, line });
      }
    }
    this.#broadcast(emission.revision > 0 ? `event: revision\ndata: ${line}\n\n` : `data: ${line}\n\n`);
  }

  /** Ends every SSE response (before the server closes). */
  close(): void {
    if (this.#heartbeat !== undefined) clearInterval(this.#heartbeat);
    for (const res of this.#clients) res.end();
    this.#clients.clear();
  }

  #broadcast(message: string): void {
    for (const res of this.#clients) {
      if (res.writableLength > this.#maxBuffered) {
        this.#clients.delete(res);
        this.#dropped++;
        this.#onLog?.('warn', `/features/stream: a client read too slowly (${res.writableLength} bytes unsent) and was disconnected (${this.#dropped} so far)`);
        res.destroy();
        continue;
      }
      res.write(message);
    }
  }

  #serveLatest(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      res.end('method not allowed\n');
      return;
    }
    const symbol = new URL(req.url ?? '/', 'http://localhost').searchParams.get('symbol') ?? undefined;
    const body = this.latestJson(symbol || undefined) + '\n';
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  #serveStream(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET', 'content-type': 'text/plain; charset=utf-8' });
      res.end('method not allowed\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write(': gammaflow feature rows\n\n');
    this.#clients.add(res);
    const forget = (): void => { this.#clients.delete(res); };
    res.on('close', forget);
    req.on('close', forget);
  }
}
