/**
 * Recovery for commands that only read the lake (replay, live, serve): when an
 * interrupted publish left copies behind, the newest complete copy of each
 * such day is put back in place before the lake is read. Each day is repaired
 * under its partition lock; a day another process is writing is left to it.
 */
import { readdir } from 'node:fs/promises';
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

/** Runs recovery if something is left to recover; undefined when nothing was there. */
export async function recoverIfIdle(lake: string): Promise<RecoveryReport | undefined> {
  if (!(await hasEntries(stagingRoot(lake))) && !(await hasEntries(trashRoot(lake)))) return undefined;
  return recoverLake(lake);
}
