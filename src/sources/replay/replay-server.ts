/**
 * A local WebSocket server that replays recorded records as Massive's realtime feed, on
 * `/stocks` and `/options`, so the live pipeline can be run (and tested) against history.
 *
 * Protocol, as Massive: `connected` status on connect; `auth` → `auth_success` (or
 * `auth_failed` and close when `apiKey` is set and differs); `subscribe`/`unsubscribe` → one
 * `success` status per topic. Only subscribed topics are sent (`T.*` / `Q.*` wildcards allowed).
 *
 * Streaming, per cluster (each input iterable is read once, a chunk of records at a time; events
 * are written as JSON text straight from the records, wire-text.ts):
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
import { errorMessage } from '../../util/errors.js';
import { SUBSCRIBED_PREFIX, UNSUBSCRIBED_PREFIX, formatFrame, formatStatus, parseAction, splitTopics, topicSubscribed } from '../../formats/massive-ws/topics.js';
import type { FeedCluster, StockTrade } from '../../formats/massive-ws/types.js';
import { frameText } from '../../formats/massive-ws/wire-text.js';
import { optionCodec, stockCodec, type ReplayOptionRecord, type WireCodec } from './codec.js';
import { ReplayPacer, batchFrames, type Frame } from './pacing.js';

export interface ReplayServerOptions {
  /** TCP port; default 0 (ephemeral). */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Times real time (10 = ten times faster), or `'max'`. */
  readonly speed: number | 'max';
  /** Stock trades in event time order, a chunk (array) at a time. */
  readonly stocks?: AsyncIterable<readonly StockTrade[]>;
  /** Option trades and quotes in event time order, a chunk (array) at a time. */
  readonly options?: AsyncIterable<readonly ReplayOptionRecord[]>;
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

interface Session {
  readonly ws: WebSocket;
  readonly cluster: FeedCluster | undefined;
  authenticated: boolean;
  readonly topics: Set<string>;
}

/** What the 'max'-speed in-step rule reads of a cluster. */
interface StepState {
  readonly name: FeedCluster;
  /** Event time of the frame this cluster sends next; +∞ before it starts and after it ends. */
  nextMs: number;
  /** Resolves a wait of this cluster for the other one to catch up. */
  wake: (() => void) | undefined;
}

interface ClusterState<R> extends StepState {
  readonly input: AsyncIterable<readonly R[]> | undefined;
  readonly codec: WireCodec<R>;
  started: boolean;
  ended: boolean;
  read: number;
  sent: number;
  frames: number;
  outOfOrder: number;
  backpressureWaits: number;
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

function summaryOf(c: ClusterState<unknown>): ReplayClusterSummary {
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

  function clusterState<R>(name: FeedCluster, input: AsyncIterable<readonly R[]> | undefined, codec: WireCodec<R>): ClusterState<R> {
    let resolveDone!: () => void;
    let rejectDone!: (e: unknown) => void;
    const done = new Promise<void>((res, rej) => { resolveDone = res; rejectDone = rej; });
    done.catch(() => undefined);
    const state: ClusterState<R> = {
      name, input, codec, started: false, ended: input === undefined, read: 0, sent: 0, frames: 0, outOfOrder: 0, backpressureWaits: 0,
      nextMs: Number.POSITIVE_INFINITY, wake: undefined, done, resolveDone, rejectDone,
    };
    if (input === undefined) resolveDone();
    return state;
  }

  const clusters: { readonly stocks: ClusterState<StockTrade>; readonly options: ClusterState<ReplayOptionRecord> } = {
    stocks: clusterState('stocks', options.stocks, stockCodec()),
    options: clusterState('options', options.options, optionCodec()),
  };

  const inStep = options.speed === 'max';
  const maxLeadMs = options.maxLeadMs ?? 1000;
  const otherOf = (c: StepState): StepState => (c.name === 'stocks' ? clusters.options : clusters.stocks);
  function wake(c: StepState): void {
    const w = c.wake;
    c.wake = undefined;
    w?.();
  }
  /** Announces this cluster's next frame time, and waits while it is too far ahead of the other cluster. */
  async function keepInStep(cluster: StepState, t: number): Promise<void> {
    cluster.nextMs = t;
    const other = otherOf(cluster);
    wake(other);
    while (!stopping && t > other.nextMs + maxLeadMs) {
      await new Promise<void>((resolve) => { cluster.wake = resolve; });
    }
  }
  function leaveStep(cluster: StepState): void {
    cluster.nextMs = Number.POSITIVE_INFINITY;
    wake(otherOf(cluster));
  }

  function sendStatus(ws: WebSocket, status: string, message: string): void {
    ws.send(formatFrame([formatStatus(status, message)]));
  }

  function subscribersOf(cluster: FeedCluster): Session[] {
    return [...sessions].filter((s) => s.cluster === cluster && s.authenticated && s.topics.size > 0 && s.ws.readyState === s.ws.OPEN);
  }

  /** Sends one frame to every subscribed connection; waits while a connection's buffer is over the limit. */
  async function sendFrame<R>(cluster: ClusterState<R>, frame: Frame<R>): Promise<void> {
    const { records, times } = frame;
    const n = records.length;
    const texts = new Array<string | undefined>(n);
    const sentTo = new Array<boolean>(n).fill(false);
    const codec = cluster.codec;
    for (const session of subscribersOf(cluster.name)) {
      const out: string[] = [];
      for (let i = 0; i < n; i++) {
        const record = records[i]!;
        if (!topicSubscribed(session.topics, codec.topic(record))) continue;
        const text = texts[i] ??= codec.text(record, times[i]!);
        out.push(text);
        sentTo[i] = true;
      }
      if (out.length === 0) continue;
      cluster.frames++;
      const text = frameText(out);
      if (session.ws.bufferedAmount <= maxBufferedBytes) session.ws.send(text);
      else {
        cluster.backpressureWaits++;
        await new Promise<void>((resolve) => session.ws.send(text, () => resolve()));
      }
    }
    for (let i = 0; i < n; i++) if (sentTo[i]) cluster.sent++;
  }

  function closeCluster(cluster: FeedCluster, code: number, reason: string): void {
    for (const s of sessions) if (s.cluster === cluster && s.ws.readyState === s.ws.OPEN) s.ws.close(code, reason);
  }

  async function stream<R>(cluster: ClusterState<R>): Promise<void> {
    let lastMs = Number.NEGATIVE_INFINITY;
    let sinceYield = 0;
    try {
      const chunks = (async function* () {
        for await (const chunk of cluster.input!) { cluster.read += chunk.length; yield chunk; }
      })();
      for await (const frame of batchFrames(chunks, cluster.codec.timeMs, batchWindowMs, maxEventsPerFrame)) {
        if (stopping) break;
        const { times } = frame;
        const t = times[0]!;
        let late = 0;
        for (let i = 0; i < times.length; i++) if (times[i]! < lastMs) late++;
        cluster.outOfOrder += late;
        if (late === 0) await pacer.waitFor(t);
        if (inStep) await keepInStep(cluster, t);
        lastMs = Math.max(lastMs, times[times.length - 1]!);
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
    const start = <R>(cluster: ClusterState<R>): void => {
      if (cluster.ended) {
        session.ws.close(1000, 'end of replay');
        return;
      }
      if (!cluster.started) {
        cluster.started = true;
        void stream(cluster);
      }
    };
    if (session.cluster === 'stocks') start(clusters.stocks);
    else start(clusters.options);
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
