import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeOpra } from '../../formats/opra.js';
import type { OptionTrade } from '../../formats/records.js';
import { FeedError } from '../../util/errors.js';
import { MassiveFeedClient } from '../massive-ws/client.js';
import type { MassiveFeedClientOptions } from '../massive-ws/feed-types.js';
import type { FeedDataEvent, OptionQuote, StockTrade } from '../../formats/massive-ws/types.js';
import type { ReplayOptionRecord } from './codec.js';
import { ReplayPacer, batchFrames } from './pacing.js';
import { startReplayServer as startServer, type ReplayServer, type ReplayServerOptions } from './replay-server.js';

/** Closed after each test, newest first, even when it fails (open sockets would keep the run alive). */
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startReplayServer(options: ReplayServerOptions): Promise<ReplayServer> {
  const server = await startServer(options);
  cleanups.push(() => server.close());
  return server;
}

const T0_MS = 1762525800000;
const ns = (ms: number): bigint => BigInt(ms) * 1_000_000n;

function stock(ms: number, sequence: number, sym = 'SPY', extra: Partial<StockTrade> = {}): StockTrade {
  return { sym, sipTimestampNs: ns(ms), sequence, price: 680 + sequence / 100, size: 100, conditions: [], correction: 0, ...extra };
}

function optionTrade(ms: number, sequence: number, ticker = 'O:SPY251107C00680000'): OptionTrade {
  const decoded = decodeOpra(ticker);
  assert.ok(decoded.ok);
  const c = decoded.contract;
  return {
    sipTimestampNs: ns(ms), sequence, ticker, root: c.root, right: c.right, strike: c.strike, expiryDays: c.expiryDays,
    adjusted: c.adjusted, price: 2 + sequence / 100, size: 3, conditions: [209], correction: 0, exchange: 65,
  };
}

function optionQuote(ms: number, sequence: number, ticker = 'O:SPY251107C00680000'): OptionQuote {
  return { sipTimestampNs: ns(ms), sequence, ticker, bidPrice: 2.1, askPrice: 2.2, bidSize: 10, askSize: 12, bidExchange: 301, askExchange: 302 };
}

/** The replay server's input shape: chunks of records (of 3 here, so frames straddle chunks). */
async function* fromArray<T>(items: readonly T[], chunkSize = 3): AsyncIterable<T[]> {
  for (let i = 0; i < items.length; i += chunkSize) yield items.slice(i, i + chunkSize);
}

function replayClient(url: string, topics: string[], options: Partial<MassiveFeedClientOptions> = {}): MassiveFeedClient {
  const c = new MassiveFeedClient({
    url, apiKey: 'any', topics, exitOnClose: true, heartbeatIntervalMs: 0, onLog: () => undefined, ...options,
  });
  cleanups.push(() => c.close());
  return c;
}

async function collect(client: MassiveFeedClient): Promise<FeedDataEvent[]> {
  const out: FeedDataEvent[] = [];
  for await (const e of client) out.push(e);
  return out;
}

function records(events: FeedDataEvent[]): unknown[] {
  return events.map((e) => (e.kind === 'optionQuote' ? e.quote : e.trade));
}

