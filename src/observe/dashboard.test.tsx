import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { render } from 'ink-testing-library';
import { Dashboard, LiveDashboard, startDashboard } from './dashboard.js';
import { ProgressTracker } from './progress.js';
import { WINDOW_0935_MS, sampleLiveStatus } from '../../test/support/live-status.js';

/** Polls until `condition` holds: ink applies effects and input asynchronously. */
async function waitFor(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.fail(`timed out waiting for ${what}`);
}

function busyTracker() {
  let nowMs = Date.UTC(2025, 10, 7, 14, 0, 0);
  const tracker = new ProgressTracker({ now: () => nowMs });
  tracker.startRun({ command: 'ingest', daysTotal: 10, filesTotal: 40 });
  tracker.setInfo({ metricsAddress: '127.0.0.1:9090', configPath: 'gammaflow.toml', lastConfigReloadMs: nowMs, lastConfigReloadMessage: 'ok' });
  tracker.fileQueued('a', { dataset: 'stocks-trades', date: '2025-11-07', key: 'k/a' });
  tracker.fileQueued('b', { dataset: 'options-trades', date: '2025-11-06', key: 'k/b' });
  tracker.fileStarted('b', 2_000_000);
  tracker.fileStarted('a', 3_410_000_000);
  nowMs += 12_000;
  tracker.fileBytes('b', 2_000_000);
  tracker.fileDone('b', { state: 'failed', message: 'corrupt gzip' });
  tracker.fileBytes('a', 812_400_000);
  tracker.fileRows('a', { parsed: 8_123_456, written: 8_123_456, rejected: 7 });
  tracker.log('warn', 'slow disk');
  tracker.setExtra('feed', 'connected');
  tracker.setExtra('msgsPerSec', 1200);
  return tracker;
}

test('the dashboard shows header, bars, per-file speed, totals, recent files, logs, extras and the quit hint', () => {
  const { lastFrame, unmount } = render(<Dashboard snapshot={busyTracker().snapshot()} />);
  const frame = lastFrame()!;
  unmount();
  assert.match(frame, /gammaflow ingest {2}elapsed 12s {2}metrics http:\/\/127\.0\.0\.1:9090\/metrics\n/);
  assert.match(frame, /config gammaflow\.toml \(reloaded 12s ago: ok\)/);
  assert.match(frame, /days {2}░+ {2}0\/10/);
  assert.match(frame, /files █*░+ {2}1\/40 {2}failed 1/);
  assert.match(frame, /stocks-trades 2025-11-07 {3}█{5}░{15} {2}812\.4 MB \/ 3\.41 GB {2}23\.8%/);
  // 812.4 MB read within the 5 s rate window: 162.5 MB/s, 2.6 GB left -> 16 s.
  assert.match(frame, /162\.5 MB\/s {2}1\.62 M rows\/s {2}rows 8,123,456 {2}rejects 7 {2}ETA 16s/);
  assert.match(frame, /total {2}read 814\.4 MB {2}162\.9 MB\/s/);
  assert.match(frame, /rows 8,123,456 {2}written 8,123,456 {2}rejects 7 \(<0\.01%\) {2}s3 retries 0 {2}errors 0/);
  assert.match(frame, /✗ failed options-trades 2025-11-06 .*corrupt gzip/);
  assert.match(frame, /14:00:12 warn {2}slow disk/);
  assert.match(frame, /feed=connected {2}msgsPerSec=1,200/);
  assert.match(frame, /q quit/);
});

