import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProgressTracker } from './progress.js';
import { sampleLiveStatus } from '../../test/support/live-status.js';
import type { FileProgress, LogEntry } from './run-snapshot.js';

/** A manual clock: tests move time explicitly. */
function fakeClock(startMs = 1_700_000_000_000) {
  let nowMs = startMs;
  return { now: () => nowMs, advance: (ms: number) => { nowMs += ms; } };
}

function trackerWithFile(clock = fakeClock()) {
  const tracker = new ProgressTracker({ now: clock.now, rateWindowMs: 5000 });
  tracker.startRun({ command: 'ingest', daysTotal: 2, filesTotal: 3 });
  tracker.fileQueued('st-1', { dataset: 'stocks-trades', date: '2025-11-07', key: 'us_stocks_sip/trades_v1/2025/11/2025-11-07.csv.gz' });
  return { tracker, clock };
}

test('a running file reports its bytes, rows, rates and ETA', () => {
  const { tracker, clock } = trackerWithFile();
  tracker.fileStarted('st-1', 100_000_000);
  clock.advance(2000);
  tracker.fileBytes('st-1', 20_000_000);
  tracker.fileRows('st-1', { parsed: 400_000, written: 390_000, rejected: 10 });
  const snap = tracker.snapshot();
  assert.equal(snap.inFlight.length, 1);
  const file = snap.inFlight[0]!;
  assert.equal(file.state, 'running');
  assert.equal(file.bytesDone, 20_000_000);
  assert.equal(file.bytesTotal, 100_000_000);
  assert.equal(file.rowsParsed, 400_000);
  assert.equal(file.rowsWritten, 390_000);
  assert.equal(file.rowsRejected, 10);
  assert.equal(file.mbPerSec, 10);            // 20 MB in 2 s
  assert.equal(file.rowsPerSec, 200_000);
  assert.equal(file.etaSec, 8);               // 80 MB left at 10 MB/s
  assert.equal(snap.totals.bytesRead, 20_000_000);
  assert.equal(snap.totals.bytesTotal, 100_000_000);
  assert.equal(snap.totals.mbPerSec, 10);
  assert.equal(snap.totals.rowsPerSec, 200_000);
  assert.equal(snap.command, 'ingest');
  assert.equal(snap.filesTotal, 3);
  assert.equal(snap.nowMs - snap.startedAtMs, 2000);
});

test('rates follow the sliding window, not the whole-file average', () => {
  const { tracker, clock } = trackerWithFile();
  tracker.fileStarted('st-1', 0);
  // 10 s at 1 MB/s, then 5 s at 4 MB/s.
  let bytes = 0;
  for (let i = 0; i < 10; i++) { clock.advance(1000); bytes += 1_000_000; tracker.fileBytes('st-1', bytes); }
  for (let i = 0; i < 5; i++) { clock.advance(1000); bytes += 4_000_000; tracker.fileBytes('st-1', bytes); }
  const file = tracker.snapshot().inFlight[0]!;
  assert.equal(file.mbPerSec, 4);
  assert.equal(file.etaSec, undefined, 'no ETA when the size is unknown');
  clock.advance(5000);
  assert.equal(tracker.snapshot().inFlight[0]!.mbPerSec, 0, 'a stalled file decays to 0 MB/s');
  assert.equal(tracker.snapshot().inFlight[0]!.etaSec, undefined);
});

test('a finished file leaves inFlight, enters recent and the counts, with whole-file rates', () => {
  const { tracker, clock } = trackerWithFile();
  const finished: FileProgress[] = [];
  tracker.on('fileDone', (file) => finished.push(file));
  tracker.fileStarted('st-1', 50_000_000);
  clock.advance(10_000);
  tracker.fileBytes('st-1', 50_000_000);
  tracker.fileRows('st-1', { parsed: 1_000_000, written: 1_000_000 });
  tracker.filePublishing('st-1');
  let snap = tracker.snapshot();
  assert.equal(snap.inFlight[0]!.state, 'publishing');
  assert.equal(snap.inFlight[0]!.etaSec, undefined);
  tracker.fileDone('st-1', { state: 'done' });
  snap = tracker.snapshot();
  assert.equal(snap.inFlight.length, 0);
  assert.equal(snap.filesDone, 1);
  assert.deepEqual(snap.finishedByDataset, { 'stocks-trades': { done: 1, failed: 0, skipped: 0, missing: 0 } });
  assert.equal(snap.recent.length, 1);
  assert.equal(snap.recent[0]!.mbPerSec, 5);
  assert.equal(snap.recent[0]!.rowsPerSec, 100_000);
  assert.equal(snap.recent[0]!.endedAtMs, snap.nowMs);
  assert.equal(finished.length, 1);
  assert.equal(finished[0]!.state, 'done');
});

