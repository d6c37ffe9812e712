/** The `--lake` argument checked before anything is written: a file where the lake should be is a usage error, not EEXIST. */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { LakeError } from '../util/errors.js';

export async function requireLakeDir(path: string, options: { mustExist?: boolean } = {}): Promise<string> {
  try {
    const s = await stat(path);
    if (!s.isDirectory()) throw new LakeError(`--lake ${path} is a file, not a directory`, { path, usage: true });
  } catch (e) {
    if (e instanceof LakeError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && options.mustExist === true) throw new LakeError(`--lake ${path}: no such directory`, { path, usage: true });
    if (code === 'ENOTDIR') throw new LakeError(`--lake ${path}: a parent of it is a file, not a directory`, { path, usage: true });
    if (code !== 'ENOENT') throw new LakeError(`--lake ${path}: ${(e as Error).message}`, { path }, { cause: e });
  }
  return resolve(path);
}
