/**
 * The publish protocol: how a staged day becomes the published one with a
 * single commit point, and how the next command repairs a publish that a
 * crash interrupted. Every writer (ingest, greeks, features, live) publishes
 * through here, by way of DayWriter.
 *
 * A day is staged complete in `_staging/<dataset>/date=D.<run>/`: its parts
 * and rejects are fsynced, then its commit record `_manifest.json` (the files,
 * their sizes and checksums, and a generation one above the published day's)
 * is written and fsynced, then the directory itself. Then, in one step:
 *
 *   - no published day yet: rename(staged, final);
 *   - else, where the OS can: renameat2(staged, final, RENAME_EXCHANGE), which
 *     swaps the two directories atomically; the old day, now at the staged
 *     path, is then deleted;
 *   - else: rename(final, trash) then rename(staged, final), then the old day
 *     is deleted. Between the two renames a reader sees no day (never a mix).
 *
 * The parent directories are fsynced after each rename. Recovery
 * (`recoverLake`, run by every command that writes, each day under its
 * partition lock) looks
 * at the published copy of each day and every staged or trashed copy of it,
 * installs the complete copy with the highest generation as the published one,
 * and only then deletes the others. A copy is complete when its commit record
 * parses and every file it lists is there with its size; a staged directory
 * without a record is a day that was still being written and is deleted.
 * Nothing deletes the only complete copy of a day. docs/lake.md lists the state
 * after a crash at each step.
 */
import type { Dirent } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { LakeError } from '../util/errors.js';
import { describeFsError } from '../util/fs-errors.js';
import { exchangeDirs } from './exchange.js';
import { remoteLakeAt } from './s3/registry.js';
import { readLegacyLog, readPartitionEntry, type ManifestEntry } from './manifest.js';
import { legacyRejectsDir, parseCopyName, PARTITION_MANIFEST, partitionDir, stagingRoot, trashDir, trashRoot } from './layout.js';
import { removeStaleLocks, tryLockPartition } from './lock.js';

/** The folder under _staging where jobs put DuckDB's spill files (greeks, features). */
const DUCKDB_SPILL_DIR = '_duckdb';

/**
 * The filesystem steps of a publish, one method each, so that a test can stop
 * the protocol after any of them (test/e2e and src/lake/publish.test.ts).
 */
export interface PublishFs {
  mkdirp(dir: string): Promise<void>;
  /** Writes a whole file and fsyncs it. */
  writeDurable(path: string, text: string): Promise<void>;
  fsyncDir(dir: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** Atomically swaps two directories; false (and nothing changed) where the OS cannot. */
  exchange(a: string, b: string): Promise<boolean>;
  removeTree(path: string): Promise<void>;
}

export const nodePublishFs: PublishFs = {
  async mkdirp(dir) { await mkdir(dir, { recursive: true }); },
  async writeDurable(path, text) {
    const fh = await open(path, 'w');
    try {
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
  },
  async fsyncDir(dir) {
    let fh;
    try { fh = await open(dir, 'r'); } catch { return; }
    try { await fh.sync(); } catch { /* some filesystems refuse directory fsync */ } finally { await fh.close(); }
  },
  async rename(from, to) { await rename(from, to); },
  async exchange(a, b) { return exchangeDirs(a, b); },
  async removeTree(path) { await rm(path, { recursive: true, force: true }); },
};

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Runs one filesystem step, turning an OS error into a LakeError that names the step's path. */
async function step<T>(what: Parameters<typeof describeFsError>[1], path: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof LakeError) throw e;
    if ((e as { code?: unknown }).code === undefined) throw e; // not an OS error (a test's simulated crash)
    throw new LakeError(describeFsError(e, what, path), { path }, { cause: e });
  }
}

/**
 * Makes the staged copy at `staged` the published day. `entry` is the commit
 * record without its generation, which is set here. Returns the record as
 * published. Call with the partition's lock held (lock.ts; DayWriter holds it).
 */
export async function publishStaged(fs: PublishFs, lake: string, staged: string, entry: Omit<ManifestEntry, 'generation'>): Promise<ManifestEntry> {
  const final = partitionDir(lake, entry.dataset, entry.date);
  const previous = await readPartitionEntry(final);
  const record: ManifestEntry = { ...entry, generation: (previous?.generation ?? 0) + 1 };
  const recordPath = join(staged, PARTITION_MANIFEST);
  await step('writing', recordPath, () => fs.writeDurable(recordPath, JSON.stringify(record) + '\n'));
  await step('syncing', staged, () => fs.fsyncDir(staged));
  await step('creating', dirname(final), () => fs.mkdirp(dirname(final)));
  await install(fs, lake, entry.dataset, entry.date, staged, final, entry.runId);
  // A day published by an older gammaflow kept its rejects in a tree of their own: they described the old copy.
  await fs.removeTree(legacyRejectsDir(lake, entry.dataset, entry.date)).catch(() => {});
  return record;
}

