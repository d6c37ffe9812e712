/** A RestClient set up from `[massive]` (rest_url, rate, concurrency, timeout, retries) and the API key. */
import { parseDurationMs } from '../../calendar/durations.js';
import type { Config } from '../../config/schema.js';
import { ConfigError } from '../../util/errors.js';
import { RestClient, type RestEvent } from './client.js';
import { RateLimiter } from './rate-limiter.js';

export function restClientFromConfig(config: Config, onEvent?: (event: RestEvent) => void): RestClient {
  const m = config.massive;
  const apiKey = m.api_key;
  if (apiKey === undefined || apiKey === '') {
    throw new ConfigError('no Massive API key: set MASSIVE_API_KEY or [massive] api_key in the config file (the REST API needs it)', { key: 'massive.api_key' });
  }
  return new RestClient({
    baseUrl: m.rest_url, apiKey,
    limiter: new RateLimiter({ requestsPerSecond: m.rest_requests_per_second, concurrency: m.rest_concurrency }),
    retry: { maxAttempts: m.rest_max_retries + 1, baseDelayMs: config.ingest.retry_base_ms, maxDelayMs: 30_000 },
    timeoutMs: parseDurationMs(m.rest_timeout),
    ...(onEvent ? { onEvent } : {}),
  });
}
