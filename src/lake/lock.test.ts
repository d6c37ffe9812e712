import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockLake, lockPartition, lockPartitionWaiting, onLockInfo, parseLockHolder, partitionWriter, removeStaleLocks, parseStartTicks, PartitionBusyError, systemProbe, tryLockPartition, withPartitionsIfFree, type ProcessProbe } from './lock.js';
import { partitionLockPath, stagingDir } from './layout.js';
import { recoverLake } from './publish.js';
import { LakeError } from '../util/errors.js';

const linux = process.platform === 'linux';
let dir: string;
let child: ChildProcess;
let deadPid: number;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gf-lock-'));
  // A live process that is not us, and the pid of one that has exited.
  child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 600000)'], { stdio: 'ignore' });
  const gone = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  deadPid = gone.pid!;
  await new Promise((resolve) => gone.once('exit', resolve));
});

after(() => {
  child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
const freshLake = (): string => join(dir, `lake-${n++}`);
const lockOf = (lake: string): string => join(lake, '.lock');
const infoSink = (): { lines: string[]; onInfo: (m: string) => void } => {
  const lines: string[] = [];
  return { lines, onInfo: (m) => lines.push(m) };
};

test('parseStartTicks reads field 22 after the command name, whatever the name holds', () => {
  const fields = Array.from({ length: 50 }, (_, i) => String(i + 3)); // field 3 .. 52
  assert.equal(parseStartTicks(`123 (node) ${fields.join(' ')}`), 22);
  assert.equal(parseStartTicks(`123 (my (odd) cmd) x) ${fields.join(' ')}`), 22);
  assert.equal(parseStartTicks('garbage'), undefined);
  if (linux) assert.ok(systemProbe.startTicks(process.pid)! > 0, 'this process has a start time in /proc');
});

test('the lock records pid, host, start time, boot id, since and command as JSON, and release removes it', () => {
  const lake = freshLake();
  const lock = lockLake(lake, { command: 'gammaflow ingest --dataset stocks-trades', now: () => Date.parse('2026-12-07T22:45:00Z') });
  const holder = parseLockHolder(readFileSync(lockOf(lake), 'utf8'))!;
  assert.equal(holder.pid, process.pid);
  assert.equal(holder.host, hostname());
  assert.equal(holder.since, '2026-12-07T22:45:00.000Z');
  assert.equal(holder.command, 'gammaflow ingest --dataset stocks-trades');
  if (linux) {
    assert.equal(holder.startTicks, systemProbe.startTicks(process.pid));
    assert.match(holder.bootId ?? '', /^[0-9a-f-]{36}$/);
  }
  assert.throws(() => lockLake(lake), (e: unknown) => e instanceof LakeError && /already locked by this process/.test(e.message));
  lock.release();
  assert.equal(existsSync(lockOf(lake)), false);
  lockLake(lake).release();
});

test('a live holder on this host keeps the lake; the error names pid, host, since and command', { skip: !linux && 'needs /proc' }, () => {
  const lake = freshLake();
  lockLake(lake).release(); // creates the directory
  const held = { pid: child.pid, host: hostname(), startTicks: systemProbe.startTicks(child.pid!), bootId: systemProbe.bootId(), since: '2026-12-07T22:00:00.000Z', command: 'gammaflow greeks --symbol SPY' };
  writeFileSync(lockOf(lake), JSON.stringify(held));
  assert.throws(() => lockLake(lake), (e: unknown) => {
    assert.ok(e instanceof LakeError);
    assert.match(e.message, new RegExp(`another gammaflow process is writing to the lake .*: pid ${child.pid} on host ${hostname()} since 2026-12-07T22:00:00.000Z \\(gammaflow greeks --symbol SPY\\); wait for it or stop it`));
    assert.match(e.message, /remove .*\.lock/);
    return true;
  });
  assert.deepEqual(JSON.parse(readFileSync(lockOf(lake), 'utf8')), held, 'the holder\'s lock is left alone');
});

test('a live pid whose start time differs is a reused pid: the stale lock is taken over with an info message', { skip: !linux && 'needs /proc' }, () => {
  const lake = freshLake();
  lockLake(lake).release();
  const ticks = systemProbe.startTicks(child.pid!)!;
  writeFileSync(lockOf(lake), JSON.stringify({ pid: child.pid, host: hostname(), startTicks: ticks - 1, bootId: systemProbe.bootId(), since: '2026-12-01T10:00:00.000Z', command: 'gammaflow ingest' }));
  const info = infoSink();
  const lock = lockLake(lake, { onInfo: info.onInfo });
  assert.equal(parseLockHolder(readFileSync(lockOf(lake), 'utf8'))!.pid, process.pid);
  assert.equal(info.lines.length, 1);
  assert.match(info.lines[0]!, new RegExp(`taking over the stale lock .* of pid ${child.pid} on host .* since 2026-12-01T10:00:00.000Z \\(gammaflow ingest\\): pid ${child.pid} now belongs to another process`));
  lock.release();
});

test('a dead pid, another boot, our own pid from an earlier run, or an unreadable lock are stale', () => {
  const cases: [string, string, RegExp][] = [
    ['dead pid', JSON.stringify({ pid: deadPid, host: hostname(), startTicks: 5 }), new RegExp(`process ${deadPid} no longer exists`)],
    ['other boot', JSON.stringify({ pid: child.pid, host: hostname(), startTicks: 5, bootId: 'not-this-boot' }), /rebooted/],
    ['own pid, earlier run', JSON.stringify({ pid: process.pid, host: hostname(), startTicks: -1 }), /is now this process/],
    ['empty', '', /unreadable lock/],
    ['garbage', 'hello', /unreadable lock/],
  ];
  for (const [label, content, why] of cases) {
    if (label === 'other boot' && systemProbe.bootId() === undefined) continue;
    const lake = freshLake();
    lockLake(lake).release();
    writeFileSync(lockOf(lake), content);
    const info = infoSink();
    const lock = lockLake(lake, { onInfo: info.onInfo });
    assert.match(info.lines.join('\n'), why, label);
    assert.equal(parseLockHolder(readFileSync(lockOf(lake), 'utf8'))!.pid, process.pid, label);
    lock.release();
  }
});

test('an old-format lock (a bare pid) still works: live holds, dead is taken over', () => {
  const lake = freshLake();
  lockLake(lake).release();
  writeFileSync(lockOf(lake), String(child.pid));
  assert.throws(() => lockLake(lake), (e: unknown) => e instanceof LakeError
    && e.message.includes(`pid ${child.pid} on an unrecorded host (an old-format lock)`));
  writeFileSync(lockOf(lake), `${deadPid}\n`);
  const info = infoSink();
  lockLake(lake, { onInfo: info.onInfo }).release();
  assert.match(info.lines[0]!, new RegExp(`stale lock .* of pid ${deadPid} .*no longer exists`));
});

test('a lock from another host is never taken over: the message names the holder and how to remove it', () => {
  const lake = freshLake();
  lockLake(lake).release();
  const other = JSON.stringify({ pid: deadPid, host: 'other-box', startTicks: 7, since: '2026-12-07T21:00:00.000Z', command: 'gammaflow run --symbol SPY' });
  writeFileSync(lockOf(lake), other);
  const probe: ProcessProbe = { ...systemProbe, alive: () => false };
  assert.throws(() => lockLake(lake, { probe }), (e: unknown) => {
    assert.ok(e instanceof LakeError);
    assert.match(e.message, /locked by a gammaflow process on another machine: pid \d+ on host other-box since 2026-12-07T21:00:00.000Z \(gammaflow run --symbol SPY\)/);
    assert.match(e.message, /never taken over automatically; if that process is gone, remove .*\.lock and rerun/);
    assert.equal(e.context.host, 'other-box');
    return true;
  });
  assert.equal(readFileSync(lockOf(lake), 'utf8'), other);
});

test('release leaves alone a lock that another process took over meanwhile', () => {
  const lake = freshLake();
  const lock = lockLake(lake);
  const theirs = JSON.stringify({ pid: child.pid, host: hostname() });
  writeFileSync(lockOf(lake), theirs);
  lock.release();
  assert.equal(readFileSync(lockOf(lake), 'utf8'), theirs);
});

/** The lock content of the live child process (another gammaflow on this host, as far as a lock can tell). */
const childHolder = (command: string): string => JSON.stringify({
  pid: child.pid, host: hostname(), startTicks: systemProbe.startTicks(child.pid!), bootId: systemProbe.bootId(), since: '2026-12-07T23:00:00.000Z', command,
});

test('partition locks: one file per (dataset, day) under _locks, several held at once, one holder per partition', () => {
  const lake = freshLake();
  const a = lockPartition(lake, 'options-trades', '2025-01-02', { command: 'gammaflow ingest --dataset options-trades' });
  const b = lockPartition(lake, 'options-trades', '2025-01-03');
  const c = lockPartition(lake, 'features/symbol=SPY/window=5m', '2025-01-02');
  const path = partitionLockPath(lake, 'options-trades', '2025-01-02');
  assert.equal(path, join(lake, '_locks', 'options-trades', 'date=2025-01-02.lock'));
  const holder = parseLockHolder(readFileSync(path, 'utf8'))!;
  assert.equal(holder.pid, process.pid);
  assert.equal(holder.command, 'gammaflow ingest --dataset options-trades');
  assert.ok(existsSync(partitionLockPath(lake, 'features/symbol=SPY/window=5m', '2025-01-02')));
  assert.throws(() => lockPartition(lake, 'options-trades', '2025-01-02'), (e: unknown) => e instanceof PartitionBusyError
    && /the partition options-trades\/date=2025-01-02 of the lake .* is already locked by this process/.test(e.message));
  a.release(); b.release(); c.release();
  assert.equal(existsSync(path), false, 'released');
  assert.deepEqual(readdirSync(join(lake, '_locks', 'options-trades')), [], 'no temporary files left');
});

test('a partition another live process holds is refused, naming it; a stale one is taken over and said in the run log', { skip: !linux && 'needs /proc' }, async () => {
  const lake = freshLake();
  const path = partitionLockPath(lake, 'stocks-trades', '2025-01-02');
  mkdirSync(join(lake, '_locks', 'stocks-trades'), { recursive: true });
  writeFileSync(path, childHolder('gammaflow ingest --shard 1/4'));
  const got = tryLockPartition(lake, 'stocks-trades', '2025-01-02');
  assert.ok('busy' in got);
  assert.match(got.busy, new RegExp(`another gammaflow process is writing to the partition stocks-trades/date=2025-01-02 of the lake .*: pid ${child.pid} on host .* \\(gammaflow ingest --shard 1/4\\)`));
  const started = Date.now();
  await assert.rejects(lockPartitionWaiting(lake, 'stocks-trades', '2025-01-02', { waitMs: 300 }), PartitionBusyError);
  assert.ok(Date.now() - started >= 250, 'it asked again until the wait was over');
  assert.ok(existsSync(path), 'the holder keeps its lock');
  // Another partition of the same dataset is free.
  lockPartition(lake, 'stocks-trades', '2025-01-03').release();

  writeFileSync(path, JSON.stringify({ pid: deadPid, host: hostname(), startTicks: 5, command: 'gammaflow ingest (killed)' }));
  const lines: string[] = [];
  const stop = onLockInfo((m) => lines.push(m));
  try {
    lockPartition(lake, 'stocks-trades', '2025-01-02').release();
  } finally {
    stop();
  }
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, new RegExp(`taking over the stale lock .*date=2025-01-02\\.lock of pid ${deadPid} .*\\(gammaflow ingest \\(killed\\)\\): process ${deadPid} no longer exists`));
});

test('a lock freed by its holder while a writer waits is taken', async () => {
  const lake = freshLake();
  const first = lockPartition(lake, 'options-quotes', '2025-01-02');
  // This process holds it: waiting on oneself would never end, so that is refused at once.
  await assert.rejects(lockPartitionWaiting(lake, 'options-quotes', '2025-01-02', { waitMs: 5000 }), /already locked by this process/);
  first.release();
  (await lockPartitionWaiting(lake, 'options-quotes', '2025-01-02', { waitMs: 1000 })).release();
});

test('the whole-lake lock and partition locks exclude each other across processes', { skip: !linux && 'needs /proc' }, () => {
  const lake = freshLake();
  mkdirSync(join(lake, '_locks', 'options-trades'), { recursive: true });
  const partition = partitionLockPath(lake, 'options-trades', '2025-01-02');
  writeFileSync(partition, childHolder('gammaflow ingest --dataset options-trades'));
  assert.throws(() => lockLake(lake), (e: unknown) => e instanceof LakeError
    && /cannot lock the lake .* as a whole while a partition is being written: .*_locks\/options-trades\/date=2025-01-02\.lock.*pid \d+/.test(e.message));
  assert.equal(existsSync(lockOf(lake)), false, 'the lake lock is not left behind');
  rmSync(partition);
  // A stale partition lock does not stand in the way.
  writeFileSync(partition, JSON.stringify({ pid: deadPid, host: hostname() }));
  lockLake(lake).release();

  writeFileSync(lockOf(lake), childHolder('gammaflow lake check --repair'));
  const got = tryLockPartition(lake, 'stocks-trades', '2025-01-02');
  assert.ok('busy' in got);
  assert.match(got.busy, /cannot write the partition stocks-trades\/date=2025-01-02 .*: another gammaflow process is writing to the lake .*\(gammaflow lake check --repair\)/);
  assert.equal(existsSync(partitionLockPath(lake, 'stocks-trades', '2025-01-02')), false, 'the partition lock is not left behind');
  rmSync(lockOf(lake));
  // This process's own lake lock (live publishes under it... or a repair) lets its own writers through.
  const whole = lockLake(lake);
  lockPartition(lake, 'stocks-trades', '2025-01-02').release();
  whole.release();
});

test('recovery leaves alone the days whose partition another live process holds, and repairs them once it is gone', { skip: !linux && 'needs /proc' }, async () => {
  const lake = freshLake();
  // A day being staged by another process (no commit record yet), and one left by a dead run.
  const staging = stagingDir(lake, 'options-trades', '2025-01-02', 'run-b');
  const abandoned = stagingDir(lake, 'options-trades', '2025-01-03', 'run-dead');
  mkdirSync(staging, { recursive: true });
  mkdirSync(abandoned, { recursive: true });
  writeFileSync(join(staging, 'part-00000.parquet'), 'being written');
  writeFileSync(join(abandoned, 'part-00000.parquet'), 'left by a kill');
  const duckSpill = join(lake, '_staging', '_duckdb', 'run-c');
  mkdirSync(duckSpill, { recursive: true });
  writeFileSync(join(duckSpill, 'spill.tmp'), 'DuckDB of a running greeks job');
  mkdirSync(join(lake, '_locks', 'options-trades'), { recursive: true });
  writeFileSync(partitionLockPath(lake, 'options-trades', '2025-01-02'), childHolder('gammaflow ingest --shard 1/2'));

  const r = await recoverLake(lake);
  assert.equal(r.busy, 1);
  assert.equal(r.removed, 1);
  assert.ok(existsSync(join(staging, 'part-00000.parquet')), 'the other writer\'s staged day is untouched');
  assert.equal(existsSync(abandoned), false, 'the dead run\'s unfinished day is removed');
  assert.ok(existsSync(join(duckSpill, 'spill.tmp')), 'DuckDB spill files of running jobs are not debris');
  assert.equal(existsSync(partitionLockPath(lake, 'options-trades', '2025-01-03')), false, 'recovery released the lock it took');

  writeFileSync(partitionLockPath(lake, 'options-trades', '2025-01-02'), JSON.stringify({ pid: deadPid, host: hostname() }));
  const again = await recoverLake(lake);
  assert.equal(again.busy, 0);
  assert.equal(existsSync(staging), false, 'once its writer is gone, the unfinished day is removed');
});

test('withPartitionsIfFree: a busy partition stops the work with the reason; other errors go through', { skip: !linux && 'needs /proc' }, async () => {
  const lake = freshLake();
  mkdirSync(join(lake, '_locks', 'features'), { recursive: true });
  writeFileSync(partitionLockPath(lake, 'features', '2025-01-02'), childHolder('gammaflow finalize'));
  const done: string[] = [];
  const r = await withPartitionsIfFree(async () => {
    for (const date of ['2025-01-01', '2025-01-02', '2025-01-03']) {
      lockPartition(lake, 'features', date).release();
      done.push(date);
    }
  });
  assert.equal(r.ran, false);
  assert.match(!r.ran ? r.busy : '', /gammaflow finalize/);
  assert.deepEqual(done, ['2025-01-01']);
  assert.deepEqual(await withPartitionsIfFree(async () => 7), { ran: true, value: 7 });
  await assert.rejects(withPartitionsIfFree(async () => { throw new Error('disk full'); }), /disk full/);
});

test('partitionWriter names who writes a partition without taking its lock', { skip: !linux && 'needs /proc' }, () => {
  const lake = freshLake();
  assert.equal(partitionWriter(lake, 'options-trades', '2025-01-02'), undefined, 'no lock: nobody');
  mkdirSync(join(lake, '_locks', 'options-trades'), { recursive: true });
  const path = partitionLockPath(lake, 'options-trades', '2025-01-02');
  const held = childHolder('gammaflow ingest --shard 0/2');
  writeFileSync(path, held);
  assert.equal(partitionWriter(lake, 'options-trades', '2025-01-02')?.pid, child.pid);
  assert.equal(readFileSync(path, 'utf8'), held, 'the lock is left as it was');
  writeFileSync(path, JSON.stringify({ pid: deadPid, host: hostname() }));
  assert.equal(partitionWriter(lake, 'options-trades', '2025-01-02'), undefined, 'a dead writer is nobody');
  const mine = lockPartition(lake, 'options-trades', '2025-01-03');
  assert.equal(partitionWriter(lake, 'options-trades', '2025-01-03')?.pid, process.pid, 'this process counts too');
  mine.release();
});

test('removeStaleLocks deletes the partition locks of gone processes and keeps live ones', { skip: !linux && 'needs /proc' }, () => {
  const lake = freshLake();
  mkdirSync(join(lake, '_locks', 'stocks-trades'), { recursive: true });
  writeFileSync(partitionLockPath(lake, 'stocks-trades', '2025-01-02'), JSON.stringify({ pid: deadPid, host: hostname() }));
  writeFileSync(partitionLockPath(lake, 'stocks-trades', '2025-01-03'), childHolder('gammaflow ingest'));
  const removed = removeStaleLocks(lake);
  assert.equal(removed.length, 1);
  assert.match(removed[0]!, new RegExp(`removed the stale lock .*date=2025-01-02\\.lock of pid ${deadPid} .*: process ${deadPid} no longer exists`));
  assert.equal(existsSync(partitionLockPath(lake, 'stocks-trades', '2025-01-02')), false);
  assert.ok(existsSync(partitionLockPath(lake, 'stocks-trades', '2025-01-03')));
});
