/**
 * What a published partition holds. Each partition directory carries its own
 * commit record, `_manifest.json` (a ManifestEntry), written into the staged
 * directory before the publish and moved with it in the one step that makes it
 * visible (publish.ts). The entry and the files it lists therefore appear and
 * disappear together: there is no separate log to fall out of step with them.
 *
 * A day counts as ingested only when its entry matches both the source object
 * (key, size, ETag: Massive replaces files after publishing them) and the files
 * actually present in the partition; anything else is redone.
 *
 * Lakes written before per-partition records kept one append-only JSON-lines
 * log per dataset (`_manifest/<dataset>.jsonl`); it is still read for
 * partitions that have no `_manifest.json`.
 */
import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { LakeError } from '../util/errors.js';
import { legacyManifestPath, PARTITION_MANIFEST, partitionDir, PARTITION_PREFIX } from './layout.js';
import { remoteLakeAt } from './s3/registry.js';

export interface ManifestFile {
  readonly name: string;
  readonly rows: number;
  readonly bytes: number;
  readonly rowGroups: number;
  readonly sha256: string;
  /** Modification time when published (ms): a part whose mtime or size differs is checksummed again before it is trusted. */
  readonly mtimeMs?: number;
  /** ETag of the object (S3 lakes): a part replaced under the same key has another. */
  readonly etag?: string;
}

export interface ManifestEntry {
  readonly dataset: string;
  readonly date: string;
  readonly source: { readonly description: string; readonly key: string; readonly size: number; readonly etag: string };
  /** The streaming filter the day was ingested with (e.g. `underlyings=QQQ,SPY`); absent = every row. */
  readonly filter?: string;
  readonly files: readonly ManifestFile[];
  readonly rows: number;
  readonly rowsRejected: number;
  readonly rowsFiltered: number;
  readonly schemaVersion: number;
  readonly runId: string;
  readonly publishedAt: string;
  /** 1 for a day's first publish, +1 for each later one: recovery keeps the highest complete copy. Absent in legacy entries (0). */
  readonly generation?: number;
  /** S3 lakes: the partition's rejects object of this generation (`_rejects-<runId>.jsonl`); local lakes use `_rejects.jsonl`. */
  readonly rejectsFile?: string;
}

/** Parses a `_manifest.json`; undefined when it is missing, torn or not an entry of this dataset and date. */
export async function readPartitionEntry(dir: string, dataset?: string, date?: string): Promise<ManifestEntry | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, PARTITION_MANIFEST), 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new LakeError(`cannot read ${join(dir, PARTITION_MANIFEST)}: ${(e as Error).message}`, { path: dir }, { cause: e });
  }
  try {
    const entry = JSON.parse(text) as ManifestEntry;
    if (typeof entry !== 'object' || entry === null || !Array.isArray(entry.files) || typeof entry.date !== 'string') return undefined;
    if (dataset !== undefined && entry.dataset !== dataset) return undefined;
    if (date !== undefined && entry.date !== date) return undefined;
    return entry;
  } catch {
    return undefined;
  }
}

/** Latest entry per date of a legacy `_manifest/<dataset>.jsonl` log. */
export async function readLegacyLog(lake: string, dataset: string): Promise<Map<string, ManifestEntry>> {
  const latest = new Map<string, ManifestEntry>();
  let text: string;
  try {
    text = await readFile(legacyManifestPath(lake, dataset), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return latest;
    throw new LakeError(`cannot read the manifest of ${dataset}: ${(e as Error).message}`, { dataset }, { cause: e });
  }
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const entry = JSON.parse(line) as ManifestEntry;
      if (entry.dataset === dataset && typeof entry.date === 'string') latest.set(entry.date, entry);
    } catch { /* a torn last line of a crashed run: the day it described is redone */ }
  }
  return latest;
}