test('replay → client round trip delivers the same records in order, on both clusters', async () => {
  const stocks: StockTrade[] = [
    stock(T0_MS, 1, 'SPY', { exchange: 4, tradeId: '1a', tape: 2, conditions: [12, 37] }),
    stock(T0_MS, 2, 'QQQ'),
    stock(T0_MS + 1, 3, 'SPY', { exchange: 12, tradeId: '3', tape: 2, trfId: 202, trfTimestampMs: T0_MS - 4 }),
    stock(T0_MS + 40, 4),
  ];
  const options: ReplayOptionRecord[] = [
    optionQuote(T0_MS, 1),
    optionTrade(T0_MS, 2),
    optionTrade(T0_MS + 2, 3, 'O:SPXW251107P06500000'),
    optionQuote(T0_MS + 3, 4, 'O:SPXW251107P06500000'),
  ];
  const server = await startReplayServer({ speed: 'max', stocks: fromArray(stocks), options: fromArray(options) });
  const stockClient = replayClient(`${server.url}/stocks`, ['T.*']);
  const optionClient = replayClient(`${server.url}/options`, ['T.*', 'Q.O:SPY251107C00680000', 'Q.O:SPXW251107P06500000']);
  await Promise.all([stockClient.start(), optionClient.start()]);
  const [gotStocks, gotOptions] = await Promise.all([collect(stockClient), collect(optionClient)]);
  assert.deepEqual(records(gotStocks), stocks);
  assert.deepEqual(records(gotOptions), options);
  assert.deepEqual(gotOptions.map((e) => e.kind), ['optionQuote', 'optionTrade', 'optionTrade', 'optionQuote']);
  const summary = await server.finished;
  assert.equal(summary.stocks.read, 4);
  assert.equal(summary.stocks.sent, 4);
  assert.equal(summary.stocks.frames, 3); // same-ms events share a frame: {0,0}, {1}, {40}
  assert.equal(summary.options.frames, 3);
  assert.equal(summary.stocks.outOfOrder, 0);
  assert.equal(stockClient.stats().malformed, 0);
});

test('only subscribed topics are sent', async () => {
  const stocks = [stock(T0_MS, 1, 'SPY'), stock(T0_MS, 2, 'QQQ'), stock(T0_MS + 1, 3, 'SPY'), stock(T0_MS + 2, 4, 'IWM')];
  const server = await startReplayServer({ speed: 'max', stocks: fromArray(stocks) });
  const c = replayClient(`${server.url}/stocks`, ['T.SPY']);
  await c.start();
  const got: number[] = [];
  await c.run((e) => { got.push(e.kind === 'stockTrade' ? e.trade.sequence : -1); });
  assert.deepEqual(got, [1, 3]);
  const summary = await server.finished;
  assert.equal(summary.stocks.read, 4);
  assert.equal(summary.stocks.sent, 2);
});

test('the replay checks the API key when given one', async () => {
  const server = await startReplayServer({ speed: 'max', apiKey: 'right', stocks: fromArray([stock(T0_MS, 1)]) });
  const c = replayClient(`${server.url}/stocks`, ['T.SPY'], { apiKey: 'wrong' });
  await assert.rejects(c.start(), (e: unknown) => e instanceof FeedError && e.code === 'auth_failed');
});

test('a late client on a finished cluster is closed cleanly; unknown clusters are refused', async () => {
  const server = await startReplayServer({ speed: 'max', stocks: fromArray([stock(T0_MS, 1)]) });
  const first = replayClient(`${server.url}/stocks`, ['T.SPY']);
  await first.start();
  assert.equal((await collect(first)).length, 1);
  await server.finished;
  const late = replayClient(`${server.url}/stocks`, ['T.SPY']);
  await late.start();
  assert.deepEqual(await collect(late), []);
  const other = replayClient(`${server.url}/indices`, ['T.SPY'], { reconnect: { maxAttempts: 1 } });
  await assert.rejects(other.start(), (e: unknown) => e instanceof FeedError && e.code === 'feed');
});

test('batchFrames groups by ms window and caps the frame size, across chunk boundaries', async () => {
  const times = [0, 0, 1, 5, 5, 5, 20, 3];
  const trades = times.map((t, i) => stock(T0_MS + t, i));
  const timeMs = (r: StockTrade): number => Number(r.sipTimestampNs / 1_000_000n) - T0_MS;
  for (const chunkSize of [1, 2, 3, 8]) {
    const frames = async (windowMs: number, max: number): Promise<number[][]> => {
      const out: number[][] = [];
      for await (const f of batchFrames(fromArray(trades, chunkSize), timeMs, windowMs, max)) {
        assert.deepEqual(f.times, f.records.map(timeMs));
        out.push(f.times);
      }
      return out;
    };
    assert.deepEqual(await frames(0, 1000), [[0, 0], [1], [5, 5, 5], [20], [3]]);
    assert.deepEqual(await frames(5, 1000), [[0, 0, 1, 5, 5, 5], [20], [3]]);
    assert.deepEqual(await frames(0, 2), [[0, 0], [1], [5, 5], [5], [20], [3]]);
  }
});

