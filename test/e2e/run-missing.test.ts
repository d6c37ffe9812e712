/**
 * `gammaflow run` over a range where one trading day has no files: the day is counted as
 * missing (not failed) and the run exits 0; with --require-all it exits 1, after computing the
 * days that have files.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJsonLines, runCli } from '../support/cli.js';

const DATE = '2025-11-07';
/** The trading day before: no files in the source. */
const MISSING = '2025-11-06';
let work: string;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'gf-e2e-run-missing-'));
  writeFileSync(join(work, 'config.toml'), '[metrics]\nlisten = "0"\n');
  const g = await runCli(['generate', '--out', join(work, 'data'), '--date', DATE, '--tickers', '3', '--spy-trades', '3000', '--option-trades', '400', '--seed', '3'],
    { cwd: work, timeoutMs: 120_000 });
  assert.equal(g.code, 0, g.stderr);
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

test('run: a day without files is missing, exit 0; with --require-all exit 1, the other day still computed', async () => {
  const args = ['run', '--symbol', 'SPY', '--from', MISSING, '--to', DATE, '--source', `local:${join(work, 'data')}`, '--lake', join(work, 'lake'), '--json'];
  const r = await runCli(args, { cwd: work, timeoutMs: 180_000 });
  assert.equal(r.code, 0, r.stderr);
  const out = parseJsonLines(r.stdout);
  const missingDays = out.filter((l) => l.type === 'day' && l.state === 'missing').map((l) => `${String(l.dataset)} ${String(l.date)}`);
  assert.deepEqual(missingDays.sort(), [`options-quotes ${MISSING}`, `options-trades ${MISSING}`, `stocks-trades ${MISSING}`]);
  const summary = out.at(-1)!;
  assert.equal(summary.type, 'summary');
  assert.equal((summary.days as Record<string, number>).missing, 3);
  assert.equal((summary.days as Record<string, number>).failed, 0);

  const strict = await runCli([...args, '--require-all'], { cwd: work, timeoutMs: 180_000 });
  assert.equal(strict.code, 1, strict.stderr);
  const strictOut = parseJsonLines(strict.stdout);
  assert.ok(strictOut.some((l) => l.type === 'log' && l.level === 'error' && /stocks-trades 2025-11-06: no file .*\(--require-all\)/.test(String(l.message))),
    strict.stdout);
  const days = strictOut.filter((l) => l.type === 'day' && l.date === DATE).map((l) => l.state);
  assert.deepEqual(days, ['skipped', 'skipped', 'skipped'], 'the day with files is there (already computed by the first run)');
});
