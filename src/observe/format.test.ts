import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatBytes, formatCount, formatDuration, formatMbPerSec, formatPercent, formatRate, renderBar,
  renderFileDoneLine, renderJsonFileDone, renderJsonLog, renderJsonProgress, renderJsonSummary,
  renderLogLine, renderProgressLine, renderStatusLine, renderSummary,
} from './format.js';
import { ProgressTracker } from './progress.js';
import { WINDOW_0935_MS, sampleLiveStatus } from '../../test/support/live-status.js';
import type { FileProgress } from './run-snapshot.js';

function file(overrides: Partial<FileProgress> = {}): FileProgress {
  return {
    id: 'stocks-trades/2025-11-07', dataset: 'stocks-trades', date: '2025-11-07', key: 'us_stocks_sip/trades_v1/2025/11/2025-11-07.csv.gz',
    state: 'running', bytesDone: 812_400_000, bytesTotal: 3_410_000_000,
    rowsParsed: 8_123_456, rowsWritten: 8_123_456, rowsRejected: 0, s3Retries: 0,
    startedAtMs: 0, mbPerSec: 61.2, rowsPerSec: 2_310_000, etaSec: 42,
    ...overrides,
  };
}

test('bytes use SI units with 2 decimals below 10 and 1 from 10 up', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(1536), '1.54 kB');
  assert.equal(formatBytes(812_400_000), '812.4 MB');
  assert.equal(formatBytes(3_410_000_000), '3.41 GB');
  assert.equal(formatBytes(999_960_000), '1.00 GB', 'rounding up to 1000 moves to the next unit');
  assert.equal(formatBytes(Number.NaN), '-- B');
});

test('rates, counts, percents and bars', () => {
  assert.equal(formatMbPerSec(61.2), '61.2 MB/s');
  assert.equal(formatMbPerSec(0.523), '0.52 MB/s');
  assert.equal(formatRate(2_310_000, 'rows'), '2.31 M rows/s');
  assert.equal(formatRate(850, 'rows'), '850 rows/s');
  assert.equal(formatRate(12_345, 'msgs'), '12.3 k msgs/s');
  assert.equal(formatCount(8_123_456), '8,123,456');
  assert.equal(formatCount(999), '999');
  assert.equal(formatCount(-1234.4), '-1,234');
  assert.equal(formatPercent(0.23824), '23.8%');
  assert.equal(formatPercent(undefined), '--%');
  assert.equal(renderBar(0.5, 10), '█████░░░░░');
  assert.equal(renderBar(undefined, 4), '░░░░');
  assert.equal(renderBar(2, 4), '████');
});

test('durations', () => {
  assert.equal(formatDuration(42.4), '42s');
  assert.equal(formatDuration(83), '1m 23s');
  assert.equal(formatDuration(2 * 3600 + 5 * 60 + 7), '2h 05m');
  assert.equal(formatDuration(3 * 86_400 + 4 * 3600), '3d 04h');
  assert.equal(formatDuration(undefined), '--');
  assert.equal(formatDuration(Number.POSITIVE_INFINITY), '--');
});

test('progress line of a running file', () => {
  assert.equal(renderProgressLine(file()),
    'stocks-trades 2025-11-07  812.4 MB / 3.41 GB  23.8%  61.2 MB/s  2.31 M rows/s  rows 8,123,456  rejects 0  ETA 42s');
  assert.equal(renderProgressLine(file({ bytesTotal: 0, etaSec: undefined, rowsWritten: 1000, rowsRejected: 3 })),
    'stocks-trades 2025-11-07  812.4 MB / ?  --%  61.2 MB/s  2.31 M rows/s  rows 8,123,456  written 1,000  rejects 3  ETA --');
  assert.match(renderProgressLine(file({ state: 'publishing', etaSec: undefined })), /rejects 0  publishing$/);
});

test('finished file lines and log lines', () => {
  const done = file({ state: 'done', bytesDone: 3_410_000_000, startedAtMs: 0, endedAtMs: 55_000, mbPerSec: 62 });
  assert.equal(renderFileDoneLine(done), 'done stocks-trades 2025-11-07  3.41 GB in 55s  62.0 MB/s  rows 8,123,456  rejects 0');
  const computed = file({ state: 'done', bytesDone: 0, bytesTotal: 0, startedAtMs: 0, endedAtMs: 2_000, message: '507 rows' });
  assert.equal(renderFileDoneLine(computed), 'done stocks-trades 2025-11-07  in 2s  rows 8,123,456  rejects 0: 507 rows');
  const failed = file({ state: 'failed', startedAtMs: undefined, message: 'corrupt gzip' });
  assert.equal(renderFileDoneLine(failed), 'failed stocks-trades 2025-11-07: corrupt gzip');
  assert.equal(renderLogLine({ atMs: Date.UTC(2025, 10, 7, 14, 3, 12, 345), level: 'warn', message: 'slow' }),
    '2025-11-07T14:03:12Z warn  slow');
});

