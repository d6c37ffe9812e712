/**
 * A real `ws` server on 127.0.0.1 speaking Massive's WebSocket protocol, scriptable from tests:
 *
 * - paths `/stocks`, `/options` (any path is accepted; `cluster` is the path without `/`);
 * - on connect sends `[{"ev":"status","status":"connected","message":"Connected Successfully"}]`;
 * - `auth` with the configured key → `auth_success`; another key → `auth_failed` then close
 *   (code 1008); no auth within `authTimeoutMs` (or an auth arriving later) → `auth_timeout` then close;
 * - `subscribe` / `unsubscribe` → one `success` status per topic (`subscribed to: T.SPY`) unless
 *   `ackSubscriptions` is false; before auth → an `error` status;
 * - one connection per cluster per key: when a connection authenticates while another one of the
 *   same cluster is open and authenticated, the OLDER one gets a `max_connections` status and is
 *   closed (code 1008), as Massive does (disable with `evictOlderConnections: false`);
 * - per connection, tests push scripted frames (`sendEvents`, `sendRaw` for malformed text),
 *   close cleanly, evict, or drop the TCP connection without a close frame (network loss);
 * - `autoPong: false` makes the server ignore pings (a dead peer, for heartbeat tests).
 *
 * Every client action is recorded per connection. Test support only: not part of the product.
 */
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { SUBSCRIBED_PREFIX, UNSUBSCRIBED_PREFIX, formatFrame, formatStatus, parseAction, splitTopics, type ClientAction } from '../../src/formats/massive-ws/topics.js';
import type { WireEvent } from '../../src/formats/massive-ws/types.js';

export interface MassiveWsServerOptions {
  /** The one key accepted; default `test-key`. */
  readonly apiKey?: string;
  /** Answer pings; default true. */
  readonly autoPong?: boolean;
  /** Acknowledge each (un)subscribed topic; default true. */
  readonly ackSubscriptions?: boolean;
  /** A newly authenticated connection evicts the older one of its cluster; default true. */
  readonly evictOlderConnections?: boolean;
  /** Close unauthenticated connections with `auth_timeout` after this long, ms; default never. */
  readonly authTimeoutMs?: number;
}

/** The server side of one client connection. */
export interface ServerConnection {
  /** 0-based order of arrival on the server. */
  readonly index: number;
  /** Request path without the leading `/`, e.g. `stocks`. */
  readonly cluster: string;
  /** Every well-formed action received, in order (auth params included: test keys only). */
  readonly actions: readonly ClientAction[];
  /** Topics currently subscribed. */
  readonly topics: ReadonlySet<string>;
  readonly authenticated: boolean;
  /** Whether the socket is still open. */
  readonly open: boolean;
  /** Resolves with the close code once the connection is closed. */
  readonly closed: Promise<number>;
  /** Resolves once every topic is subscribed (default: once any subscribe action arrived). */
  subscribed(topics?: readonly string[]): Promise<void>;
  /** Sends one frame: a JSON array of the given events. */
  sendEvents(events: readonly WireEvent[]): void;
  /** Sends text as is (malformed frames). */
  sendRaw(text: string): void;
  sendStatus(status: string, message: string): void;
  /** Massive's eviction: `max_connections` status, then close. */
  evict(): void;
  /** Close handshake with `code` (default 1000). */
  closeClean(code?: number, reason?: string): void;
  /** Destroys the TCP connection without a close frame. */
  drop(): void;
}

export interface MassiveWsServer {
  /** `ws://127.0.0.1:<port>`: append `/stocks` or `/options`. */
  readonly url: string;
  readonly connections: readonly ServerConnection[];
  /** Resolves with the connection of that index once it has arrived. */
  connection(index: number): Promise<ServerConnection>;
  close(): Promise<void>;
}

class Connection implements ServerConnection {
  readonly actions: ClientAction[] = [];
  readonly topics = new Set<string>();
  authenticated = false;
  readonly closed: Promise<number>;
  private readonly listeners = new Set<() => void>();
  private authTimer: NodeJS.Timeout | undefined;
  private readonly connectedAtMs = Date.now();

  constructor(
    readonly index: number,
    readonly cluster: string,
    private readonly ws: WebSocket,
    private readonly server: Server,
  ) {
    this.closed = new Promise((resolve) => ws.once('close', (code) => {
      clearTimeout(this.authTimer);
      this.changed();
      resolve(code);
    }));
    ws.on('message', (data) => this.onMessage(data.toString()));
    ws.on('error', () => undefined);
    this.sendStatus('connected', 'Connected Successfully');
    const timeout = server.options.authTimeoutMs;
    if (timeout !== undefined) {
      this.authTimer = setTimeout(() => {
        if (this.authenticated) return;
        this.sendStatus('auth_timeout', 'authentication timed out');
        ws.close(1008, 'auth timeout');
      }, timeout);
    }
  }

