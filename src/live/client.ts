/**
 * A resilient client for ONE Massive WebSocket cluster (`wss://socket.massive.com/stocks`,
 * `.../options`, or the delayed host), delivering parsed market data events
 * ({@link FeedDataEvent}, carrying the shared records) through an async iterator.
 *
 * Lifecycle of one connection: open → server `connected` status → send `auth` → `auth_success`
 * → send `subscribe` with every wanted topic → `success` acknowledgement per topic → data.
 *
 * Failure policy:
 * - `auth_failed` / `auth_timeout` → fatal `FeedError('auth_failed')`, no reconnect;
 * - `max_connections` (another client with the same key took the cluster over) → fatal
 *   `FeedError('max_connections')`, no reconnect: reconnecting would evict the other client,
 *   which would evict us again, in a loop;
 * - a failed connection attempt (refused, DNS, TLS, HTTP status of the upgrade, handshake timeout)
 *   is logged with its cause at warn level, at most one line per `failureLogIntervalMs` (default
 *   10 s) carrying the count of attempts held back; `stats()` has the last cause for dashboards;
 * - any other close or network drop → reconnect with exponential backoff and jitter,
 *   re-authenticate, resubscribe everything, and report the disconnected interval through
 *   `onGap` once authenticated again; after `maxAttempts` consecutive failed attempts, fatal
 *   `FeedError('feed')`;
 * - heartbeat: a ws ping every `heartbeatIntervalMs`; no pong nor data until the next tick →
 *   the connection is considered dead and replaced;
 * - `exitOnClose`: a clean server close (code 1000) after authentication ends the iteration
 *   instead of reconnecting (replays end this way).
 *
 * Fatal errors reach the consumer as the rejection of its next read, after the events already
 * queued; `start()` rejects with them too.
 *
 * Backpressure: events go through a {@link BoundedQueue}. When it is `pauseDepth` deep the
 * socket stops being read (`ws.pause()`, so TCP pushes back on the server); Massive disconnects
 * slow readers, so reading resumes after `maxReadPauseMs` even if the consumer has not caught
 * up, and from then on a full queue drops its OLDEST events (counted in `stats().dropped`,
 * logged). Memory stays bounded by `queueCapacity`.
 *
 * The API key is only ever written to the socket: it appears in no log line, error or stats.
 */
import WebSocket, { type RawData } from 'ws';
import { FeedError, errorMessage } from '../util/errors.js';
import { log as defaultLog } from '../util/log.js';
import {
  MAX_OPTION_QUOTE_CONTRACTS, NS_PER_MS, acknowledgedTopic, formatAction, optionQuoteContractCount, parseFrame,
  type FeedDataEvent, type StatusEvent,
} from './protocol.js';
import { BoundedQueue } from './queue.js';
import { ConnectFailureReporter, describeConnectError } from './connect-errors.js';

export type FeedLogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface ReconnectPolicy {
  /** Delay before the first reconnect attempt, ms. */
  readonly initialDelayMs: number;
  /** Cap of the exponential delay, ms. */
  readonly maxDelayMs: number;
  /** Growth per consecutive failed attempt. */
  readonly factor: number;
  /** Fraction of the delay randomised away: delay × (1 − jitter × random). 0 = none, 1 = full jitter. */
  readonly jitter: number;
  /** Consecutive failed attempts before giving up (fatal `FeedError('feed')`). */
  readonly maxAttempts: number;
}

export const DEFAULT_RECONNECT: ReconnectPolicy = Object.freeze({
  initialDelayMs: 250, maxDelayMs: 30_000, factor: 2, jitter: 0.5, maxAttempts: Number.POSITIVE_INFINITY,
});

/**
 * Delay before reconnect attempt number `failedAttempts + 1`, ms:
 * min(maxDelayMs, initialDelayMs × factor^failedAttempts) × (1 − jitter × random01).
 * Jitter spreads the reconnects of many clients after a server restart.
 */
export function backoffDelayMs(policy: ReconnectPolicy, failedAttempts: number, random01: number): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.factor ** failedAttempts);
  return base * (1 - policy.jitter * random01);
}

