/**
 * A lake in an S3 bucket (any S3-compatible store), laid out as a local one:
 *
 *   PREFIX/<dataset>/date=D/part-<runId>-NNNNN.parquet   parts, each under a key of its run: never overwritten
 *   PREFIX/<dataset>/date=D/_manifest.json               the partition's commit record: names the live parts
 *   PREFIX/<dataset>/date=D/_rejects-<runId>.jsonl       the day's quarantined rows (named in the record)
 *   PREFIX/_locks/<dataset>/date=D.json                  the partition's writer while it writes (partition-lock.ts)
 *
 * Writing a partition: take its lock; upload each part as soon as it is
 * closed (multipart, one part buffer in memory); upload the rejects; then the
 * commit point, one PUT of `_manifest.json` (conditional: `If-Match` the
 * record it replaces, `If-None-Match: *` for a first publish); then delete the
 * keys the new record does not name (the replaced generation, leftovers of
 * crashed runs) and release the lock. S3 reads are strongly consistent after
 * writes, so a reader that honours the record sees one complete generation.
 *
 * Recovery: a lock left behind (a crash) marks a partition whose uncommitted
 * or replaced keys may still be there; once the lock is stale, the next
 * command deletes every key of that partition the record does not name, then
 * the lock.
 *
 * Reading: commands run on a local cache of the lake; `cachePartition`
 * downloads a partition when the cached copy's commit record differs from the
 * bucket's (byte for byte), so a cached copy of an older generation is never
 * read.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { LakeError } from '../../util/errors.js';
import { parseCopyName, PARTITION_MANIFEST, partitionDir, REJECTS_FILE } from '../layout.js';
import { systemProbe } from '../lock.js';
import type { ManifestEntry, PartitionCheck } from '../manifest.js';
import { dropIdleCopies, findCopies, type RecoveryReport } from '../publish.js';
import type { LakeCheckReport, LakeProblem } from '../check.js';
import { lakeKey, partitionKeyPrefix, partitionLockKey, remoteRejectsName, type S3LakeLocation } from './location.js';
import type { S3Objects } from './objects.js';
import { lockPartition, parsePartitionLock, staleReason } from './partition-lock.js';
import type { RemoteLake, RemotePartitionWrite } from './registry.js';

/** The commit record as stored, with what it takes to replace it conditionally. */
interface StoredEntry {
  readonly entry: ManifestEntry;
  readonly text: string;
  readonly etag: string;
}

/** Where the cache keeps downloads in progress (never a partition path, never globbed). */
const cacheTemp = (cacheDir: string): string => join(cacheDir, '_cache-downloads');

export class S3Lake implements RemoteLake {
  readonly url: string;

  constructor(readonly location: S3LakeLocation, readonly objects: S3Objects, readonly cacheDir: string,
    private readonly onInfo: (message: string) => void = () => {}) {
    this.url = location.url;
  }

  private entryKey(dataset: string, date: string): string {
    return partitionKeyPrefix(this.location, dataset, date) + PARTITION_MANIFEST;
  }

  private async readStored(dataset: string, date: string): Promise<StoredEntry | undefined> {
    const got = await this.objects.getText(this.entryKey(dataset, date));
    if (got === undefined) return undefined;
    const entry = parseEntry(got.text, dataset, date);
    if (entry === undefined) {
      throw new LakeError(`${this.objects.url(this.entryKey(dataset, date))} is not a commit record of ${dataset} ${date}; `
        + 'S3 writes whole objects, so this one was written by something else: delete or restore it', { dataset, date });
    }
    return { entry, text: got.text, etag: got.etag };
  }

  async readManifest(dataset: string): Promise<Map<string, ManifestEntry>> {
    const folders = await this.objects.listFolders(lakeKey(this.location, `${dataset}/`));
    const dates = folders.filter((f) => /^date=\d{4}-\d{2}-\d{2}$/.test(f)).map((f) => f.slice('date='.length)).sort();
    const entries = new Map<string, ManifestEntry>();
    const found = await mapLimit(dates, 8, async (date) => (await this.readStored(dataset, date))?.entry);
    dates.forEach((date, i) => { if (found[i] !== undefined) entries.set(date, found[i]!); });
    return entries;
  }

