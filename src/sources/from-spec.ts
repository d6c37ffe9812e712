/**
 * A flat-file source from its spec: `s3` (Massive's S3 endpoint, credentials from the config) or
 * `local:DIR` (the same key layout under a folder). The command checks the spec first
 * (src/cli/source.ts).
 */
import type { Config } from '../config/schema.js';
import { ConfigError } from '../util/errors.js';
import { LocalSource } from './local.js';
import type { FlatFileSource } from './source.js';

/** The AWS SDK (~75 ms to load) is imported only for `--source s3`. */
export async function openSource(spec: string, config: Config): Promise<FlatFileSource> {
  if (spec.startsWith('local:')) return new LocalSource(spec.slice('local:'.length));
  if (spec !== 's3') throw new ConfigError(`source must be "s3" or "local:DIR", got "${spec}"`);
  const m = config.massive;
  if (!m.s3_access_key_id || !m.s3_secret_access_key) {
    throw new ConfigError(
      'S3 credentials are missing: set MASSIVE_S3_ACCESS_KEY_ID and MASSIVE_S3_SECRET_ACCESS_KEY (the flat-file keys from the Massive dashboard, not the API key), or [massive] s3_access_key_id / s3_secret_access_key in config.toml',
      { key: 'massive.s3_access_key_id' });
  }
  // The AWS SDK prints a multi-line NodeVersionSupportWarning on Node < 22 (which package.json supports):
  // noise for people and non-JSON text under --json. A user who wants it can still set the variable to "false".
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { S3Source } = await import('./s3.js');
  return new S3Source({
    endpoint: m.s3_endpoint, bucket: m.s3_bucket, region: m.s3_region,
    accessKeyId: m.s3_access_key_id, secretAccessKey: m.s3_secret_access_key,
    maxAttempts: config.ingest.max_retries, retryBaseMs: config.ingest.retry_base_ms,
    maxSockets: config.ingest.s3_concurrency,
  });
}
