/**
 * The validated shape of config.toml: one zod object per `[section]`, every
 * key optional with its default. Field names are the TOML keys (snake_case),
 * so a key reads the same in the file, in errors and in code.
 *
 * Durations and window sizes stay the strings the user wrote ("60s", "5m"),
 * validated here; convert them with `parseDurationMs` (→ ms) and `parseWindow`
 * (→ ns BigInt) from src/calendar/durations.ts, which cannot fail on a
 * validated config.
 *
 * Every message reads "expected …"; the loader appends the key, the file and
 * "got <value>" (never for secrets). docs/config.md documents every key.
 */
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { TomlDate } from 'smol-toml';
import { parseDurationMs, parseWindow } from '../calendar/durations.js';
import { isIsoDate } from '../calendar/civilDate.js';
import { isLoopbackHost, parseListenAddress } from './listen.js';

// ---------------------------------------------------------------- value kinds

const expected = (text: string) => ({ error: text });
const table = expected('expected a table');

function positiveInt() {
  const m = expected('expected a positive integer');
  return z.int(m).positive(m);
}
function nonNegativeInt() {
  const m = expected('expected a non-negative integer');
  return z.int(m).nonnegative(m);
}
function intInRange(min: number, max: number) {
  const m = expected(`expected an integer from ${min} to ${max}`);
  return z.int(m).min(min, m).max(max, m);
}
function finiteNumber() {
  return z.number(expected('expected a number'));
}
function positiveNumber() {
  const m = expected('expected a positive number');
  return z.number(m).positive(m);
}
function bool() {
  return z.boolean(expected('expected true or false'));
}
function nonEmptyString() {
  const m = expected('expected a non-empty string');
  return z.string(m).min(1, m);
}
/** A DuckDB memory size: a number and a unit, e.g. "512MB", "2GB", "1.5GiB". */
function memorySize() {
  const m = expected('expected a size such as "512MB" or "2GB"');
  return z.string(m).regex(/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i, m);
}
function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, expected(`expected one of ${values.map((v) => JSON.stringify(v)).join(', ')}`));
}
function listOf<T extends z.ZodType>(item: T, what: string) {
  return z.array(item, expected(`expected an array of ${what}`));
}
/** A credential: never echoed in messages or logs (see redact.ts). */
function secret() {
  const m = expected('expected a non-empty string');
  return z.string(m).min(1, m).optional();
}
function urlWithScheme(schemes: readonly string[]) {
  const m = `expected a URL starting with ${schemes.map((s) => `${s}//`).join(' or ')}`;
  return z.string(expected(m)).refine((text) => {
    try {
      return schemes.includes(new URL(text).protocol);
    } catch {
      return false;
    }
  }, expected(m));
}
function duration() {
  const m = 'expected a duration such as "250ms", "2s", "60s", "5m" or "1h"';
  return z.string(expected(m)).refine((text) => succeeds(() => parseDurationMs(text)), expected(m));
}
function windowSize() {
  const m = 'expected a window size that divides one day, such as "30s", "1m", "45m" or "1h"';
  return z.string(expected(m)).refine((text) => succeeds(() => parseWindow(text)), expected(m));
}
/** A 'YYYY-MM-DD' date, quoted or as a bare TOML local date (2025-01-09). */
function isoDate() {
  const m = 'expected a date written YYYY-MM-DD';
  return z.preprocess(
    (v) => (v instanceof TomlDate && v.isDate() ? v.toISOString() : v),
    z.string(expected(m)).refine(isIsoDate, expected(m)),
  );
}
function ticker(what: string) {
  const m = `expected ${what} in upper case, such as "SPY"`;
  return z.string(expected(m)).regex(/^[A-Z0-9][A-Z0-9.:/-]*$/, expected(m));
}
function succeeds(f: () => unknown): boolean {
  try {
    f();
    return true;
  } catch {
    return false;
  }
}
/** f(), or undefined when it throws. */
function attempt<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------- sections

