/**
 * Where an S3 lake lives and how to reach it: `s3://bucket/prefix` parsed, the
 * object keys of its partitions, and the client settings from `[storage]` and
 * the environment. Pure: no I/O.
 *
 * Credentials and endpoint are the lake's own, never Massive's (`[massive] s3_*`
 * is where flat files are read from). Each setting comes from, first to last:
 * the environment (`GAMMAFLOW_LAKE_S3_ENDPOINT`, `_REGION`, `_ACCESS_KEY_ID`,
 * `_SECRET_ACCESS_KEY`, `_FORCE_PATH_STYLE`), then `[storage]` (`endpoint`,
 * `region`, `access_key_id`, `secret_access_key`, `force_path_style`), then the
 * AWS SDK's standard chain (AWS_* variables, ~/.aws, instance or pod roles).
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { StorageConfig } from '../../config/schema.js';
import { LakePathError } from '../../util/errors.js';

export interface S3LakeLocation {
  readonly bucket: string;
  /** Key prefix without leading or trailing slash; '' for the bucket's root. */
  readonly prefix: string;
  /** `s3://bucket/prefix` as normalized. */
  readonly url: string;
}

export const isS3LakeUrl = (lake: string): boolean => lake.startsWith('s3://');

/** Parses `s3://bucket/prefix`; a LakePathError naming what is wrong otherwise. */
export function parseS3LakeUrl(lake: string, origin = '--lake'): S3LakeLocation {
  const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(lake);
  const bucket = m?.[1];
  if (m === null || bucket === undefined || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new LakePathError(`${origin} ${lake}: expected s3://bucket/prefix with a valid bucket name (3-63 characters: a-z, 0-9, '.', '-')`, { path: lake });
  }
  const prefix = (m[2] ?? '').replace(/^\/+|\/+$/g, '');
  if (prefix.split('/').some((s) => s === '.' || s === '..') || prefix.includes('//')) {
    throw new LakePathError(`${origin} ${lake}: the prefix may not hold empty, '.' or '..' segments`, { path: lake });
  }
  return { bucket, prefix, url: `s3://${bucket}${prefix === '' ? '' : `/${prefix}`}` };
}

/** The key of `relative` (a lake-relative path such as `stocks-trades/date=D/_manifest.json`) in the lake. */
export const lakeKey = (loc: S3LakeLocation, relative: string): string => (loc.prefix === '' ? relative : `${loc.prefix}/${relative}`);

/** The key prefix (ending in '/') of a partition. */
export const partitionKeyPrefix = (loc: S3LakeLocation, dataset: string, date: string): string => lakeKey(loc, `${dataset}/date=${date}/`);

/** The lake's partition lock object (names starting with `_` are skipped by Spark, Trino and Hive). */
export const partitionLockKey = (loc: S3LakeLocation, dataset: string, date: string): string => lakeKey(loc, `_locks/${dataset}/date=${date}.json`);

/** A part's key name: unique per run, so a part is never overwritten, only added and later deleted. */
export const remotePartName = (runId: string, index: number): string => `part-${runId}-${String(index).padStart(5, '0')}.parquet`;

/** The day's rejects of one run (named in the commit record as `rejectsFile`). */
export const remoteRejectsName = (runId: string): string => `_rejects-${runId}.jsonl`;

export interface S3LakeClientSettings {
  readonly endpoint?: string;
  readonly region: string;
  readonly forcePathStyle: boolean;
  /** Both or neither: neither means the SDK's default credential chain. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

const ENV = 'GAMMAFLOW_LAKE_S3_';

/** The lake's S3 client settings from the environment over `[storage]`. */
export function s3LakeClientSettings(storage: StorageConfig, env: NodeJS.ProcessEnv = process.env): S3LakeClientSettings {
  const fromEnv = (name: string): string | undefined => {
    const v = env[ENV + name];
    return v === undefined || v === '' ? undefined : v;
  };
  const endpoint = fromEnv('ENDPOINT') ?? storage.endpoint;
  const region = fromEnv('REGION') ?? storage.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const pathStyleEnv = fromEnv('FORCE_PATH_STYLE');
  if (pathStyleEnv !== undefined && !['true', 'false', '1', '0'].includes(pathStyleEnv)) {
    throw new LakePathError(`${ENV}FORCE_PATH_STYLE=${pathStyleEnv}: expected true or false`, { key: `${ENV}FORCE_PATH_STYLE` });
  }
  const forcePathStyle = pathStyleEnv !== undefined ? pathStyleEnv === 'true' || pathStyleEnv === '1' : storage.force_path_style;
  const accessKeyId = fromEnv('ACCESS_KEY_ID') ?? storage.access_key_id;
  const secretAccessKey = fromEnv('SECRET_ACCESS_KEY') ?? storage.secret_access_key;
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    const missing = accessKeyId === undefined ? 'access_key_id' : 'secret_access_key';
    throw new LakePathError(`the S3 lake has only half of its key pair: set storage.${missing} (or ${ENV}${missing.toUpperCase()}) too, `
      + 'or neither to use the standard AWS credential chain', { key: `storage.${missing}` });
  }
  return {
    ...(endpoint !== undefined ? { endpoint } : {}),
    region,
    forcePathStyle,
    ...(accessKeyId !== undefined && secretAccessKey !== undefined ? { credentials: { accessKeyId, secretAccessKey } } : {}),
  };
}

/**
 * The local partition cache of an S3 lake: `[storage] cache_dir` (or
 * `$XDG_CACHE_HOME/gammaflow/lake`, `~/.cache/gammaflow/lake`) + `/<bucket>/<prefix>`.
 * Commands run on it as on a local lake; what it holds is checked against the
 * bucket's commit records before use.
 */
export function s3LakeCacheDir(loc: S3LakeLocation, storage: StorageConfig, env: NodeJS.ProcessEnv = process.env): string {
  const root = storage.cache_dir
    ?? join(env.XDG_CACHE_HOME !== undefined && env.XDG_CACHE_HOME !== '' ? env.XDG_CACHE_HOME : join(homedir(), '.cache'), 'gammaflow', 'lake');
  return join(root, loc.bucket, ...(loc.prefix === '' ? [] : loc.prefix.split('/')));
}
