/**
 * The lake path a user gave (`--lake` or `storage.lake`) must be a directory, or not exist yet
 * (writers create it). A path that is a file, or lies under a file, is the user's mistake: a
 * {@link LakePathError} that says so, instead of the `EEXIST ... mkdir` or `ENOTDIR ... scandir`
 * the first filesystem call would raise deep inside a command.
 */
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LakePathError } from '../util/errors.js';

/** Where the path came from, for the message: the `--lake` option or the `storage.lake` config key. */
export type LakePathOrigin = '--lake' | 'storage.lake';

/** The nearest existing ancestor of `path` (itself included) that is not a directory, if any. */
function fileOnPath(path: string): string | undefined {
  let p = resolve(path);
  for (;;) {
    try {
      return statSync(p).isDirectory() ? undefined : p;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return undefined; // EACCES and the like: the command's own call reports it
      const parent = dirname(p);
      if (parent === p) return undefined;
      p = parent;
    }
  }
}

/** Throws LakePathError when `lake` is a file, or a path under a file; a missing path is fine. */
export function checkLakePath(lake: string, origin: LakePathOrigin = '--lake'): void {
  const file = fileOnPath(lake);
  if (file === undefined) return;
  const message = file === resolve(lake)
    ? `${origin} ${lake} is a file, not a directory`
    : `${origin} ${lake}: ${file} is a file, not a directory`;
  throw new LakePathError(`${message}; give a lake directory (it is created when missing)`, { path: lake, file });
}
