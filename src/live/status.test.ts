import { test } from 'node:test';
import assert from 'node:assert/strict';
import { regularDayRows } from '../../test/support/feature-rows.js';
import { nyWallClockToUtcNs } from '../calendar/index.js';
import { LastWindows, liveStatus, windowStatus } from './status.js';

const DAY = '2025-11-07';
const msOf = (hour: number, minute: number): number => Number(nyWallClockToUtcNs(DAY, hour, minute) / 1_000_000n);

test('a closed window\'s key values come from its row: the underlying close, no aggression counts without aggression', () => {
  const rows = regularDayRows(DAY);
  const ten = rows.find((r) => r.window === '1m' && r.windowStartNs === nyWallClockToUtcNs(DAY, 10, 0))!;
  const s = windowStatus(ten, false);
  assert.equal(s.window, '1m');
  assert.equal(s.windowStartMs, msOf(10, 0));
  assert.equal(s.windowEndMs, msOf(10, 1));
  assert.equal(s.close, 680.5, 'the one trade of the window');
  assert.equal(s.aggressiveBuys, undefined);
  assert.equal(s.aggressiveSells, undefined);
  const quiet = rows.find((r) => r.window === '1m' && r.windowStartNs === nyWallClockToUtcNs(DAY, 11, 0))!;
  assert.equal(windowStatus(quiet, false).close, undefined, 'no trade: null close');
});

test('the last windows: the latest start per size, in the given order; a revision of an older window is ignored', () => {
  const rows = regularDayRows(DAY);
  const last = new LastWindows();
  assert.deepEqual(last.statuses(['1m', '5m'], false), []);
  for (const row of rows) last.add(row);
  assert.deepEqual(last.statuses(['5m', '1m'], false).map((w) => [w.window, w.windowStartMs]), [['5m', msOf(15, 55)], ['1m', msOf(15, 59)]]);
  last.add(rows.find((r) => r.window === '1m' && r.windowStartNs === nyWallClockToUtcNs(DAY, 10, 0))!);
  assert.equal(last.statuses(['1m'], false)[0]!.windowStartMs, msOf(15, 59));
});

test('the live section sums the clusters and carries the pipeline counters', () => {
  const feed = (eventsPerSecond: number, dropped: number) => ({
    state: 'streaming' as const, frames: 0, events: 0, malformed: 0, unknown: 0, reconnects: 0, gaps: 0, dropped, queueDepth: 1, queueHighWater: 1,
    readPauses: 0, framesPerSecond: 0, eventsPerSecond, lastEventMs: undefined, lagMs: 5, topics: 1, acknowledgedTopics: 1, failedAttempts: 0,
    lastError: undefined, lastErrorAtMs: undefined,
  });
  const s = liveStatus({
    symbol: 'SPY', feedUrl: 'ws://x', feeds: [['stocks', feed(10, 1)], ['options', feed(5, 2)]],
    pipeline: {
      received: 0, processed: 0, ignored: 0, late: 3, lateDropped: 2, lateRevised: 1, lateTooOld: 0, rowsEmitted: 7, rowsRevised: 1,
      bufferedEvents: 4, bufferedHighWater: 4, forcedReleases: 0, watermarkNs: 1_500_000n, maxEventTimeNs: undefined, lastWindowStartNs: new Map(),
    },
    jsonlDropped: 0, sseClientsDropped: 1, corrections: 0, quotedContracts: undefined, keptEvents: 9, duplicatesSkipped: 0, finalize: undefined, lastWindows: [],
  });
  assert.equal(s.eventsPerSecond, 15);
  assert.deepEqual(s.dropped, { feed: 3, jsonl: 0, sseClients: 1, mergerReleasedEarly: 0 });
  assert.deepEqual(s.late, { total: 3, dropped: 2, revised: 1 });
  assert.equal(s.watermarkMs, 1);
  assert.equal(s.mergerDepth, 4);
  assert.deepEqual(s.connections.map((c) => [c.cluster, c.queueDepth, c.lagMs]), [['stocks', 1, 5], ['options', 1, 5]]);
});