export const massiveSection = z.object({
  api_key: secret(),
  s3_access_key_id: secret(),
  s3_secret_access_key: secret(),
  s3_endpoint: urlWithScheme(['https:', 'http:']).default('https://files.massive.com'),
  s3_bucket: nonEmptyString().default('flatfiles'),
  s3_region: nonEmptyString().default('us-east-1'),
  ws_url: urlWithScheme(['wss:', 'ws:']).default('wss://socket.massive.com'),
  rest_url: urlWithScheme(['https:', 'http:']).default('https://api.massive.com'),
  rest_requests_per_second: positiveNumber().default(50),
  rest_concurrency: positiveInt().default(8),
  rest_timeout: duration().default('30s'),
  rest_max_retries: nonNegativeInt().default(6),
  gap_fill: bool().default(true),
}, table);

export const ingestSection = z.object({
  concurrent_files: positiveInt().default(() => availableParallelism()),
  s3_concurrency: positiveInt().default(4),
  max_retries: nonNegativeInt().default(6),
  retry_base_ms: positiveInt().default(500),
  publish_hour_et: intInRange(0, 23).default(11),
  batch_rows: positiveInt().default(65_536),
  inflate: oneOf(['auto', 'isal', 'zlib']).default('auto'),
}, table);

export const storageSection = z.object({
  lake: nonEmptyString().default('./lake'),
  row_group_rows: positiveInt().default(131_072),
  file_size_mb_target: positiveNumber().default(128),
  zstd_level: intInRange(1, 22).default(1),
  duckdb_memory_limit: memorySize().default('512MB'),
  endpoint: urlWithScheme(['https:', 'http:']).optional(),
  region: nonEmptyString().optional(),
  access_key_id: secret(),
  secret_access_key: secret(),
  force_path_style: bool().default(false),
  cache_dir: nonEmptyString().optional(),
  orphan_grace_minutes: positiveNumber().default(60),
}, table);

export const tuiSection = z.object({
  progress_update_ms: positiveInt().default(250),
  plain_progress_interval_s: positiveNumber().default(5),
}, table);

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export const logSection = z.object({
  level: oneOf(LOG_LEVELS).default('info'),
}, table);

export const metricsSection = z.object({
  listen: z.string(expected('expected host:port such as "127.0.0.1:9090", or "0" to disable'))
    .refine((text) => succeeds(() => parseListenAddress(text)), expected('expected host:port such as "127.0.0.1:9090", or "0" to disable'))
    .default('127.0.0.1:9090'),
  allow_remote: bool().default(false),
}, table).superRefine((metrics, ctx) => {
  // Object-level rules also run when a field failed, so they re-check their inputs.
  const address = attempt(() => parseListenAddress(metrics.listen));
  if (address !== undefined && metrics.allow_remote !== true && !isLoopbackHost(address.host)) {
    ctx.addIssue({
      code: 'custom', path: ['listen'],
      message: 'expected a loopback address such as "127.0.0.1:9090" (set metrics.allow_remote = true to expose metrics to other machines)',
    });
  }
});

export const webSection = z.object({
  listen: z.string(expected('expected host:port such as "127.0.0.1:8080"'))
    .refine((text) => succeeds(() => parseListenAddress(text)) && text !== '0', expected('expected host:port such as "127.0.0.1:8080"'))
    .default('127.0.0.1:8080'),
  allow_remote: bool().default(false),
  max_points: intInRange(1_000, 1_000_000).default(50_000),
  job_endpoints: listOf(z.string(expected('expected host:port')).refine((text) => succeeds(() => parseListenAddress(text)) && text !== '0',
    expected('expected host:port such as "127.0.0.1:9090"')), 'host:port addresses').default(() => []),
  live_urls: listOf(z.string(expected('expected an http:// URL')).refine((text) => /^https?:\/\/[^\s/]+\/?$/.test(text),
    expected('expected the http://host:port of a gammaflow live process, such as "http://127.0.0.1:9090"')), 'URLs').default(() => []),
}, table).superRefine((web, ctx) => {
  const address = attempt(() => parseListenAddress(web.listen));
  if (address !== undefined && web.allow_remote !== true && !isLoopbackHost(address.host)) {
    ctx.addIssue({
      code: 'custom', path: ['listen'],
      message: 'expected a loopback address such as "127.0.0.1:8080" (set web.allow_remote = true to expose the web app to other machines)',
    });
  }
});

