/** `--source s3 | local:DIR`: checked before any work starts (src/sources/from-spec.ts opens it). */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from './report.js';

/**
 * Checks `--source` before any work starts: `s3`, or `local:DIR` where DIR is an existing
 * directory. A folder that does not exist is a usage error naming it (a typo must not look like
 * a range of days without files).
 */
export function checkSourceSpec(spec: string): void {
  if (spec === 's3') return;
  if (!spec.startsWith('local:')) throw new UsageError(`--source must be "s3" or "local:DIR", got "${spec}"`);
  const dir = spec.slice('local:'.length);
  if (dir === '') throw new UsageError('--source local:DIR needs a directory');
  let isDirectory: boolean;
  try {
    isDirectory = statSync(dir).isDirectory();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new UsageError(`--source local:${dir}: the folder ${resolve(dir)} does not exist`);
    throw new UsageError(`--source local:${dir}: cannot read the folder ${resolve(dir)}: ${(e as Error).message}`);
  }
  if (!isDirectory) throw new UsageError(`--source local:${dir}: ${resolve(dir)} is a file, not a folder (expected Massive's key layout under a folder, e.g. DIR/us_stocks_sip/trades_v1/2025/11/2025-11-07.csv.gz)`);
}
