/**
 * `gammaflow lake check`: every published partition against its commit
 * record, and everything in the lake that no record accounts for.
 *
 * Found and reported:
 *   - a listed file missing, of another size, or (when its mtime moved, or
 *     with `verify`) of another sha256;
 *   - a parquet file in a partition that its record does not list (readers
 *     would count its rows);
 *   - a partition without a record;
 *   - copies left in _staging or _trash by an interrupted run.
 *
 * Repaired with `repair` (what can be done without losing anything): the
 * interrupted publishes are completed or dropped (recoverLake), and unlisted
 * parquet files are moved out of readers' sight into
 * `_orphans/<dataset>/date=D/`. A file that no longer matches its checksum is
 * not repairable here: the day must be ingested again (`--force`); it stays
 * reported, and the check exits 1.
 *
 * Live features files (`live-*.parquet`, written intraday by `gammaflow
 * live` before the day is published) are listed, not treated as problems.
 */
import type { Dirent } from 'node:fs';
import { mkdir, readdir, rename } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { checkPartition, readManifest, type ManifestEntry } from './manifest.js';
import { findCopies, recoverLake } from './publish.js';
import { remoteLakeAt } from './s3/registry.js';
import { lockLake, partitionWriter } from './lock.js';
import { PARTITION_PREFIX, partitionDir, stagingRoot, trashRoot } from './layout.js';

export type LakeProblemKind = 'mismatch' | 'unlisted_file' | 'no_record' | 'leftover';

export interface LakeProblem {
  readonly kind: LakeProblemKind;
  readonly dataset: string;
  readonly date?: string;
  readonly message: string;
  /** What --repair did about it (absent: nothing, the problem remains). */
  readonly repaired?: string;
}

export interface LakeCheckReport {
  readonly lake: string;
  readonly datasets: number;
  readonly partitions: number;
  readonly filesChecked: number;
  readonly filesHashed: number;
  readonly liveFiles: number;
  readonly problems: readonly LakeProblem[];
  /** Problems not repaired: the check fails (exit 1) when this is above 0. */
  readonly remaining: number;
}

const isLiveFile = (name: string): boolean => (name.startsWith('live-') || name.startsWith('rt-')) && name.endsWith('.parquet');

/** Dataset paths (e.g. `stocks-trades`, `features/symbol=SPY/window=5m`): folders holding `date=` partitions, outside `_`/`.` folders. */
export async function listDatasets(lake: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries: Dirent[];
    try { entries = await readdir(dir, { withFileTypes: true }); } catch { return; }
    let holdsPartitions = false;
    for (const e of entries) {
      if (!e.isDirectory() || e.name.startsWith('_') || e.name.startsWith('.')) continue;
      if (e.name.startsWith(PARTITION_PREFIX)) holdsPartitions = true;
      else await walk(join(dir, e.name));
    }
    if (holdsPartitions && dir !== lake) found.push(relative(lake, dir).split(sep).join('/'));
  };
  await walk(lake);
  return found.sort();
}

/** What interrupted runs left in _staging and _trash: copies of days, and debris (date ''). */
async function leftoverCopies(lake: string): Promise<{ dataset: string; date: string; path: string }[]> {
  return [...await findCopies(stagingRoot(lake)), ...await findCopies(trashRoot(lake))];
}

