/**
 * Who writes where in a local lake. Each partition a run writes has its own lock file,
 * `LAKE/_locks/<dataset>/date=D.lock`, so runs that write different partitions (ingest of one
 * dataset and greeks of another, or the shards of one sharded run) go on at once; a few
 * operations that touch every partition take `LAKE/.lock`, which excludes every partition lock.
 * A lock file is a JSON object naming the process that holds it:
 *
 *   {"pid":4242,"host":"box","startTicks":123456,"bootId":"0b6e…","since":"2026-12-07T22:45:00.000Z",
 *    "command":"gammaflow ingest --dataset stocks-trades ..."}
 *
 * `startTicks` is the process start time (Linux: field 22 of /proc/<pid>/stat, clock ticks since
 * boot) and `bootId` the kernel's /proc/sys/kernel/random/boot_id; together with the pid they
 * identify one process on one machine even after the pid is reused.
 *
 * A lock found in place is judged:
 * - written on another host: never taken over automatically (its process may be alive there; the
 *   lake may be on a shared filesystem); the error names the holder and how to remove the lock;
 * - same host, other boot, dead pid, or a live pid whose start time differs (the pid was reused
 *   by an unrelated process): stale, taken over with an info message;
 * - same host, live pid with the same start time (or unknown start time): held, an error naming
 *   the holder.
 * An old-format lock (just a pid) is judged by its pid alone. An empty or unreadable
 * lock (a crash of an old version between creating and writing it) is stale.
 *
 * The lock is created with its content in one step (a temporary file hard-linked into place), so
 * another process never sees it empty (on a filesystem without hard links: exclusive create, then write). On platforms without /proc, start time and boot id are
 * left out and a live pid counts as the holder.
 */
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeSync, type Dirent } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { LakeError } from '../util/errors.js';
import { checkLakePath } from './lake-path.js';
import { LOCK_SUFFIX, locksRoot, lockPath, PARTITION_PREFIX, partitionLockPath } from './layout.js';

/** What a lock file says about its holder. Fields are absent when an old-format lock did not record them. */
export interface LockHolder {
  readonly pid: number;
  readonly host?: string;
  readonly startTicks?: number;
  readonly bootId?: string;
  /** When the lock was taken, ISO 8601. */
  readonly since?: string;
  /** The holder's command line. */
  readonly command?: string;
}

/** Facts about processes on this machine; injectable for tests. */
export interface ProcessProbe {
  hostname(): string;
  /** Start time of `pid` in clock ticks since boot; undefined when unknown (no /proc, no such process). */
  startTicks(pid: number): number | undefined;
  bootId(): string | undefined;
  alive(pid: number): boolean;
}

/** Field 22 (starttime) of /proc/<pid>/stat. The command name (field 2) may hold spaces and parentheses: fields are counted after its last ')'. */
export function parseStartTicks(stat: string): number | undefined {
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = stat.slice(close + 1).trim().split(/\s+/);
  // fields[0] is field 3 (state), so field 22 is fields[19].
  const ticks = Number(fields[19]);
  return Number.isSafeInteger(ticks) && ticks >= 0 ? ticks : undefined;
}

export const systemProbe: ProcessProbe = {
  hostname: () => hostname(),
  startTicks(pid) {
    try {
      return parseStartTicks(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return undefined;
    }
  },
  bootId() {
    try {
      const id = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
      return id === '' ? undefined : id;
    } catch {
      return undefined;
    }
  },
  alive(pid) {
    try {
      process.kill(pid, 0);
      return true;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'EPERM';
    }
  },
};

/** The lock content: JSON, or an old-format bare pid. Undefined when it holds neither (empty, garbage). */
export function parseLockHolder(text: string): LockHolder | undefined {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) {
    const pid = Number(trimmed);
    return pid > 0 && Number.isSafeInteger(pid) ? { pid } : undefined;
  }
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const o = value as Record<string, unknown>;
  if (typeof o.pid !== 'number' || !Number.isSafeInteger(o.pid) || o.pid <= 0) return undefined;
  const text_ = (k: string): string | undefined => (typeof o[k] === 'string' && o[k] !== '' ? o[k] as string : undefined);
  const host = text_('host'), bootId = text_('bootId'), since = text_('since'), command = text_('command');
  const startTicks = typeof o.startTicks === 'number' && Number.isSafeInteger(o.startTicks) ? o.startTicks : undefined;
  return {
    pid: o.pid, ...(host ? { host } : {}), ...(startTicks !== undefined ? { startTicks } : {}),
    ...(bootId ? { bootId } : {}), ...(since ? { since } : {}), ...(command ? { command } : {}),
  };
}

