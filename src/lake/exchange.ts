/**
 * Atomic exchange of two directories: Linux `renameat2(RENAME_EXCHANGE)`,
 * reached through the koffi FFI (an optional dependency). After the call each
 * path names what the other named, in one step: a reader of either path sees
 * the old directory or the new one, never neither and never a mix.
 *
 * Where it is not available (another OS, koffi not installed, a filesystem
 * that refuses the flag) `exchangeDirs` returns false and the caller falls
 * back to two renames; docs/lake.md says what a reader may see then.
 */
import { createRequire } from 'node:module';

const AT_FDCWD = -100;
const RENAME_EXCHANGE = 2;
const EINVAL = 22, ENOSYS = 38, EXDEV = 18, EPERM = 1, ENOTSUP = 95;

type RenameAt2 = (olddirfd: number, oldpath: string, newdirfd: number, newpath: string, flags: number) => number;
interface Native { renameat2: RenameAt2; errno: () => number }

let native: Native | null | undefined;

function load(): Native | null {
  if (native !== undefined) return native;
  native = null;
  if (process.platform !== 'linux' || process.env.GAMMAFLOW_NO_EXCHANGE === '1') return native;
  try {
    const koffi = createRequire(import.meta.url)('koffi') as {
      load(path: string): { func(signature: string): (...args: unknown[]) => unknown };
      errno(): number;
    };
    const libc = koffi.load('libc.so.6');
    const fn = libc.func('int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags)') as unknown as RenameAt2;
    native = { renameat2: fn, errno: () => koffi.errno() };
  } catch {
    native = null; // no koffi, or a libc without renameat2 (glibc < 2.28, musl): two renames instead
  }
  return native;
}

/** Whether this process can exchange directories atomically (as far as it knows before trying). */
export function exchangeAvailable(): boolean {
  return load() !== null;
}

export class ExchangeError extends Error {
  readonly code: string;
  constructor(readonly errno: number, readonly from: string, readonly to: string) {
    super(`renameat2(RENAME_EXCHANGE) of ${from} and ${to} failed with errno ${errno}`);
    this.code = errno === 2 ? 'ENOENT' : errno === 28 ? 'ENOSPC' : errno === 30 ? 'EROFS' : errno === 13 ? 'EACCES' : `ERRNO_${errno}`;
  }
}

/**
 * Exchanges `a` and `b` (both must exist). Returns false when atomic exchange
 * is not supported here (nothing was changed); throws ExchangeError for a real
 * failure (a missing path, a read-only file system...).
 */
export function exchangeDirs(a: string, b: string): boolean {
  const n = load();
  if (n === null) return false;
  if (n.renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) === 0) return true;
  const errno = n.errno();
  if (errno === EINVAL || errno === ENOSYS || errno === ENOTSUP || errno === EXDEV || errno === EPERM) {
    // The filesystem (or a seccomp filter) refuses the flag: remember, and let the caller use two renames.
    native = null;
    return false;
  }
  throw new ExchangeError(errno, a, b);
}