export const calendarSection = z.object({
  holidays: listOf(isoDate(), 'dates').default(() => []),
  half_days: listOf(isoDate(), 'dates').default(() => []),
  trading_days: listOf(isoDate(), 'dates').default(() => []),
}, table).superRefine((calendar, ctx) => {
  if (!Array.isArray(calendar.holidays) || !Array.isArray(calendar.trading_days)) return;
  const holidays = new Set(calendar.holidays);
  calendar.trading_days.forEach((date, i) => {
    if (typeof date === 'string' && holidays.has(date)) {
      ctx.addIssue({ code: 'custom', path: ['trading_days', i], message: `expected a date not also listed in calendar.holidays (${date} is in both)` });
    }
  });
});

/** Massive's consolidated-tape defaults (FEATURES.md "Per-trade quantities"). */
export const DEFAULT_EXCLUDE_CONDITIONS_HIGH_LOW: readonly number[] = [2, 7, 12, 13, 15, 16, 20, 21, 37, 52, 53];
export const DEFAULT_EXCLUDE_CONDITIONS_OPEN_CLOSE: readonly number[] = [...DEFAULT_EXCLUDE_CONDITIONS_HIGH_LOW, 5, 10, 22, 29, 32, 33];
export const DEFAULT_EXCLUDE_CONDITIONS_VOLUME: readonly number[] = [15, 16, 38];
export const DEFAULT_EXCLUDE_OPTION_CONDITIONS: readonly number[] = [201, 203, 205, 207, 247];

const conditionList = () => listOf(nonNegativeInt(), 'non-negative integer condition codes');

export const aggregationsSection = z.object({
  symbol: ticker('a ticker').default('SPY'),
  windows: listOf(windowSize(), 'window sizes').min(1, expected('expected at least one window size')).default(() => ['1m', '5m', '15m', '30m']),
  session: oneOf(['regular', 'extended', 'all']).default('regular'),
  option_roots: listOf(ticker('an option root'), 'option roots').default(() => []),
  contract_size: positiveNumber().default(100),
  risk_free_rate: z.union([z.number(), z.literal('treasury')], expected('expected a number or "treasury"')).default(0.04),
  dividend_yield: finiteNumber().default(0),
  dividend_yields: z.record(z.string().regex(/^[A-Z0-9][A-Z0-9.]*$/), z.number(), expected('expected a table of ticker = number (e.g. { SPY = 0.012 })')).default(() => ({})),
  max_underlying_staleness: duration().default('60s'),
  min_time_to_expiry: duration().default('60s'),
  min_iv: positiveNumber().default(1e-6),
  max_iv: positiveNumber().default(10),
  gadvv_scale: positiveNumber().default(1),
  include_adjusted: bool().default(false),
  exclude_conditions_high_low: conditionList().default(() => [...DEFAULT_EXCLUDE_CONDITIONS_HIGH_LOW]),
  exclude_conditions_open_close: conditionList().default(() => [...DEFAULT_EXCLUDE_CONDITIONS_OPEN_CLOSE]),
  exclude_conditions_volume: conditionList().default(() => [...DEFAULT_EXCLUDE_CONDITIONS_VOLUME]),
  exclude_option_conditions: conditionList().default(() => [...DEFAULT_EXCLUDE_OPTION_CONDITIONS]),
  include_corrections: bool().default(false),
  allowed_lateness: duration().default('2s'),
  late_policy: oneOf(['drop', 'revise']).default('drop'),
  quiet_close_ms: nonNegativeInt().default(5_000),
  aggression: bool().default(true),
  aggression_fallback: oneOf(['none', 'tick']).default('none'),
  max_quote_staleness: duration().default('5s'),
  quote_staleness_mode: oneOf(['fixed', 'adaptive']).default('fixed'),
  adaptive_staleness_min: duration().default('1s'),
  adaptive_staleness_max: duration().default('30s'),
}, table).superRefine((agg, ctx) => {
  // Object-level rules also run when a field failed, so they re-check their inputs.
  if (typeof agg.min_iv === 'number' && typeof agg.max_iv === 'number' && !(agg.max_iv > agg.min_iv)) {
    ctx.addIssue({ code: 'custom', path: ['max_iv'], message: `expected a number greater than aggregations.min_iv (${agg.min_iv})` });
  }
  const minMs = attempt(() => parseDurationMs(agg.adaptive_staleness_min));
  const maxMs = attempt(() => parseDurationMs(agg.adaptive_staleness_max));
  if (minMs !== undefined && maxMs !== undefined && minMs > maxMs) {
    ctx.addIssue({ code: 'custom', path: ['adaptive_staleness_max'], message: `expected a duration at least aggregations.adaptive_staleness_min (${agg.adaptive_staleness_min})` });
  }
  if (!Array.isArray(agg.windows)) return;
  const seen = new Map<bigint, string>();
  agg.windows.forEach((text, i) => {
    const ns = attempt(() => parseWindow(text));
    if (ns === undefined) return;
    const first = seen.get(ns);
    if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['windows', i], message: `expected each window size once (${JSON.stringify(text)} repeats ${JSON.stringify(first)})` });
    else seen.set(ns, text);
  });
});

