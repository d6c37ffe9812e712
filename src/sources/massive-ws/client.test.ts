import { test, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { FeedError } from '../../util/errors.js';
import { startMassiveWsServer as startServer, type MassiveWsServer, type MassiveWsServerOptions } from '../../../test/support/massive-ws-server.js';
import { MassiveFeedClient } from './client.js';
import type { FeedGap, MassiveFeedClientOptions } from './feed-types.js';
import { DEFAULT_RECONNECT, backoffDelayMs } from './reconnect.js';
import type { FeedDataEvent, WireEvent } from '../../formats/massive-ws/types.js';

const KEY = 'sekret-key-0123456789';
const T_MS = 1762525800123;
const OPT = 'O:SPY251107C00680000';

/** Log lines of every client in this file: none may contain the key. */
const allLogs: string[] = [];

after(() => {
  for (const line of allLogs) assert.equal(line.includes(KEY), false, `API key logged: ${line}`);
});

/** Closed after each test, newest first, even when it fails (open sockets would keep the run alive). */
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startMassiveWsServer(options: MassiveWsServerOptions): Promise<MassiveWsServer> {
  const server = await startServer(options);
  cleanups.push(() => server.close());
  return server;
}

function stockTrade(q: number, sym = 'SPY'): WireEvent {
  return { ev: 'T', sym, x: 4, i: String(q), z: 2, p: 680 + q / 100, s: 100, c: [12], t: T_MS + q, q };
}

function client(server: MassiveWsServer, options: Partial<MassiveFeedClientOptions> = {}): MassiveFeedClient {
  const c = new MassiveFeedClient({
    url: `${server.url}/stocks`,
    apiKey: KEY,
    reconnect: { initialDelayMs: 5, maxDelayMs: 20, jitter: 0.5 },
    heartbeatIntervalMs: 0,
    onLog: (level, message) => allLogs.push(`${level}: ${message}`),
    ...options,
  });
  cleanups.push(() => c.close());
  return c;
}

async function take(iterator: AsyncIterator<FeedDataEvent>, n: number): Promise<FeedDataEvent[]> {
  const out: FeedDataEvent[] = [];
  for (let i = 0; i < n; i++) {
    const r = await iterator.next();
    assert.equal(r.done, false, `feed ended after ${i} of ${n} events`);
    out.push(r.value);
  }
  return out;
}

function sequences(events: FeedDataEvent[]): number[] {
  return events.map((e) => (e.kind === 'optionQuote' ? e.quote.sequence : e.trade.sequence));
}

/** Waits until `predicate` holds, re-checking every few ms (bounded, fails the test on expiry). */
async function eventually(predicate: () => boolean, what: string, limitMs = 5000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!predicate()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

test('authenticates with the key, subscribes, and start() resolves once every topic is acknowledged', async () => {
  const server = await startMassiveWsServer({ apiKey: KEY });
  const c = client(server, { topics: ['T.SPY', 'T.QQQ'] });
  await c.start();
  const conn = server.connections[0]!;
  assert.equal(conn.cluster, 'stocks');
  assert.deepEqual(conn.actions, [
    { action: 'auth', params: KEY },
    { action: 'subscribe', params: 'T.SPY,T.QQQ' },
  ]);
  assert.equal(c.stats().state, 'streaming');
  assert.equal(c.stats().acknowledgedTopics, 2);

  await c.subscribe(['T.IWM', 'T.SPY']);
  assert.deepEqual(conn.actions.at(-1), { action: 'subscribe', params: 'T.IWM' });
  assert.deepEqual([...conn.topics].sort(), ['T.IWM', 'T.QQQ', 'T.SPY']);
  c.unsubscribe(['T.QQQ']);
  await eventually(() => !conn.topics.has('T.QQQ'), 'unsubscribe');
  assert.deepEqual(conn.actions.at(-1), { action: 'unsubscribe', params: 'T.QQQ' });
  assert.deepEqual([...c.topics].sort(), ['T.IWM', 'T.SPY']);
  await c.close();
  assert.equal(await conn.closed, 1000);
});

test('a rejected key is a fatal auth_failed error, without reconnecting', async () => {
  const server = await startMassiveWsServer({ apiKey: 'the-right-key' });
  const c = client(server, { topics: ['T.SPY'] });
  await assert.rejects(c.start(), (e: unknown) => {
    assert.ok(e instanceof FeedError);
    assert.equal(e.code, 'auth_failed');
    assert.match(e.message, /rejected the API key/);
    assert.equal(e.message.includes(KEY), false);
    return true;
  });
  await assert.rejects(c[Symbol.asyncIterator]().next(), (e: unknown) => e instanceof FeedError && e.code === 'auth_failed');
  await sleep(100); // many reconnect delays (5-20 ms): a reconnect would have happened by now
  assert.equal(server.connections.length, 1);
  assert.equal(c.stats().state, 'closed');
});

test('auth_timeout is fatal too', async () => {
  const server = await startMassiveWsServer({ apiKey: KEY, authTimeoutMs: 0 });
  const c = client(server);
  await assert.rejects(c.start(), (e: unknown) => e instanceof FeedError && e.code === 'auth_failed' && /auth_timeout/.test(e.message));
});

test('batched frames deliver every event in order; malformed and unknown are counted, not fatal', async () => {
  const server = await startMassiveWsServer({ apiKey: KEY });
  const c = client(server, { topics: ['T.SPY', `T.${OPT}`, `Q.${OPT}`] });
  await c.start();
  const conn = server.connections[0]!;
  conn.sendEvents([
    stockTrade(1),
    { ev: 'T', sym: OPT, x: 65, p: 2.35, s: 10, c: [209], t: T_MS + 2, q: 2 },
    { ev: 'Q', sym: OPT, bx: 1, ax: 2, bp: 2.3, ap: 2.4, bs: 5, as: 6, t: T_MS + 3, q: 3 },
  ]);
  conn.sendRaw('[{"ev":"T","sym":"SPY",');
  conn.sendRaw(JSON.stringify([{ ev: 'AM', sym: 'SPY' }, stockTrade(4), { ev: 'T', sym: 'SPY', p: 'x' }]));
  const it = c[Symbol.asyncIterator]();
  const events = await take(it, 4);
  assert.deepEqual(events.map((e) => e.kind), ['stockTrade', 'optionTrade', 'optionQuote', 'stockTrade']);
  assert.deepEqual(sequences(events), [1, 2, 3, 4]);
  const first = events[0]!;
  assert.ok(first.kind === 'stockTrade');
  assert.equal(first.trade.sym, 'SPY');
  assert.equal(first.trade.sipTimestampNs, BigInt(T_MS + 1) * 1_000_000n);
  const s = c.stats();
  assert.equal(s.malformed, 2);
  assert.equal(s.unknown, 1);
  assert.equal(s.events, 4);
  assert.equal(s.lastEventMs, T_MS + 4);
  assert.ok(s.frames >= 4);
  await c.close();
  assert.deepEqual(await it.next(), { value: undefined, done: true });
});

test('batches(): the same events in the same order, a frame at a time; breaking out closes the client', async () => {
  const server = await startMassiveWsServer({ apiKey: KEY });
  const c = client(server, { topics: ['T.SPY'] });
  await c.start();
  const conn = server.connections[0]!;
  conn.sendEvents([stockTrade(1), stockTrade(2), stockTrade(3)]);
  conn.sendEvents([stockTrade(4)]);
  conn.sendEvents([stockTrade(5), stockTrade(6)]);
  const got: number[] = [];
  let batches = 0;
  for await (const batch of c.batches()) {
    batches++;
    got.push(...sequences(batch));
    if (got.length >= 6) break;
  }
  assert.deepEqual(got, [1, 2, 3, 4, 5, 6]);
  assert.ok(batches >= 2 && batches <= 6, `${batches} batches`);
  assert.equal(c.stats().state, 'closed', 'breaking out of the loop closes the client');
});

test('a dropped connection reconnects, re-authenticates, resubscribes and reports the gap', async () => {
  const server = await startMassiveWsServer({ apiKey: KEY });
  const gaps: FeedGap[] = [];
  const c = client(server, { topics: ['T.SPY'], onGap: (g) => gaps.push(g) });
  await c.start();
  await c.subscribe(['T.QQQ']);
  const it = c[Symbol.asyncIterator]();
  const first = server.connections[0]!;
  first.sendEvents([stockTrade(1), stockTrade(2)]);
  assert.deepEqual(sequences(await take(it, 2)), [1, 2]);

  first.drop();
  const second = await server.connection(1);
  await second.subscribed(['T.SPY', 'T.QQQ']);
  assert.deepEqual(second.actions.map((a) => a.action), ['auth', 'subscribe']);
  second.sendEvents([stockTrade(5)]);
  assert.deepEqual(sequences(await take(it, 1)), [5]);

  assert.equal(gaps.length, 1);
  const gap = gaps[0]!;
  assert.ok(gap.fromMs <= gap.toMs);
  assert.equal(gap.lastEventMs, T_MS + 2);
  const s = c.stats();
  assert.equal(s.reconnects, 1);
  assert.equal(s.gaps, 1);
  assert.equal(s.state, 'streaming');
  await c.close();
});

test('a clean server close reconnects by default but ends the feed with exitOnClose', async () => {
  const server = await startMassiveWsServer({ apiKey: KEY });
  const live = client(server, { topics: ['T.SPY'] });
  await live.start();
  server.connections[0]!.closeClean(1000);
  await (await server.connection(1)).subscribed(['T.SPY']);
  await live.close();

  const replay = client(server, { topics: ['T.SPY'], exitOnClose: true });
  await replay.start();
  const conn = server.connections[2]!;
  conn.sendEvents([stockTrade(1)]);
  conn.sendEvents([stockTrade(2), stockTrade(3)]);
  conn.closeClean(1000);
  const seen: number[] = [];
  for await (const e of replay) seen.push(sequences([e])[0]!);
  assert.deepEqual(seen, [1, 2, 3]);
  assert.equal(replay.stats().state, 'closed');
  await sleep(50);
  assert.equal(server.connections.length, 3);
});

test('max_connections: the evicted client fails with a clear error and does not reconnect', async () => {
  const server = await startMassiveWsServer({ apiKey: KEY });
  const a = client(server, { topics: ['T.SPY'] });
  await a.start();
  const it = a[Symbol.asyncIterator]();
  const evicted = assert.rejects(it.next(), (e: unknown) => {
    assert.ok(e instanceof FeedError);
    assert.equal(e.code, 'max_connections');
    assert.match(e.message, /another connection with the same API key/);
    assert.match(e.message, /Not reconnecting/);
    return true;
  });
  const b = client(server, { topics: ['T.SPY'] });
  await b.start();
  await evicted;
  await sleep(100); // many reconnect delays: a reconnect would have evicted b by now
  assert.equal(server.connections.length, 2);
  assert.equal(server.connections[1]!.open, true);
  assert.equal(a.stats().state, 'closed');
  assert.equal(b.stats().state, 'streaming');
  await b.close();
});

test('a slow consumer: reading pauses, then the bounded queue drops the oldest events', async () => {
  const server = await startMassiveWsServer({ apiKey: KEY });
  const c = client(server, { topics: ['T.SPY'], queueCapacity: 10, pauseDepth: 5, maxReadPauseMs: 20 });
  await c.start();
  const conn = server.connections[0]!;
  for (let q = 1; q <= 100; q++) conn.sendEvents([stockTrade(q)]);
  await eventually(() => c.stats().events === 100, 'all 100 events received');
  const s = c.stats();
  assert.equal(s.queueDepth, 10);
  assert.equal(s.queueHighWater, 10);
  assert.equal(s.dropped, 90);
  assert.ok(s.readPauses >= 1);
  assert.deepEqual(sequences(await take(c[Symbol.asyncIterator](), 10)), [91, 92, 93, 94, 95, 96, 97, 98, 99, 100]);
  assert.ok(allLogs.some((l) => /90 event\(s\) dropped|10 event\(s\) dropped/.test(l)));
  await c.close();
});

test('a server that stops answering pings is replaced (heartbeat)', async () => {
  const server = await startMassiveWsServer({ apiKey: KEY, autoPong: false });
  const gaps: FeedGap[] = [];
  const c = client(server, { topics: ['T.SPY'], heartbeatIntervalMs: 20, onGap: (g) => gaps.push(g) });
  await c.start();
  await (await server.connection(1)).subscribed(['T.SPY']);
  await eventually(() => gaps.length >= 1, 'gap after heartbeat reconnect');
  assert.match(gaps[0]!.reason, /no pong/);
  await c.close();
});

test('options quotes are limited to 1000 contracts per connection', async () => {
  const server = await startMassiveWsServer({ apiKey: KEY });
  const c = client(server, { url: `${server.url}/options` });
  await c.start();
  const topics = Array.from({ length: 1001 }, (_, i) => `Q.O:SPY251107C${String(100000 + i * 1000).padStart(8, '0')}`);
  await assert.rejects(c.subscribe(topics), (e: unknown) => e instanceof FeedError && /at most 1000/.test(e.message));
  await c.subscribe(topics.slice(0, 1000));
  assert.equal(server.connections[0]!.topics.size, 1000);
  assert.throws(() => new MassiveFeedClient({ url: `${server.url}/options`, apiKey: KEY, topics }), /at most 1000/);
  await c.close();
});

test('close() ends the iteration, stops reconnecting and rejects pending subscriptions', async () => {
  const server = await startMassiveWsServer({ apiKey: KEY, ackSubscriptions: false });
  const c = client(server);
  await c.start();
  const pendingAck = c.subscribe(['T.SPY']);
  const it = c[Symbol.asyncIterator]();
  const pendingRead = it.next();
  await c.close();
  assert.deepEqual(await pendingRead, { value: undefined, done: true });
  await assert.rejects(pendingAck, FeedError);
  await assert.rejects(c.subscribe(['T.QQQ']), FeedError);
  await sleep(50);
  assert.equal(server.connections.length, 1);
});

test('close() during the handshake stays closed when the server still answers before the close frame', { timeout: 10_000 }, async () => {
  // The server sends `connected`, stops reading (so our close frame waits), and sends
  // auth_success only after close() was called: the client must neither revive nor reconnect.
  const { WebSocketServer } = await import('ws');
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  cleanups.push(() => new Promise<void>((resolve) => { for (const s of wss.clients) s.terminate(); wss.close(() => resolve()); }));
  let connections = 0;
  let releaseServer = (): void => undefined;
  const closing = new Promise<void>((resolve) => { releaseServer = resolve; });
  wss.on('connection', (ws) => {
    connections++;
    ws.send(JSON.stringify([{ ev: 'status', status: 'connected', message: 'Connected Successfully' }]));
    ws.pause();
    void closing.then(() => {
      ws.send(JSON.stringify([{ ev: 'status', status: 'auth_success', message: 'authenticated' }]));
      ws.resume();
    });
  });
  const { port } = wss.address() as { port: number };
  const c = new MassiveFeedClient({
    url: `ws://127.0.0.1:${port}/stocks`, apiKey: KEY, heartbeatIntervalMs: 0,
    reconnect: { initialDelayMs: 5, maxDelayMs: 20 }, onLog: (level, message) => allLogs.push(`${level}: ${message}`),
  });
  const started = c.start();
  started.catch(() => undefined);
  await eventually(() => c.stats().state === 'authenticating', 'the connected status');
  const closed = c.close();
  releaseServer();
  await closed;
  await assert.rejects(started, FeedError);
  await sleep(100);
  assert.equal(c.stats().state, 'closed');
  assert.equal(connections, 1, 'no reconnect after close()');
});

test('gives up after maxAttempts consecutive failed connections', async () => {
  const server = await startMassiveWsServer({ apiKey: KEY });
  const url = `${server.url}/stocks`;
  await server.close(); // nothing listens on that port any more
  const c = new MassiveFeedClient({
    url, apiKey: KEY, heartbeatIntervalMs: 0, reconnect: { initialDelayMs: 1, maxDelayMs: 2, maxAttempts: 3 },
    onLog: (level, message) => allLogs.push(`${level}: ${message}`),
  });
  await assert.rejects(c.start(), (e: unknown) => e instanceof FeedError && e.code === 'feed' && /after 3 attempt/.test(e.message));
});

test('backoff: exponential from the initial delay, capped, jitter takes up to its fraction off', () => {
  const policy = { ...DEFAULT_RECONNECT, initialDelayMs: 100, maxDelayMs: 1000, factor: 2, jitter: 0.5 };
  assert.deepEqual([0, 1, 2, 3, 4, 10].map((n) => backoffDelayMs(policy, n, 0)), [100, 200, 400, 800, 1000, 1000]);
  assert.equal(backoffDelayMs(policy, 1, 1), 100);
  assert.equal(backoffDelayMs(policy, 1, 0.5), 150);
  assert.equal(backoffDelayMs({ ...policy, jitter: 0 }, 1, 0.9), 200);
});

test('stats: rates over the last seconds and lag from the last event time (injected clock)', async () => {
  const server = await startMassiveWsServer({ apiKey: KEY });
  let nowMs = T_MS + 10_000;
  const c = client(server, { topics: ['T.SPY'], now: () => nowMs });
  await c.start();
  const conn = server.connections[0]!;
  conn.sendEvents([stockTrade(1), stockTrade(2)]);
  conn.sendEvents([stockTrade(3)]);
  await take(c[Symbol.asyncIterator](), 3);
  const s = c.stats();
  assert.equal(s.lastEventMs, T_MS + 3);
  assert.equal(s.lagMs, 10_000 - 3);
  assert.equal(s.eventsPerSecond, 3 / 5);
  assert.equal(s.framesPerSecond, s.frames / 5);
  nowMs += 60_000;
  assert.equal(c.stats().eventsPerSecond, 0);
  await c.close();
});

test('failed connection attempts log their cause once per interval, and stats carry the last cause', async () => {
  const { createServer } = await import('node:net');
  // A loopback port where nothing listens (bound, then closed).
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const logs: string[] = [];
  const c = new MassiveFeedClient({
    url: `ws://127.0.0.1:${port}/stocks`, apiKey: KEY, topics: ['T.SPY'], heartbeatIntervalMs: 0,
    reconnect: { initialDelayMs: 5, maxDelayMs: 20, jitter: 0 }, failureLogIntervalMs: 60_000,
    onLog: (level, message) => { logs.push(`${level}: ${message}`); allLogs.push(message); },
  });
  cleanups.push(() => c.close());
  const started = c.start();
  started.catch(() => undefined);
  const deadline = Date.now() + 5000;
  while (c.stats().failedAttempts < 5 && Date.now() < deadline) await sleep(10);
  const s = c.stats();
  assert.ok(s.failedAttempts >= 5, `several attempts failed (${s.failedAttempts})`);
  assert.equal(s.state === 'reconnecting' || s.state === 'connecting', true, s.state);
  assert.equal(s.lastError, `connection refused (ECONNREFUSED 127.0.0.1:${port})`);
  assert.ok(s.lastErrorAtMs !== undefined && Date.now() - s.lastErrorAtMs < 5000);
  const warned = logs.filter((l) => l.startsWith('warn: '));
  assert.deepEqual(warned, [`warn: ws://127.0.0.1:${port}/stocks: connection attempt 1 failed: connection refused (ECONNREFUSED 127.0.0.1:${port}); retrying in 10 ms`],
    'one line for the whole burst of attempts');
  await c.close();
  await assert.rejects(started, /is closed/);
});

test('an HTTP status on the upgrade, and a TLS handshake failure, are named as such', async () => {
  const { createServer } = await import('node:http');
  const http = createServer((_req, res) => { res.writeHead(401); res.end('no'); });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => http.close(() => resolve())));
  const port = (http.address() as { port: number }).port;
  const logs: string[] = [];
  const c = new MassiveFeedClient({
    url: `ws://127.0.0.1:${port}/stocks`, apiKey: KEY, heartbeatIntervalMs: 0, reconnect: { initialDelayMs: 5, maxDelayMs: 10, maxAttempts: 2 },
    onLog: (level, message) => { logs.push(`${level}: ${message}`); allLogs.push(message); },
  });
  cleanups.push(() => c.close());
  await assert.rejects(c.start(), (e: unknown) => e instanceof FeedError
    && e.message === `could not connect to ws://127.0.0.1:${port}/stocks after 2 attempt(s): HTTP 401 Unauthorized on the WebSocket upgrade (expected 101)`);
  assert.match(logs.join('\n'), /warn: .*connection attempt 1 failed: HTTP 401 Unauthorized on the WebSocket upgrade/);

  // wss:// to the same plain-HTTP port: the TLS handshake fails, and says so.
  const tls = new MassiveFeedClient({
    url: `wss://127.0.0.1:${port}/stocks`, apiKey: KEY, heartbeatIntervalMs: 0, reconnect: { initialDelayMs: 5, maxDelayMs: 10, maxAttempts: 1 },
    onLog: (_level, message) => allLogs.push(message),
  });
  cleanups.push(() => tls.close());
  await assert.rejects(tls.start(), (e: unknown) => e instanceof FeedError && /after 1 attempt\(s\): TLS error: .*\(EPROTO\)$/.test(e.message));
  assert.match(tls.stats().lastError ?? '', /^TLS error: [a-z ]+ \(EPROTO\)$/);
});