function finishedRun() {
  let nowMs = 1_000_000;
  const tracker = new ProgressTracker({ now: () => nowMs });
  tracker.startRun({ command: 'ingest', daysTotal: 1, filesTotal: 2 });
  tracker.fileQueued('a', { dataset: 'stocks-trades', date: '2025-11-07', key: 'k/a.csv.gz' });
  tracker.fileQueued('b', { dataset: 'options-trades', date: '2025-11-07', key: 'k/b.csv.gz' });
  tracker.fileStarted('a', 20_000_000);
  nowMs += 10_000;
  tracker.fileBytes('a', 20_000_000);
  tracker.fileRows('a', { parsed: 1000, written: 990, rejected: 10 });
  tracker.fileDone('a', { state: 'done' });
  tracker.fileStarted('b', 10);
  tracker.fileDone('b', { state: 'failed', message: 'corrupt gzip' });
  tracker.dayDone('failed');
  tracker.error('b failed');
  return tracker.snapshot();
}

test('summary lines', () => {
  assert.deepEqual(renderSummary(finishedRun()), [
    'ingest finished in 10s',
    'days: 0 done, 1 failed, 0 skipped, 0 missing of 1',
    'files: 1 done, 1 failed, 0 skipped, 0 missing of 2',
    'read 20.0 MB at 2.00 MB/s average  rows parsed 1,000  written 990  rejected 10  (100 rows/s)',
    's3 retries 0  errors 1',
    '  failed options-trades 2025-11-07 (k/b.csv.gz): corrupt gzip',
  ]);
});

test('the summary ends with the run\'s extras (ingest: which inflater ran), before the failures', () => {
  let nowMs = 0;
  const tracker = new ProgressTracker({ now: () => nowMs });
  tracker.startRun({ command: 'ingest', daysTotal: 1, filesTotal: 1 });
  tracker.setExtra('inflate', 'isal (/usr/bin/igzip)');
  tracker.fileQueued('a', { dataset: 'stocks-trades', date: '2025-11-07', key: 'k/a.csv.gz' });
  tracker.fileStarted('a', 10);
  nowMs += 1_000;
  tracker.fileBytes('a', 10);
  tracker.fileDone('a', { state: 'failed', message: 'truncated gzip' });
  tracker.dayDone('failed');
  const lines = renderSummary(tracker.snapshot());
  assert.equal(lines.at(-2), 'inflate=isal (/usr/bin/igzip)');
  assert.match(lines.at(-1)!, /^ {2}failed stocks-trades 2025-11-07/);
  const json = JSON.parse(renderJsonSummary(tracker.snapshot())) as { extra: Record<string, string> };
  assert.equal(json.extra['inflate'], 'isal (/usr/bin/igzip)');
});

test('summary lines of runs without input bytes (greeks, features) and without days (live)', () => {
  let nowMs = 0;
  const computed = new ProgressTracker({ now: () => nowMs });
  computed.startRun({ command: 'greeks', daysTotal: 1, filesTotal: 1 });
  computed.fileQueued('g', { dataset: 'options-greeks', date: '2025-11-07', key: 'options-greeks/date=2025-11-07' });
  computed.fileStarted('g', 0);
  nowMs += 2_000;
  computed.fileRows('g', { parsed: 500, written: 500, rejected: 0 });
  computed.fileDone('g', { state: 'done' });
  computed.dayDone('done');
  assert.deepEqual(renderSummary(computed.snapshot()), [
    'greeks finished in 2s',
    'days: 1 done, 0 failed, 0 skipped, 0 missing of 1',
    'files: 1 done, 0 failed, 0 skipped, 0 missing of 1',
    'rows parsed 500  written 500  rejected 0  (250 rows/s)',
    'errors 0',
  ]);
  const live = new ProgressTracker({ now: () => nowMs });
  live.startRun({ command: 'live', daysTotal: 0, filesTotal: 0 });
  nowMs += 1_000;
  assert.deepEqual(renderSummary(live.snapshot()), ['live finished in 1s', 'rows parsed 0  written 0  rejected 0  (0 rows/s)', 'errors 0']);
});

