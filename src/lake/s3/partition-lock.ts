/**
 * One writer per partition of an S3 lake: the lock object
 * `_locks/<dataset>/date=D.json` names the process writing it, as the local
 * lake's `.lock` does (lock.ts: pid, host, start time, boot id, command), plus
 * `runId` and `expiresAt`.
 *
 * Taking it: a lock in place is judged like a local one (same host: stale when
 * its process is gone), and a lock of another host is stale once `expiresAt`
 * has passed; the holder pushes `expiresAt` forward every third of the lease
 * while it writes. The lock is created with `If-None-Match: *` (replacing a
 * stale one with `If-Match: <its ETag>`), then read back: where the store
 * honours conditional writes, two writers can never both hold it; where it
 * ignores them (s3rver, some older S3-compatible stores), the read-back catches
 * all but a writer that replaced it within the same moment (docs/lake-s3.md).
 *
 * The lock also marks a partition whose write did not end cleanly: a lock left
 * behind by a crash tells recovery where to delete uncommitted parts.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { LakeError } from '../../util/errors.js';
import { describeHolder, judgeLock, parseLockHolder, systemProbe, type LockHolder, type ProcessProbe } from '../lock.js';
import type { S3Objects } from './objects.js';

export const PARTITION_LEASE_MS = 10 * 60_000;

export interface PartitionLockContent extends LockHolder {
  readonly runId: string;
  readonly token: string;
  /** Epoch ms after which another host may take the lock over. */
  readonly expiresAt: number;
}

export function parsePartitionLock(text: string): PartitionLockContent | undefined {
  const holder = parseLockHolder(text);
  if (holder === undefined) return undefined;
  const o = JSON.parse(text) as Record<string, unknown>;
  if (typeof o.runId !== 'string' || typeof o.token !== 'string' || typeof o.expiresAt !== 'number') return undefined;
  return { ...holder, runId: o.runId, token: o.token, expiresAt: o.expiresAt };
}

/** Why a lock in place may be taken over, or undefined when its holder may still be writing. */
export function staleReason(lock: PartitionLockContent | undefined, nowMs: number, probe: ProcessProbe = systemProbe): string | undefined {
  if (lock === undefined) return 'the lock object is unreadable';
  const verdict = judgeLock(lock, probe);
  if (verdict.kind === 'stale') return verdict.why;
  if (verdict.kind === 'other_host' && lock.expiresAt < nowMs) return `its lease expired at ${new Date(lock.expiresAt).toISOString()}`;
  return undefined;
}

export interface HeldPartitionLock {
  /** Checks that the lock is still ours (and extends it); a LakeError when another writer took it. */
  confirm(): Promise<void>;
  release(): Promise<void>;
}

function content(runId: string, token: string, command: string): PartitionLockContent {
  const ticks = systemProbe.startTicks(process.pid), boot = systemProbe.bootId();
  return {
    pid: process.pid, host: hostname(), ...(ticks !== undefined ? { startTicks: ticks } : {}), ...(boot !== undefined ? { bootId: boot } : {}),
    since: new Date().toISOString(), command, runId, token, expiresAt: Date.now() + PARTITION_LEASE_MS,
  };
}

/** Takes the partition lock at `key`; a LakeError naming the holder when another process holds it. */
export async function lockPartition(objects: S3Objects, key: string, runId: string, what: string,
  onInfo: (message: string) => void = () => {}): Promise<HeldPartitionLock> {
  const token = randomBytes(8).toString('hex');
  const command = ['gammaflow', ...process.argv.slice(2)].join(' ');
  const busy = (holder: string) => new LakeError(`${what} is being written by ${holder} (lock ${objects.url(key)}); `
    + 'wait for it to finish, or delete the lock object if that process is gone', { path: objects.url(key) });
  const current = await objects.getText(key);
  let condition: { ifNoneMatch: '*' } | { ifMatch: string } = { ifNoneMatch: '*' };
  if (current !== undefined) {
    const lock = parsePartitionLockSafe(current.text);
    const why = staleReason(lock, Date.now());
    if (why === undefined) throw busy(describeHolder(lock!));
    onInfo(`${what}: took over the lock of ${lock === undefined ? 'an unreadable holder' : describeHolder(lock)} (${why})`);
    condition = { ifMatch: current.etag };
  }
  let mine = content(runId, token, command);
  const put = await objects.putText(key, JSON.stringify(mine), condition);
  if (!put.ok) throw busy('another process that took the lock at the same time');
  const confirm = async (): Promise<void> => {
    const now = await objects.getText(key);
    const lock = now === undefined ? undefined : parsePartitionLockSafe(now.text);
    if (lock?.token !== token) throw busy(lock === undefined ? 'nobody (the lock was deleted)' : describeHolder(lock));
    mine = { ...mine, expiresAt: Date.now() + PARTITION_LEASE_MS };
    const renewed = await objects.putText(key, JSON.stringify(mine), { ifMatch: now!.etag });
    if (!renewed.ok) throw busy('another process');
  };
  await confirm();
  const timer = setInterval(() => { confirm().catch(() => {}); }, PARTITION_LEASE_MS / 3);
  timer.unref();
  return {
    confirm,
    async release() {
      clearInterval(timer);
      const now = await objects.getText(key);
      if (now !== undefined && parsePartitionLockSafe(now.text)?.token === token) await objects.deleteKeys([key]);
    },
  };
}

function parsePartitionLockSafe(text: string): PartitionLockContent | undefined {
  try {
    return parsePartitionLock(text);
  } catch {
    return undefined;
  }
}
