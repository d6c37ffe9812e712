import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startMassiveRestServer, type MassiveRestServer, type RestRow } from '../../../test/support/massive-rest-server.js';
import { SourceError } from '../../util/errors.js';
import { RestClient, redactUrl, retryAfterMs, type RestEvent } from './client.js';
import { RateLimiter } from './rate-limiter.js';

const BIG = 1762525800123456789n; // beyond 2^53: plain JSON.parse would round it

function rows(n: number): RestRow[] {
  return Array.from({ length: n }, (_, i) => ({
    conditions: i % 3 === 0 ? [12, 37] : [], exchange: 4, id: String(1000 + i), price: 680.25 + i / 100, size: 100,
    sequence_number: 500 + i, sip_timestamp: String(BIG + BigInt(i)), participant_timestamp: String(BIG + BigInt(i) - 17n), tape: 3,
  }));
}

describe('RestClient against a loopback Massive REST server', () => {
  let server: MassiveRestServer;
  let events: RestEvent[];
  const client = (o: { key?: string; rps?: number; concurrency?: number; maxAttempts?: number } = {}): RestClient => new RestClient({
    baseUrl: server.url, apiKey: o.key ?? server.apiKey,
    limiter: new RateLimiter({ requestsPerSecond: o.rps ?? 1000, concurrency: o.concurrency ?? 4 }),
    retry: { maxAttempts: o.maxAttempts ?? 4, baseDelayMs: 20, maxDelayMs: 100 }, timeoutMs: 5000,
    onEvent: (e) => events.push(e),
  });
  const ctx = { what: 'stocks-trades of SPY', plan: 'a Stocks plan with trades' };

  before(async () => {
    server = await startMassiveRestServer({ maxLimit: 7 });
    server.trades.set('SPY', rows(25));
  });
  after(async () => { await server.stop(); });
  beforeEach(() => { events = []; server.requests.length = 0; });

  const all = async (c: RestClient, limit: number): Promise<Record<string, unknown>[]> => {
    const out: Record<string, unknown>[] = [];
    for await (const p of c.pages(c.url('/v3/trades/SPY', { order: 'asc', sort: 'timestamp', limit }), ctx)) out.push(...p.results);
    return out;
  };

  it('follows next_url unchanged, re-adding the key as a header only, and keeps nanoseconds exact', async () => {
    const got = await all(client(), 5);
    assert.equal(got.length, 25);
    assert.equal(got[0]!['sip_timestamp'], String(BIG));
    assert.equal(got[24]!['sip_timestamp'], String(BIG + 24n));
    assert.deepEqual(got[0]!['conditions'], [12, 37]);
    assert.equal(server.requests.length, 5);
    for (const r of server.requests) {
      assert.equal(r.authorization, `Bearer ${server.apiKey}`);
      assert.doesNotMatch(r.path, /apiKey/);
    }
    assert.match(server.requests[1]!.path, /cursor=5/);
  });

  it('gets everything when the server caps the limit below the one asked', async () => {
    const got = await all(client(), 50_000);
    assert.equal(got.length, 25);
    assert.equal(server.requests.length, 4); // 7 + 7 + 7 + 4
    assert.deepEqual(got.map((r) => r['sequence_number']), rows(25).map((r) => r['sequence_number']));
  });

  it('waits Retry-After on a 429 that has one', async () => {
    server.fault({ kind: 'status', status: 429, retryAfter: '1' }, { match: 'cursor=7' });
    const t0 = Date.now();
    const got = await all(client(), 7);
    assert.equal(got.length, 25);
    const limited = events.filter((e) => e.kind === 'rate_limited');
    assert.equal(limited.length, 1);
    assert.deepEqual([limited[0]!.kind === 'rate_limited' && limited[0]!.retryAfter, limited[0]!.kind === 'rate_limited' && limited[0]!.waitMs], [true, 1000]);
    assert.ok(Date.now() - t0 >= 950, 'the retry came after the Retry-After delay');
  });

  it('backs off with jitter on a 429 without Retry-After', async () => {
    server.fault({ kind: 'status', status: 429 }, { times: 2 });
    const got = await all(client(), 7);
    assert.equal(got.length, 25);
    const limited = events.filter((e): e is Extract<RestEvent, { kind: 'rate_limited' }> => e.kind === 'rate_limited');
    assert.equal(limited.length, 2);
    assert.ok(limited.every((e) => !e.retryAfter && e.waitMs >= 10 && e.waitMs <= 100), JSON.stringify(limited));
    assert.deepEqual(server.requests.map((r) => r.status), [429, 429, 200, 200, 200, 200]);
  });

  it('retries 500s and a connection cut in the middle of a body', async () => {
    server.fault({ kind: 'status', status: 500 }, { match: 'cursor=14', times: 2 });
    server.fault({ kind: 'cut' }, { match: 'cursor=7' });
    const got = await all(client(), 7);
    assert.deepEqual(got.map((r) => r['sequence_number']), rows(25).map((r) => r['sequence_number']));
    const retries = events.filter((e): e is Extract<RestEvent, { kind: 'retry' }> => e.kind === 'retry');
    assert.equal(retries.length, 3);
    assert.match(retries[0]!.error, /connection cut while reading the body|unreadable JSON/);
    assert.match(retries[1]!.error, /HTTP 500/);
  });

  it('gives up after maxAttempts failures in a row, naming the URL', async () => {
    server.fault({ kind: 'status', status: 503 }, { times: 3 });
    await assert.rejects(all(client({ maxAttempts: 3 }), 7), (e: unknown) => {
      assert.ok(e instanceof SourceError);
      assert.equal(e.code, 'network');
      assert.match(e.message, /stocks-trades of SPY: .*\/v3\/trades\/SPY.* failed 3 times in a row \(last: HTTP 503/);
      return true;
    });
  });

  it('stops at once on 401 with a message naming the dataset and the plan, never the key', async () => {
    await assert.rejects(all(client({ key: 'wrong-secret-key' }), 7), (e: unknown) => {
      assert.ok(e instanceof SourceError);
      assert.equal(e.code, 'access_denied');
      assert.match(e.message, /Massive REST refused stocks-trades of SPY \(HTTP 401: Unknown API Key\).*MASSIVE_API_KEY.*a Stocks plan with trades/);
      assert.doesNotMatch(e.message + JSON.stringify(e.toJSON()), /wrong-secret-key/);
      return true;
    });
    assert.equal(server.requests.length, 1);
  });

  it('stops at once on 403 (plan without the data)', async () => {
    server.setDeny((p) => (p.startsWith('/v3/trades/') ? 403 : undefined));
    try {
      await assert.rejects(all(client(), 7), /HTTP 403: You are not entitled to this data.*a Stocks plan with trades/);
      assert.equal(server.requests.length, 1);
    } finally { server.setDeny(undefined); }
  });

  it('keeps at most rest_concurrency requests in flight', async () => {
    server.setLatencyMs(30);
    try {
      const c = client({ concurrency: 2 });
      const before = server.maxConcurrent();
      await Promise.all(Array.from({ length: 8 }, () => c.page(c.url('/v3/trades/SPY', { limit: 1 }), ctx)));
      assert.ok(server.maxConcurrent() <= Math.max(2, before));
      assert.equal(server.requests.length, 8);
    } finally { server.setLatencyMs(0); }
  });

  it('refuses to send the key to a next_url on another origin', async () => {
    const c = client();
    await assert.rejects(c.page('http://127.0.0.2:9/v3/trades/SPY?cursor=1', ctx), /refusing to send the API key to http:\/\/127\.0\.0\.2:9/);
  });
});

describe('REST client helpers', () => {
  it('reads Retry-After as seconds or an HTTP date', () => {
    assert.equal(retryAfterMs('2', 0), 2000);
    assert.equal(retryAfterMs('0.5', 0), 500);
    assert.equal(retryAfterMs(null, 0), undefined);
    assert.equal(retryAfterMs('soon', 0), undefined);
    const now = Date.parse('2026-12-07T00:00:00Z');
    assert.equal(retryAfterMs('Mon, 07 Dec 2026 00:00:03 GMT', now), 3000);
    assert.equal(retryAfterMs('Mon, 07 Dec 2026 00:00:00 GMT', now + 5000), 0);
  });
  it('redacts an apiKey parameter from URLs', () => {
    assert.equal(redactUrl('https://api.massive.com/v3/trades/SPY?apiKey=abc&limit=5'), 'https://api.massive.com/v3/trades/SPY?apiKey=***&limit=5');
  });
});