test('batchFrames: when the input fails, the frames read before it still come out, then the error', async () => {
  async function* failing(): AsyncIterable<StockTrade[]> {
    yield [stock(T0_MS, 1), stock(T0_MS + 5, 2)];
    throw new Error('read failed');
  }
  const got: number[][] = [];
  await assert.rejects((async () => {
    for await (const f of batchFrames(failing(), (r) => Number(r.sipTimestampNs / 1_000_000n) - T0_MS, 0, 1000)) got.push(f.times);
  })(), /read failed/);
  assert.deepEqual(got, [[0], [5]]);
});

/** A virtual clock: sleeping advances it; every requested sleep is recorded. */
function virtualClock(): { now: () => number; sleepMs: (ms: number) => Promise<void>; sleeps: number[] } {
  let nowMs = 1_000_000;
  const sleeps: number[] = [];
  return {
    now: () => nowMs,
    sleepMs: async (ms) => { sleeps.push(ms); nowMs += ms; },
    sleeps,
  };
}

test('ReplayPacer: speed N waits (t − t0)/N from the first event; max never waits', async () => {
  const clock = virtualClock();
  const pacer = new ReplayPacer(10, clock.now, clock.sleepMs);
  await pacer.waitFor(T0_MS);
  await pacer.waitFor(T0_MS + 500);
  await pacer.waitFor(T0_MS + 500);
  await pacer.waitFor(T0_MS + 2000);
  assert.deepEqual(clock.sleeps, [50, 150]);
  assert.equal(pacer.dueWallMs(T0_MS + 3000), 1_000_000 + 300);

  const maxClock = virtualClock();
  const max = new ReplayPacer('max', maxClock.now, maxClock.sleepMs);
  await max.waitFor(T0_MS);
  await max.waitFor(T0_MS + 60_000);
  assert.deepEqual(maxClock.sleeps, []);
  assert.throws(() => new ReplayPacer(0), RangeError);
  assert.throws(() => new ReplayPacer(Number.NaN), RangeError);
});

test('the server paces frames by event time at the given speed (virtual clock)', async () => {
  const clock = virtualClock();
  const stocks = [stock(T0_MS, 1), stock(T0_MS, 2), stock(T0_MS + 100, 3), stock(T0_MS + 1000, 4), stock(T0_MS + 900, 5)];
  const server = await startReplayServer({ speed: 4, stocks: fromArray(stocks), now: clock.now, sleepMs: clock.sleepMs });
  const c = replayClient(`${server.url}/stocks`, ['T.SPY']);
  await c.start();
  const got = await collect(c);
  assert.deepEqual(got.map((e) => (e.kind === 'stockTrade' ? e.trade.sequence : -1)), [1, 2, 3, 4, 5]);
  assert.deepEqual(clock.sleeps, [25, 225]);
  const summary = await server.finished;
  assert.equal(summary.stocks.outOfOrder, 1);
});

