/**
 * Lake locks as a user meets them: a partition lock whose pid now belongs to another process is
 * removed by recovery with a line saying why; a partition lock from another host fails that day with a message
 * naming the holder and how to remove the lock; a whole-lake lock of a live process keeps every
 * writer out.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { generateStocksDay, parseJsonLines, runCli } from '../support/cli.js';

const DATE = '2025-11-07';
const PARTITION_LOCK = join('_locks', 'stocks-trades', `date=${DATE}.lock`);
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

/** A lake with a lock file at `rel` (`.lock` for the whole lake, `_locks/<dataset>/date=D.lock` for a partition). */
function lakeWithLock(name: string, lock: string, rel = PARTITION_LOCK): string {
  const lake = join(work, name);
  mkdirSync(dirname(join(lake, rel)), { recursive: true });
  writeFileSync(join(lake, rel), lock);
  return lake;
}

const ingest = (lake: string): string[] => ['ingest', '--dataset', 'stocks-trades', '--from', DATE, '--source', `local:${data}`, '--lake', lake, '--json'];

test('a partition lock naming a live pid with another start time (a reused pid) is removed by recovery with a line saying whose it was and why it is stale', { skip: process.platform !== 'linux' && 'needs /proc' }, async () => {
  // This test process is alive; the lock says its pid started at another time: some earlier gammaflow that died.
  const lake = lakeWithLock('reused', JSON.stringify({ pid: process.pid, host: hostname(), startTicks: 1, since: '2026-01-01T00:00:00.000Z', command: 'gammaflow ingest (dead)' }));
  const r = await runCli(ingest(lake), { cwd: work });
  assert.equal(r.code, 0, r.stderr);
  const infos = parseJsonLines(r.stdout).filter((l) => l.type === 'log').map((l) => String(l.message));
  assert.ok(infos.some((m) => new RegExp(`removed the stale lock .*date=${DATE}\\.lock of pid ${process.pid} on host .* since 2026-01-01T00:00:00.000Z \\(gammaflow ingest \\(dead\\)\\): pid ${process.pid} now belongs to another process`).test(m)),
    infos.join('\n'));
  assert.equal(existsSync(join(lake, PARTITION_LOCK)), false, 'released once the day is published');
  assert.ok(existsSync(join(lake, 'stocks-trades', `date=${DATE}`, '_manifest.json')));
});

test('a partition lock from another host is never taken over: the day fails naming the holder, the lock and the partition untouched', async () => {
  const lock = JSON.stringify({ pid: 4242, host: 'some-other-machine', startTicks: 99, since: '2026-12-07T20:00:00.000Z', command: 'gammaflow run --symbol SPY' });
  const lake = lakeWithLock('other-host', lock);
  const r = await runCli(ingest(lake), { cwd: work });
  assert.equal(r.code, 1, r.stderr);
  const [day] = parseJsonLines(r.stdout).filter((l) => l.type === 'day');
  assert.equal(day?.state, 'failed', r.stdout);
  assert.match(String(day?.message), /the partition stocks-trades\/date=2025-11-07 of the lake .* is locked by a gammaflow process on another machine: pid 4242 on host some-other-machine since 2026-12-07T20:00:00.000Z \(gammaflow run --symbol SPY\)/);
  assert.match(String(day?.message), /never taken over automatically; if that process is gone, remove .*date=2025-11-07\.lock and rerun/);
  assert.equal(readFileSync(join(lake, PARTITION_LOCK), 'utf8'), lock);
  assert.equal(existsSync(join(lake, 'stocks-trades')), false);
});

test('a whole-lake lock (lake check --repair, or an older gammaflow) of a live process keeps writers out; of a dead one it is ignored', async () => {
  // Our pid as an old-format lock: not the CLI's own pid, and alive.
  const held = lakeWithLock('old-live', String(process.pid), '.lock');
  const r = await runCli(ingest(held), { cwd: work });
  assert.equal(r.code, 1, r.stderr);
  const [day] = parseJsonLines(r.stdout).filter((l) => l.type === 'day');
  assert.match(String(day?.message), new RegExp(`cannot write the partition stocks-trades/date=${DATE} .*: another gammaflow process is writing to the lake .*: pid ${process.pid} on an unrecorded host \\(an old-format lock\\)`));
  assert.equal(existsSync(join(held, 'stocks-trades', `date=${DATE}`)), false);
  const dead = lakeWithLock('old-dead', '2147483646', '.lock'); // above any pid_max: no such process
  const d = await runCli(ingest(dead), { cwd: work });
  assert.equal(d.code, 0, d.stderr);
});
