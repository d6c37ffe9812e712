/**
 * The reconnect policy of the feed client: exponential backoff with jitter, and the number of
 * consecutive failed attempts after which the client gives up. Pure.
 */

export interface ReconnectPolicy {
  /** Delay before the first reconnect attempt, ms. */
  readonly initialDelayMs: number;
  /** Cap of the exponential delay, ms. */
  readonly maxDelayMs: number;
  /** Growth per consecutive failed attempt. */
  readonly factor: number;
  /** Fraction of the delay randomised away: delay × (1 − jitter × random). 0 = none, 1 = full jitter. */
  readonly jitter: number;
  /** Consecutive failed attempts before giving up (fatal `FeedError('feed')`). */
  readonly maxAttempts: number;
}

export const DEFAULT_RECONNECT: ReconnectPolicy = Object.freeze({
  initialDelayMs: 250, maxDelayMs: 30_000, factor: 2, jitter: 0.5, maxAttempts: Number.POSITIVE_INFINITY,
});

/**
 * Delay before reconnect attempt number `failedAttempts + 1`, ms:
 * min(maxDelayMs, initialDelayMs × factor^failedAttempts) × (1 − jitter × random01).
 * Jitter spreads the reconnects of many clients after a server restart.
 */
export function backoffDelayMs(policy: ReconnectPolicy, failedAttempts: number, random01: number): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.factor ** failedAttempts);
  return base * (1 - policy.jitter * random01);
}
