/** Config loading for every command: warnings are printed once, errors name the key. */
import { loadConfig } from '../config/index.js';
import type { Config } from '../config/schema.js';
import { checkLakePath } from '../lake/lake-path.js';

export async function loadCliConfig(path: string | undefined, json: boolean): Promise<{ config: Config; path: string | undefined }> {
  const loaded = await loadConfig(path);
  for (const w of loaded.warnings) {
    process.stderr.write(json ? JSON.stringify({ type: 'warning', message: w }) + '\n' : `warning: ${w}\n`);
  }
  return { config: loaded.config, path: loaded.path };
}

/** `--lake`, or the config's `storage.lake`: checked to be a directory (or not there yet) before any work starts. */
export function lakeOption(flag: string | undefined, config: Config): string {
  const lake = flag ?? config.storage.lake;
  checkLakePath(lake, flag !== undefined ? '--lake' : 'storage.lake');
  return lake;
}
