/**
 * The live section of the run snapshot: what `gammaflow live` reports while it streams, typed,
 * so that every view (terminal dashboard, plain and JSON progress lines, Prometheus, the web
 * page) renders the same numbers its own way. The live command fills it (src/live/status.ts);
 * nothing here is preformatted text.
 *
 * Times are epoch milliseconds (JSON-safe numbers); rates are per second over the feed client's
 * last few seconds. Pure: types only.
 */

/** One WebSocket connection (one Massive cluster). */
export interface LiveConnectionStatus {
  /** `stocks` or `options`. */
  readonly cluster: string;
  /** The feed client's state: idle, connecting, authenticating, streaming, reconnecting, closed. */
  readonly state: string;
  /** Consecutive failed connection attempts (0 once connected). */
  readonly failedAttempts: number;
  /** Why the last attempt failed or the last connection was lost, if it ever happened. */
  readonly lastError: string | undefined;
  readonly eventsPerSecond: number;
  /** Wall clock minus the event time of the last event received, ms. */
  readonly lagMs: number | undefined;
  /** Connections re-established after a loss. */
  readonly reconnects: number;
  /** Events waiting in the client's queue. */
  readonly queueDepth: number;
  /** Events dropped because the pipeline read too slowly. */
  readonly dropped: number;
}

/** The last closed window of one size and its key values. */
export interface LiveWindowStatus {
  /** Window size label, e.g. `1m`. */
  readonly window: string;
  readonly windowStartMs: number;
  readonly windowEndMs: number;
  /** Last eligible underlying trade price in the window; undefined when none. */
  readonly close: number | undefined;
  readonly callsDadvv: number | undefined;
  readonly putsDadvv: number | undefined;
  readonly callsGadvv: number | undefined;
  readonly putsGadvv: number | undefined;
  /** Eligible option trades by aggressor side; undefined without aggression. */
  readonly aggressiveBuys: number | undefined;
  readonly aggressiveSells: number | undefined;
}

export interface LiveStatus {
  readonly symbol: string;
  /** Feed base URL (the clients connect to BASE/stocks and BASE/options). */
  readonly feedUrl: string;
  readonly connections: readonly LiveConnectionStatus[];
  /** All clusters together. */
  readonly eventsPerSecond: number;
  /** Events behind the watermark merger, waiting for it. */
  readonly mergerDepth: number;
  /** Event-time watermark; undefined before the first event. */
  readonly watermarkMs: number | undefined;
  /** Rows emitted, revisions included. */
  readonly rows: number;
  readonly rowsRevised: number;
  /** Events behind the watermark, and what became of them. */
  readonly late: { readonly total: number; readonly dropped: number; readonly revised: number };
  /** Items dropped for slow consumers. */
  readonly dropped: { readonly feed: number; readonly jsonl: number; readonly sseClients: number; readonly mergerReleasedEarly: number };
  /** Trades the feed marked as corrections (left out of the features unless include_corrections). */
  readonly corrections: number;
  /** Option contracts whose quotes are subscribed; undefined without a rolling set. */
  readonly quotedContracts: number | undefined;
  /** Events kept in the lake's realtime tables, and duplicates of stored ones skipped. */
  readonly keptEvents: number;
  readonly duplicatesSkipped: number;
  /** Automatic finalize, per day; undefined when it is off. */
  readonly finalize: readonly LiveFinalizeDay[] | undefined;
  /** The last closed window of each size, in window order. */
  readonly lastWindows: readonly LiveWindowStatus[];
}

export interface LiveFinalizeDay {
  readonly date: string;
  readonly state: 'waiting' | 'running' | 'done';
  readonly attempts: number;
  /** When a waiting day is next tried, epoch ms. */
  readonly nextAtMs: number | undefined;
}