  async checkPartition(entry: ManifestEntry, options: { verify?: boolean } = {}): Promise<PartitionCheck> {
    const prefix = partitionKeyPrefix(this.location, entry.dataset, entry.date);
    const present = new Map((await this.objects.list(prefix)).map((o) => [o.key.slice(prefix.length), o]));
    const problems: string[] = [];
    let filesHashed = 0;
    const listed = new Set(entry.files.map((f) => f.name));
    const unlisted = [...present.keys()].filter((name) => !name.includes('/') && name.endsWith('.parquet') && !listed.has(name));
    for (const f of entry.files) {
      const url = this.objects.url(prefix + f.name);
      const o = present.get(f.name);
      if (o === undefined) { problems.push(`${url} is missing`); continue; }
      if (o.size !== f.bytes) { problems.push(`${url} has ${o.size} bytes, the manifest says ${f.bytes}`); continue; }
      if (f.etag !== undefined && o.etag !== f.etag) { problems.push(`${url} was replaced (ETag ${o.etag}, the manifest says ${f.etag})`); continue; }
      if (options.verify === true) {
        filesHashed++;
        const sha = await this.objects.sha256(prefix + f.name);
        if (sha !== f.sha256) problems.push(`${url} does not match its checksum (sha256 ${sha}, the manifest says ${f.sha256})`);
      }
    }
    if (entry.rejectsFile !== undefined && !present.has(entry.rejectsFile)) problems.push(`${this.objects.url(prefix + entry.rejectsFile)} is missing`);
    return { ok: problems.length === 0 && unlisted.length === 0, problems, unlisted, filesHashed };
  }

  async cachePartition(dataset: string, date: string): Promise<ManifestEntry | undefined> {
    const stored = await this.readStored(dataset, date);
    const local = partitionDir(this.cacheDir, dataset, date);
    if (stored === undefined) {
      await rm(local, { recursive: true, force: true }); // the lake has no such day (any more): neither does the cache
      return undefined;
    }
    if (await cachedCopyMatches(local, stored)) return stored.entry;
    // The pid in the name tells recovery whose download it is.
    const temp = join(cacheTemp(this.cacheDir), dataset, `date=${date}.${process.pid}-${randomBytes(4).toString('hex')}`);
    await mkdir(temp, { recursive: true });
    try {
      const prefix = partitionKeyPrefix(this.location, dataset, date);
      for (const f of stored.entry.files) {
        const got = await this.objects.downloadFile(prefix + f.name, join(temp, f.name));
        if (got.sha256 !== f.sha256) {
          throw new LakeError(`${this.objects.url(prefix + f.name)} does not match its commit record (sha256 ${got.sha256}, the record says ${f.sha256})`, { dataset, date });
        }
      }
      if (stored.entry.rejectsFile !== undefined) await this.objects.downloadFile(prefix + stored.entry.rejectsFile, join(temp, REJECTS_FILE));
      await writeFile(join(temp, PARTITION_MANIFEST), stored.text);
      await installCached(temp, local, stored);
    } finally {
      await rm(temp, { recursive: true, force: true });
    }
    return stored.entry;
  }

  checkLake(options: { verify?: boolean; repair?: boolean; graceMs: number }): Promise<LakeCheckReport> {
    return checkS3Lake(this, options);
  }

  async hasPartition(dataset: string, date: string): Promise<boolean> {
    return (await this.objects.getText(this.entryKey(dataset, date))) !== undefined;
  }

  async listFolders(relativeDir: string): Promise<string[]> {
    const dir = relativeDir.replace(/^\/+|\/+$/g, '');
    return (await this.objects.listFolders(lakeKey(this.location, dir === '' ? '' : `${dir}/`))).sort();
  }

