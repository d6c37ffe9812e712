/**
 * A local WebSocket server that replays recorded records as Massive's realtime feed, on
 * `/stocks` and `/options`, so the live pipeline can be run (and tested) against history.
 *
 * Protocol, as Massive: `connected` status on connect; `auth` → `auth_success` (or
 * `auth_failed` and close when `apiKey` is set and differs); `subscribe`/`unsubscribe` → one
 * `success` status per topic. Only subscribed topics are sent (`T.*` / `Q.*` wildcards allowed).
 *
 * Streaming, per cluster (each input iterable is read once):
 * - starts when the first connection of the cluster subscribes (so the first events are not
 *   lost to the handshake) and goes on whoever is connected: events while no client is
 *   subscribed are skipped, as on the live feed;
 * - events are sent in input order, which must be event time order (out-of-order events are
 *   sent at once and counted); timestamps go out as Massive's integer ms `t`;
 * - frames are JSON arrays batching consecutive events whose `t` lies within `batchWindowMs`
 *   of the frame's first event (default 0: one frame per millisecond), at most
 *   `maxEventsPerFrame` each;
 * - pacing: `speed` N sends the event at `t` at wall time origin + (t − t0)/N, where (t0,
 *   origin) is fixed by the first event sent by either cluster, so stocks and options stay in
 *   step; `'max'` sends as fast as the client reads, the clusters still in step as on the real
 *   feed: a frame more than `maxLeadMs` of event time ahead of the other cluster's next frame
 *   waits until that cluster catches up (the one behind always proceeds: no deadlock; a cluster
 *   not streaming yet, or ended, holds nobody back). Without this, a fast cluster would run
 *   hours of event time ahead and the client would buffer all of it to merge the streams;
 * - backpressure in both modes: once a connection has more than `maxBufferedBytes` unsent,
 *   the stream waits until it has been written out (a paused client slows the replay down
 *   instead of growing server memory);
 * - at the end of the input the cluster's connections are closed with code 1000 (clients in
 *   `exitOnClose` mode end their iteration); later connections are closed once subscribed.
 *   An input that throws (after what it yielded has been sent) closes them with 1011 and
 *   rejects `finished`.
 */
import type { AddressInfo } from 'node:net';
import { setImmediate as yieldToEventLoop, setTimeout as sleep } from 'node:timers/promises';
import { WebSocketServer, type WebSocket } from 'ws';
import { errorMessage } from '../util/errors.js';
import type { OptionTrade } from '../options/records.js';
import {
  SUBSCRIBED_PREFIX, UNSUBSCRIBED_PREFIX, formatDataEvent, formatFrame, formatStatus, msOfNs, parseAction, splitTopics,
  topicOf, topicSubscribed, type FeedCluster, type FeedDataEvent, type OptionQuote, type StockTrade, type WireEvent,
} from './protocol.js';

export type ReplayOptionRecord = OptionTrade | OptionQuote;

export interface ReplayServerOptions {
  /** TCP port; default 0 (ephemeral). */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Times real time (10 = ten times faster), or `'max'`. */
  readonly speed: number | 'max';
  /** Stock trades in event time order. */
  readonly stocks?: AsyncIterable<StockTrade>;
  /** Option trades and quotes in event time order. */
  readonly options?: AsyncIterable<ReplayOptionRecord>;
  /** When set, only this key authenticates; default: any key. */
  readonly apiKey?: string;
  /** Events within this many ms of a frame's first event share the frame; default 0. */
  readonly batchWindowMs?: number;
  /** Default 1000. */
  readonly maxEventsPerFrame?: number;
  /** `'max'` speed: how far (event time, ms) a cluster may run ahead of the other; default 1000. */
  readonly maxLeadMs?: number;
  /** Unsent bytes per connection before the stream waits; default 1 MiB. */
  readonly maxBufferedBytes?: number;
  /** Wall clock, ms (tests inject a virtual clock with `sleepMs`). */
  readonly now?: () => number;
  readonly sleepMs?: (ms: number) => Promise<void>;
  readonly onLog?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

export interface ReplayClusterSummary {
  /** Records read from the input. */
  readonly read: number;
  /** Records sent to at least one connection. */
  readonly sent: number;
  /** Frames sent (all connections). */
  readonly frames: number;
  /** Records whose time went backwards (sent without waiting). */
  readonly outOfOrder: number;
  /** Times the stream waited for a connection's unsent bytes to be written out. */
  readonly backpressureWaits: number;
}

export interface ReplaySummary {
  readonly stocks: ReplayClusterSummary;
  readonly options: ReplayClusterSummary;
}

export interface ReplayServer {
  /** `ws://host:port`: clients connect to `${url}/stocks` and `${url}/options`. */
  readonly url: string;
  readonly port: number;
  /** Resolves when every given input has been replayed to its end (or the server closed). */
  readonly finished: Promise<ReplaySummary>;
  /** Counts so far. */
  progress(): ReplaySummary;
  /**
   * Resolves once no client connection is open (each has read what was sent and answered the
   * close at the end of the replay), or when `stop()` says to give up. Call it after `finished`
   * so that a client reading behind still gets the end of the day before `close()`.
   */
  idle(stop?: () => boolean): Promise<void>;
  /** Stops streaming, closes every connection and the server; idempotent. */
  close(): Promise<void>;
}

/**
 * Replay clock shared by the clusters: the first event sent fixes (t0, wall origin); later
 * events wait until origin + (t − t0) / speed. `'max'` never waits.
 */
export class ReplayPacer {
  private originEventMs: number | undefined;
  private originWallMs = 0;