/** The commit point: `copy` becomes `final`; the copy it replaces is deleted afterwards. */
async function install(fs: PublishFs, lake: string, dataset: string, date: string, copy: string, final: string, runId: string): Promise<void> {
  if (!(await exists(final))) {
    await step('renaming', copy, () => fs.rename(copy, final));
    await step('syncing', dirname(final), () => fs.fsyncDir(dirname(final)));
    await step('syncing', dirname(copy), () => fs.fsyncDir(dirname(copy)));
    return;
  }
  if (await step('renaming', copy, () => fs.exchange(copy, final))) {
    await step('syncing', dirname(final), () => fs.fsyncDir(dirname(final)));
    await step('syncing', dirname(copy), () => fs.fsyncDir(dirname(copy)));
    await step('deleting', copy, () => fs.removeTree(copy)); // the replaced day now sits at the copy's path
    return;
  }
  const trash = trashDir(lake, dataset, date, runId);
  await step('creating', dirname(trash), () => fs.mkdirp(dirname(trash)));
  await step('renaming', final, () => fs.rename(final, trash));
  await step('syncing', dirname(final), () => fs.fsyncDir(dirname(final)));
  await step('renaming', copy, () => fs.rename(copy, final));
  await step('syncing', dirname(final), () => fs.fsyncDir(dirname(final)));
  await step('deleting', trash, () => fs.removeTree(trash));
}

/** A copy of a day found on disk: the published one, or one left in _staging or _trash. */
interface DayCopy {
  readonly path: string;
  readonly entry: ManifestEntry | undefined;
  /** The record parses and every file it lists is there with its size. */
  readonly complete: boolean;
  readonly generation: number;
}