  async beginWrite(dataset: string, date: string, runId: string): Promise<RemotePartitionWrite> {
    const what = `the ${dataset} partition of ${date} in ${this.url}`;
    const lockKey = partitionLockKey(this.location, dataset, date);
    const lock = await lockPartition(this.objects, lockKey, runId, what, this.onInfo);
    const prefix = partitionKeyPrefix(this.location, dataset, date);
    const objects = this.objects;
    const lake = this;
    return {
      uploadPart: (localPath, name, bytes) => objects.uploadFile(localPath, prefix + name, bytes),
      async publish(stagedDir, entry, rejectsLocalPath) {
        const rejectsFile = rejectsLocalPath !== undefined ? remoteRejectsName(runId) : undefined;
        if (rejectsLocalPath !== undefined) await objects.uploadFile(rejectsLocalPath, prefix + rejectsFile!, (await stat(rejectsLocalPath)).size);
        await lock.confirm();
        const previous = await lake.readStored(dataset, date);
        const record: ManifestEntry = {
          ...entry, ...(rejectsFile !== undefined ? { rejectsFile } : {}), generation: (previous?.entry.generation ?? 0) + 1,
        };
        const text = JSON.stringify(record) + '\n';
        // The commit point.
        const put = await objects.putText(prefix + PARTITION_MANIFEST, text, previous === undefined ? { ifNoneMatch: '*' } : { ifMatch: previous.etag });
        if (!put.ok) throw new LakeError(`${what} was published by another writer while this run wrote it; this run's copy was not published`, { dataset, date });
        await lake.deleteUnnamed(dataset, date, record);
        await lock.release();
        // The staged copy is the published generation: it becomes the cached one.
        if (rejectsLocalPath !== undefined && rejectsLocalPath !== join(stagedDir, REJECTS_FILE)) await rename(rejectsLocalPath, join(stagedDir, REJECTS_FILE));
        await writeFile(join(stagedDir, PARTITION_MANIFEST), text);
        await installCached(stagedDir, partitionDir(lake.cacheDir, dataset, date), { entry: record, text, etag: put.etag });
        return record;
      },
      async abort(uploaded) {
        try {
          await objects.deleteKeys(uploaded.map((name) => prefix + name));
        } finally {
          await lock.release();
        }
      },
      release: () => lock.release(),
    };
  }

  /** Deletes the keys of a partition that its record does not name (older generations, uncommitted parts). */
  private async deleteUnnamed(dataset: string, date: string, entry: ManifestEntry | undefined): Promise<number> {
    const prefix = partitionKeyPrefix(this.location, dataset, date);
    const keep = new Set([PARTITION_MANIFEST, ...(entry?.files.map((f) => f.name) ?? []), ...(entry?.rejectsFile !== undefined ? [entry.rejectsFile] : [])]);
    const doomed = (await this.objects.list(prefix)).map((o) => o.key).filter((key) => {
      const name = key.slice(prefix.length);
      return !name.includes('/') && !keep.has(name) && (name.endsWith('.parquet') || /^_rejects(-.*)?\.jsonl$/.test(name));
    });
    await this.objects.deleteKeys(doomed);
    return doomed.length;
  }

  /**
   * Local: drops the cache's unfinished staging and downloads (the bucket's
   * records are the commit points, never a local copy). Remote: every stale
   * partition lock marks an interrupted write; the keys its partition's record
   * does not name are deleted, then the lock.
   */
  async recover(): Promise<RecoveryReport> {
    const actions: string[] = [];
    let removed = 0;
    // Copies other processes on this machine are still writing or downloading are theirs.
    const local = await dropIdleCopies(this.cacheDir);
    removed += local.removed;
    for (const c of await findCopies(cacheTemp(this.cacheDir))) {
      const pid = Number(/^(\d+)-/.exec(parseCopyName(basename(c.path))?.runId ?? '')?.[1]);
      if (c.date !== '' && Number.isSafeInteger(pid) && pid !== process.pid && systemProbe.alive(pid)) continue;
      await rm(c.path, { recursive: true, force: true });
      removed++;
    }
    const locksPrefix = lakeKey(this.location, '_locks/');
    for (const o of await this.objects.list(locksPrefix)) {
      const m = /^(.+)\/date=(\d{4}-\d{2}-\d{2})\.json$/.exec(o.key.slice(locksPrefix.length));
      if (m === null) continue;
      const [, dataset, date] = m as unknown as [string, string, string];
      const got = await this.objects.getText(o.key);
      if (got === undefined) continue;
      let lock;
      try { lock = parsePartitionLock(got.text); } catch { lock = undefined; }
      const why = staleReason(lock, Date.now());
      if (why === undefined) continue; // a writer is at work there
      const entry = (await this.readStored(dataset, date))?.entry;
      const n = await this.deleteUnnamed(dataset, date, entry);
      // Only the lock we judged: a writer that took it over meanwhile keeps its own.
      const again = await this.objects.getText(o.key);
      if (again !== undefined && again.etag === got.etag) await this.objects.deleteKeys([o.key]);
      removed += n;
      actions.push(`${dataset} ${date}: a write interrupted ${lock?.runId !== undefined ? `(run ${lock.runId}) ` : ''}was cleaned up in ${this.url}: `
        + `${n} key${n === 1 ? '' : 's'} its commit record does not name deleted (${why})`);
    }
    return { actions, removed, busy: local.busy };
  }
}

