/**
 * One writer per lake: `LAKE/.lock`, a JSON object naming the process that writes:
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
 * An old-format lock (just a pid) is judged by its pid alone, as before. An empty or unreadable
 * lock (a crash of an old version between creating and writing it) is stale.
 *
 * The lock is created with its content in one step (a temporary file hard-linked into place), so
 * another process never sees it empty (on a filesystem without hard links: exclusive create, then write). On platforms without /proc, start time and boot id are
 * left out and a live pid counts as the holder.
 */
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { LakeError, errorMessage } from '../util/errors.js';
import { checkLakePath } from './lake-path.js';
import { lockPath } from './layout.js';

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
  /** Told when a stale lock is taken over; default: nowhere. */
  readonly onInfo?: (message: string) => void;
  readonly probe?: ProcessProbe;
  /** The holder's command line as recorded; default `gammaflow` and this process's arguments. */
  readonly command?: string;
  /** Clock for `since`; default Date.now. */
  readonly now?: () => number;
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

export function lockLake(lake: string, options: LockOptions = {}): LakeLock {
  checkLakePath(lake);
  mkdirSync(lake, { recursive: true });
  const probe = options.probe ?? systemProbe;
  const path = lockPath(lake);
  const startTicks = probe.startTicks(process.pid);
  const bootId = probe.bootId();
  const me: LockHolder = {
    pid: process.pid, host: probe.hostname(), ...(startTicks !== undefined ? { startTicks } : {}), ...(bootId !== undefined ? { bootId } : {}),
    since: new Date((options.now ?? Date.now)()).toISOString(), command: options.command ?? defaultCommand(),
  };
  const content = JSON.stringify(me) + '\n';
  const removeHint = `if that process is gone, remove ${path} and rerun`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      createWithContent(path, content);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          // Only our own lock: never one another process took over meanwhile.
          try { if (readLock(path) === content) rmSync(path, { force: true }); } catch { /* already gone */ }
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        if (e instanceof LakeError) throw e;
        throw new LakeError(`cannot create the lock file ${path}: ${(e as Error).message}`, { path }, { cause: e });
      }
    }
    const found = readLock(path);
    if (found === undefined) continue; // released meanwhile
    const holder = parseLockHolder(found);
    if (holder !== undefined) {
      const verdict = judgeLock(holder, probe);
      if (verdict.kind === 'other_host') {
        throw new LakeError(`the lake ${lake} is locked by a gammaflow process on another machine: ${describeHolder(holder)}. `
          + `A lock from another host is never taken over automatically; ${removeHint}`,
        { path, pid: holder.pid, host: holder.host, since: holder.since, command: holder.command });
      }
      if (verdict.kind === 'held' && holder.pid === process.pid) {
        throw new LakeError(`the lake ${lake} is already locked by this process (${describeHolder(holder)}): one writer at a time`, { path, pid: holder.pid });
      }
      if (verdict.kind === 'held') {
        throw new LakeError(`another gammaflow process is writing to the lake ${lake}: ${describeHolder(holder)}; wait for it or stop it (${removeHint})`,
          { path, pid: holder.pid, host: holder.host, since: holder.since, command: holder.command });
      }
      options.onInfo?.(`taking over the stale lock ${path} of ${describeHolder(holder)}: ${verdict.why}`);
    } else {
      options.onInfo?.(`taking over the unreadable lock ${path} (${JSON.stringify(found.slice(0, 40))}): no process is named in it`);
    }
    // Remove it only if it still holds what was judged stale (another process may have taken it over meanwhile).
    if (readLock(path) === found) rmSync(path, { force: true });
  }
  throw new LakeError(`cannot lock the lake ${lake}: the lock file ${path} keeps changing (several processes starting at once?)`, { path });
}

/**
 * Runs `work` under the lake lock when the lake is free; when another run holds it (or the lock cannot be
 * taken), nothing is run and the reason is returned. For writers that can wait for a later turn: live's
 * publishing and compaction, and the recovery of commands that only read.
 */
export async function withLakeLockIfFree<T>(lake: string, work: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false; busy: string }> {
  let lock: LakeLock;
  try {
    lock = lockLake(lake);
  } catch (e) {
    return { ran: false, busy: errorMessage(e) };
  }
  try {
    return { ran: true, value: await work() };
  } finally {
    lock.release();
  }
}
