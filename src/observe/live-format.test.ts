import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectionText, finalizeText, formatLag, liveStatusParts, windowText } from './live-format.js';
import type { LiveStatus, LiveWindowStatus } from './live-snapshot.js';

test('connection state: the state, and while not streaming the failed attempts and the last cause', () => {
  assert.equal(connectionText({ cluster: 'stocks', state: 'streaming', failedAttempts: 0, lastError: 'closed by server (1006)' }), 'stocks streaming');
  assert.equal(connectionText({ cluster: 'stocks', state: 'connecting', failedAttempts: 0, lastError: undefined }), 'stocks connecting');
  assert.equal(connectionText({ cluster: 'options', state: 'reconnecting', failedAttempts: 3, lastError: 'connection refused (ECONNREFUSED 127.0.0.1:9)' }),
    'options reconnecting (3 failed attempts; last: connection refused (ECONNREFUSED 127.0.0.1:9))');
  assert.equal(connectionText({ cluster: 'options', state: 'reconnecting', failedAttempts: 0, lastError: 'no pong within 15000 ms' }),
    'options reconnecting (last: no pong within 15000 ms)');
});

test('lags: ms below 10 s, then s, min, h; unknown is a dash', () => {
  assert.deepEqual([undefined, 12, 9_999, 12_345, 720_000, 40_000_000].map(formatLag), ['–', '12 ms', '9999 ms', '12.3 s', '12.0 min', '11.1 h']);
});

// 2025-11-07 09:35 New York (EST) = 14:35 UTC.
const WINDOW: LiveWindowStatus = {
  window: '1m', windowStartMs: Date.UTC(2025, 10, 7, 14, 35), windowEndMs: Date.UTC(2025, 10, 7, 14, 36),
  close: 680.125, callsDadvv: 1_234_567, putsDadvv: 45_600, callsGadvv: 512, putsGadvv: undefined, aggressiveBuys: 1234, aggressiveSells: 9,
};

test('a closed window: New York start, close, calls/puts dadvv and gadvv, aggressive buys and sells', () => {
  assert.equal(windowText(WINDOW), '1m 09:35:00  close 680.13  dadvv C 1.23M P 45.6k  gadvv C 512 P –  agg buys 1,234 sells 9');
  assert.equal(windowText({ ...WINDOW, close: undefined, aggressiveBuys: undefined, aggressiveSells: undefined }),
    '1m 09:35:00  close –  dadvv C 1.23M P 45.6k  gadvv C 512 P –', 'no aggression columns without aggression');
});

test('finalize days: done, running with its attempt, waiting until the next try', () => {
  assert.equal(finalizeText([]), 'nothing to finalize yet');
  assert.equal(finalizeText([
    { date: '2025-11-06', state: 'done', attempts: 1, nextAtMs: undefined },
    { date: '2025-11-07', state: 'waiting', attempts: 2, nextAtMs: Date.UTC(2025, 10, 10, 16) },
    { date: '2025-11-10', state: 'running', attempts: 1, nextAtMs: undefined },
  ]), '2025-11-06 done; 2025-11-07 waiting until 2025-11-10T16:00:00Z (after 2 attempts); 2025-11-10 running (attempt 1)');
});

test('the plain progress line parts of a live run', () => {
  const live: LiveStatus = {
    symbol: 'SPY', feedUrl: 'ws://127.0.0.1:1',
    connections: [
      { cluster: 'stocks', state: 'streaming', failedAttempts: 0, lastError: undefined, eventsPerSecond: 1000.4, lagMs: 12, reconnects: 0, queueDepth: 0, dropped: 0 },
      { cluster: 'options', state: 'reconnecting', failedAttempts: 1, lastError: 'closed by server (1006)', eventsPerSecond: 200, lagMs: 20_000, reconnects: 1, queueDepth: 3, dropped: 2 },
    ],
    eventsPerSecond: 1200.4, mergerDepth: 5, watermarkMs: undefined, rows: 12_345, rowsRevised: 1,
    late: { total: 3, dropped: 2, revised: 1 }, dropped: { feed: 2, jsonl: 0, sseClients: 1, mergerReleasedEarly: 0 },
    corrections: 0, quotedContracts: undefined, keptEvents: 0, duplicatesSkipped: 0, finalize: undefined, lastWindows: [WINDOW],
  };
  assert.deepEqual(liveStatusParts(live), [
    'connection=stocks streaming, options reconnecting (1 failed attempt; last: closed by server (1006))',
    'msgs/s=1,200', 'lag=stocks 12 ms, options 20.0 s', 'rows=12,345', 'late=3 (2 dropped, 1 revised)',
    'dropped=feed 2, jsonl 0, sse clients 1', 'last 1m=09:35:00',
  ]);
});
