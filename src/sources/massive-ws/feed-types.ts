/**
 * The public shapes of the feed client (client.ts): its options, state, statistics and the
 * disconnected intervals it reports.
 */
import type { ReconnectPolicy } from './reconnect.js';

export type FeedLogLevel = 'debug' | 'info' | 'warn' | 'error';

/** A disconnected interval, wall-clock ms: events with times in it were missed. */
export interface FeedGap {
  /** When the connection was lost. */
  readonly fromMs: number;
  /** When the replacement connection was authenticated (and resubscription sent). */
  readonly toMs: number;
  /** Event time (`t`, ms) of the last event received before the loss, if any. */
  readonly lastEventMs: number | undefined;
  /** Why the connection was lost (close code/reason, error, heartbeat). */
  readonly reason: string;
}

export type FeedState = 'idle' | 'connecting' | 'authenticating' | 'streaming' | 'reconnecting' | 'closed';

export interface FeedStats {
  readonly state: FeedState;
  /** Text frames received. */
  readonly frames: number;
  /** Data events delivered to the queue. */
  readonly events: number;
  readonly malformed: number;
  readonly unknown: number;
  /** Connections re-established after a loss. */
  readonly reconnects: number;
  readonly gaps: number;
  /** Events dropped because the consumer was too slow. */
  readonly dropped: number;
  readonly queueDepth: number;
  readonly queueHighWater: number;
  /** Times socket reading was paused for backpressure. */
  readonly readPauses: number;
  /** Over the last few seconds. */
  readonly framesPerSecond: number;
  readonly eventsPerSecond: number;
  /** Event time of the last data event, ms. */
  readonly lastEventMs: number | undefined;
  /** now − lastEventMs, ms. */
  readonly lagMs: number | undefined;
  readonly topics: number;
  readonly acknowledgedTopics: number;
  /** Consecutive failed connection attempts (0 once connected). */
  readonly failedAttempts: number;
  /** Why the last connection attempt failed or the last connection was lost, if it ever happened. */
  readonly lastError: string | undefined;
  /** When that was, wall-clock ms. */
  readonly lastErrorAtMs: number | undefined;
}

export interface MassiveFeedClientOptions {
  /** Cluster URL, e.g. `wss://socket.massive.com/options`. */
  readonly url: string;
  /** Never logged. */
  readonly apiKey: string;
  /** Topics subscribed from the start, e.g. `T.SPY`, `T.O:SPY251107C00680000`, `Q.O:...`. */
  readonly topics?: readonly string[];
  /** End the iteration on a clean server close instead of reconnecting (replays). */
  readonly exitOnClose?: boolean;
  /** Most events held for the consumer; default 100 000. */
  readonly queueCapacity?: number;
  /** Queue depth at which socket reading pauses; default half the capacity. */
  readonly pauseDepth?: number;
  /** Longest read pause before reading resumes (and the queue starts dropping), ms; default 2000. */
  readonly maxReadPauseMs?: number;
  /** Ping period, ms; 0 disables the heartbeat; default 15 000. */
  readonly heartbeatIntervalMs?: number;
  /** Time from opening the socket to `auth_success`, ms; default 10 000. */
  readonly handshakeTimeoutMs?: number;
  readonly reconnect?: Partial<ReconnectPolicy>;
  /** Least time between two "connection attempt failed" warnings, ms (the ones between are counted); default 10 000. */
  readonly failureLogIntervalMs?: number;
  readonly onGap?: (gap: FeedGap) => void;
  /** Log sink; default src/util/log. */
  readonly onLog?: (level: FeedLogLevel, message: string) => void;
  /** Wall clock, ms; default Date.now (tests inject). */
  readonly now?: () => number;
  /** Uniform [0, 1) for jitter; default Math.random. */
  readonly random?: () => number;
}
