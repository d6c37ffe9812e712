/** Config loading for every command: warnings are printed once, errors name the key. */
import { loadConfig } from '../config/index.js';
import type { Config } from '../config/schema.js';
import { checkLakePath } from '../lake/lake-path.js';
import { LakePathError } from '../util/errors.js';
import { isS3LakeUrl } from '../lake/s3/location.js';
import { openS3Lake } from '../lake/s3/open.js';

export async function loadCliConfig(path: string | undefined, json: boolean): Promise<{ config: Config; path: string | undefined }> {
  const loaded = await loadConfig(path);
  for (const w of loaded.warnings) {
    process.stderr.write(json ? JSON.stringify({ type: 'warning', message: w }) + '\n' : `warning: ${w}\n`);
  }
  return { config: loaded.config, path: loaded.path };
}

/**
 * `--lake`, or the config's `storage.lake`: checked to be a directory (or not there yet) before any work starts.
 * An `s3://bucket/prefix` lake is opened and its local cache directory returned (the command runs on it).
 */
export function lakeOption(flag: string | undefined, config: Config): string {
  const lake = flag ?? config.storage.lake;
  const origin = flag !== undefined ? '--lake' : 'storage.lake';
  if (isS3LakeUrl(lake)) {
    const cache = openS3Lake(lake, config.storage, origin);
    checkLakePath(cache, origin);
    return cache;
  }
  checkLakePath(lake, origin);
  return lake;
}

/** `lakeOption` for a command that keeps files of its own in the lake's partitions (live's per-flush files): a local lake only. */
export function localLakeOption(flag: string | undefined, config: Config, command: string): string {
  const lake = flag ?? config.storage.lake;
  if (isS3LakeUrl(lake)) {
    throw new LakePathError(`${flag !== undefined ? '--lake' : 'storage.lake'} ${lake}: ${command} needs a local lake directory `
      + '(it appends files to partitions as it runs); run it on a local lake and publish the finished days with gammaflow ingest/greeks/features to S3', { path: lake });
  }
  return lakeOption(flag, config);
}