/** A disconnected interval, wall-clock ms: events with times in it were missed. */
export interface FeedGap {
  /** When the connection was lost. */
  readonly fromMs: number;
  /** When the replacement connection was authenticated (and resubscription sent). */
  readonly toMs: number;
  /** Event time (`t`, ms) of the last event received before the loss, if any. */
  readonly lastEventMs: number | undefined;
  /** Why the connection was lost (close code/reason, error, heartbeat). */
  readonly reason: string;
}

export type FeedState = 'idle' | 'connecting' | 'authenticating' | 'streaming' | 'reconnecting' | 'closed';

export interface FeedStats {
  readonly state: FeedState;
  /** Text frames received. */
  readonly frames: number;
  /** Data events delivered to the queue. */
  readonly events: number;
  readonly malformed: number;
  readonly unknown: number;
  /** Connections re-established after a loss. */
  readonly reconnects: number;
  readonly gaps: number;
  /** Events dropped because the consumer was too slow. */
  readonly dropped: number;
  readonly queueDepth: number;
  readonly queueHighWater: number;
  /** Times socket reading was paused for backpressure. */
  readonly readPauses: number;
  /** Over the last few seconds. */
  readonly framesPerSecond: number;
  readonly eventsPerSecond: number;
  /** Event time of the last data event, ms. */
  readonly lastEventMs: number | undefined;
  /** now − lastEventMs, ms. */
  readonly lagMs: number | undefined;
  readonly topics: number;
  readonly acknowledgedTopics: number;
  /** Consecutive failed connection attempts (0 once connected). */
  readonly failedAttempts: number;
  /** Why the last connection attempt failed or the last connection was lost, if it ever happened. */
  readonly lastError: string | undefined;
  /** When that was, wall-clock ms. */
  readonly lastErrorAtMs: number | undefined;
}

export interface MassiveFeedClientOptions {
  /** Cluster URL, e.g. `wss://socket.massive.com/options`. */
  readonly url: string;
  /** Never logged. */
  readonly apiKey: string;
  /** Topics subscribed from the start, e.g. `T.SPY`, `T.O:SPY251107C00680000`, `Q.O:...`. */
  readonly topics?: readonly string[];
  /** End the iteration on a clean server close instead of reconnecting (replays). */
  readonly exitOnClose?: boolean;
  /** Most events held for the consumer; default 100 000. */
  readonly queueCapacity?: number;
  /** Queue depth at which socket reading pauses; default half the capacity. */
  readonly pauseDepth?: number;
  /** Longest read pause before reading resumes (and the queue starts dropping), ms; default 2000. */
  readonly maxReadPauseMs?: number;
  /** Ping period, ms; 0 disables the heartbeat; default 15 000. */
  readonly heartbeatIntervalMs?: number;
  /** Time from opening the socket to `auth_success`, ms; default 10 000. */
  readonly handshakeTimeoutMs?: number;
  readonly reconnect?: Partial<ReconnectPolicy>;
  /** Least time between two "connection attempt failed" warnings, ms (the ones between are counted); default 10 000. */
  readonly failureLogIntervalMs?: number;
  readonly onGap?: (gap: FeedGap) => void;
  /** Log sink; default src/util/log. */
  readonly onLog?: (level: FeedLogLevel, message: string) => void;
  /** Wall clock, ms; default Date.now (tests inject). */
  readonly now?: () => number;
  /** Uniform [0, 1) for jitter; default Math.random. */
  readonly random?: () => number;
}

/** Events per second over the last `seconds` whole seconds (1-second buckets). */
class RateMeter {
  private readonly counts: number[];
  private readonly seconds: number[];
  constructor(private readonly windowSeconds: number) {
    this.counts = new Array<number>(windowSeconds).fill(0);
    this.seconds = new Array<number>(windowSeconds).fill(-1);
  }
  add(nowMs: number, n: number): void {
    const s = Math.floor(nowMs / 1000);
    const i = s % this.windowSeconds;
    if (this.seconds[i] !== s) { this.seconds[i] = s; this.counts[i] = 0; }
    this.counts[i]! += n;
  }
  perSecond(nowMs: number): number {
    const s = Math.floor(nowMs / 1000);
    let total = 0;
    for (let i = 0; i < this.windowSeconds; i++) {
      const age = s - this.seconds[i]!;
      if (age >= 0 && age < this.windowSeconds) total += this.counts[i]!;
    }
    return total / this.windowSeconds;
  }
}