test('skipped, missing and failed files are counted apart; failures keep their message', () => {
  const { tracker } = trackerWithFile();
  tracker.fileQueued('oq-1', { dataset: 'options-quotes', date: '2025-11-07', key: 'k2' });
  tracker.fileQueued('ot-1', { dataset: 'options-trades', date: '2025-11-07', key: 'k3' });
  tracker.fileQueued('ot-2', { dataset: 'options-trades', date: '2025-11-08', key: 'k4' });
  tracker.fileDone('st-1', { state: 'skipped', message: 'already in the lake' });
  tracker.fileDone('oq-1', { state: 'missing' });
  tracker.fileStarted('ot-1', 10);
  tracker.fileDone('ot-1', { state: 'failed', message: 'corrupt gzip' });
  tracker.dayDone('failed');
  const snap = tracker.snapshot();
  assert.equal(snap.filesTotal, 4, 'more queued files than planned raise filesTotal');
  assert.deepEqual([snap.filesDone, snap.filesFailed, snap.filesSkipped, snap.filesMissing], [0, 1, 1, 1]);
  assert.deepEqual([snap.daysDone, snap.daysFailed, snap.daysSkipped, snap.daysMissing], [0, 1, 0, 0]);
  tracker.dayDone('missing');
  tracker.dayDone('skipped');
  const after = tracker.snapshot();
  assert.deepEqual([after.daysDone, after.daysFailed, after.daysSkipped, after.daysMissing], [0, 1, 1, 1], 'a missing day is not a failed one');
  assert.deepEqual(snap.failures.map((f) => [f.id, f.message]), [['ot-1', 'corrupt gzip']]);
  assert.deepEqual(snap.recent.map((f) => f.id), ['ot-1', 'oq-1', 'st-1']);
  assert.equal(snap.finishedByDataset['options-trades']!.failed, 1);
});

test('a restarted download counts re-read bytes in the monotonic total only', () => {
  const { tracker } = trackerWithFile();
  tracker.fileStarted('st-1', 1000);
  tracker.fileBytes('st-1', 600);
  tracker.s3Retry('st-1');
  tracker.fileBytes('st-1', 200);
  tracker.fileBytes('st-1', 1000);
  const snap = tracker.snapshot();
  assert.equal(snap.inFlight[0]!.bytesDone, 1000);
  assert.equal(snap.inFlight[0]!.s3Retries, 1);
  assert.equal(snap.totals.bytesRead, 1400);
  assert.equal(snap.totals.s3Retries, 1);
});

test('starting a finished file again resets its counters', () => {
  const { tracker } = trackerWithFile();
  tracker.fileStarted('st-1', 1000);
  tracker.fileRows('st-1', { parsed: 5 });
  tracker.fileDone('st-1', { state: 'failed', message: 'network' });
  tracker.fileStarted('st-1', 1000);
  const snap = tracker.snapshot();
  assert.equal(snap.filesFailed, 0);
  assert.equal(snap.recent.length, 0);
  assert.equal(snap.inFlight[0]!.rowsParsed, 0);
  assert.equal(snap.inFlight[0]!.message, undefined);
  assert.equal(snap.totals.rowsParsed, 5, 'run totals keep what was parsed');
});

test('events for an unknown id create the file instead of throwing', () => {
  const tracker = new ProgressTracker({ now: fakeClock().now });
  tracker.fileStarted('mystery', 10);
  assert.equal(tracker.snapshot().inFlight[0]!.key, 'mystery');
});

test('logs are kept (bounded), streamed to listeners, and error() counts', () => {
  const clock = fakeClock();
  const tracker = new ProgressTracker({ now: clock.now, maxLogs: 3 });
  const seen: LogEntry[] = [];
  const unsubscribe = tracker.on('log', (entry) => seen.push(entry));
  tracker.log('info', 'one');
  tracker.log('warn', 'two');
  tracker.error('three');
  unsubscribe();
  tracker.log('info', 'four');
  const snap = tracker.snapshot();
  assert.deepEqual(seen.map((e) => [e.level, e.message]), [['info', 'one'], ['warn', 'two'], ['error', 'three']]);
  assert.deepEqual(snap.logs.map((e) => e.message), ['two', 'three', 'four']);
  assert.equal(snap.totals.errors, 1);
});

test('info and extra show up in the snapshot; snapshots are copies', () => {
  const tracker = new ProgressTracker({ now: fakeClock().now });
  tracker.setInfo({ metricsAddress: '127.0.0.1:9090', configPath: 'gammaflow.toml' });
  tracker.setInfo({ lastConfigReloadMs: 5, lastConfigReloadMessage: 'ok' });
  tracker.setExtra('feed', 'connected');
  tracker.setExtra('msgsPerSec', 1200);
  const snap = tracker.snapshot();
  assert.equal(snap.metricsAddress, '127.0.0.1:9090');
  assert.equal(snap.configPath, 'gammaflow.toml');
  assert.equal(snap.lastConfigReloadMessage, 'ok');
  assert.deepEqual(snap.extra, { feed: 'connected', msgsPerSec: 1200 });
  snap.extra['feed'] = 'changed';
  tracker.deleteExtra('msgsPerSec');
  assert.deepEqual(tracker.snapshot().extra, { feed: 'connected' });
});

test('the live section is in the snapshot only once set, as a copy', () => {
  const tracker = new ProgressTracker({ now: fakeClock().now });
  assert.equal(tracker.snapshot().live, undefined);
  tracker.setLive(sampleLiveStatus());
  const snap = tracker.snapshot();
  assert.deepEqual(snap.live, sampleLiveStatus());
  (snap.live!.connections[0] as { state: string }).state = 'closed';
  assert.equal(tracker.snapshot().live!.connections[0]!.state, 'streaming');
});

test('startRun called again updates totals but keeps the start time', () => {
  const clock = fakeClock();
  const tracker = new ProgressTracker({ now: clock.now });
  tracker.startRun({ command: 'ingest', daysTotal: 0, filesTotal: 0 });
  const startedAtMs = tracker.snapshot().startedAtMs;
  clock.advance(1000);
  tracker.startRun({ command: 'ingest', daysTotal: 5, filesTotal: 20 });
  const snap = tracker.snapshot();
  assert.equal(snap.startedAtMs, startedAtMs);
  assert.equal(snap.daysTotal, 5);
  assert.equal(snap.filesTotal, 20);
});
