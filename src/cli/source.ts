/** `--source s3 | local:DIR` → a FlatFileSource. */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { LocalSource } from '../sources/local.js';
import type { FlatFileSource } from '../sources/source.js';
import type { Config } from '../config/schema.js';
import { ConfigError } from '../util/errors.js';
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

/** The AWS SDK (~75 ms to load) is imported only for `--source s3`. */
export async function openSource(spec: string, config: Config): Promise<FlatFileSource> {
  checkSourceSpec(spec);
  if (spec.startsWith('local:')) return new LocalSource(spec.slice('local:'.length));
  const m = config.massive;
  if (!m.s3_access_key_id || !m.s3_secret_access_key) {
    throw new ConfigError(
      'S3 credentials are missing: set MASSIVE_S3_ACCESS_KEY_ID and MASSIVE_S3_SECRET_ACCESS_KEY (the flat-file keys from the Massive dashboard, not the API key), or [massive] s3_access_key_id / s3_secret_access_key in config.toml',
      { key: 'massive.s3_access_key_id' });
  }
  // The AWS SDK prints a multi-line NodeVersionSupportWarning on Node < 22 (which package.json supports):
  // noise for people and non-JSON text under --json. A user who wants it can still set the variable to "false".
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { S3Source } = await import('../sources/s3.js');
  return new S3Source({
    endpoint: m.s3_endpoint, bucket: m.s3_bucket, region: m.s3_region,
    accessKeyId: m.s3_access_key_id, secretAccessKey: m.s3_secret_access_key,
    maxAttempts: config.ingest.max_retries, retryBaseMs: config.ingest.retry_base_ms,
    maxSockets: config.ingest.s3_concurrency,
  });
}
