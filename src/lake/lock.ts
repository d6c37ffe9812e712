/**
 * One writer per lake: a lock file holding the writer's pid. A lock left by a
 * process that no longer exists (kill -9) is taken over.
 */
import { mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import { LakeError } from '../util/errors.js';
import { lockPath } from './layout.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface LakeLock { release(): void }

export function lockLake(lake: string): LakeLock {
  mkdirSync(lake, { recursive: true });
  const path = lockPath(lake);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          try { rmSync(path, { force: true }); } catch { /* already gone */ }
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new LakeError(`cannot create the lock file ${path}: ${(e as Error).message}`, { path }, { cause: e });
      }
      let pid = NaN;
      try { pid = Number(readFileSync(path, 'utf8').trim()); } catch { /* vanished meanwhile */ }
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new LakeError(`another gammaflow process (pid ${pid}) is writing to the lake ${lake}; wait for it or stop it`, { path, pid });
      }
      rmSync(path, { force: true }); // stale: its owner died
    }
  }
  throw new LakeError(`cannot lock the lake ${lake}`, { path });
}