test('max speed follows a paused reader (backpressure) and loses nothing', async () => {
  const total = 150_000; // well above what loopback buffers hold (~60k of these events)
  const perMs = 200;
  async function* many(): AsyncIterable<StockTrade[]> {
    for (let i = 0; i < total; i += 1000) yield Array.from({ length: 1000 }, (_, k) => stock(T0_MS + Math.floor((i + k) / perMs), i + k));
  }
  const server = await startReplayServer({ speed: 'max', stocks: many(), maxBufferedBytes: 64 * 1024 });
  const c = replayClient(`${server.url}/stocks`, ['T.SPY'], { queueCapacity: 1000, pauseDepth: 500, maxReadPauseMs: 60_000 });
  await c.start();
  const deadline = Date.now() + 10_000;
  while (server.progress().stocks.backpressureWaits === 0) {
    assert.ok(Date.now() < deadline, 'the server never had to wait for the paused client');
    await sleep(10);
  }
  assert.ok(server.progress().stocks.read < total, 'the server read the whole input while its reader was paused');
  let expected = 0;
  for await (const e of c) {
    assert.ok(e.kind === 'stockTrade');
    assert.equal(e.trade.sequence, expected++);
  }
  assert.equal(expected, total);
  const s = c.stats();
  assert.equal(s.dropped, 0);
  assert.ok(s.readPauses >= 1);
});

test('max speed keeps the clusters in step: a cluster held back holds the other one back too', async () => {
  // 5,000 events a cluster, one every 100 ms. The options input stalls after 100 events (a slow
  // source, or a slow reader: the rule is the same): stocks must not run on more than maxLeadMs
  // ahead of them (unpaced, stocks would be sent in full while options wait).
  const n = 5000, stallAt = 100;
  const stocks = Array.from({ length: n }, (_, i) => stock(T0_MS + i * 100, i));
  let release = (): void => undefined;
  const gate = new Promise<void>((resolve) => { release = resolve; });
  async function* options(): AsyncIterable<OptionTrade[]> {
    for (let i = 0; i < n; i++) {
      if (i === stallAt) await gate;
      yield [optionTrade(T0_MS + i * 100, i)];
    }
  }
  const server = await startReplayServer({
    speed: 'max', maxLeadMs: 2000, stocks: fromArray(stocks), options: options(),
  });
  const stockClient = replayClient(`${server.url}/stocks`, ['T.*']);
  const optionClient = replayClient(`${server.url}/options`, ['T.*']);
  await Promise.all([stockClient.start(), optionClient.start()]);
  const reading = Promise.all([collect(stockClient), collect(optionClient)]);
  const deadline = Date.now() + 10_000;
  while (server.progress().options.sent < stallAt - 1) {
    assert.ok(Date.now() < deadline, `options sent ${server.progress().options.sent} of the first ${stallAt}`);
    await sleep(10);
  }
  await sleep(200);
  const held = server.progress();
  await sleep(300);
  // Stocks stop 2 s (20 events) past the options' last frame; until options start streaming they
  // are not held (a client might never subscribe to them), hence a few frames more at the start.
  assert.ok(held.stocks.sent < 500, `stocks sent ${held.stocks.sent} while options are held at ${held.options.sent}`);
  assert.equal(server.progress().stocks.sent, held.stocks.sent, 'stocks stay held while options stall');
  release();
  const [gotStocks, gotOptions] = await reading;
  assert.equal(gotStocks.length, n);
  assert.equal(gotOptions.length, n);
  const summary = await server.finished;
  assert.equal(summary.stocks.sent, n);
  assert.equal(summary.options.sent, n);
});

test('an input that fails closes its clients abnormally and rejects finished', async () => {
  async function* failing(): AsyncIterable<StockTrade[]> {
    yield [stock(T0_MS, 1)];
    throw new Error('lake read failed');
  }
  const logs: string[] = [];
  const server = await startReplayServer({ speed: 'max', stocks: failing(), onLog: (level, m) => logs.push(`${level}: ${m}`) });
  const c = replayClient(`${server.url}/stocks`, ['T.SPY'], { reconnect: { initialDelayMs: 1, maxDelayMs: 5 } });
  await c.start();
  await assert.rejects(server.finished, /lake read failed/);
  // 1011 is not a clean end: the client reconnects, finds the cluster finished and ends on its clean close.
  const got = await collect(c);
  assert.deepEqual(got.map((e) => (e.kind === 'stockTrade' ? e.trade.sequence : -1)), [1]);
  assert.equal(c.stats().reconnects, 1);
  assert.ok(logs.some((l) => /input failed: lake read failed/.test(l)));
});
