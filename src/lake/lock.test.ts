import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockLake, parseLockHolder, parseStartTicks, systemProbe, type ProcessProbe } from './lock.js';
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