test('JSON lines are single-line objects with stable fields', () => {
  let nowMs = 0;
  const tracker = new ProgressTracker({ now: () => nowMs });
  tracker.startRun({ command: 'ingest', daysTotal: 1, filesTotal: 1 });
  tracker.fileQueued('a', { dataset: 'stocks-trades', date: '2025-11-07', key: 'k' });
  tracker.fileStarted('a', 0);
  nowMs = 1000;
  tracker.fileBytes('a', 1_500_000);
  tracker.setExtra('feed', 'connected');
  const line = renderJsonProgress(tracker.snapshot());
  assert.ok(!line.includes('\n'));
  const parsed = JSON.parse(line);
  assert.deepEqual(Object.keys(parsed), ['type', 'command', 'atMs', 'elapsedSec', 'days', 'files', 'totals', 'inFlight', 'extra', 'live']);
  assert.equal(parsed.live, null, 'no live section outside live');
  assert.equal(parsed.type, 'progress');
  assert.deepEqual(parsed.files, { total: 1, done: 0, failed: 0, skipped: 0, missing: 0, inFlight: 1 });
  assert.equal(parsed.totals.mbPerSec, 1.5);
  assert.equal(parsed.inFlight[0].fraction, null, 'unknown values are null, not absent');
  assert.equal(parsed.inFlight[0].etaSec, null);
  assert.equal(parsed.inFlight[0].mbPerSec, 1.5);
  assert.deepEqual(parsed.extra, { feed: 'connected' });

  const summary = JSON.parse(renderJsonSummary(finishedRun()));
  assert.equal(summary.type, 'summary');
  assert.equal(summary.averageMbPerSec, 2);
  assert.equal(summary.failures[0].message, 'corrupt gzip');
  assert.deepEqual(JSON.parse(renderJsonLog({ atMs: 5, level: 'info', message: 'hi' })), { type: 'log', atMs: 5, level: 'info', message: 'hi' });
  const fileLine = JSON.parse(renderJsonFileDone(finishedRun().recent[1]!));
  assert.equal(fileLine.type, 'file');
  assert.equal(fileLine.durationSec, 10);
  assert.equal(fileLine.mbPerSec, 2);
});

test('JSON progress of a live run: the typed live section, unknown values null', () => {
  const tracker = new ProgressTracker({ now: () => WINDOW_0935_MS });
  tracker.startRun({ command: 'live', daysTotal: 0, filesTotal: 0 });
  tracker.setLive(sampleLiveStatus());
  const parsed = JSON.parse(renderJsonProgress(tracker.snapshot()));
  assert.deepEqual(Object.keys(parsed.live), ['symbol', 'feedUrl', 'connections', 'eventsPerSecond', 'mergerDepth', 'watermarkMs', 'rows', 'rowsRevised',
    'late', 'dropped', 'corrections', 'quotedContracts', 'keptEvents', 'duplicatesSkipped', 'finalize', 'lastWindows']);
  assert.deepEqual(parsed.live.connections[0], { cluster: 'stocks', state: 'streaming', failedAttempts: 0, lastError: null, eventsPerSecond: 1000, lagMs: 12,
    reconnects: 0, queueDepth: 4, dropped: 0 });
  assert.deepEqual(parsed.live.lastWindows[0], { window: '1m', windowStartMs: WINDOW_0935_MS, windowEndMs: WINDOW_0935_MS + 60_000, close: 680.12,
    callsDadvv: 1_234_567, putsDadvv: 45_600, callsGadvv: 512, putsGadvv: 80, aggressiveBuys: 12, aggressiveSells: 9 });
  assert.equal(parsed.live.lastWindows[1].close, null);
  assert.deepEqual(parsed.live.finalize, [{ date: '2025-11-06', state: 'done', attempts: 1, nextAtMs: null }]);
  assert.deepEqual(parsed.extra, {}, 'nothing preformatted besides');
});

test('status line: an ingest-style run shows days, files and rates; a live run its errors and live section', () => {
  let nowMs = 0;
  const live = new ProgressTracker({ now: () => nowMs });
  live.startRun({ command: 'live', daysTotal: 0, filesTotal: 0 });
  live.setLive(sampleLiveStatus());
  nowMs += 5_000;
  assert.equal(renderStatusLine(live.snapshot()), 'live 5s  errors 0  connection=stocks streaming, options reconnecting (2 failed attempts; '
    + 'last: connection refused (ECONNREFUSED 127.0.0.1:9))  msgs/s=1,235  lag=stocks 12 ms, options 20.0 s  rows=12,345  '
    + 'late=5 (3 dropped, 2 revised)  dropped=feed 7, jsonl 1, sse clients 0  last 1m=09:35:00  last 5m=09:30:00');
  assert.match(renderStatusLine(finishedRun()), /^ingest 10s {2}days 1\/1 {2}files 2\/2 {2}[\d.]+ MB\/s {2}.* rows\/s {2}errors 1$/);
});
