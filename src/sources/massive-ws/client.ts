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
 *
 * Parts: connection.ts (one socket, its handshake and heartbeat timers), subscriptions.ts
 * (wanted and acknowledged topics), reconnect.ts (backoff policy), feed-types.ts (options, stats).
 */
import WebSocket, { type RawData } from 'ws';
import { FeedError, errorMessage } from '../../util/errors.js';
import { log as defaultLog } from '../../util/log.js';
import { parseFrame } from '../../formats/massive-ws/parse.js';
import { acknowledgedTopic, formatAction } from '../../formats/massive-ws/topics.js';
import { NS_PER_MS, type FeedDataEvent, type StatusEvent } from '../../formats/massive-ws/types.js';
import { ConnectFailureReporter } from './connect-errors.js';
import { clearTimers, frameText, openConnection, startHeartbeat, type Connection } from './connection.js';
import { deferred, type Deferred } from './deferred.js';
import type { FeedGap, FeedLogLevel, FeedState, FeedStats, MassiveFeedClientOptions } from './feed-types.js';
import { BoundedQueue } from './queue.js';
import { RateMeter } from './rate-meter.js';
import { DEFAULT_RECONNECT, backoffDelayMs, type ReconnectPolicy } from './reconnect.js';
import { Subscriptions } from './subscriptions.js';
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
  private readonly subscriptions: Subscriptions;
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
    this.subscriptions = new Subscriptions(this.url, options.topics ?? []);
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
    await this.waitForAcks([...this.subscriptions.wanted]);
  }

  /** Topics wanted now (subscribed or about to be). */
  get topics(): ReadonlySet<string> {
    return this.subscriptions.wanted;
  }

  /**
   * Adds topics (e.g. a new rolling set of option contracts). Sent at once when connected,
   * otherwise on (re)connection. Resolves when the server has acknowledged every given topic.
   * Rejects when options quote topics would exceed Massive's 1000 contracts per connection.
   */
  subscribe(topics: readonly string[]): Promise<void> {
    try {
      this.subscriptions.checkOptionQuoteLimit(topics);
    } catch (e) {
      return Promise.reject(e);
    }
    if (this.state === 'closed') return Promise.reject(this.closedError());
    const added = this.subscriptions.add(topics);
    if (added.length > 0 && this.conn?.authenticated === true) this.send(this.conn, 'subscribe', added);
    return this.waitForAcks(topics);
  }

  /** Removes topics; sent at once when connected. Pending `subscribe` promises for them resolve. */
  unsubscribe(topics: readonly string[]): void {
    const removed = this.subscriptions.remove(topics);
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
      topics: this.subscriptions.wanted.size,
      acknowledgedTopics: this.subscriptions.acknowledgedCount,
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
    this.conn = openConnection(this.url, this.handshakeTimeoutMs, {
      onMessage: (conn, data) => this.onMessage(conn, data),
      onClose: (conn, code, reason) => this.onClose(conn, code, reason),
      onHandshakeTimeout: (conn) => this.logTo('debug', `${this.url}: ${conn.closeReason}`),
    });
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
    const parsed = parseFrame(frameText(data));
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
        else if (ack.subscribed) this.subscriptions.acknowledge(ack.topic);
        else this.subscriptions.unacknowledge(ack.topic);
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
    const wanted = this.subscriptions.wanted;
    if (wanted.size > 0) this.send(conn, 'subscribe', [...wanted]);
    startHeartbeat(conn, this.heartbeatIntervalMs, (reason) => this.logTo('warn', `${this.url}: ${reason}; reconnecting`));
    if (this.lostAtMs !== undefined) {
      const gap: FeedGap = { fromMs: this.lostAtMs, toMs: this.now(), lastEventMs: this.lostLastEventMs, reason: this.lostReason };
      this.lostAtMs = undefined;
      this.reconnects++;
      this.gaps++;
      this.logTo('info', `${this.url}: reconnected after ${gap.toMs - gap.fromMs} ms (${gap.reason}); resubscribed ${wanted.size} topic(s)`);
      this.onGap?.(gap);
    }
    this.authenticatedOnce.resolve();
  }

  private waitForAcks(topics: readonly string[]): Promise<void> {
    if (this.state === 'closed') return Promise.reject(this.closedError());
    return this.subscriptions.waitFor(topics);
  }

  private send(conn: Connection, action: 'subscribe' | 'unsubscribe', topics: readonly string[]): void {
    conn.ws.send(formatAction(action, topics.join(',')));
  }

  private onClose(conn: Connection, code: number, reason: string): void {
    clearTimers(conn);
    if (conn !== this.conn) return;
    this.conn = undefined;
    this.subscriptions.connectionLost();
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
    this.subscriptions.rejectAll(rejection);
    const conn = this.conn;
    this.closedSignal = deferred();
    if (conn === undefined) {
      this.closedSignal.resolve();
      return;
    }
    clearTimers(conn);
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
}
