/**
 * Where the rows of the realtime pipeline go. Each sink takes `(row, emission)` as the pipeline
 * emits them and never blocks it:
 *
 * - {@link LakeFeatureSink}: the lake's features table. Intraday, rows are appended as rotated
 *   files `LAKE/features/symbol=S/window=W/date=D/live-<runId>-NNNNN.parquet` (every `rotateRows`
 *   rows of a partition, or on `flush()`, which the command calls on a timer and at the end).
 *   Each file is written under a temporary name (`….parquet.<pid>.tmp`) and renamed when
 *   complete, so a reader globbing `*.parquet` never sees a partial file. A corrected row
 *   (late_policy revise) is appended again in a later file: within a run, the last occurrence of
 *   a (window, window_start) wins. Once a New York day has no open window left, the day is
 *   *published* like a historical run does it (publishFeatureDay: one part file with the final
 *   row of each window, staged, partition replaced by rename, manifest entry): the live files
 *   disappear with the old partition; a revision arriving later republishes the whole day. The manifest source is `live/<runId>`, so a later
 *   `gammaflow features` run for that day does not consider it up to date and recomputes it
 *   from the lake (historical reruns stay correct and win).
 * - {@link JsonlSink}: one JSON line per row on a stream (stdout with `--jsonl`): exactly the
 *   lines of `gammaflow features --out x.jsonl` (jsonLine). A revision is a later line for the
 *   same window. When the stream has more than `maxBufferedBytes` waiting (a slow pipe), rows are
 *   dropped, counted and logged instead of growing memory.
 * - {@link FeatureStreamHub}: HTTP routes on the metrics server: `GET /features/latest` (the last
 *   row of each window size, a JSON object keyed by window label) and `GET /features/stream`
 *   (Server-Sent Events: `data: <row JSON>` per row; corrections as `event: revision`). A client
 *   with more than `maxClientBufferedBytes` unsent is disconnected (counted, logged): one slow
 *   consumer never holds rows for the others nor blocks the pipeline.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { jsonLine } from '../features/output.js';
import type { FeatureRow } from '../features/row.js';
import type { RowEmission } from './pipeline.js';

export type OutputLog = (level: 'info' | 'warn' | 'error', message: string) => void;

/** 1, 10, 100, ...: the counts at which a repeated condition is logged. */
export function isPowerOfTen(n: number): boolean {
  for (let p = 1; p <= n; p *= 10) if (p === n) return true;
  return false;
}

export { LakeFeatureSink, type LakeFeatureSinkOptions, type LakeSinkStats } from './lake-sink.js';

// ---------------------------------------------------------------------------------------------
// JSON lines

/** The part of a writable stream the JSONL sink uses (process.stdout fits). */
export interface LineStream {
  write(chunk: string): boolean;
  readonly writableLength: number;
}

export interface JsonlSinkOptions {
  readonly aggression: boolean;
  /** Most bytes left waiting in the stream before rows are dropped; default 16 MiB. */
  readonly maxBufferedBytes?: number;
  readonly onLog?: OutputLog;
}

export class JsonlSink {
  readonly #out: LineStream;
  readonly #aggression: boolean;
  readonly #maxBuffered: number;
  readonly #onLog: OutputLog | undefined;
  #written = 0;
  #dropped = 0;

  constructor(out: LineStream, options: JsonlSinkOptions) {
    this.#out = out;
    this.#aggression = options.aggression;
    this.#maxBuffered = options.maxBufferedBytes ?? 16 * 1024 * 1024;
    this.#onLog = options.onLog;
  }

  get written(): number { return this.#written; }
  get dropped(): number { return this.#dropped; }

  add(row: FeatureRow, _emission?: RowEmission): void {
    if (this.#out.writableLength > this.#maxBuffered) {
      this.#dropped++;
      if (isPowerOfTen(this.#dropped)) {
        this.#onLog?.('warn', `--jsonl: the reader of stdout is too slow (${this.#out.writableLength} bytes waiting); ${this.#dropped} rows dropped so far`);
      }
      return;
    }
    this.#out.write(jsonLine(row, this.#aggression) + '\n');
    this.#written++;
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP: /features/latest and /features/stream (SSE)

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
  /** Last row (its start and JSON) per window label. */
  readonly #latest = new Map<string, { startNs: bigint; line: string }>();
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
  latestJson(): string {
    const parts: string[] = [];
    for (const w of this.#windows) {
      const latest = this.#latest.get(w);
      if (latest !== undefined) parts.push(`${JSON.stringify(w)}:${latest.line}`);
    }
    return `{${parts.join(',')}}`;
  }

  add(row: FeatureRow, emission: RowEmission = { revision: 0 }): void {
    const line = jsonLine(row, this.#aggression);
    this.#rows++;
    const previous = this.#latest.get(row.window);
    // A revision of an older window must not hide a newer one; a revision of the latest replaces it.
    if (emission.revision === 0 || previous === undefined || row.windowStartNs >= previous.startNs) {
      this.#latest.set(row.window, { startNs: row.windowStartNs, line });
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
    const body = this.latestJson() + '\n';
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