/** `lake check` of an S3 lake: one listing of the prefix, one record read per partition. */
async function checkS3Lake(lake: S3Lake, options: { verify?: boolean; repair?: boolean; graceMs: number }): Promise<LakeCheckReport> {
  const problems: LakeProblem[] = [];
  if (options.repair === true) {
    for (const action of (await lake.recover()).actions) problems.push({ kind: 'leftover', dataset: '', message: action, repaired: 'completed' });
  }
  const root = lakeKey(lake.location, '');
  const rootPrefix = lake.location.prefix === '' ? '' : root;
  const partitions = new Map<string, { dataset: string; date: string; objects: Map<string, { size: number; etag: string; lastModifiedMs: number }> }>();
  const datasets = new Set<string>();
  for (const o of await lake.objects.list(rootPrefix)) {
    const rel = o.key.slice(rootPrefix.length);
    if (rel.startsWith('_locks/')) {
      if (options.repair !== true) {
        let lock;
        try { lock = parsePartitionLock((await lake.objects.getText(o.key))?.text ?? ''); } catch { lock = undefined; }
        const why = staleReason(lock, Date.now());
        if (why !== undefined) {
          problems.push({ kind: 'leftover', dataset: '', message: `${lake.objects.url(o.key)} was left by an interrupted write (${why}); --repair cleans its partition up, as does the next command that writes` });
        }
      }
      continue;
    }
    if (rel.startsWith('_') || rel.startsWith('.')) continue;
    const m = /^(.+)\/date=(\d{4}-\d{2}-\d{2})\/([^/]+)$/.exec(rel);
    if (m === null) continue;
    const [, dataset, date, name] = m as unknown as [string, string, string, string];
    datasets.add(dataset);
    const key = `${dataset}\n${date}`;
    const p = partitions.get(key) ?? { dataset, date, objects: new Map() };
    p.objects.set(name, { size: o.size, etag: o.etag, lastModifiedMs: o.lastModifiedMs });
    partitions.set(key, p);
  }
  let filesChecked = 0, filesHashed = 0;
  const now = Date.now();
  for (const { dataset, date, objects } of [...partitions.values()].sort((a, b) => `${a.dataset} ${a.date}`.localeCompare(`${b.dataset} ${b.date}`))) {
    const prefix = partitionKeyPrefix(lake.location, dataset, date);
    const url = (name: string): string => lake.objects.url(prefix + name);
    const record = objects.has(PARTITION_MANIFEST) ? (await lake.objects.getText(prefix + PARTITION_MANIFEST)) : undefined;
    const entry = record === undefined ? undefined : parseEntry(record.text, dataset, date);
    if (record !== undefined && entry === undefined) {
      problems.push({ kind: 'mismatch', dataset, date, message: `${url(PARTITION_MANIFEST)} is not a commit record of ${dataset} ${date}; ingest ${date} again with --force` });
      continue;
    }
    if (entry === undefined) {
      if ([...objects.keys()].some((n) => n.endsWith('.parquet'))) {
        problems.push({ kind: 'no_record', dataset, date, message: `${url('')} has parquet keys but no commit record (_manifest.json): nothing says what the day should hold; ingest the day again with --force` });
      }
      continue;
    }
    filesChecked += entry.files.length;
    for (const f of entry.files) {
      const o = objects.get(f.name);
      let problem: string | undefined;
      if (o === undefined) problem = `${url(f.name)} is missing`;
      else if (o.size !== f.bytes) problem = `${url(f.name)} has ${o.size} bytes, the manifest says ${f.bytes}`;
      else if (f.etag !== undefined && o.etag !== f.etag) problem = `${url(f.name)} was replaced (ETag ${o.etag}, the manifest says ${f.etag})`;
      else if (options.verify === true) {
        filesHashed++;
        const sha = await lake.objects.sha256(prefix + f.name);
        if (sha !== f.sha256) problem = `${url(f.name)} does not match its checksum (sha256 ${sha}, the manifest says ${f.sha256})`;
      }
      if (problem !== undefined) problems.push({ kind: 'mismatch', dataset, date, message: `${problem}; ingest ${date} again with --force` });
    }
    if (entry.rejectsFile !== undefined && !objects.has(entry.rejectsFile)) {
      problems.push({ kind: 'mismatch', dataset, date, message: `${url(entry.rejectsFile)} is missing; ingest ${date} again with --force` });
    }
    const named = new Set([PARTITION_MANIFEST, ...entry.files.map((f) => f.name), ...(entry.rejectsFile !== undefined ? [entry.rejectsFile] : [])]);
    for (const [name, o] of objects) {
      if (named.has(name) || !(name.endsWith('.parquet') || /^_rejects(-.*)?\.jsonl$/.test(name))) continue;
      const old = now - o.lastModifiedMs >= options.graceMs;
      let repaired: string | undefined;
      if (options.repair === true && old) {
        await lake.objects.deleteKeys([prefix + name]);
        repaired = 'deleted';
      }
      problems.push({
        kind: 'unlisted_file', dataset, date, ...(repaired ? { repaired } : {}),
        message: `${url(name)} is not named in the day's commit record (glob readers count its rows)`
          + (options.repair === true && !old ? `; not deleted: younger than orphan_grace_minutes (a write may be in progress)` : ''),
      });
    }
  }
  const remaining = problems.filter((p) => p.repaired === undefined).length;
  return { lake: lake.url, datasets: datasets.size, partitions: partitions.size, filesChecked, filesHashed, liveFiles: 0, problems, remaining };
}

