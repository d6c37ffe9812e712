/**
 * A live section of the run snapshot as a live run fills it, for view and metrics tests: one
 * cluster streaming, one reconnecting after a refused attempt, two closed windows.
 * Test support only: not part of the product.
 */
import type { LiveStatus } from '../../src/observe/live-snapshot.js';

/** 2025-11-07 09:35 New York (EST) = 14:35 UTC. */
export const WINDOW_0935_MS = Date.UTC(2025, 10, 7, 14, 35);

export function sampleLiveStatus(): LiveStatus {
  return {
    symbol: 'SPY', feedUrl: 'ws://127.0.0.1:9',
    connections: [
      { cluster: 'stocks', state: 'streaming', failedAttempts: 0, lastError: undefined, eventsPerSecond: 1000, lagMs: 12, reconnects: 0, queueDepth: 4, dropped: 0 },
      { cluster: 'options', state: 'reconnecting', failedAttempts: 2, lastError: 'connection refused (ECONNREFUSED 127.0.0.1:9)', eventsPerSecond: 234.5, lagMs: 20_000, reconnects: 1, queueDepth: 0, dropped: 7 },
    ],
    eventsPerSecond: 1234.5, mergerDepth: 17, watermarkMs: WINDOW_0935_MS + 61_000, rows: 12_345, rowsRevised: 2,
    late: { total: 5, dropped: 3, revised: 2 }, dropped: { feed: 7, jsonl: 1, sseClients: 0, mergerReleasedEarly: 0 },
    corrections: 4, quotedContracts: 1000, keptEvents: 120_345, duplicatesSkipped: 0,
    finalize: [{ date: '2025-11-06', state: 'done', attempts: 1, nextAtMs: undefined }],
    lastWindows: [
      { window: '1m', windowStartMs: WINDOW_0935_MS, windowEndMs: WINDOW_0935_MS + 60_000, close: 680.12, callsDadvv: 1_234_567, putsDadvv: 45_600,
        callsGadvv: 512, putsGadvv: 80, aggressiveBuys: 12, aggressiveSells: 9 },
      { window: '5m', windowStartMs: WINDOW_0935_MS - 5 * 60_000, windowEndMs: WINDOW_0935_MS, close: undefined, callsDadvv: undefined, putsDadvv: undefined,
        callsGadvv: undefined, putsGadvv: undefined, aggressiveBuys: 0, aggressiveSells: 0 },
    ],
  };
}