test('an idle run renders without files, logs or extras', () => {
  const tracker = new ProgressTracker({ now: () => 0 });
  tracker.startRun({ command: 'realtime', daysTotal: 0, filesTotal: 0 });
  const { lastFrame, unmount } = render(<Dashboard snapshot={tracker.snapshot()} />);
  const frame = lastFrame()!;
  unmount();
  assert.match(frame, /gammaflow realtime {2}elapsed 0s/);
  assert.doesNotMatch(frame, /MB \//);
  assert.doesNotMatch(frame, /recent|log/);
  assert.match(frame, /q quit/);
});

test('the live dashboard re-renders from the tracker and q calls onQuit', async () => {
  const tracker = busyTracker();
  let quits = 0;
  const { lastFrame, stdin, unmount } = render(<LiveDashboard tracker={tracker} refreshMs={10} onQuit={() => quits++} />);
  try {
    assert.match(lastFrame()!, /MB \/ /);
    assert.match(lastFrame()!, /MB\/s/);
    tracker.fileRows('a', { parsed: 1 });
    await waitFor(() => lastFrame()!.includes('rows 8,123,457'), 'a refresh');
    await waitFor(() => stdin.listenerCount('readable') > 0, 'the input listener');
    stdin.write('q');
    await waitFor(() => quits === 1, 'onQuit after q');
    stdin.write('\x03');
    await waitFor(() => quits === 2, 'onQuit after Ctrl-C');
  } finally {
    unmount();
  }
});

/** Just enough of a TTY for ink, like ink-testing-library's fakes. */
class FakeStdout extends EventEmitter {
  readonly frames: string[] = [];
  readonly isTTY = true;
  get columns() { return 120; }
  get rows() { return 40; }
  write = (frame: string) => { this.frames.push(frame); return true; };
}
class FakeStdin extends EventEmitter {
  readonly isTTY = true;
  rawMode = false;
  private data: string | null = null;
  write(data: string) { this.data = data; this.emit('readable'); this.emit('data', data); }
  read() { const data = this.data; this.data = null; return data; }
  setEncoding() {}
  setRawMode(mode: boolean) { this.rawMode = mode; }
  resume() {}
  pause() {}
  ref() {}
  unref() {}
}

test('startDashboard mounts on the given terminal, delivers q to onQuit and restores raw mode on stop', async () => {
  const stdout = new FakeStdout();
  const stdin = new FakeStdin();
  let quits = 0;
  const dashboard = startDashboard(busyTracker(), {
    refreshMs: 20, onQuit: () => quits++,
    stdout: stdout as unknown as NodeJS.WriteStream, stdin: stdin as unknown as NodeJS.ReadStream,
  });
  try {
    await waitFor(() => stdin.rawMode, 'raw mode');
    dashboard.setRefreshMs(10);
    stdin.write('q');
    await waitFor(() => quits === 1, 'onQuit');
  } finally {
    dashboard.stop();
    dashboard.stop();
  }
  assert.equal(stdin.rawMode, false, 'raw mode is switched off again');
  assert.ok(stdout.frames.join('').includes('MB/s'), 'the dashboard was drawn');
  assert.throws(() => dashboard.setRefreshMs(0), RangeError);
});

test('the days bar counts missing days apart from failed ones', () => {
  const tracker = new ProgressTracker({ now: () => 0 });
  tracker.startRun({ command: 'ingest', daysTotal: 3, filesTotal: 3 });
  tracker.dayDone('done');
  tracker.dayDone('missing');
  const { lastFrame, unmount } = render(<Dashboard snapshot={tracker.snapshot()} />);
  const frame = lastFrame()!;
  unmount();
  assert.match(frame, /days {2}█+░+ {2}2\/3 {2}missing 1/);
  assert.doesNotMatch(frame, /days .*failed/);
});

test('live mode: connections, msgs/s, lag and the last closed window per size with its key values; no batch bars', () => {
  const tracker = new ProgressTracker({ now: () => WINDOW_0935_MS + 65_000 });
  tracker.startRun({ command: 'live', daysTotal: 0, filesTotal: 0 });
  tracker.setLive(sampleLiveStatus());
  const { lastFrame, unmount } = render(<Dashboard snapshot={tracker.snapshot()} />);
  const frame = lastFrame()!;
  unmount();
  assert.match(frame, /gammaflow live {2}elapsed 0s/);
  assert.match(frame, /connection\n {2}stocks streaming\n {2}options reconnecting \(2 failed attempts; last: connection refused \(ECONNREFUSED 127\.0\.0\.1:9\)\)\n/);
  assert.match(frame, /msgs\/s 1,235 {2}lag stocks 12 ms, options 20\.0 s {2}rows 12,345 \(2 revised\)/);
  assert.match(frame, /late 5 \(3 dropped, 2 revised\) {2}dropped feed 7, jsonl 1, sse clients 0/);
  assert.match(frame, /last windows\n {2}1m 09:35:00 {2}close 680\.12 {2}dadvv C 1\.23M P 45\.6k {2}gadvv C 512 P 80 {2}agg buys 12 sells 9\n {2}5m 09:30:00 {2}close – {2}dadvv C – P – {2}gadvv C – P – {2}agg buys 0 sells 0/);
  assert.match(frame, /quoted contracts 1,000 {2}corrections 4 {2}kept events 120,345 \(0 duplicates skipped\)/);
  assert.match(frame, /finalize 2025-11-06 done/);
  assert.doesNotMatch(frame, /days |files |read 0 B|0\/0/, 'no batch bars under live');
  assert.match(frame, /q quit/);
});