  constructor(
    private readonly speed: number | 'max',
    private readonly now: () => number = Date.now,
    private readonly sleepMs: (ms: number) => Promise<void> = (ms) => sleep(ms),
  ) {
    if (speed !== 'max' && !(Number.isFinite(speed) && speed > 0)) throw new RangeError(`replay speed must be > 0 or 'max', got ${speed}`);
  }

  /** Wall time (ms) at which the event at `eventMs` is due. */
  dueWallMs(eventMs: number): number {
    if (this.speed === 'max') return this.now();
    if (this.originEventMs === undefined) {
      this.originEventMs = eventMs;
      this.originWallMs = this.now();
    }
    return this.originWallMs + (eventMs - this.originEventMs) / this.speed;
  }

  /** Waits until the event at `eventMs` is due. */
  async waitFor(eventMs: number): Promise<void> {
    const wait = this.dueWallMs(eventMs) - this.now();
    if (wait > 0) await this.sleepMs(wait);
  }
}

/** The ms `t` a record goes out with. */
function eventMs(event: FeedDataEvent): number {
  return msOfNs(event.kind === 'optionQuote' ? event.quote.sipTimestampNs : event.trade.sipTimestampNs);
}

function optionEvent(record: ReplayOptionRecord): FeedDataEvent {
  return 'bidPrice' in record ? { kind: 'optionQuote', quote: record } : { kind: 'optionTrade', trade: record };
}

async function* stockEvents(records: AsyncIterable<StockTrade>): AsyncIterable<FeedDataEvent> {
  for await (const trade of records) yield { kind: 'stockTrade', trade };
}

async function* optionEvents(records: AsyncIterable<ReplayOptionRecord>): AsyncIterable<FeedDataEvent> {
  for await (const record of records) yield optionEvent(record);
}

/**
 * Groups consecutive events into frames: an event joins the current frame when its ms time is
 * within `windowMs` of the frame's first event (and not earlier than it) and the frame has
 * fewer than `maxPerFrame` events. Reads one event ahead; when `events` throws, the frame in
 * progress is yielded before the error propagates.
 */
export async function* batchFrames(events: AsyncIterable<FeedDataEvent>, windowMs: number, maxPerFrame: number): AsyncIterable<FeedDataEvent[]> {
  let frame: FeedDataEvent[] = [];
  let frameStartMs = 0;
  try {
    for await (const event of events) {
      const t = eventMs(event);
      if (frame.length > 0 && (frame.length >= maxPerFrame || t < frameStartMs || t - frameStartMs > windowMs)) {
        yield frame;
        frame = [];
      }
      if (frame.length === 0) frameStartMs = t;
      frame.push(event);
    }
  } catch (e) {
    // Events read before the input failed still go out, then the failure propagates.
    if (frame.length > 0) yield frame;
    throw e;
  }
  if (frame.length > 0) yield frame;
}

interface Session {
  readonly ws: WebSocket;
  readonly cluster: FeedCluster | undefined;
  authenticated: boolean;
  readonly topics: Set<string>;
}

interface ClusterState {
  readonly name: FeedCluster;
  readonly input: AsyncIterable<FeedDataEvent> | undefined;
  started: boolean;
  ended: boolean;
  read: number;
  sent: number;
  frames: number;
  outOfOrder: number;
  backpressureWaits: number;
  /** Event time of the frame this cluster sends next ('max' in-step rule); +∞ before it starts and after it ends. */
  nextMs: number;
  /** Resolves a wait of this cluster for the other one to catch up. */
  wake: (() => void) | undefined;
  readonly done: Promise<void>;
  resolveDone(): void;
  rejectDone(e: unknown): void;
}

const FRAMES_PER_YIELD = 64;

function clusterOfPath(url: string | undefined): FeedCluster | undefined {
  const path = (url ?? '/').split('?')[0]!.replace(/\/+$/, '');
  if (path === '/stocks') return 'stocks';
  if (path === '/options') return 'options';
  return undefined;
}

function summaryOf(c: ClusterState): ReplayClusterSummary {
  return { read: c.read, sent: c.sent, frames: c.frames, outOfOrder: c.outOfOrder, backpressureWaits: c.backpressureWaits };
}

/** Starts the replay server; streaming begins per cluster on its first subscription. */
export async function startReplayServer(options: ReplayServerOptions): Promise<ReplayServer> {
  const host = options.host ?? '127.0.0.1';
  const pacer = new ReplayPacer(options.speed, options.now, options.sleepMs);
  const batchWindowMs = options.batchWindowMs ?? 0;
  const maxEventsPerFrame = options.maxEventsPerFrame ?? 1000;
  const maxBufferedBytes = options.maxBufferedBytes ?? 1 << 20;
  const logTo = options.onLog ?? (() => undefined);
  const sessions = new Set<Session>();
  let stopping = false;
  let closing: Promise<void> | undefined;

  function clusterState(name: FeedCluster, input: AsyncIterable<FeedDataEvent> | undefined): ClusterState {
    let resolveDone!: () => void;
    let rejectDone!: (e: unknown) => void;
    const done = new Promise<void>((res, rej) => { resolveDone = res; rejectDone = rej; });
    done.catch(() => undefined);
    const state: ClusterState = {
      name, input, started: false, ended: input === undefined, read: 0, sent: 0, frames: 0, outOfOrder: 0, backpressureWaits: 0,
      nextMs: Number.POSITIVE_INFINITY, wake: undefined, done, resolveDone, rejectDone,
    };
    if (input === undefined) resolveDone();
    return state;
  }

  const clusters: Record<FeedCluster, ClusterState> = {
    stocks: clusterState('stocks', options.stocks === undefined ? undefined : stockEvents(options.stocks)),
    options: clusterState('options', options.options === undefined ? undefined : optionEvents(options.options)),
  };

  const inStep = options.speed === 'max';
  const maxLeadMs = options.maxLeadMs ?? 1000;
  const otherOf = (c: ClusterState): ClusterState => (c.name === 'stocks' ? clusters.options : clusters.stocks);
  function wake(c: ClusterState): void {
    const w = c.wake;
    c.wake = undefined;
    w?.();
  }
  /** Announces this cluster's next frame time, and waits while it is too far ahead of the other cluster. */
  async function keepInStep(cluster: ClusterState, t: number): Promise<void> {
    cluster.nextMs = t;
    const other = otherOf(cluster);
    wake(other);
    while (!stopping && t > other.nextMs + maxLeadMs) {
      await new Promise<void>((resolve) => { cluster.wake = resolve; });
    }
  }
  function leaveStep(cluster: ClusterState): void {
    cluster.nextMs = Number.POSITIVE_INFINITY;
    wake(otherOf(cluster));
  }

  function sendStatus(ws: WebSocket, status: string, message: string): void {
    ws.send(formatFrame([formatStatus(status, message)]));
  }

  function subscribersOf(cluster: FeedCluster): Session[] {
    return [...sessions].filter((s) => s.cluster === cluster && s.authenticated && s.topics.size > 0 && s.ws.readyState === s.ws.OPEN);
  }

  /** Sends one batch to every subscribed connection; waits while a connection's buffer is over the limit. */
  async function sendFrame(cluster: ClusterState, frame: readonly FeedDataEvent[]): Promise<void> {
    const wire: Array<WireEvent | undefined> = new Array(frame.length);
    const sentTo = new Array<boolean>(frame.length).fill(false);
    for (const session of subscribersOf(cluster.name)) {
      const out: WireEvent[] = [];
      for (let i = 0; i < frame.length; i++) {
        const event = frame[i]!;
        if (!topicSubscribed(session.topics, topicOf(event))) continue;
        wire[i] ??= formatDataEvent(event);
        out.push(wire[i]!);
        sentTo[i] = true;
      }
      if (out.length === 0) continue;
      cluster.frames++;
      const text = formatFrame(out);
      if (session.ws.bufferedAmount <= maxBufferedBytes) session.ws.send(text);
      else {
        cluster.backpressureWaits++;
        await new Promise<void>((resolve) => session.ws.send(text, () => resolve()));
      }
    }
    for (const s of sentTo) if (s) cluster.sent++;
  }

  function closeCluster(cluster: FeedCluster, code: number, reason: string): void {
    for (const s of sessions) if (s.cluster === cluster && s.ws.readyState === s.ws.OPEN) s.ws.close(code, reason);
  }

  async function stream(cluster: ClusterState): Promise<void> {
    let lastMs = Number.NEGATIVE_INFINITY;
    let sinceYield = 0;
    try {
      const events = (async function* () {
        for await (const e of cluster.input!) { cluster.read++; yield e; }
      })();
      for await (const frame of batchFrames(events, batchWindowMs, maxEventsPerFrame)) {
        if (stopping) break;
        const t = eventMs(frame[0]!);
        let late = 0;
        for (const e of frame) if (eventMs(e) < lastMs) late++;
        cluster.outOfOrder += late;
        if (late === 0) await pacer.waitFor(t);
        if (inStep) await keepInStep(cluster, t);
        lastMs = Math.max(lastMs, eventMs(frame[frame.length - 1]!));
        await sendFrame(cluster, frame);
        if (++sinceYield >= FRAMES_PER_YIELD) {
          sinceYield = 0;
          await yieldToEventLoop(); // let client actions (unsubscribe, close) in between frames
        }
      }
      cluster.ended = true;
      leaveStep(cluster);
      if (stopping) {
        cluster.resolveDone();
        return;
      }
      logTo('info', `replay ${cluster.name}: end of data (${cluster.sent} of ${cluster.read} records sent)`);
      closeCluster(cluster.name, 1000, 'end of replay');
      cluster.resolveDone();
    } catch (e) {
      cluster.ended = true;
      leaveStep(cluster);
      logTo('error', `replay ${cluster.name}: input failed: ${errorMessage(e)}`);
      closeCluster(cluster.name, 1011, 'replay input failed');
      cluster.rejectDone(e);
    }
  }

  function onSubscribed(session: Session): void {
    const cluster = clusters[session.cluster!];
    if (cluster.ended) {
      session.ws.close(1000, 'end of replay');
      return;
    }
    if (!cluster.started) {
      cluster.started = true;
      void stream(cluster);
    }
  }

  function onAction(session: Session, text: string): void {
    const action = parseAction(text);
    if (action === undefined) {
      sendStatus(session.ws, 'error', 'invalid action');
      return;
    }
    if (action.action === 'auth') {
      if (options.apiKey !== undefined && action.params !== options.apiKey) {
        sendStatus(session.ws, 'auth_failed', 'authentication failed');
        session.ws.close(1008, 'authentication failed');
        return;
      }
      session.authenticated = true;
      sendStatus(session.ws, 'auth_success', 'authenticated');
      return;
    }
    if (!session.authenticated) {
      sendStatus(session.ws, 'error', 'not authorized');
      return;
    }
    const topics = splitTopics(action.params);
    const subscribe = action.action === 'subscribe';
    for (const t of topics) {
      if (subscribe) session.topics.add(t);
      else session.topics.delete(t);
    }
    if (topics.length > 0) {
      const prefix = subscribe ? SUBSCRIBED_PREFIX : UNSUBSCRIBED_PREFIX;
      session.ws.send(formatFrame(topics.map((t) => formatStatus('success', prefix + t))));
    }
    if (subscribe && topics.length > 0) onSubscribed(session);
  }

  const wss = new WebSocketServer({ host, port: options.port ?? 0 });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  const idleWaiters: (() => void)[] = [];
  wss.on('connection', (ws, request) => {
    const session: Session = { ws, cluster: clusterOfPath(request.url), authenticated: false, topics: new Set() };
    ws.on('error', () => undefined);
    if (session.cluster === undefined) {
      sendStatus(ws, 'error', `unknown cluster ${request.url ?? ''}: the replay serves /stocks and /options`);
      ws.close(1008, 'unknown cluster');
      return;
    }
    sessions.add(session);
    ws.on('close', () => {
      sessions.delete(session);
      if (sessions.size === 0) for (const wake of idleWaiters.splice(0)) wake();
    });
    ws.on('message', (data) => onAction(session, data.toString()));
    sendStatus(ws, 'connected', 'Connected Successfully');
  });

  const { port } = wss.address() as AddressInfo;
  const finished = Promise.all([clusters.stocks.done, clusters.options.done])
    .then((): ReplaySummary => ({ stocks: summaryOf(clusters.stocks), options: summaryOf(clusters.options) }));
  finished.catch(() => undefined);

  return {
    url: `ws://${host}:${port}`,
    port,
    finished,
    progress: () => ({ stocks: summaryOf(clusters.stocks), options: summaryOf(clusters.options) }),
    idle: async (stop) => {
      while (sessions.size > 0 && !(stop?.() ?? false)) {
        await new Promise<void>((resolve) => {
          idleWaiters.push(resolve);
          setTimeout(resolve, 100).unref(); // re-checks `stop`
        });
      }
    },
    close: () => {
      closing ??= new Promise<void>((resolve, reject) => {
        stopping = true;
        wake(clusters.stocks);
        wake(clusters.options);
        clusters.stocks.resolveDone();
        clusters.options.resolveDone();
        for (const s of sessions) s.ws.terminate();
        wss.close((err) => (err ? reject(err) : resolve()));
      });
      return closing;
    },
  };
}
