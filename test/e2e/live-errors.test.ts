/**
 * `gammaflow live` against a feed that is down: each cluster says why it cannot connect (rate
 * limited), the progress shows the state and the last cause, and Ctrl-C while reconnecting exits 0.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJsonLines, startCli } from '../support/cli.js';

let work: string;
let port: number;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'gf-e2e-live-errors-'));
  writeFileSync(join(work, 'config.toml'), '[metrics]\nlisten = "0"\n[tui]\nplain_progress_interval_s = 0.2\n');
  // A loopback port where nothing listens: bound, then closed.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  port = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const logMessages = (stdout: string): string[] =>
  parseJsonLines(stdout).filter((l) => l.type === 'log').map((l) => `${String(l.level)} ${String(l.message)}`);

test('live on a closed port logs "connection refused" per cluster within seconds, shows it in progress, and SIGINT exits 0', async () => {
  const url = `ws://127.0.0.1:${port}`;
  const startedMs = Date.now();
  const p = startCli(['live', '--symbol', 'SPY', '--url', url, '--lake', join(work, 'lake'), '--json'],
    { cwd: work, env: { MASSIVE_API_KEY: 'test-key-not-printed' }, timeoutMs: 60_000 });
  const refused = (cluster: string) => (line: string): boolean => {
    const l = JSON.parse(line) as Record<string, unknown>;
    return l.type === 'log' && l.level === 'warn'
      && String(l.message).startsWith(`${url}/${cluster}: connection attempt 1 failed: connection refused (ECONNREFUSED 127.0.0.1:${port})`);
  };
  await Promise.all([p.waitForLine(refused('stocks'), 10_000), p.waitForLine(refused('options'), 10_000)]);
  assert.ok(Date.now() - startedMs < 10_000);
  // The progress line's live section carries each cluster's state, failed attempts and last cause (refreshed every second).
  type Connection = { cluster: string; state: string; failedAttempts: number; lastError: string | null };
  const connection = (line: string, cluster: string): Connection | undefined => {
    const l = JSON.parse(line) as { type: string; live?: { connections: Connection[] } | null };
    return l.type === 'progress' ? l.live?.connections.find((c) => c.cluster === cluster) : undefined;
  };
  const refusedState = (c: Connection | undefined): boolean =>
    c !== undefined && /^(re)?connecting$/.test(c.state) && c.failedAttempts > 0 && /^connection refused/.test(c.lastError ?? '');
  const progress = await p.waitForLine((line) => refusedState(connection(line, 'stocks')), 10_000);
  const options = connection(progress, 'options');
  assert.ok(refusedState(options), JSON.stringify(options));
  assert.equal(options!.lastError, `connection refused (ECONNREFUSED 127.0.0.1:${port})`);
  const batch = JSON.parse(progress) as { days: { total: number }; files: { total: number } };
  assert.deepEqual([batch.days.total, batch.files.total], [0, 0], 'a live run plans no days or files');
  p.kill('SIGINT');
  const r = await p.exited;
  assert.equal(r.code, 0, `Ctrl-C while reconnecting exits 0; stderr:\n${r.stderr}`);
  assert.doesNotMatch(r.stdout + r.stderr, /is closed/);
  assert.doesNotMatch(r.stdout + r.stderr, /test-key-not-printed/);
  const logs = logMessages(r.stdout);
  // Rate limit: one line per cluster per 10 s however many attempts failed (the backoff retries within a second).
  const elapsedMs = Date.now() - startedMs;
  const perCluster = (cluster: string) => logs.filter((l) => l.includes(`${url}/${cluster}: connection attempt`)).length;
  const allowed = 1 + Math.floor(elapsedMs / 10_000);
  assert.ok(perCluster('stocks') >= 1 && perCluster('stocks') <= allowed, `stocks lines ${perCluster('stocks')} in ${elapsedMs} ms:\n${logs.join('\n')}`);
  assert.ok(perCluster('options') >= 1 && perCluster('options') <= allowed, logs.join('\n'));
  assert.ok(logs.some((l) => /stopped before the feed .* was streaming/.test(l)), logs.join('\n'));
  assert.equal(parseJsonLines(r.stdout).at(-1)!.type, 'summary');
});