/** `pid 4242 on host box since 2026-12-07T22:45:00Z (gammaflow ingest ...)`, with what the lock records. */
export function describeHolder(h: LockHolder): string {
  const parts = [`pid ${h.pid}`];
  parts.push(h.host !== undefined ? `on host ${h.host}` : 'on an unrecorded host (an old-format lock)');
  if (h.since !== undefined) parts.push(`since ${h.since}`);
  return parts.join(' ') + (h.command !== undefined ? ` (${h.command})` : '');
}

export type LockVerdict =
  | { readonly kind: 'held' }
  | { readonly kind: 'other_host' }
  | { readonly kind: 'stale'; readonly why: string };

/** Whether the process a lock names still holds it, seen from process `selfPid` on this machine. */
export function judgeLock(h: LockHolder, probe: ProcessProbe, selfPid: number = process.pid): LockVerdict {
  if (h.host !== undefined && h.host !== probe.hostname()) return { kind: 'other_host' };
  if (h.bootId !== undefined) {
    const boot = probe.bootId();
    if (boot !== undefined && boot !== h.bootId) return { kind: 'stale', why: 'this machine has rebooted since' };
  }
  if (h.pid === selfPid) {
    // Our own pid: this very process only if the start time says so (containers reuse small pids across runs).
    const mine = probe.startTicks(selfPid);
    return h.startTicks !== undefined && h.startTicks === mine ? { kind: 'held' } : { kind: 'stale', why: `pid ${h.pid} is now this process` };
  }
  if (!probe.alive(h.pid)) return { kind: 'stale', why: `process ${h.pid} no longer exists` };
  if (h.startTicks !== undefined) {
    const now = probe.startTicks(h.pid);
    if (now !== undefined && now !== h.startTicks) {
      return { kind: 'stale', why: `pid ${h.pid} now belongs to another process (started at tick ${now}, the holder at tick ${h.startTicks})` };
    }
  }
  return { kind: 'held' };
}

export interface LakeLock { release(): void }

export interface LockOptions {
  /** Told when a stale lock is taken over; default: the listener set with `onLockInfo`, else nowhere. */
  readonly onInfo?: (message: string) => void;
  readonly probe?: ProcessProbe;
  /** The holder's command line as recorded; default `gammaflow` and this process's arguments. */
  readonly command?: string;
  /** Clock for `since`; default Date.now. */
  readonly now?: () => number;
}

let defaultInfo: ((message: string) => void) | undefined;

/**
 * Where lock messages (a stale lock taken over) go when the caller gives no `onInfo`: the run's
 * log, set by the command for its run (partition locks are taken deep inside the writers).
 * Returns a function that restores the previous listener.
 */
export function onLockInfo(listener: (message: string) => void): () => void {
  const previous = defaultInfo;
  defaultInfo = listener;
  return () => { defaultInfo = previous; };
}

function defaultCommand(): string {
  const text = ['gammaflow', ...process.argv.slice(2)].join(' ');
  return text.length > 300 ? `${text.slice(0, 297)}...` : text;
}

function readLock(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new LakeError(`cannot read the lock file ${path}: ${(e as Error).message}`, { path }, { cause: e });
  }
}

/** Creates `path` holding `content`, atomically: fails with EEXIST when it exists. */
function createWithContent(path: string, content: string): void {
  const temp = `${path}.${process.pid}.${Math.random().toString(36).slice(2, 8)}.tmp`;
  const fd = openSync(temp, 'wx');
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temp, path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw e;
    // A filesystem without hard links: exclusive create, then write (a reader may see it empty for a moment).
    const fd = openSync(path, 'wx');
    try {
      writeSync(fd, content);
    } finally {
      closeSync(fd);
    }
  } finally {
    rmSync(temp, { force: true });
  }
}

function holderContent(options: LockOptions, probe: ProcessProbe): string {
  const startTicks = probe.startTicks(process.pid);
  const bootId = probe.bootId();
  const me: LockHolder = {
    pid: process.pid, host: probe.hostname(), ...(startTicks !== undefined ? { startTicks } : {}), ...(bootId !== undefined ? { bootId } : {}),
    since: new Date((options.now ?? Date.now)()).toISOString(), command: options.command ?? defaultCommand(),
  };
  return JSON.stringify(me) + '\n';
}

/** What a lock file guards, for messages: `the lake /x` or `the partition options-trades/date=2025-01-02 of the lake /x`. */
interface Guarded {
  readonly what: string;
  readonly path: string;
}

/** A lock file found held by someone else: why it cannot be taken. */
class LockBusy {
  constructor(readonly message: string, readonly context: Record<string, string | number | undefined>) {}
}

