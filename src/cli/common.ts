/** Config loading for every command: warnings are printed once, errors name the key. */
import { loadConfig } from '../config/index.js';
import type { Config } from '../config/schema.js';

export async function loadCliConfig(path: string | undefined, json: boolean): Promise<{ config: Config; path: string | undefined }> {
  const loaded = await loadConfig(path);
  for (const w of loaded.warnings) {
    process.stderr.write(json ? JSON.stringify({ type: 'warning', message: w }) + '\n' : `warning: ${w}\n`);
  }
  return { config: loaded.config, path: loaded.path };
}
