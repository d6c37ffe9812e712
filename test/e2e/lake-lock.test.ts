/**
 * The lake lock as a user meets it: a lock whose pid now belongs to another process is taken
 * over with an info line; a lock from another host stops the run with a message naming the
 * holder and how to remove the lock.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateStocksDay, parseJsonLines, runCli } from '../support/cli.js';

const DATE = '2025-11-07';
let work: string;
let data: string;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'gf-e2e-lock-'));
  data = join(work, 'data');
  writeFileSync(join(work, 'config.toml'), '[metrics]\nlisten = "0"\n');
  await generateStocksDay(data, DATE, { tickers: 3, spyTrades: 2000 }, work);
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

function lakeWithLock(name: string, lock: string): string {
  const lake = join(work, name);
  mkdirSync(lake, { recursive: true });
  writeFileSync(join(lake, '.lock'), lock);
  return lake;
}

const ingest = (lake: string): string[] => ['ingest', '--dataset', 'stocks-trades', '--from', DATE, '--source', `local:${data}`, '--lake', lake, '--json'];

test('a lock naming a live pid with another start time (a reused pid) is taken over with an info line', { skip: process.platform !== 'linux' && 'needs /proc' }, async () => {
  // This test process is alive; the lock says its pid started at another time: some earlier gammaflow that died.
  const lake = lakeWithLock('reused', JSON.stringify({ pid: process.pid, host: hostname(), startTicks: 1, since: '2026-01-01T00:00:00.000Z', command: 'gammaflow ingest (dead)' }));
  const r = await runCli(ingest(lake), { cwd: work });
  assert.equal(r.code, 0, r.stderr);
  const infos = parseJsonLines(r.stdout).filter((l) => l.type === 'log').map((l) => String(l.message));
  assert.ok(infos.some((m) => new RegExp(`taking over the stale lock .*\\.lock of pid ${process.pid} on host .* since 2026-01-01T00:00:00.000Z \\(gammaflow ingest \\(dead\\)\\): pid ${process.pid} now belongs to another process`).test(m)),
    infos.join('\n'));
  assert.equal(existsSync(join(lake, '.lock')), false, 'released at the end');
  assert.ok(existsSync(join(lake, 'stocks-trades', `date=${DATE}`)));
});

test('a lock from another host is never taken over: exit 1, the holder named, the lock and the lake untouched', async () => {
  const lock = JSON.stringify({ pid: 4242, host: 'some-other-machine', startTicks: 99, since: '2026-12-07T20:00:00.000Z', command: 'gammaflow run --symbol SPY' });
  const lake = lakeWithLock('other-host', lock);
  const r = await runCli(ingest(lake), { cwd: work });
  assert.equal(r.code, 1, r.stderr);
  const [error] = parseJsonLines(r.stderr).filter((l) => l.type === 'error');
  assert.ok(error, r.stderr);
  assert.match(String(error.message), /locked by a gammaflow process on another machine: pid 4242 on host some-other-machine since 2026-12-07T20:00:00.000Z \(gammaflow run --symbol SPY\)/);
  assert.match(String(error.message), /never taken over automatically; if that process is gone, remove .*other-host\/\.lock and rerun/);
  assert.equal(readFileSync(join(lake, '.lock'), 'utf8'), lock);
  assert.equal(existsSync(join(lake, 'stocks-trades')), false);
});

test('an old-format lock (a bare pid) of a live process keeps the lake; of a dead one it is taken over', async () => {
  const held = lakeWithLock('old-live', String(process.pid));
  // Our pid as an old-format lock: not the CLI's own pid, and alive.
  const r = await runCli(ingest(held), { cwd: work });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`another gammaflow process is writing to the lake .*: pid ${process.pid} on an unrecorded host \\(an old-format lock\\)`));
  const dead = lakeWithLock('old-dead', '2147483646'); // above any pid_max: no such process
  const d = await runCli(ingest(dead), { cwd: work });
  assert.equal(d.code, 0, d.stderr);
});