async function isComplete(dir: string, entry: ManifestEntry): Promise<boolean> {
  for (const f of entry.files) {
    try {
      if ((await stat(join(dir, f.name))).size !== f.bytes) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/**
 * The copy at `dir`. A copy without a commit record can still be a complete
 * day published by an older gammaflow: its dataset's legacy log then describes
 * it.
 */
async function inspectCopy(lake: string, dataset: string, date: string, dir: string, legacy: () => Promise<ManifestEntry | undefined>): Promise<DayCopy> {
  const entry = await readPartitionEntry(dir, dataset, date);
  if (entry !== undefined) return { path: dir, entry, complete: await isComplete(dir, entry), generation: entry.generation ?? 0 };
  const old = await legacy();
  if (old !== undefined && (await isComplete(dir, old))) return { path: dir, entry: old, complete: true, generation: 0 };
  return { path: dir, entry: undefined, complete: false, generation: -1 };
}

export interface RecoveryReport {
  /** One line per day repaired, for the run's log. */
  readonly actions: string[];
  /** Leftover copies deleted (incomplete or superseded). */
  readonly removed: number;
  /** Days with copies left alone because another live process holds their partition (it is writing them). */
  readonly busy: number;
}

/**
 * Every `date=D.<run>` directory under `root` (_staging or _trash), with the dataset path above it; other files are debris (date '').
 * `_staging/_duckdb` holds the DuckDB spill directories of running jobs (one per run): not copies, not debris.
 */
export async function findCopies(root: string): Promise<{ dataset: string; date: string; path: string }[]> {
  const found: { dataset: string; date: string; path: string }[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries: Dirent[];
    try { entries = await readdir(dir, { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      const path = join(dir, e.name);
      if (dir === root && e.name === DUCKDB_SPILL_DIR) continue;
      const copy = e.isDirectory() ? parseCopyName(e.name) : undefined;
      if (copy !== undefined) found.push({ dataset: relative(root, dir).split(sep).join('/'), date: copy.date, path });
      else if (e.isDirectory()) await walk(path); // a dataset level (features/symbol=BRK.B/window=5m)
      else found.push({ dataset: relative(root, dir).split(sep).join('/'), date: '', path }); // a stray file: debris
    }
  };
  await walk(root);
  return found;
}

/**
 * Repairs what interrupted publishes left: for each day with copies in
 * _staging or _trash, the complete copy with the highest generation becomes
 * the published one, then every other copy is deleted. Each day is repaired
 * under its partition lock (lock.ts), and its copies are listed again once
 * the lock is held: a day whose partition another live process holds is that
 * process's work in progress and is left alone. Run before reading the
 * lake's manifests.
 */
export async function recoverLake(lake: string, fs: PublishFs = nodePublishFs): Promise<RecoveryReport> {
  const remote = remoteLakeAt(lake);
  if (remote !== undefined) return remote.recover();
  const actions: string[] = [];
  const { removed, busy } = await forEachIdleDayWithCopies(lake, (c) => fs.removeTree(c.path), async (dataset, date) => {
    const r = await recoverPartition(lake, dataset, date, fs);
    actions.push(...r.actions);
    return r.removed;
  });
  const staleLocks = removeStaleLocks(lake);
  actions.push(...staleLocks);
  return { actions, removed: removed + staleLocks.length, busy };
}

/**
 * Deletes the copies in _staging and _trash of the days no other live process
 * holds, each under its partition lock, and any debris: for an S3 lake's local
 * cache, where the bucket's records are the commit points and a local copy is
 * never installed. A day another process is writing keeps its copy.
 */
export async function dropIdleCopies(lake: string): Promise<{ removed: number; busy: number }> {
  return forEachIdleDayWithCopies(lake, (c) => rm(c.path, { recursive: true, force: true }), async (dataset, date) => {
    const paths = await copiesOfDay(lake, dataset, date);
    for (const path of paths) await rm(path, { recursive: true, force: true });
    return paths.length;
  });
}

/**
 * For each day with copies in _staging or _trash that no other live process holds: `repair`
 * under its partition lock (it returns how many copies it removed); a day another process
 * holds is counted as busy. A stray file beside the copies (no writer puts one there) goes to
 * `removeStray`.
 */
async function forEachIdleDayWithCopies(lake: string, removeStray: (copy: { readonly path: string }) => Promise<void>,
  repair: (dataset: string, date: string) => Promise<number>): Promise<{ removed: number; busy: number }> {
  let removed = 0, busy = 0;
  const days = new Map<string, { dataset: string; date: string }>();
  for (const c of [...await findCopies(stagingRoot(lake)), ...await findCopies(trashRoot(lake))]) {
    if (c.date !== '') days.set(`${c.dataset}\n${c.date}`, { dataset: c.dataset, date: c.date });
    else {
      await removeStray(c);
      removed++;
    }
  }
  for (const { dataset, date } of days.values()) {
    const got = tryLockPartition(lake, dataset, date);
    if ('busy' in got) {
      busy++;
      continue;
    }
    try {
      removed += await repair(dataset, date);
    } finally {
      got.lock.release();
    }
  }
  return { removed, busy };
}

/** The copies of one day in _staging and _trash, listed now (call with the partition lock held). */
async function copiesOfDay(lake: string, dataset: string, date: string): Promise<string[]> {
  const paths: string[] = [];
  for (const root of [stagingRoot(lake), trashRoot(lake)]) {
    const dir = join(root, ...dataset.split('/'));
    let names: string[];
    try { names = await readdir(dir); } catch { continue; }
    for (const name of names) if (parseCopyName(name)?.date === date) paths.push(join(dir, name));
  }
  return paths.sort();
}

/** Recovery of one day, with its partition lock held. */
async function recoverPartition(lake: string, dataset: string, date: string, fs: PublishFs): Promise<{ actions: string[]; removed: number }> {
  const actions: string[] = [];
  let removed = 0;
  const paths = await copiesOfDay(lake, dataset, date);
  if (paths.length === 0) return { actions, removed }; // its writer finished meanwhile
  let legacyCache: Promise<ManifestEntry | undefined> | undefined;
  const legacy = (): Promise<ManifestEntry | undefined> => (legacyCache ??= readLegacyLog(lake, dataset).then((log) => log.get(date), () => undefined));
  const final = partitionDir(lake, dataset, date);
  const published = (await exists(final)) ? await inspectCopy(lake, dataset, date, final, legacy) : undefined;
  const others = await Promise.all(paths.map((p) => inspectCopy(lake, dataset, date, p, legacy)));
  let best: DayCopy | undefined;
  for (const c of others) if (c.complete && (best === undefined || c.generation > best.generation)) best = c;
  const publishedWins = published !== undefined && published.complete && (best === undefined || published.generation >= best.generation);
  if (!publishedWins && best !== undefined) {
    const why = published === undefined ? 'the published copy was missing'
      : published.complete ? `it is newer (generation ${best.generation} over ${published.generation})` : 'the published copy was incomplete';
    await fs.mkdirp(dirname(final));
    await install(fs, lake, dataset, date, best.path, final, `recovered-${Date.now().toString(36)}`);
    actions.push(`${dataset} ${date}: an interrupted publish was completed from ${relative(lake, best.path)} (${why})`);
  }
  for (const c of others) {
    if (!publishedWins && c === best) continue; // it is the published copy now
    if (!(await exists(c.path))) continue;
    await fs.removeTree(c.path);
    removed++;
  }
  if (publishedWins && others.some((c) => c.complete)) {
    actions.push(`${dataset} ${date}: kept the published copy (generation ${published.generation}); removed ${others.length} older or unfinished cop${others.length === 1 ? 'y' : 'ies'}`);
  }
  return { actions, removed };
}
