/**
 * One WebSocket connection of the feed client and its timers: the handshake deadline (open to
 * `auth_success`), the heartbeat (a ping every interval; no pong nor data until the next tick →
 * the connection is dead), and the read-pause timer of backpressure. The client (client.ts)
 * replaces a connection on loss; callbacks from a replaced connection are ignored there.
 */
import WebSocket, { type RawData } from 'ws';
import { describeConnectError } from './connect-errors.js';

/** One socket and its timers. */
export interface Connection {
  readonly ws: WebSocket;
  authenticated: boolean;
  /** Pong or data seen since the last ping. */
  alive: boolean;
  readPaused: boolean;
  /** Why the connection ended, when this side knows (error, handshake timeout, heartbeat). */
  closeReason: string;
  handshakeTimer: NodeJS.Timeout | undefined;
  heartbeatTimer: NodeJS.Timeout | undefined;
  pauseTimer: NodeJS.Timeout | undefined;
}

export interface ConnectionHandlers {
  onMessage(conn: Connection, data: RawData): void;
  onClose(conn: Connection, code: number, reason: string): void;
  /** The handshake deadline passed; the socket is terminated right after. */
  onHandshakeTimeout(conn: Connection): void;
}

/** Opens a socket to `url`; it is terminated when not authenticated within `handshakeTimeoutMs`. */
export function openConnection(url: string, handshakeTimeoutMs: number, handlers: ConnectionHandlers): Connection {
  const ws = new WebSocket(url, { handshakeTimeout: handshakeTimeoutMs });
  const conn: Connection = {
    ws, authenticated: false, alive: true, readPaused: false, closeReason: '',
    handshakeTimer: undefined, heartbeatTimer: undefined, pauseTimer: undefined,
  };
  conn.handshakeTimer = setTimeout(() => {
    conn.closeReason = `no auth_success within ${handshakeTimeoutMs} ms`;
    handlers.onHandshakeTimeout(conn);
    ws.terminate();
  }, handshakeTimeoutMs);
  ws.on('message', (data) => handlers.onMessage(conn, data));
  ws.on('pong', () => { conn.alive = true; });
  ws.on('error', (err) => {
    if (conn.closeReason === '') conn.closeReason = describeConnectError(err);
  });
  ws.on('close', (code, reason) => handlers.onClose(conn, code, reason.toString()));
  return conn;
}

/**
 * Pings every `intervalMs` (0 disables). A tick that finds neither pong nor data since the last
 * ping terminates the socket after `onDead(reason)`, unless reading is paused: a paused reader
 * cannot see pongs, so the server is not judged while this side holds it back.
 */
export function startHeartbeat(conn: Connection, intervalMs: number, onDead: (reason: string) => void): void {
  if (intervalMs <= 0) return;
  conn.alive = true;
  conn.heartbeatTimer = setInterval(() => {
    if (!conn.alive && !conn.readPaused) {
      conn.closeReason = `no pong within ${intervalMs} ms`;
      onDead(conn.closeReason);
      conn.ws.terminate();
      return;
    }
    conn.alive = false;
    conn.ws.ping();
  }, intervalMs);
}

export function clearTimers(conn: Connection): void {
  clearTimeout(conn.handshakeTimer);
  clearInterval(conn.heartbeatTimer);
  clearTimeout(conn.pauseTimer);
}

/** A received frame as text (ws hands over a Buffer, a Buffer list or an ArrayBuffer). */
export function frameText(data: RawData): string {
  return Array.isArray(data) ? Buffer.concat(data).toString('utf8')
    : data instanceof ArrayBuffer ? Buffer.from(data).toString('utf8') : data.toString('utf8');
}
