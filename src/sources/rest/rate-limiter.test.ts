import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RateLimiter, msUntilToken } from './rate-limiter.js';

/** A fake clock: sleep advances it. */
function clock() {
  let t = 1_000_000;
  const sleeps: number[] = [];
  return {
    now: () => t,
    sleep: async (ms: number) => { sleeps.push(ms); t += ms; },
    sleeps,
    advance: (ms: number) => { t += ms; },
  };
}

test('msUntilToken: none to wait with a token, the refill time without', () => {
  assert.equal(msUntilToken(1.5, 10), 0);
  assert.equal(msUntilToken(0, 10), 100);
  assert.equal(msUntilToken(0.5, 10), 50);
  assert.equal(msUntilToken(0, 5 / 60), 12_000); // the free tier: one request every 12 s
});

test('a bucket of 10/s spends its burst at once, then one request every 100 ms', async () => {
  const c = clock();
  const limiter = new RateLimiter({ requestsPerSecond: 10, concurrency: 100, now: c.now, sleep: c.sleep });
  const start = c.now();
  for (let i = 0; i < 30; i++) (await limiter.acquire())();
  // 10 from the burst, 20 more at 10/s = 2 s
  assert.equal(c.now() - start, 2000);
});

test('a fractional rate (5 a minute) holds a burst of one', async () => {
  const c = clock();
  const limiter = new RateLimiter({ requestsPerSecond: 5 / 60, concurrency: 1, now: c.now, sleep: c.sleep });
  const start = c.now();
  for (let i = 0; i < 3; i++) (await limiter.acquire())();
  assert.equal(c.now() - start, 24_000);
});

test('pauseUntil holds every request until the pause is over', async () => {
  const c = clock();
  const limiter = new RateLimiter({ requestsPerSecond: 1000, concurrency: 10, now: c.now, sleep: c.sleep });
  limiter.pauseUntil(c.now() + 1500);
  const start = c.now();
  (await limiter.acquire())();
  assert.equal(c.now() - start, 1500);
});

test('concurrency: the third acquire waits for a release', async () => {
  const limiter = new RateLimiter({ requestsPerSecond: 1000, concurrency: 2 });
  const r1 = await limiter.acquire();
  await limiter.acquire();
  let third = false;
  const p = limiter.acquire().then((r) => { third = true; return r; });
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(third, false);
  r1();
  (await p)();
  assert.equal(third, true);
});

test('an aborted waiter leaves the queue', async () => {
  const limiter = new RateLimiter({ requestsPerSecond: 1000, concurrency: 1 });
  const r1 = await limiter.acquire();
  const ac = new AbortController();
  const p = limiter.acquire(ac.signal);
  ac.abort(new Error('stop'));
  await assert.rejects(p, /stop/);
  r1();
  (await limiter.acquire())();
});

test('bad settings are refused', () => {
  assert.throws(() => new RateLimiter({ requestsPerSecond: 0, concurrency: 1 }), /requestsPerSecond/);
  assert.throws(() => new RateLimiter({ requestsPerSecond: 1, concurrency: 0 }), /concurrency/);
});
