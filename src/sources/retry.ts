/**
 * Retry policy for network sources: how many times, how long to wait, and an
 * abortable sleep. The S3 source owns every retry itself (the AWS SDK's own
 * retry is switched off) so a failure is retried in exactly one place, with
 * one budget, whether it happened before the response (503 SlowDown, 500) or
 * in the middle of a body (socket reset, premature close).
 *
 * The delay arithmetic is pure; only `sleep` touches timers.
 */

export interface RetryPolicy {
  /**
   * Attempts in a row that may fail without progress before giving up
   * (the first attempt counts: 5 means 1 try + 4 retries). A download that
   * received bytes since its last failure starts a fresh streak.
   */
  readonly maxAttempts: number;
  /** Backoff before the first retry, in milliseconds; doubles each retry in a streak. */
  readonly baseDelayMs: number;
  /** Upper bound of one backoff, in milliseconds. */
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 500, maxDelayMs: 30_000 };

/**
 * Backoff before retry number `retry` (1 = first retry) of a streak:
 * exponential `baseDelayMs * 2^(retry-1)`, capped at `maxDelayMs`, with
 * "equal jitter" (half fixed, half random) so concurrent downloads that
 * failed together do not retry in lockstep, yet never retry immediately.
 *
 * @param random01 a number in [0, 1), normally `Math.random()`.
 * @returns milliseconds, an integer in [delay/2, delay].
 */
export function backoffDelayMs(retry: number, policy: RetryPolicy, random01: number): number {
  if (!Number.isInteger(retry) || retry < 1) throw new RangeError(`retry must be an integer >= 1, got ${retry}`);
  const exponential = policy.baseDelayMs * 2 ** Math.min(retry - 1, 30);
  const capped = Math.min(policy.maxDelayMs, exponential);
  const half = capped / 2;
  return Math.round(half + half * Math.min(Math.max(random01, 0), 1));
}

/**
 * Resolves after `ms` milliseconds, or rejects with the signal's reason
 * (an AbortError by default) as soon as `signal` aborts.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The error to surface when `signal` aborted: its reason, or a DOMException named AbortError. */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}

export interface RetryHooks {
  readonly signal?: AbortSignal;
  /** Called before each retry with the retry number (from 1), the error and the delay about to be waited. */
  readonly onRetry?: (retry: number, error: unknown, delayMs: number) => void;
  /** Source of jitter; `Math.random` unless a test pins it. */
  readonly random?: () => number;
}

/**
 * Runs `attempt` until it resolves, retrying errors for which `isRetryable`
 * is true up to `policy.maxAttempts` attempts in total. The last error is
 * rethrown as is; the caller decides how to word "gave up".
 * For one request/response exchange (HEAD, one LIST page); streaming bodies
 * that make progress between failures need their own loop (see s3.ts).
 */
export async function withRetry<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  isRetryable: (error: unknown) => boolean,
  policy: RetryPolicy,
  hooks: RetryHooks = {},
): Promise<T> {
  const random = hooks.random ?? Math.random;
  for (let attemptNumber = 1; ; attemptNumber++) {
    try {
      return await attempt(attemptNumber);
    } catch (error) {
      if (hooks.signal?.aborted) throw abortReason(hooks.signal);
      if (attemptNumber >= policy.maxAttempts || !isRetryable(error)) throw error;
      const delayMs = backoffDelayMs(attemptNumber, policy, random());
      hooks.onRetry?.(attemptNumber, error, delayMs);
      await sleep(delayMs, hooks.signal);
    }
  }
}