function parseEntry(text: string, dataset: string, date: string): ManifestEntry | undefined {
  try {
    const entry = JSON.parse(text) as ManifestEntry;
    if (typeof entry !== 'object' || entry === null || !Array.isArray(entry.files) || entry.dataset !== dataset || entry.date !== date) return undefined;
    return entry;
  } catch {
    return undefined;
  }
}

/** The cached copy at `dir` is the stored generation: the same record, byte for byte, and every file with its size. */
async function cachedCopyMatches(dir: string, stored: StoredEntry): Promise<boolean> {
  try {
    if ((await readFile(join(dir, PARTITION_MANIFEST), 'utf8')) !== stored.text) return false;
    for (const f of stored.entry.files) if ((await stat(join(dir, f.name))).size !== f.bytes) return false;
    if (stored.entry.rejectsFile !== undefined) await stat(join(dir, REJECTS_FILE));
    return true;
  } catch {
    return false;
  }
}

/** Puts the complete copy at `from` in place of the cached partition `to` (another process may have installed the same one meanwhile). */
async function installCached(from: string, to: string, stored: StoredEntry): Promise<void> {
  await mkdir(dirname(to), { recursive: true });
  const old = `${from}.old`;
  await rename(to, old).catch((e: NodeJS.ErrnoException) => { if (e.code !== 'ENOENT') throw e; });
  try {
    await rename(from, to);
  } catch (e) {
    if (!(await cachedCopyMatches(to, stored))) throw e;
  }
  await rm(old, { recursive: true, force: true });
}

async function mapLimit<T, R>(items: readonly T[], limit: number, f: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