/** The published entry of every date of one dataset. */
export async function readManifest(lake: string, dataset: string): Promise<Map<string, ManifestEntry>> {
  const remote = remoteLakeAt(lake);
  if (remote !== undefined) return remote.readManifest(dataset);
  const entries = new Map<string, ManifestEntry>();
  let names: string[];
  try {
    names = await readdir(join(lake, dataset));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return entries;
    throw new LakeError(`cannot list ${join(lake, dataset)}: ${(e as Error).message}`, { dataset }, { cause: e });
  }
  let legacy: Map<string, ManifestEntry> | undefined;
  for (const name of names.sort()) {
    if (!name.startsWith(PARTITION_PREFIX)) continue;
    const date = name.slice(PARTITION_PREFIX.length);
    const entry = await readPartitionEntry(partitionDir(lake, dataset, date), dataset, date);
    if (entry !== undefined) {
      entries.set(date, entry);
      continue;
    }
    legacy ??= await readLegacyLog(lake, dataset);
    const old = legacy.get(date);
    if (old !== undefined) entries.set(date, old);
  }
  return entries;
}

export interface PartitionCheck {
  readonly ok: boolean;
  /** What is wrong with the listed files, one line per problem. */
  readonly problems: readonly string[];
  /** Parquet files in the partition that the entry does not list (readers see their rows). */
  readonly unlisted: readonly string[];
  /** Files checksummed (sha256) by this check. */
  readonly filesHashed: number;
}

/**
 * Checks a published partition against its entry: every listed file present
 * with its size, no other parquet file beside them (`unlisted`: readers would
 * see their rows), and the sha256 of every file whose mtime differs from the one
 * recorded, or of every file with `verify`.
 */
export async function checkPartition(lake: string, entry: ManifestEntry, options: { verify?: boolean } = {}): Promise<PartitionCheck> {
  const remote = remoteLakeAt(lake);
  if (remote !== undefined) return remote.checkPartition(entry, options);
  const dir = partitionDir(lake, entry.dataset, entry.date);
  const problems: string[] = [];
  let filesHashed = 0;
  let present: string[];
  try {
    present = await readdir(dir);
  } catch {
    return { ok: false, problems: [`${dir} is missing`], unlisted: [], filesHashed };
  }
  const listed = new Set(entry.files.map((f) => f.name));
  const unlisted = present.filter((name) => name.endsWith('.parquet') && !listed.has(name));
  for (const f of entry.files) {
    const path = join(dir, f.name);
    let s;
    try {
      s = await stat(path);
    } catch {
      problems.push(`${path} is missing`);
      continue;
    }
    if (s.size !== f.bytes) {
      problems.push(`${path} has ${s.size} bytes, the manifest says ${f.bytes}`);
      continue;
    }
    // Entries of older lakes recorded no mtime: their size is what is compared, unless asked to verify.
    if (options.verify === true || (f.mtimeMs !== undefined && Math.abs(s.mtimeMs - f.mtimeMs) > 1)) {
      filesHashed++;
      const sha = await sha256File(path);
      if (sha !== f.sha256) problems.push(`${path} does not match its checksum (sha256 ${sha}, the manifest says ${f.sha256})`);
    }
  }
  return { ok: problems.length === 0 && unlisted.length === 0, problems, unlisted, filesHashed };
}

/**
 * Whether the published partition holds exactly the files the entry lists.
 * Cheap when nothing was touched (size and mtime compare); a file modified
 * since it was published is checksummed, so a part corrupted in place is not
 * trusted.
 */
export async function partitionMatches(lake: string, entry: ManifestEntry, options: { verify?: boolean } = {}): Promise<boolean> {
  return (await checkPartition(lake, entry, options)).ok;
}

/**
 * The local paths of a published partition's parts, in the record's order. An
 * S3 lake's partition is fetched into its cache first (when the cached copy is
 * not the published generation).
 */
export async function partitionFilePaths(lake: string, entry: ManifestEntry): Promise<string[]> {
  const remote = remoteLakeAt(lake);
  const current = remote === undefined ? entry : await remote.cachePartition(entry.dataset, entry.date);
  if (current === undefined) throw new LakeError(`no ${entry.dataset} partition for ${entry.date} in ${remote!.url}`, { dataset: entry.dataset, date: entry.date });
  const dir = partitionDir(lake, entry.dataset, entry.date);
  return current.files.map((f) => join(dir, f.name));
}

/** An S3 lake's published partition fetched into its cache when needed, so that local globs see it; nothing for a local lake. */
export async function ensureLocalPartition(lake: string, dataset: string, date: string): Promise<void> {
  await remoteLakeAt(lake)?.cachePartition(dataset, date);
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