/** One socket and its timers; callbacks from a replaced connection are ignored. */
interface Connection {
  readonly ws: WebSocket;
  authenticated: boolean;
  /** Pong or data seen since the last ping. */
  alive: boolean;
  readPaused: boolean;
  closeReason: string;
  handshakeTimer: NodeJS.Timeout | undefined;
  heartbeatTimer: NodeJS.Timeout | undefined;
  pauseTimer: NodeJS.Timeout | undefined;
}

interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(e: unknown): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
  // Nobody is obliged to await a subscription: a rejection on close must not become unhandled.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/** Last path segment of the URL (`stocks`, `options`), for messages. */
function clusterOf(url: string): string {
  try {
    const parts = new URL(url).pathname.split('/').filter((p) => p.length > 0);
    return parts.at(-1) ?? url;
  } catch {
    return url;
  }
}

const RATE_WINDOW_SECONDS = 5;
const CLOSE_WAIT_MS = 2000;

export class MassiveFeedClient implements AsyncIterable<FeedDataEvent> {
  readonly url: string;
  readonly cluster: string;
  private readonly apiKey: string;
  private readonly exitOnClose: boolean;
  private readonly maxReadPauseMs: number;
  private readonly heartbeatIntervalMs: number;
  private readonly handshakeTimeoutMs: number;
  private readonly policy: ReconnectPolicy;
  private readonly onGap: ((gap: FeedGap) => void) | undefined;
  private readonly logTo: (level: FeedLogLevel, message: string) => void;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly queue: BoundedQueue<FeedDataEvent>;

  private state: FeedState = 'idle';
  private conn: Connection | undefined;
  private readonly wanted = new Set<string>();
  private readonly acknowledged = new Set<string>();
  private readonly ackWaiters = new Map<string, Deferred[]>();
  private readonly authenticatedOnce = deferred();
  private fatalError: unknown;
  private failedAttempts = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private lostAtMs: number | undefined;
  private lostLastEventMs: number | undefined;
  private lostReason = '';
  private closedSignal: Deferred | undefined;
  private readonly failures: ConnectFailureReporter;
  private lastError: string | undefined;
  private lastErrorAtMs: number | undefined;

  private frames = 0;
  private events = 0;
  private malformed = 0;
  private unknown = 0;
  private reconnects = 0;
  private gaps = 0;
  private readPauses = 0;
  private lastEventMs: number | undefined;
  private readonly frameRate = new RateMeter(RATE_WINDOW_SECONDS);
  private readonly eventRate = new RateMeter(RATE_WINDOW_SECONDS);

  constructor(options: MassiveFeedClientOptions) {
    this.url = options.url;
    this.cluster = clusterOf(options.url);
    this.apiKey = options.apiKey;
    this.exitOnClose = options.exitOnClose ?? false;
    this.maxReadPauseMs = options.maxReadPauseMs ?? 2000;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? 15_000;
    this.handshakeTimeoutMs = options.handshakeTimeoutMs ?? 10_000;
    this.policy = { ...DEFAULT_RECONNECT, ...options.reconnect };
    this.onGap = options.onGap;
    this.logTo = options.onLog ?? ((level, message) => defaultLog[level](message));
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.failures = new ConnectFailureReporter(this.url, options.failureLogIntervalMs ?? 10_000);
    const capacity = options.queueCapacity ?? 100_000;
    this.queue = new BoundedQueue<FeedDataEvent>({
      capacity,
      pauseDepth: options.pauseDepth ?? Math.max(1, Math.floor(capacity / 2)),
      onPressure: (pressured) => this.onPressure(pressured),
      onDrop: (total) => this.onDrop(total),
    });
    this.checkOptionQuoteLimit(options.topics ?? []);
    for (const t of options.topics ?? []) this.wanted.add(t);
  }