/** Why the lock at `path` (content `found`) stops us, or undefined when it is stale (and `onInfo` was told). */
function busyReason(g: Guarded, found: string, probe: ProcessProbe, onInfo: ((m: string) => void) | undefined): LockBusy | undefined {
  const holder = parseLockHolder(found);
  if (holder === undefined) {
    onInfo?.(`taking over the unreadable lock ${g.path} (${JSON.stringify(found.slice(0, 40))}): no process is named in it`);
    return undefined;
  }
  const verdict = judgeLock(holder, probe);
  const context = { path: g.path, pid: holder.pid, host: holder.host, since: holder.since, command: holder.command };
  const removeHint = `if that process is gone, remove ${g.path} and rerun`;
  if (verdict.kind === 'other_host') {
    return new LockBusy(`${g.what} is locked by a gammaflow process on another machine: ${describeHolder(holder)}. `
      + `A lock from another host is never taken over automatically; ${removeHint}`, context);
  }
  if (verdict.kind === 'held' && holder.pid === process.pid) {
    return new LockBusy(`${g.what} is already locked by this process (${describeHolder(holder)}): one writer at a time`, { path: g.path, pid: holder.pid });
  }
  if (verdict.kind === 'held') {
    return new LockBusy(`another gammaflow process is writing to ${g.what}: ${describeHolder(holder)}; wait for it or stop it (${removeHint})`, context);
  }
  onInfo?.(`taking over the stale lock ${g.path} of ${describeHolder(holder)}: ${verdict.why}`);
  return undefined;
}

/** Creates the lock file, taking over a stale one; a LockBusy when a live process holds it. */
function acquireFile(g: Guarded, options: LockOptions): LakeLock | LockBusy {
  const probe = options.probe ?? systemProbe;
  const onInfo = options.onInfo ?? defaultInfo;
  const content = holderContent(options, probe);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      createWithContent(g.path, content);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          // Only our own lock: never one another process took over meanwhile.
          try { if (readLock(g.path) === content) rmSync(g.path, { force: true }); } catch { /* already gone */ }
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        if (e instanceof LakeError) throw e;
        throw new LakeError(`cannot create the lock file ${g.path}: ${(e as Error).message}`, { path: g.path }, { cause: e });
      }
    }
    const found = readLock(g.path);
    if (found === undefined) continue; // released meanwhile
    const busy = busyReason(g, found, probe, onInfo);
    if (busy !== undefined) return busy;
    // Remove it only if it still holds what was judged stale (another process may have taken it over meanwhile).
    if (readLock(g.path) === found) rmSync(g.path, { force: true });
  }
  throw new LakeError(`cannot lock ${g.what}: the lock file ${g.path} keeps changing (several processes starting at once?)`, { path: g.path });
}

/** A live lock of another process at `path`, if any (a stale one, or one of this process, is no obstacle). */
function heldByOther(g: Guarded, probe: ProcessProbe): LockBusy | undefined {
  let found: string | undefined;
  try { found = readLock(g.path); } catch { return undefined; }
  if (found === undefined) return undefined;
  const holder = parseLockHolder(found);
  if (holder === undefined) return undefined;
  const verdict = judgeLock(holder, probe);
  if (verdict.kind === 'stale' || (verdict.kind === 'held' && holder.pid === process.pid)) return undefined;
  return busyReason(g, found, probe, undefined);
}