export const liveSection = z.object({
  flush_interval: duration().default('1s'),
  finalize: bool().default(true),
  finalize_retry_min: duration().default('1m'),
  finalize_retry_max: duration().default('30m'),
}, table).superRefine((live, ctx) => {
  const minMs = attempt(() => parseDurationMs(live.finalize_retry_min));
  const maxMs = attempt(() => parseDurationMs(live.finalize_retry_max));
  if (minMs !== undefined && maxMs !== undefined && minMs > maxMs) {
    ctx.addIssue({ code: 'custom', path: ['finalize_retry_max'], message: `expected a duration at least live.finalize_retry_min (${live.finalize_retry_min})` });
  }
});

/** The sections of config.toml, in file order. */
export const SECTIONS = {
  massive: massiveSection,
  ingest: ingestSection,
  storage: storageSection,
  tui: tuiSection,
  log: logSection,
  metrics: metricsSection,
  calendar: calendarSection,
  aggregations: aggregationsSection,
  web: webSection,
  live: liveSection,
} as const;

export type SectionName = keyof typeof SECTIONS;

export const configSchema = z.object({
  massive: massiveSection.prefault({}),
  ingest: ingestSection.prefault({}),
  storage: storageSection.prefault({}),
  tui: tuiSection.prefault({}),
  log: logSection.prefault({}),
  metrics: metricsSection.prefault({}),
  calendar: calendarSection.prefault({}),
  aggregations: aggregationsSection.prefault({}),
  web: webSection.prefault({}),
  live: liveSection.prefault({}),
});

/** A complete, validated configuration (every default filled in). */
export type Config = z.output<typeof configSchema>;
export type MassiveConfig = Config['massive'];
export type IngestConfig = Config['ingest'];
export type StorageConfig = Config['storage'];
export type TuiConfig = Config['tui'];
export type LogConfig = Config['log'];
export type LogLevel = LogConfig['level'];
export type MetricsConfig = Config['metrics'];
export type CalendarConfig = Config['calendar'];
export type AggregationsConfig = Config['aggregations'];
export type WebConfig = Config['web'];
export type LiveConfig = Config['live'];

/** Keys a config section accepts (used to warn about unknown keys). */
export function sectionKeys(section: SectionName): string[] {
  return Object.keys(SECTIONS[section].shape);
}

/** The credential fields of `[massive]`. */
export type SecretField = 'api_key' | 's3_access_key_id' | 's3_secret_access_key';

/** Secret keys and the environment variables that override them. */
export const SECRET_ENV: ReadonlyArray<{ readonly field: SecretField; readonly key: string; readonly env: string }> = [
  { field: 'api_key', key: 'massive.api_key', env: 'MASSIVE_API_KEY' },
  { field: 's3_access_key_id', key: 'massive.s3_access_key_id', env: 'MASSIVE_S3_ACCESS_KEY_ID' },
  { field: 's3_secret_access_key', key: 'massive.s3_secret_access_key', env: 'MASSIVE_S3_SECRET_ACCESS_KEY' },
];

/** True for keys whose values must never be printed. */
export function isSecretKey(key: string): boolean {
  return SECRET_ENV.some((s) => s.key === key) || key === 'storage.access_key_id' || key === 'storage.secret_access_key';
}

/** The configuration of an empty config.toml (all defaults; concurrent_files = CPU cores). */
export function defaultConfig(): Config {
  return configSchema.parse({});
}