  /**
   * Connects, authenticates and subscribes the initial topics. Resolves once they are all
   * acknowledged; rejects with a `FeedError` if the client fails fatally first.
   */
  async start(): Promise<void> {
    if (this.state !== 'idle') throw new FeedError('feed', `feed client for ${this.url} was already started`);
    this.state = 'connecting';
    this.openConnection();
    await this.authenticatedOnce.promise;
    await this.waitForAcks([...this.wanted]);
  }

  /** Topics wanted now (subscribed or about to be). */
  get topics(): ReadonlySet<string> {
    return this.wanted;
  }

  /**
   * Adds topics (e.g. a new rolling set of option contracts). Sent at once when connected,
   * otherwise on (re)connection. Resolves when the server has acknowledged every given topic.
   * Rejects when options quote topics would exceed Massive's 1000 contracts per connection.
   */
  subscribe(topics: readonly string[]): Promise<void> {
    try {
      this.checkOptionQuoteLimit(topics);
    } catch (e) {
      return Promise.reject(e);
    }
    if (this.state === 'closed') return Promise.reject(this.closedError());
    const added = topics.filter((t) => !this.wanted.has(t));
    for (const t of added) this.wanted.add(t);
    if (added.length > 0 && this.conn?.authenticated === true) this.send(this.conn, 'subscribe', added);
    return this.waitForAcks(topics);
  }

  /** Removes topics; sent at once when connected. Pending `subscribe` promises for them resolve. */
  unsubscribe(topics: readonly string[]): void {
    const removed = topics.filter((t) => this.wanted.delete(t));
    for (const t of removed) {
      this.acknowledged.delete(t);
      for (const w of this.ackWaiters.get(t) ?? []) w.resolve();
      this.ackWaiters.delete(t);
    }
    if (removed.length > 0 && this.conn?.authenticated === true) this.send(this.conn, 'unsubscribe', removed);
  }

  stats(): FeedStats {
    const now = this.now();
    return {
      state: this.state,
      frames: this.frames,
      events: this.events,
      malformed: this.malformed,
      unknown: this.unknown,
      reconnects: this.reconnects,
      gaps: this.gaps,
      dropped: this.queue.dropped,
      queueDepth: this.queue.depth,
      queueHighWater: this.queue.highWaterDepth,
      readPauses: this.readPauses,
      framesPerSecond: this.frameRate.perSecond(now),
      eventsPerSecond: this.eventRate.perSecond(now),
      lastEventMs: this.lastEventMs,
      lagMs: this.lastEventMs === undefined ? undefined : now - this.lastEventMs,
      topics: this.wanted.size,
      acknowledgedTopics: this.acknowledged.size,
      failedAttempts: this.failedAttempts,
      lastError: this.lastError,
      lastErrorAtMs: this.lastErrorAtMs,
    };
  }

  /**
   * Stops: no reconnect, the socket is closed (code 1000), pending subscriptions reject, and
   * the consumer's iteration finishes after the events already queued.
   */
  async close(): Promise<void> {
    if (this.state === 'closed') {
      await this.closedSignal?.promise;
      return;
    }
    this.finish(undefined);
    await this.closedSignal?.promise;
  }

  /** Data events in arrival order. One consumer; breaking out of the loop closes the client. */
  [Symbol.asyncIterator](): AsyncIterator<FeedDataEvent> {
    return {
      next: () => this.queue.next(),
      return: async () => {
        await this.close();
        return { value: undefined, done: true };
      },
    };
  }

  /**
   * Data events in arrival order, in batches of whatever has arrived (at most `max` events): one
   * await per batch instead of per event. Same consumer rules as the per-event iterator (use one
   * or the other); breaking out of the loop closes the client.
   */
  batches(max = 4096): AsyncIterable<FeedDataEvent[]> {
    return {
      [Symbol.asyncIterator]: () => ({
        next: () => this.queue.nextBatch(max),
        return: async () => {
          await this.close();
          return { value: undefined, done: true };
        },
      }),
    };
  }