  get open(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  private changed(): void {
    for (const l of [...this.listeners]) l();
  }

  private until(predicate: () => boolean): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (!predicate()) return;
        this.listeners.delete(check);
        resolve();
      };
      this.listeners.add(check);
    });
  }

  subscribed(topics?: readonly string[]): Promise<void> {
    if (topics === undefined) return this.until(() => this.actions.some((a) => a.action === 'subscribe'));
    return this.until(() => topics.every((t) => this.topics.has(t)));
  }

  private onMessage(text: string): void {
    const action = parseAction(text);
    if (action === undefined) {
      this.sendStatus('error', 'invalid action');
      return;
    }
    this.actions.push(action);
    if (action.action === 'auth') this.onAuth(action.params);
    else if (!this.authenticated) this.sendStatus('error', 'not authorized');
    else {
      const subscribe = action.action === 'subscribe';
      const topics = splitTopics(action.params);
      for (const t of topics) {
        if (subscribe) this.topics.add(t);
        else this.topics.delete(t);
      }
      if (this.server.options.ackSubscriptions !== false && topics.length > 0) {
        const prefix = subscribe ? SUBSCRIBED_PREFIX : UNSUBSCRIBED_PREFIX;
        this.ws.send(formatFrame(topics.map((t) => formatStatus('success', prefix + t))));
      }
    }
    this.changed();
  }

  private onAuth(key: string): void {
    const timeout = this.server.options.authTimeoutMs;
    if (timeout !== undefined && Date.now() - this.connectedAtMs >= timeout) {
      this.sendStatus('auth_timeout', 'authentication timed out');
      this.ws.close(1008, 'auth timeout');
      return;
    }
    if (key !== (this.server.options.apiKey ?? 'test-key')) {
      this.sendStatus('auth_failed', 'authentication failed');
      this.ws.close(1008, 'authentication failed');
      return;
    }
    clearTimeout(this.authTimer);
    if (this.server.options.evictOlderConnections !== false) {
      for (const other of this.server.connections) {
        if (other !== this && other.cluster === this.cluster && other.authenticated && other.open) other.evict();
      }
    }
    this.authenticated = true;
    this.sendStatus('auth_success', 'authenticated');
  }

  sendEvents(events: readonly WireEvent[]): void {
    this.ws.send(formatFrame(events));
  }

  sendRaw(text: string): void {
    this.ws.send(text);
  }

  sendStatus(status: string, message: string): void {
    this.ws.send(formatFrame([formatStatus(status, message)]));
  }

  evict(): void {
    this.sendStatus('max_connections', 'Maximum number of websocket connections exceeded. You have reached the connection limit for your account.');
    this.ws.close(1008, 'max connections');
  }

  closeClean(code = 1000, reason = ''): void {
    this.ws.close(code, reason);
  }

  drop(): void {
    this.ws.terminate();
  }
}

class Server implements MassiveWsServer {
  readonly connections: Connection[] = [];
  private readonly waiting = new Map<number, Array<(c: Connection) => void>>();

  constructor(readonly options: MassiveWsServerOptions, private readonly wss: WebSocketServer, readonly url: string) {
    wss.on('connection', (ws, request) => {
      const cluster = (request.url ?? '/').split('?')[0]!.replace(/^\//, '');
      const c = new Connection(this.connections.length, cluster, ws, this);
      this.connections.push(c);
      for (const resolve of this.waiting.get(c.index) ?? []) resolve(c);
      this.waiting.delete(c.index);
    });
  }

  connection(index: number): Promise<ServerConnection> {
    const existing = this.connections[index];
    if (existing !== undefined) return Promise.resolve(existing);
    return new Promise((resolve) => {
      const list = this.waiting.get(index) ?? [];
      list.push(resolve);
      this.waiting.set(index, list);
    });
  }

  private closing: Promise<void> | undefined;

  /** Terminates every connection and stops listening; idempotent. */
  close(): Promise<void> {
    this.closing ??= new Promise((resolve, reject) => {
      for (const c of this.wss.clients) c.terminate();
      this.wss.close((err) => (err ? reject(err) : resolve()));
    });
    return this.closing;
  }
}

/** Starts a server on 127.0.0.1 with an ephemeral port. */
export async function startMassiveWsServer(options: MassiveWsServerOptions = {}): Promise<MassiveWsServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, autoPong: options.autoPong ?? true });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  const { port } = wss.address() as AddressInfo;
  return new Server(options, wss, `ws://127.0.0.1:${port}`);
}