/** Every partition lock file under `_locks/`. */
function partitionLockFiles(lake: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    let entries: Dirent[];
    try { entries = readdirSync(dir, { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else if (e.name.endsWith(LOCK_SUFFIX)) out.push(path);
    }
  };
  walk(locksRoot(lake));
  return out;
}

const lakeGuard = (lake: string): Guarded => ({ what: `the lake ${lake}`, path: lockPath(lake) });
const partitionGuard = (lake: string, dataset: string, date: string): Guarded => ({
  what: `the partition ${dataset}/${PARTITION_PREFIX}${date} of the lake ${lake}`, path: partitionLockPath(lake, dataset, date),
});

const toError = (b: LockBusy): LakeError => new LakeError(b.message, b.context);

/** A partition (or the whole lake) is held by another live process, or by this one. */
export class PartitionBusyError extends LakeError {}

/**
 * The whole lake, for the few operations that touch every partition (`lake check --repair` moves
 * unlisted files of any partition). Exclusive with every partition lock: it is refused while any
 * other live process holds a partition lock, and partition locks are refused while it is held.
 * Both sides create their own lock file first and look for the other's second, so of two that
 * start at once at least one sees the other (both may back off; neither proceeds blind).
 */
export function lockLake(lake: string, options: LockOptions = {}): LakeLock {
  checkLakePath(lake);
  mkdirSync(lake, { recursive: true });
  const got = acquireFile(lakeGuard(lake), options);
  if (got instanceof LockBusy) throw toError(got);
  const probe = options.probe ?? systemProbe;
  for (const path of partitionLockFiles(lake)) {
    const busy = heldByOther({ what: `the partition lock ${relative(lake, path)} of the lake ${lake}`, path }, probe);
    if (busy !== undefined) {
      got.release();
      throw new LakeError(`cannot lock the lake ${lake} as a whole while a partition is being written: ${busy.message}`, busy.context);
    }
  }
  return got;
}

/**
 * One (dataset, day) partition: `LAKE/_locks/<dataset>/date=D.lock`, taken by the writer of the
 * partition (DayWriter) from before it stages the day until the publish is done or dropped, and
 * by recovery while it repairs the partition. Writers of different partitions run at once;
 * two writers of one partition, or a writer and a whole-lake lock, do not.
 */
export function lockPartition(lake: string, dataset: string, date: string, options: LockOptions = {}): LakeLock {
  const got = tryLockPartition(lake, dataset, date, options);
  if ('busy' in got) throw new PartitionBusyError(got.busy, got.context);
  return got.lock;
}

/** `lockPartition`, answering with the reason instead of throwing when another process holds the partition or the lake. */
export function tryLockPartition(lake: string, dataset: string, date: string, options: LockOptions = {}):
  { lock: LakeLock } | { busy: string; context: Record<string, string | number | undefined> } {
  checkLakePath(lake);
  const g = partitionGuard(lake, dataset, date);
  mkdirSync(dirname(g.path), { recursive: true });
  const got = acquireFile(g, options);
  if (got instanceof LockBusy) return { busy: got.message, context: got.context };
  const whole = heldByOther(lakeGuard(lake), options.probe ?? systemProbe);
  if (whole !== undefined) {
    got.release();
    return { busy: `cannot write ${g.what}: ${whole.message}`, context: whole.context };
  }
  return { lock: got };
}

/**
 * Deletes the partition lock files whose holder is gone (dead, reused pid, earlier boot): a run
 * killed after it published a day but before it released the day's lock leaves one, which no
 * later run takes over if the day is not written again. Returns one line per lock deleted, naming
 * it, its holder and why the holder is gone.
 */
export function removeStaleLocks(lake: string, probe: ProcessProbe = systemProbe): string[] {
  const removed: string[] = [];
  for (const path of partitionLockFiles(lake)) {
    let found: string | undefined;
    try { found = readLock(path); } catch { continue; }
    const holder = found === undefined ? undefined : parseLockHolder(found);
    if (holder === undefined) continue;
    const verdict = judgeLock(holder, probe);
    if (verdict.kind !== 'stale') continue;
    // Only what was judged: another process may have taken it over meanwhile.
    if (readLock(path) === found) {
      rmSync(path, { force: true });
      removed.push(`removed the stale lock ${path} of ${describeHolder(holder)}: ${verdict.why}`);
    }
  }
  return removed;
}

/**
 * Who writes the partition now, read from its lock file without taking it: the holder when a live
 * process on this host (or any process on another host) holds it; undefined when free or stale.
 */
export function partitionWriter(lake: string, dataset: string, date: string, probe: ProcessProbe = systemProbe): LockHolder | undefined {
  let found: string | undefined;
  try { found = readLock(partitionLockPath(lake, dataset, date)); } catch { return undefined; }
  const holder = found === undefined ? undefined : parseLockHolder(found);
  if (holder === undefined) return undefined;
  return judgeLock(holder, probe, -1).kind === 'stale' ? undefined : holder;
}

/**
 * `lockPartition` for a writer about to stage a day: while another process holds the partition
 * (most often another run's recovery, which holds each partition for a moment), it asks again
 * every 100 ms for up to `waitMs`; then the holder is named in the error.
 */
export async function lockPartitionWaiting(lake: string, dataset: string, date: string, options: LockOptions & { waitMs?: number } = {}): Promise<LakeLock> {
  const deadline = (options.now ?? Date.now)() + (options.waitMs ?? 10_000);
  for (;;) {
    const got = tryLockPartition(lake, dataset, date, options);
    if (!('busy' in got)) return got.lock;
    if ((options.now ?? Date.now)() >= deadline || got.context.pid === process.pid) throw new PartitionBusyError(got.busy, got.context);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Runs `work`, whose writers take the locks of the partitions they write; when one of those
 * partitions (or the whole lake) is held by another process, `work` stops there and the reason is
 * returned instead. For writers that can wait for a later turn: live's publishing and compaction
 * (what they published before the busy partition stays published; the rest is tried again).
 */
export async function withPartitionsIfFree<T>(work: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false; busy: string }> {
  try {
    return { ran: true, value: await work() };
  } catch (e) {
    if (e instanceof PartitionBusyError) return { ran: false, busy: e.message };
    throw e;
  }
}
