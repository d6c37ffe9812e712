/**
 * Operating-system errors in words a user acts on. A full disk must read
 * "no space left on device while writing PATH", not a bare errno string, and
 * the path is the one being written, whatever the syscall reported.
 */
import { errorMessage } from './errors.js';

const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on device',
  ENOENT: 'no such file or directory',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
  ENOTDIR: 'a parent of the path is not a directory',
  EISDIR: 'the path is a directory',
};

/** The errno code of an error, or undefined. */
export function errnoCode(e: unknown): string | undefined {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** True for the errors that mean the disk is full (no use retrying at once). */
export function isDiskFull(e: unknown): boolean {
  const code = errnoCode(e);
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/**
 * `"<reason> while <doing> <path>"` for a known errno (`no space left on
 * device while writing /lake/_staging/.../part-00000.parquet`), else
 * `"cannot <do> <path>: <message>"`.
 */
export function describeFsError(e: unknown, doing: 'writing' | 'creating' | 'reading' | 'renaming' | 'syncing' | 'deleting', path: string): string {
  const code = errnoCode(e);
  const reason = code === undefined ? undefined : REASONS[code];
  if (reason !== undefined) return `${reason} while ${doing} ${path}`;
  return `error while ${doing} ${path}: ${errorMessage(e)}`;
}