  /** Callback form of the iterator: awaits `handler` for each event; resolves when the feed ends. */
  async run(handler: (event: FeedDataEvent) => void | Promise<void>): Promise<void> {
    for await (const event of this) await handler(event);
  }

  // -------------------------------------------------------------------------------------------
  // Connection lifecycle

  private openConnection(): void {
    const ws = new WebSocket(this.url, { handshakeTimeout: this.handshakeTimeoutMs });
    const conn: Connection = {
      ws, authenticated: false, alive: true, readPaused: false, closeReason: '',
      handshakeTimer: undefined, heartbeatTimer: undefined, pauseTimer: undefined,
    };
    this.conn = conn;
    conn.handshakeTimer = setTimeout(() => {
      conn.closeReason = `no auth_success within ${this.handshakeTimeoutMs} ms`;
      this.logTo('debug', `${this.url}: ${conn.closeReason}`);
      ws.terminate();
    }, this.handshakeTimeoutMs);
    ws.on('message', (data) => this.onMessage(conn, data));
    ws.on('pong', () => { conn.alive = true; });
    ws.on('error', (err) => {
      if (conn.closeReason === '') conn.closeReason = describeConnectError(err);
    });
    ws.on('close', (code, reason) => this.onClose(conn, code, reason.toString()));
  }

