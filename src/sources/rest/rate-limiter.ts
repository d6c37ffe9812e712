/**
 * Client-side limits on the requests sent to Massive's REST API:
 *
 * - a token bucket: `requestsPerSecond` tokens a second, at most `burst`
 *   stored (a second's worth, at least one), one token per request;
 * - at most `concurrency` requests in flight;
 * - a pause shared by every request after a 429 (`pauseUntil`): when Massive
 *   says "too many", nobody sends until the wait is over.
 *
 * Waiters are served in arrival order. The clock and the sleep are injected so
 * the arithmetic can be tested without waiting.
 */
import { sleep as realSleep } from '../retry.js';

export interface RateLimiterOptions {
  /** Sustained rate; may be fractional (the free tier allows 5 a minute: 5 / 60). */
  readonly requestsPerSecond: number;
  /** Requests in flight at once. */
  readonly concurrency: number;
  /** Tokens the bucket holds; default max(1, requestsPerSecond). */
  readonly burst?: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * Milliseconds until a token is available, given the tokens held now (may be
 * fractional) and the refill rate. Pure.
 */
export function msUntilToken(tokens: number, requestsPerSecond: number): number {
  if (tokens >= 1) return 0;
  return Math.ceil(((1 - tokens) / requestsPerSecond) * 1000);
}

export class RateLimiter {
  private readonly rate: number;
  private readonly burst: number;
  private readonly concurrency: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private tokens: number;
  private refilledAtMs: number;
  private pausedUntilMs = 0;
  private inFlight = 0;
  /** Requests waiting for a slot, in arrival order. */
  private readonly slotWaiters: Array<() => void> = [];
  /** Serialises token taking so waiters are served in order. */
  private tokenQueue: Promise<void> = Promise.resolve();

  constructor(options: RateLimiterOptions) {
    if (!(options.requestsPerSecond > 0) || !Number.isFinite(options.requestsPerSecond)) {
      throw new RangeError(`requestsPerSecond must be a positive number, got ${options.requestsPerSecond}`);
    }
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
      throw new RangeError(`concurrency must be a positive integer, got ${options.concurrency}`);
    }
    this.rate = options.requestsPerSecond;
    this.burst = options.burst ?? Math.max(1, options.requestsPerSecond);
    this.concurrency = options.concurrency;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? realSleep;
    this.tokens = this.burst;
    this.refilledAtMs = this.now();
  }

  /** Holds every request until `epochMs` (a 429's Retry-After or backoff). */
  pauseUntil(epochMs: number): void {
    if (epochMs > this.pausedUntilMs) this.pausedUntilMs = epochMs;
  }

  /**
   * Waits for a concurrency slot and a token; resolves with a release function
   * to call when the response has been read.
   */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    await this.takeSlot(signal);
    try {
      await this.takeToken(signal);
    } catch (e) {
      this.releaseSlot();
      throw e;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.releaseSlot();
    };
  }

  private takeSlot(signal?: AbortSignal): Promise<void> {
    if (this.inFlight < this.concurrency) {
      this.inFlight++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.slotWaiters.indexOf(grant);
        if (i >= 0) this.slotWaiters.splice(i, 1);
        reject(signal!.reason ?? new DOMException('The operation was aborted', 'AbortError'));
      };
      const grant = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      if (signal?.aborted) { onAbort(); return; }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.slotWaiters.push(grant);
    });
  }

  private releaseSlot(): void {
    const next = this.slotWaiters.shift();
    if (next) next(); // the slot passes straight to the next waiter
    else this.inFlight--;
  }

  private takeToken(signal?: AbortSignal): Promise<void> {
    const turn = this.tokenQueue.then(async () => {
      for (;;) {
        if (signal?.aborted) throw signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
        const now = this.now();
        if (now < this.pausedUntilMs) {
          await this.sleep(this.pausedUntilMs - now, signal);
          continue;
        }
        this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledAtMs) / 1000) * this.rate);
        this.refilledAtMs = now;
        const waitMs = msUntilToken(this.tokens, this.rate);
        if (waitMs === 0) {
          this.tokens -= 1;
          return;
        }
        await this.sleep(waitMs, signal);
      }
    });
    // A waiter that gave up must not block the ones behind it.
    this.tokenQueue = turn.catch(() => {});
    return turn;
  }
}
