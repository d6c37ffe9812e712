/**
 * Recovery for commands that only read the lake (replay, live, serve): when an
 * interrupted publish left copies behind and no other process holds the lake,
 * the newest complete copy of each such day is put back in place before the
 * lake is read. A lake another process is writing is left to that process.
 */
import { readdir } from 'node:fs/promises';
import { withLakeLockIfFree } from './lock.js';
import { recoverLake, type RecoveryReport } from './publish.js';
import { stagingRoot, trashRoot } from './layout.js';

async function hasEntries(dir: string): Promise<boolean> {
  try {
    for (const name of await readdir(dir)) if (name !== '_duckdb') return true;
    return false;
  } catch {
    return false;
  }
}

/** Runs recovery if something is left to recover and the lake is free; undefined when nothing was done. */
export async function recoverIfIdle(lake: string): Promise<RecoveryReport | undefined> {
  if (!(await hasEntries(stagingRoot(lake))) && !(await hasEntries(trashRoot(lake)))) return undefined;
  const r = await withLakeLockIfFree(lake, () => recoverLake(lake));
  // Another process is writing: its own recovery and publishes are in charge.
  return r.ran ? r.value : undefined;
}
