import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelayMs, sleep, withRetry, type RetryPolicy } from './retry.js';

const policy: RetryPolicy = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1_000 };

describe('backoffDelayMs', () => {
  it('doubles per retry, half fixed and half jitter', () => {
    assert.deepEqual([1, 2, 3].map((n) => backoffDelayMs(n, policy, 0)), [50, 100, 200]);
    assert.deepEqual([1, 2, 3].map((n) => backoffDelayMs(n, policy, 0.999999)), [100, 200, 400]);
    assert.equal(backoffDelayMs(2, policy, 0.5), 150);
  });

  it('caps at maxDelayMs, even for huge retry numbers', () => {
    assert.equal(backoffDelayMs(5, policy, 0.999999), 1_000);
    assert.equal(backoffDelayMs(5, policy, 0), 500);
    assert.equal(backoffDelayMs(10_000, policy, 0.5), 750);
  });

  it('rejects retry numbers below 1', () => {
    assert.throws(() => backoffDelayMs(0, policy, 0.5), RangeError);
    assert.throws(() => backoffDelayMs(1.5, policy, 0.5), RangeError);
  });
});

describe('sleep', () => {
  it('rejects with an AbortError when the signal aborts, or was already aborted', async () => {
    const controller = new AbortController();
    const pending = sleep(60_000, controller.signal);
    controller.abort();
    await assert.rejects(pending, { name: 'AbortError' });
    await assert.rejects(sleep(60_000, AbortSignal.abort()), { name: 'AbortError' });
  });

  it('resolves after the delay', async () => {
    await sleep(1);
  });
});

describe('withRetry', () => {
  const fast: RetryPolicy = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 };
  const transient = new Error('transient');

  it('retries retryable failures until success, reporting each retry', async () => {
    const seen: number[] = [];
    const result = await withRetry(async (attempt) => {
      if (attempt < 3) throw transient;
      return `ok on ${attempt}`;
    }, (e) => e === transient, fast, { onRetry: (retry) => seen.push(retry), random: () => 0 });
    assert.equal(result, 'ok on 3');
    assert.deepEqual(seen, [1, 2]);
  });

  it('gives up after maxAttempts with the last error', async () => {
    let attempts = 0;
    await assert.rejects(withRetry(async () => { attempts += 1; throw transient; }, () => true, fast), transient);
    assert.equal(attempts, 3);
  });

  it('does not retry what is not retryable', async () => {
    let attempts = 0;
    const fatal = new Error('fatal');
    await assert.rejects(withRetry(async () => { attempts += 1; throw fatal; }, (e) => e === transient, fast), fatal);
    assert.equal(attempts, 1);
  });

  it('stops waiting when the signal aborts', async () => {
    const controller = new AbortController();
    const slow: RetryPolicy = { maxAttempts: 5, baseDelayMs: 60_000, maxDelayMs: 60_000 };
    await assert.rejects(withRetry(async () => { throw transient; }, () => true, slow,
      { signal: controller.signal, onRetry: () => controller.abort() }), { name: 'AbortError' });
  });
});
