/**
 * The lake manifest: an append-only JSON-lines file per dataset. A day counts
 * as ingested only when its latest manifest entry matches both the source
 * object (key, size, ETag: Massive replaces files after publishing them) and
 * the files actually present in the partition; anything else is redone.
 */
import { appendFile, open, readFile, stat, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { LakeError } from '../util/errors.js';
import { manifestPath, partitionDir } from './layout.js';

export interface ManifestFile {
  readonly name: string;
  readonly rows: number;
  readonly bytes: number;
  readonly rowGroups: number;
  readonly sha256: string;
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
}

/** Latest entry per date, for one dataset. Lines that do not parse (a torn write after a crash) are skipped. */
export async function readManifest(lake: string, dataset: string): Promise<Map<string, ManifestEntry>> {
  const latest = new Map<string, ManifestEntry>();
  let text: string;
  try {
    text = await readFile(manifestPath(lake, dataset), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return latest;
    throw new LakeError(`cannot read the manifest of ${dataset}: ${(e as Error).message}`, { dataset }, { cause: e });
  }
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const entry = JSON.parse(line) as ManifestEntry;
      if (entry.dataset === dataset && typeof entry.date === 'string') latest.set(entry.date, entry);
    } catch { /* torn last line of a crashed run: the day it described is redone */ }
  }
  return latest;
}

/** Appends one entry and fsyncs it. */
export async function appendManifest(lake: string, entry: ManifestEntry): Promise<void> {
  const path = manifestPath(lake, entry.dataset);
  await mkdir(dirname(path), { recursive: true });
  // A torn line left by a crash would glue onto ours: start on a fresh line.
  let prefix = '';
  try {
    const s = await stat(path);
    if (s.size > 0) {
      const fh = await open(path, 'r');
      try {
        const b = Buffer.alloc(1);
        await fh.read(b, 0, 1, s.size - 1);
        if (b[0] !== 10) prefix = '\n';
      } finally { await fh.close(); }
    }
  } catch { /* new file */ }
  await appendFile(path, prefix + JSON.stringify(entry) + '\n');
  const fh = await open(path, 'r+');
  try { await fh.sync(); } finally { await fh.close(); }
}

/** Whether the published partition holds exactly the files the entry lists (names and sizes). */
export async function partitionMatches(lake: string, entry: ManifestEntry): Promise<boolean> {
  const dir = partitionDir(lake, entry.dataset, entry.date);
  try {
    if (!(await stat(dir)).isDirectory()) return false;
  } catch {
    return false;
  }
  for (const f of entry.files) {
    try {
      const s = await stat(join(dir, f.name));
      if (s.size !== f.bytes) return false;
    } catch {
      return false;
    }
  }
  return true;
}
