/**
 * Opens `--lake s3://bucket/prefix` for a command: the lake is registered
 * under its local cache directory, which the command then uses as its lake
 * path (registry.ts says how the lake modules find the bucket from it).
 */
import { mkdirSync } from 'node:fs';
import type { StorageConfig } from '../../config/schema.js';
import { parseS3LakeUrl, s3LakeCacheDir, s3LakeClientSettings } from './location.js';
import { S3Objects } from './objects.js';
import { registerRemoteLake, remoteLakeAt } from './registry.js';
import { S3Lake } from './s3-lake.js';

/** Registers the S3 lake `url` and returns its cache directory (the path the command's jobs take as their lake). */
export function openS3Lake(url: string, storage: StorageConfig, origin = '--lake', env: NodeJS.ProcessEnv = process.env): string {
  const location = parseS3LakeUrl(url, origin);
  const cacheDir = s3LakeCacheDir(location, storage, env);
  mkdirSync(cacheDir, { recursive: true });
  const existing = remoteLakeAt(cacheDir);
  if (existing !== undefined && existing.url === location.url) return cacheDir;
  const objects = new S3Objects(location.bucket, s3LakeClientSettings(storage, env));
  registerRemoteLake(new S3Lake(location, objects, cacheDir, (m) => process.stderr.write(`info: ${m}\n`)));
  return cacheDir;
}
