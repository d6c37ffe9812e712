/**
 * A long-running `gammaflow live` (no --exit-on-close) finalizes a day it wrote prelim rows for
 * once the day's flat files may be published: a replayed 2025-11-07 was published long ago, so
 * once live has published the day (its windows closed on the quiet feed) it runs `finalize` from
 * `--finalize-source`, and the day's rows in the lake become final while live keeps running.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, startCli } from '../support/cli.js';
import { duckQuery, lit } from '../support/duckdb.js';

const DATE = '2025-11-07';
const KEY = 'auto-finalize-key';
const env = { MASSIVE_API_KEY: KEY };
let work: string;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'gf-e2e-autofinal-'));
  writeFileSync(join(work, 'config.toml'), ['[metrics]', 'listen = "0"', '[aggregations]', 'quiet_close_ms = 1000', '[live]', 'finalize_retry_min = "1s"', ''].join('\n'));
  const generated = await runCli(['generate', '--out', 'data', '--date', DATE, '--ms', '--tickers', '2', '--spy-trades', '4000', '--option-trades', '1000'],
    { cwd: work, timeoutMs: 120_000 });
  assert.equal(generated.code, 0, generated.stderr);
  const run = await runCli(['run', '--symbol', 'SPY', '--from', DATE, '--source', 'local:data', '--lake', 'hist', '--no-tui'], { cwd: work, timeoutMs: 180_000 });
  assert.equal(run.code, 0, run.stderr);
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('live finalizes the day it streamed once the day is published, without stopping', { timeout: 300_000 }, async () => {
  const replay = startCli(['replay', '--symbol', 'SPY', '--date', DATE, '--lake', 'hist', '--speed', 'max', '--port', '0'], { cwd: work, env, timeoutMs: 250_000 });
  const url = await replay.waitForLine((l) => l.startsWith('ws://127.0.0.1:'));
  const live = startCli(['live', '--symbol', 'SPY', '--url', url, '--all-quotes', '--no-tui', '--lake', 'L', '--finalize-source', 'local:data'],
    { cwd: work, env, timeoutMs: 250_000 });
  try {
    // The day is published on live's lake timer (every minute), then finalized by a child process.
    await waitFor(() => /finalize SPY 2025-11-07: \d+ of \d+ rows changed/.test(live.stderr()), 200_000, 'the automatic finalize');
    assert.match(live.stderr(), /features SPY 2025-11-07: day published to the lake as prelim/);
    const [rows] = await duckQuery(`SELECT count(*) AS n, min(quality) AS q, max(quality) AS q2 FROM read_parquet(${lit(join(work, 'L', 'features', '*', '*', '*', '*.parquet'))})`);
    assert.deepEqual({ q: rows!.q, q2: rows!.q2 }, { q: 'final', q2: 'final' });
    assert.ok((rows!.n as bigint) > 0n);
    assert.ok(existsSync(join(work, 'L', 'finalize-reports', 'symbol=SPY', `date=${DATE}`, 'report.json')));
    assert.equal(live.child.exitCode, null, 'live is still running');
  } finally {
    live.kill('SIGINT');
    const done = await live.exited;
    replay.kill('SIGKILL');
    await replay.exited;
    assert.equal(done.code, 0, done.stderr);
  }
});
