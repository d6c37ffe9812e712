import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { ProgressTracker } from './progress.js';
import { startPlainProgress } from './plain.js';

function collector() {
  const chunks: string[] = [];
  const out = new Writable({ write(chunk, _encoding, done) { chunks.push(String(chunk)); done(); } });
  return { out, lines: () => chunks.join('').split('\n').filter((line) => line !== '') };
}

function runningTracker() {
  let nowMs = 0;
  const tracker = new ProgressTracker({ now: () => nowMs });
  tracker.startRun({ command: 'ingest', daysTotal: 1, filesTotal: 2 });
  tracker.fileQueued('a', { dataset: 'stocks-trades', date: '2025-11-07', key: 'k/a' });
  tracker.fileStarted('a', 10_000_000);
  nowMs = 1000;
  tracker.fileBytes('a', 2_000_000);
  return { tracker, advance: (ms: number) => { nowMs += ms; } };
}

test('plain mode prints a status line and one line per file each interval, logs and finished files at once', (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const { tracker } = runningTracker();
  const { out, lines } = collector();
  const progress = startPlainProgress(tracker, { out, intervalMs: 5000, json: false });
  assert.deepEqual(lines(), []);
  t.mock.timers.tick(5000);
  assert.deepEqual(lines(), [
    'ingest 1s  days 0/1  files 0/2  2.00 MB/s  0 rows/s  errors 0',
    '  stocks-trades 2025-11-07  2.00 MB / 10.0 MB  20.0%  2.00 MB/s  0 rows/s  rows 0  rejects 0  ETA 4s',
  ]);
  tracker.log('warn', 'slow disk');
  assert.match(lines().at(-1)!, /warn  slow disk$/);
  tracker.fileDone('a', { state: 'failed', message: 'corrupt gzip' });
  assert.match(lines().at(-1)!, /^failed stocks-trades 2025-11-07 .*: corrupt gzip$/);
  progress.stop();
  const count = lines().length;
  tracker.log('info', 'after stop');
  t.mock.timers.tick(20_000);
  assert.equal(lines().length, count, 'nothing is printed after stop()');
});

test('setIntervalMs changes the period', (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const { tracker } = runningTracker();
  const { out, lines } = collector();
  const progress = startPlainProgress(tracker, { out, intervalMs: 5000, json: true });
  progress.setIntervalMs(1000);
  t.mock.timers.tick(3000);
  assert.equal(lines().length, 3);
  progress.stop();
});

test('JSON mode prints only JSON objects', (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const { tracker } = runningTracker();
  const { out, lines } = collector();
  const progress = startPlainProgress(tracker, { out, intervalMs: 1000, json: true });
  t.mock.timers.tick(1000);
  tracker.log('info', 'hello');
  tracker.fileDone('a', { state: 'done' });
  progress.stop();
  const types = lines().map((line) => JSON.parse(line).type);
  assert.deepEqual(types, ['progress', 'log', 'file']);
  assert.equal(JSON.parse(lines()[0]!).inFlight[0].bytesDone, 2_000_000);
});

test('an invalid interval is refused', () => {
  const { tracker } = runningTracker();
  assert.throws(() => startPlainProgress(tracker, { out: collector().out, intervalMs: 0 }), RangeError);
});