  private onMessage(conn: Connection, data: RawData): void {
    // After close() the socket may still deliver frames until the server answers the close
    // frame: a late `connected`/`auth_success` must not revive the client (it would then
    // reconnect forever and keep the process alive).
    if (conn !== this.conn || this.state === 'closed') return;
    conn.alive = true;
    const now = this.now();
    this.frames++;
    this.frameRate.add(now, 1);
    const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8')
      : data instanceof ArrayBuffer ? Buffer.from(data).toString('utf8') : data.toString('utf8');
    const parsed = parseFrame(text);
    if (parsed.malformed > 0) {
      this.malformed += parsed.malformed;
      this.logTo('debug', `${this.url}: ${parsed.malformed} malformed event(s) skipped (total ${this.malformed})`);
    }
    this.unknown += parsed.unknown;
    let data_ = 0;
    let last: FeedDataEvent | undefined;
    const events = parsed.events;
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      if (event.kind === 'status') {
        this.onStatus(conn, event);
        if ((this.state as FeedState) === 'closed') break; // onStatus may have closed it
        continue;
      }
      data_++;
      last = event;
      this.queue.push(event);
    }
    // Once per frame (a BigInt division per event was measurable).
    if (last !== undefined) {
      this.lastEventMs = Number((last.kind === 'optionQuote' ? last.quote.sipTimestampNs : last.trade.sipTimestampNs) / NS_PER_MS);
    }
    this.events += data_;
    this.eventRate.add(now, data_);
  }

  private onStatus(conn: Connection, status: StatusEvent): void {
    switch (status.status) {
      case 'connected':
        this.state = 'authenticating';
        conn.ws.send(formatAction('auth', this.apiKey));
        return;
      case 'auth_success':
        this.onAuthenticated(conn);
        return;
      case 'auth_failed':
      case 'auth_timeout':
        this.finish(new FeedError('auth_failed',
          `Massive rejected the API key on ${this.url} (${status.status}: ${status.message}); check MASSIVE_API_KEY / massive.api_key and the plan's access to ${this.cluster}`,
          { url: this.url, status: status.status }));
        return;
      case 'max_connections':
        this.finish(new FeedError('max_connections',
          `Massive closed ${this.url}: another connection with the same API key took over the ${this.cluster} cluster `
          + `(one connection per cluster per key; ${status.message}). Not reconnecting: stop the other client or use another key.`,
          { url: this.url, status: status.status }));
        return;
      case 'success': {
        const ack = acknowledgedTopic(status);
        if (ack === undefined) this.logTo('debug', `${this.url}: ${status.message}`);
        else if (ack.subscribed) this.onAcknowledged(ack.topic);
        else this.acknowledged.delete(ack.topic);
        return;
      }
      default:
        this.logTo('warn', `${this.url}: status ${status.status}: ${status.message}`);
    }
  }

  private onAuthenticated(conn: Connection): void {
    clearTimeout(conn.handshakeTimer);
    conn.authenticated = true;
    this.state = 'streaming';
    this.failedAttempts = 0;
    const held = this.failures.recovered();
    if (held !== undefined) this.logTo('info', held.message);
    if (this.wanted.size > 0) this.send(conn, 'subscribe', [...this.wanted]);
    this.startHeartbeat(conn);
    if (this.lostAtMs !== undefined) {
      const gap: FeedGap = { fromMs: this.lostAtMs, toMs: this.now(), lastEventMs: this.lostLastEventMs, reason: this.lostReason };
      this.lostAtMs = undefined;
      this.reconnects++;
      this.gaps++;
      this.logTo('info', `${this.url}: reconnected after ${gap.toMs - gap.fromMs} ms (${gap.reason}); resubscribed ${this.wanted.size} topic(s)`);
      this.onGap?.(gap);
    }
    this.authenticatedOnce.resolve();
  }

  private onAcknowledged(topic: string): void {
    if (!this.wanted.has(topic)) return;
    this.acknowledged.add(topic);
    for (const w of this.ackWaiters.get(topic) ?? []) w.resolve();
    this.ackWaiters.delete(topic);
  }

  private waitForAcks(topics: readonly string[]): Promise<void> {
    if (this.state === 'closed') return Promise.reject(this.closedError());
    const pending = topics.filter((t) => this.wanted.has(t) && !this.acknowledged.has(t));
    const all = Promise.all(pending.map((t) => {
      const d = deferred();
      const list = this.ackWaiters.get(t);
      if (list === undefined) this.ackWaiters.set(t, [d]);
      else list.push(d);
      return d.promise;
    })).then(() => undefined);
    // A fire-and-forget subscribe() must not crash the process when the client closes.
    all.catch(() => undefined);
    return all;
  }

  private send(conn: Connection, action: 'subscribe' | 'unsubscribe', topics: readonly string[]): void {
    conn.ws.send(formatAction(action, topics.join(',')));
  }

  private startHeartbeat(conn: Connection): void {
    if (this.heartbeatIntervalMs <= 0) return;
    conn.alive = true;
    conn.heartbeatTimer = setInterval(() => {
      // A paused reader cannot see pongs: do not judge the server while we hold it back.
      if (!conn.alive && !conn.readPaused) {
        conn.closeReason = `no pong within ${this.heartbeatIntervalMs} ms`;
        this.logTo('warn', `${this.url}: ${conn.closeReason}; reconnecting`);
        conn.ws.terminate();
        return;
      }
      conn.alive = false;
      conn.ws.ping();
    }, this.heartbeatIntervalMs);
  }

  private clearTimers(conn: Connection): void {
    clearTimeout(conn.handshakeTimer);
    clearInterval(conn.heartbeatTimer);
    clearTimeout(conn.pauseTimer);
  }

  private onClose(conn: Connection, code: number, reason: string): void {
    this.clearTimers(conn);
    if (conn !== this.conn) return;
    this.conn = undefined;
    this.acknowledged.clear();
    if (this.state === 'closed') {
      this.closedSignal?.resolve();
      return;
    }
    const why = conn.closeReason !== '' ? conn.closeReason : `closed by server (${code}${reason !== '' ? ` ${reason}` : ''})`;
    this.lastError = why;
    this.lastErrorAtMs = this.now();
    if (this.exitOnClose && code === 1000 && conn.authenticated) {
      this.logTo('info', `${this.url}: ${why}; end of feed`);
      this.finish(undefined);
      this.closedSignal?.resolve();
      return;
    }
    if (conn.authenticated) {
      this.lostAtMs = this.now();
      this.lostLastEventMs = this.lastEventMs;
      this.lostReason = why;
      this.logTo('warn', `${this.url}: connection lost (${why}); reconnecting`);
    } else {
      this.failedAttempts++;
      if (this.lostAtMs !== undefined) this.lostReason = why;
      if (this.failedAttempts >= this.policy.maxAttempts) {
        this.finish(new FeedError('feed', `could not connect to ${this.url} after ${this.failedAttempts} attempt(s): ${why}`, { url: this.url }));
        this.closedSignal?.resolve();
        return;
      }
      const delay = this.scheduleReconnect();
      const report = this.failures.failed(this.now(), this.failedAttempts, why, delay);
      if (report !== undefined) this.logTo('warn', report.message);
      return;
    }
    this.scheduleReconnect();
  }

  /** Schedules the next attempt; returns its delay, ms. */
  private scheduleReconnect(): number {
    this.state = 'reconnecting';
    const delay = backoffDelayMs(this.policy, this.failedAttempts, this.random());
    this.logTo('debug', `${this.url}: reconnect attempt in ${Math.round(delay)} ms`);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.state !== 'reconnecting') return;
      this.state = 'connecting';
      this.openConnection();
    }, delay);
    return delay;
  }

  /** Ends the client for good: `error` undefined = normal end, else fatal. */
  private finish(error: unknown): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.reconnectTimer);
    this.fatalError = error;
    if (error !== undefined) {
      this.logTo('error', errorMessage(error));
      this.queue.fail(error);
      this.authenticatedOnce.reject(error);
    } else {
      this.queue.end();
      this.authenticatedOnce.reject(this.closedError());
    }
    const rejection = error ?? this.closedError();
    for (const list of this.ackWaiters.values()) for (const w of list) w.reject(rejection);
    this.ackWaiters.clear();
    const conn = this.conn;
    this.closedSignal = deferred();
    if (conn === undefined) {
      this.closedSignal.resolve();
      return;
    }
    this.clearTimers(conn);
    if (conn.ws.readyState === WebSocket.CLOSED) {
      this.conn = undefined;
      this.closedSignal.resolve();
      return;
    }
    conn.ws.close(1000);
    const signal = this.closedSignal;
    const force = setTimeout(() => conn.ws.terminate(), CLOSE_WAIT_MS);
    signal.promise.finally(() => clearTimeout(force)).catch(() => undefined);
  }

  private closedError(): FeedError {
    return this.fatalError instanceof FeedError ? this.fatalError : new FeedError('feed', `feed client for ${this.url} is closed`, { url: this.url });
  }

  // -------------------------------------------------------------------------------------------
  // Backpressure

  private onPressure(pressured: boolean): void {
    const conn = this.conn;
    if (conn === undefined) return;
    if (pressured) {
      if (conn.readPaused) return;
      conn.readPaused = true;
      this.readPauses++;
      conn.ws.pause();
      conn.pauseTimer = setTimeout(() => {
        if (!conn.readPaused) return;
        this.logTo('warn', `${this.url}: consumer ${this.maxReadPauseMs} ms behind the feed; reading again, `
          + `the oldest queued events will be dropped while the queue is full (${this.queue.capacity})`);
        this.resumeReading(conn);
      }, this.maxReadPauseMs);
    } else {
      this.resumeReading(conn);
    }
  }

  private resumeReading(conn: Connection): void {
    clearTimeout(conn.pauseTimer);
    if (!conn.readPaused) return;
    conn.readPaused = false;
    conn.alive = true;
    conn.ws.resume();
  }

  private onDrop(total: number): void {
    // Log at 1, 10, 100, ... drops: visible without flooding the log.
    if (/^10*$/.test(String(total))) {
      this.logTo('warn', `${this.url}: consumer too slow, ${total} event(s) dropped so far (oldest first)`);
    }
  }

  private checkOptionQuoteLimit(adding: readonly string[]): void {
    const union = new Set([...this.wanted, ...adding]);
    const n = optionQuoteContractCount(union);
    if (n > MAX_OPTION_QUOTE_CONTRACTS) {
      throw new FeedError('feed', `${n} option quote contracts requested on ${this.url}; Massive streams at most ${MAX_OPTION_QUOTE_CONTRACTS} per connection`,
        { url: this.url, contracts: n });
    }
  }
}