export async function checkLake(lake: string, options: { verify?: boolean; repair?: boolean } = {}): Promise<LakeCheckReport> {
  const problems: LakeProblem[] = [];
  if (options.repair === true) {
    const before = await leftoverCopies(lake);
    const recovery = await recoverLake(lake);
    for (const action of recovery.actions) problems.push({ kind: 'leftover', dataset: '', message: action, repaired: 'completed' });
    if (before.length > 0) {
      problems.push({ kind: 'leftover', dataset: '', message: `${before.length} cop${before.length === 1 ? 'y' : 'ies'} left in _staging/_trash by interrupted runs`, repaired: `removed ${recovery.removed}` });
    }
  } else {
    for (const c of await leftoverCopies(lake)) {
      // A day another process is staging right now is its work in progress, not a leftover.
      if (c.date !== '' && partitionWriter(lake, c.dataset, c.date) !== undefined) continue;
      problems.push({ kind: 'leftover', dataset: c.dataset, message: `${c.path} was left by an interrupted run (--repair completes or removes it; so does the next run that writes to the lake)` });
    }
  }

  const datasets = await listDatasets(lake);
  let partitions = 0, filesChecked = 0, filesHashed = 0, liveFiles = 0;
  for (const dataset of datasets) {
    const entries = await readManifest(lake, dataset);
    const names = (await readdir(join(lake, ...dataset.split('/')))).filter((n) => n.startsWith(PARTITION_PREFIX)).sort();
    for (const name of names) {
      partitions++;
      const date = name.slice(PARTITION_PREFIX.length);
      const dir = partitionDir(lake, dataset, date);
      const files = await readdir(dir).catch(() => [] as string[]);
      const live = files.filter(isLiveFile);
      liveFiles += live.length;
      const entry: ManifestEntry | undefined = entries.get(date);
      if (entry === undefined) {
        if (files.some((f) => f.endsWith('.parquet') && !isLiveFile(f))) {
          problems.push({ kind: 'no_record', dataset, date, message: `${dir} has parquet files but no commit record (_manifest.json): nothing says what the day should hold; ingest the day again with --force` });
        }
        continue;
      }
      filesChecked += entry.files.length;
      const result = await checkPartition(lake, entry, { verify: options.verify === true });
      filesHashed += result.filesHashed;
      for (const problem of result.problems) {
        problems.push({ kind: 'mismatch', dataset, date, message: `${problem}; ingest ${date} again with --force` });
      }
      for (const f of result.unlisted.filter((name) => !isLiveFile(name))) {
        let repaired: string | undefined;
        if (options.repair === true) {
          const to = join(lake, '_orphans', ...dataset.split('/'), name);
          await mkdir(to, { recursive: true });
          await rename(join(dir, f), join(to, f));
          repaired = `moved to ${relative(lake, join(to, f))}`;
        }
        problems.push({ kind: 'unlisted_file', dataset, date, message: `${join(dir, f)} is not listed in the day's commit record (readers count its rows)`, ...(repaired ? { repaired } : {}) });
      }
    }
  }
  const remaining = problems.filter((p) => p.repaired === undefined).length;
  return { lake, datasets: datasets.length, partitions, filesChecked, filesHashed, liveFiles, problems, remaining };
}

/** The check as a command runs it: under the lake lock when it repairs (a repair moves files). */
export async function runLakeCheck(lake: string, options: { verify?: boolean; repair?: boolean; graceMs?: number }): Promise<LakeCheckReport> {
  const remote = remoteLakeAt(lake);
  if (remote !== undefined) return remote.checkLake({ ...options, graceMs: options.graceMs ?? 60 * 60_000 });
  if (options.repair !== true) return checkLake(lake, options);
  const lock = lockLake(lake);
  try {
    return await checkLake(lake, options);
  } finally {
    lock.release();
  }
}

/** Lines for people: one per problem, then a summary line. */
export function renderLakeCheck(r: LakeCheckReport): string[] {
  const lines = r.problems.map((p) => `${p.repaired ? 'repaired' : 'problem '} ${p.message}${p.repaired ? ` (${p.repaired})` : ''}`);
  const hashed = r.filesHashed > 0 ? `, ${r.filesHashed} checksummed` : '';
  const live = r.liveFiles > 0 ? `; ${r.liveFiles} live features file(s) not yet published` : '';
  lines.push(`lake ${r.lake}: ${r.datasets} dataset(s), ${r.partitions} partition(s), ${r.filesChecked} file(s) checked${hashed}${live}; `
    + (r.remaining === 0 ? (r.problems.length === 0 ? 'no problem found' : 'every problem found was repaired') : `${r.remaining} problem(s) remain`));
  return lines;
}
