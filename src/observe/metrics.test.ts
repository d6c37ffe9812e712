import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProgressTracker } from './progress.js';
import { createMetricsRegistry, parseListen, registerPullGauge, registerTrackerMetrics, startMetricsServer } from './metrics.js';

/** The value of one sample line of the Prometheus text format, e.g. `name{a="b"}`. */
function sample(body: string, series: string): number | undefined {
  for (const line of body.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return undefined;
}

function trackerAfterSomeWork() {
  let nowMs = 1_700_000_000_000;
  const tracker = new ProgressTracker({ now: () => nowMs });
  tracker.startRun({ command: 'ingest', daysTotal: 3, filesTotal: 4 });
  tracker.fileQueued('a', { dataset: 'stocks-trades', date: '2025-11-07', key: 'a' });
  tracker.fileQueued('b', { dataset: 'options-trades', date: '2025-11-07', key: 'b' });
  tracker.fileQueued('c', { dataset: 'options-trades', date: '2025-11-08', key: 'c' });
  tracker.fileStarted('a', 4_000_000);
  nowMs += 2000;
  tracker.fileBytes('a', 4_000_000);
  tracker.fileRows('a', { parsed: 1000, written: 990, rejected: 10 });
  tracker.fileDone('a', { state: 'done' });
  tracker.fileDone('b', { state: 'missing' });
  tracker.fileStarted('c', 1_000_000);
  tracker.s3Retry('c');
  tracker.error('boom');
  tracker.dayDone('done');
  return tracker;
}

test('/metrics exposes process metrics and gammaflow metrics derived from the tracker', async () => {
  const registry = createMetricsRegistry();
  registerTrackerMetrics(registry, trackerAfterSomeWork());
  const server = await startMetricsServer('127.0.0.1:0', registry);
  try {
    assert.match(server.address, /^127\.0\.0\.1:\d+$/);
    assert.notEqual(server.address, '127.0.0.1:0');
    const res = await fetch(`${server.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^text\/plain; version=0\.0\.4/);
    const body = await res.text();
    assert.ok(body.includes('process_cpu_user_seconds_total'), 'default process metrics');
    assert.ok(body.includes('# TYPE gammaflow_bytes_read_total counter'));
    assert.equal(sample(body, 'gammaflow_bytes_read_total'), 4_000_000);
    assert.equal(sample(body, 'gammaflow_rows_parsed_total'), 1000);
    assert.equal(sample(body, 'gammaflow_rows_written_total'), 990);
    assert.equal(sample(body, 'gammaflow_rows_rejected_total'), 10);
    assert.equal(sample(body, 'gammaflow_files_finished_total{dataset="stocks-trades",state="done"}'), 1);
    assert.equal(sample(body, 'gammaflow_files_finished_total{dataset="options-trades",state="missing"}'), 1);
    assert.equal(sample(body, 'gammaflow_days_finished_total{result="done"}'), 1);
    assert.equal(sample(body, 'gammaflow_days_finished_total{result="missing"}'), 0);
    assert.equal(sample(body, 'gammaflow_files_in_flight{state="running"}'), 1);
    assert.equal(sample(body, 'gammaflow_files_planned'), 4);
    assert.equal(sample(body, 'gammaflow_days_planned'), 3);
    assert.equal(sample(body, 'gammaflow_throughput_bytes_per_second'), 2_000_000);
    assert.equal(sample(body, 'gammaflow_throughput_rows_per_second'), 500);
    assert.equal(sample(body, 'gammaflow_s3_retries_total'), 1);
    assert.equal(sample(body, 'gammaflow_errors_total'), 1);
    assert.equal(sample(body, 'gammaflow_run_start_time_seconds'), 1_700_000_000);

    const health = await fetch(`${server.url}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(await health.text(), 'ok\n');
    assert.equal((await fetch(`${server.url}/nope`)).status, 404);
    assert.equal((await fetch(`${server.url}/metrics`, { method: 'POST' })).status, 405);
  } finally {
    await server.close();
  }
});

test('metrics follow the tracker between scrapes', async () => {
  const tracker = new ProgressTracker({ now: () => 0 });
  const registry = createMetricsRegistry({ defaultMetrics: false });
  registerTrackerMetrics(registry, tracker);
  assert.equal(sample(await registry.metrics(), 'gammaflow_rows_parsed_total'), 0);
  tracker.fileRows('x', { parsed: 7 });
  assert.equal(sample(await registry.metrics(), 'gammaflow_rows_parsed_total'), 7);
  tracker.fileRows('x', { parsed: 5 });
  assert.equal(sample(await registry.metrics(), 'gammaflow_rows_parsed_total'), 12);
});

test('numeric run values (tracker extras) are exported by name; text ones are not', async () => {
  const tracker = new ProgressTracker({ now: () => 0 });
  const registry = createMetricsRegistry({ defaultMetrics: false });
  registerTrackerMetrics(registry, tracker);
  tracker.setExtra('aggression_classified_pct', 91.25);
  tracker.setExtra('feed', 'connected');
  const text = await registry.metrics();
  assert.match(text, /gammaflow_run_value\{name="aggression_classified_pct"\} 91\.25/);
  assert.doesNotMatch(text, /name="feed"/);
});

test('later code adds pull gauges and routes, including a streaming one closed by close()', async () => {
  const registry = createMetricsRegistry({ defaultMetrics: false });
  let lagMs = 250;
  registerPullGauge(registry, { name: 'gammaflow_live_lag_ms', help: 'Feed lag.', read: () => lagMs });
  registerPullGauge(registry, {
    name: 'gammaflow_live_messages_per_second', help: 'Messages per second by feed.', labelNames: ['feed'],
    read: () => [{ labels: { feed: 'options' }, value: 1200 }],
  });
  const server = await startMetricsServer('127.0.0.1:0', registry);
  try {
    server.route('/features/latest', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
    server.route('/stream', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: hello\n\n');
    });
    assert.throws(() => server.route('/metrics', () => {}), /already defined/);
    assert.throws(() => server.route('/stream', () => {}), /already defined/);

    lagMs = 400;
    const body = await (await fetch(`${server.url}/metrics`)).text();
    assert.equal(sample(body, 'gammaflow_live_lag_ms'), 400);
    assert.equal(sample(body, 'gammaflow_live_messages_per_second{feed="options"}'), 1200);
    assert.deepEqual(await (await fetch(`${server.url}/features/latest?x=1`)).json(), { ok: true });

    const stream = await fetch(`${server.url}/stream`);
    const reader = stream.body!.getReader();
    const first = await reader.read();
    assert.equal(new TextDecoder().decode(first.value), 'data: hello\n\n');
    await server.close();
    await assert.rejects(async () => {
      for (;;) { if ((await reader.read()).done) break; }
      throw new Error('stream ended cleanly');
    });
  } finally {
    await server.close().catch(() => {});
  }
});

test("a route handler that throws answers 500", async () => {
  const server = await startMetricsServer('127.0.0.1:0', createMetricsRegistry({ defaultMetrics: false }));
  try {
    server.route('/bad', () => { throw new Error('kaputt'); });
    const res = await fetch(`${server.url}/bad`);
    assert.equal(res.status, 500);
    assert.match(await res.text(), /kaputt/);
  } finally {
    await server.close();
  }
});

test("'0' disables the server; a busy port is a clear error", async () => {
  const registry = createMetricsRegistry({ defaultMetrics: false });
  const disabled = await startMetricsServer('0', registry);
  assert.equal(disabled.enabled, false);
  assert.equal(disabled.address, '');
  disabled.route('/x', () => {});
  await disabled.close();

  const first = await startMetricsServer('127.0.0.1:0', registry);
  try {
    await assert.rejects(startMetricsServer(first.address, registry), (e: Error) => /cannot listen on 127\.0\.0\.1:\d+/.test(e.message));
  } finally {
    await first.close();
  }
});

test('listen addresses', () => {
  assert.equal(parseListen('0'), undefined);
  assert.deepEqual(parseListen('127.0.0.1:9090'), { host: '127.0.0.1', port: 9090 });
  assert.deepEqual(parseListen('[::1]:0'), { host: '::1', port: 0 });
  assert.deepEqual(parseListen('localhost:8080'), { host: 'localhost', port: 8080 });
  assert.throws(() => parseListen('127.0.0.1'), /invalid metrics listen address/);
  assert.throws(() => parseListen('host:99999'), /invalid metrics listen address/);
});

test('a loopback bind warns about nothing; a non-loopback bind warns once for /metrics and once per route added, naming what each exposes', async () => {
  const quiet: string[] = [];
  const local = await startMetricsServer('127.0.0.1:0', createMetricsRegistry({ defaultMetrics: false }), { onWarn: (m) => quiet.push(m) });
  try {
    assert.equal(local.remote, false);
    local.route('/extra', (_req, res) => { res.end(); }, 'something');
    assert.deepEqual(quiet, []);
  } finally {
    await local.close();
  }
  // Tests bind loopback only: the server is told to judge 127.0.0.1 remote, as it judges 0.0.0.0 (config/listen.test.ts).
  const warnings: string[] = [];
  const remote = await startMetricsServer('127.0.0.1:0', createMetricsRegistry({ defaultMetrics: false }), { onWarn: (m) => warnings.push(m), isLoopback: () => false });
  try {
    assert.equal(remote.remote, true);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, new RegExp(`^metrics on ${remote.address.replace(/\./g, '\\.')} are reachable from other machines: /metrics exposes this run's progress and counters .* and /healthz answers; there is no authentication`));
    remote.route('/features/latest', (_req, res) => { res.end(); }, 'the latest feature row of each window');
    assert.equal(warnings.length, 2);
    assert.match(warnings[1]!, new RegExp(`^/features/latest on ${remote.address.replace(/\./g, '\\.')} is reachable from other machines: the latest feature row of each window`));
  } finally {
    await remote.close();
  }
});

test('the remote exposure warning says when every network interface listens', async () => {
  const { remoteExposureWarning } = await import('./server.js');
  assert.match(remoteExposureWarning('metrics', '0.0.0.0:9090', '0.0.0.0', '/metrics exposes x'),
    /^metrics on 0\.0\.0\.0:9090 are reachable from other machines \(every network interface\): \/metrics exposes x; there is no authentication \(metrics\.allow_remote = true; use a loopback listen address/);
  assert.match(remoteExposureWarning('metrics', '[::]:9090', '::', 'x'), /\(every network interface\)/);
  assert.doesNotMatch(remoteExposureWarning('metrics', '10.0.0.5:9090', '10.0.0.5', 'x'), /every network interface/);
});
