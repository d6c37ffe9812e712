/**
 * nodejs-polars, installed under bench/peers (`npm run peers`), as a second
 * independent Parquet reader. Undefined when it is not installed.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || existsSync(join(dir, 'tsconfig.json')) === false) {
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
  return dir;
}

export const PEERS_DIR = join(repoRoot(), 'bench', 'peers');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function loadPolars(): any | undefined {
  try {
    return createRequire(join(PEERS_DIR, 'package.json'))('nodejs-polars');
  } catch {
    return undefined;
  }
}
