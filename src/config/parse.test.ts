import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { ConfigError } from '../util/errors.js';
import { parseConfigText } from './parse.js';
import { defaultConfig, sectionKeys, SECTIONS, type SectionName } from './schema.js';
import { parseDurationMs, parseWindow } from '../calendar/durations.js';

const NO_ENV = {};

function configError(text: string): ConfigError {
  try {
    parseConfigText(text, 'cfg.toml', NO_ENV);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e}`);
    return e;
  }
  assert.fail(`no error for:\n${text}`);
}

test('an empty file gives the documented defaults', () => {
  const { config, warnings } = parseConfigText('', 'cfg.toml', NO_ENV);
  assert.deepEqual(warnings, []);
  assert.deepEqual(config, defaultConfig());
  assert.equal(config.ingest.concurrent_files, availableParallelism());
  assert.deepEqual(config.massive, {
    s3_endpoint: 'https://files.massive.com', s3_bucket: 'flatfiles', s3_region: 'us-east-1', ws_url: 'wss://socket.massive.com',
    rest_url: 'https://api.massive.com', rest_requests_per_second: 50, rest_concurrency: 8, rest_timeout: '30s', rest_max_retries: 6, gap_fill: true,
  });
  assert.deepEqual({ ...config.ingest, concurrent_files: 0 }, { concurrent_files: 0, s3_concurrency: 4, max_retries: 6, retry_base_ms: 500, publish_hour_et: 11, batch_rows: 65536, inflate: 'auto' });
  assert.deepEqual(config.storage, {
    lake: './lake', row_group_rows: 131072, file_size_mb_target: 128, zstd_level: 1, duckdb_memory_limit: '512MB',
    force_path_style: false, orphan_grace_minutes: 60,
  });
  assert.deepEqual(config.tui, { progress_update_ms: 250, plain_progress_interval_s: 5 });
  assert.deepEqual(config.log, { level: 'info' });
  assert.deepEqual(config.metrics, { listen: '127.0.0.1:9090', allow_remote: false });
  assert.deepEqual(config.calendar, { holidays: [], half_days: [], trading_days: [] });
  assert.deepEqual(config.aggregations, {
    symbol: 'SPY', windows: ['1m', '5m', '15m', '30m'], session: 'regular', option_roots: [], contract_size: 100,
    risk_free_rate: 0.04, dividend_yield: 0, dividend_yields: {}, max_underlying_staleness: '60s', min_time_to_expiry: '60s',
    min_iv: 1e-6, max_iv: 10, gadvv_scale: 1, include_adjusted: false,
    exclude_conditions_high_low: [2, 7, 12, 13, 15, 16, 20, 21, 37, 52, 53],
    exclude_conditions_open_close: [2, 7, 12, 13, 15, 16, 20, 21, 37, 52, 53, 5, 10, 22, 29, 32, 33],
    exclude_conditions_volume: [15, 16, 38], exclude_option_conditions: [201, 203, 205, 207, 247],
    include_corrections: false, allowed_lateness: '2s', late_policy: 'drop', quiet_close_ms: 5000,
    aggression: true, aggression_fallback: 'none', max_quote_staleness: '5s', quote_staleness_mode: 'fixed',
    adaptive_staleness_min: '1s', adaptive_staleness_max: '30s',
  });
});

test('defaults are fresh objects: mutating one config does not leak into the next', () => {
  const a = defaultConfig();
  a.aggregations.windows.push('1h');
  a.aggregations.exclude_conditions_high_low.push(99);
  const b = defaultConfig();
  assert.deepEqual(b.aggregations.windows, ['1m', '5m', '15m', '30m']);
  assert.equal(b.aggregations.exclude_conditions_high_low.includes(99), false);
});

test('values from the file replace defaults; validated durations and windows parse', () => {
  const { config } = parseConfigText(`
[ingest]
concurrent_files = 3
[aggregations]
symbol = "SPX"
option_roots = ["SPXW"]
windows = ["30s", "45m", "2h"]
session = "extended"
max_underlying_staleness = "250ms"
[calendar]
holidays = [2030-06-03, "2030-06-04"]
[metrics]
listen = "[::1]:0"
`, 'cfg.toml', NO_ENV);
  assert.equal(config.ingest.concurrent_files, 3);
  assert.equal(config.ingest.s3_concurrency, 4);
  assert.deepEqual(config.aggregations.option_roots, ['SPXW']);
  assert.deepEqual(config.aggregations.windows.map(parseWindow), [30_000_000_000n, 2_700_000_000_000n, 7_200_000_000_000n]);
  assert.equal(parseDurationMs(config.aggregations.max_underlying_staleness), 250);
  assert.deepEqual(config.calendar.holidays, ['2030-06-03', '2030-06-04'], 'bare TOML dates become strings');
  assert.equal(config.metrics.listen, '[::1]:0');
});

test('the brief\'s example message', () => {
  const e = configError('[ingest]\nconcurrent_files = "two"\n');
  assert.equal(e.message, 'cfg.toml: ingest.concurrent_files: expected a positive integer, got "two"');
  assert.equal(e.context.key, 'ingest.concurrent_files');
  assert.equal(e.context.file, 'cfg.toml');
});

/** One bad value per key; each error must name that key. */
const BAD_VALUES: Record<string, string> = {
  'massive.api_key': '""', 'massive.s3_access_key_id': '42', 'massive.s3_secret_access_key': 'false',
  'massive.s3_endpoint': '"files.massive.com"', 'massive.s3_bucket': '""', 'massive.s3_region': '1',
  'massive.ws_url': '"https://socket.massive.com"',
  'massive.rest_url': '"wss://api.massive.com"',
  'massive.rest_requests_per_second': '0',
  'massive.rest_concurrency': '0',
  'massive.rest_timeout': '"30 seconds"',
  'massive.rest_max_retries': '-1',
  'massive.gap_fill': '"yes"',
  'ingest.concurrent_files': '0', 'ingest.s3_concurrency': '1.5', 'ingest.max_retries': '-1',
  'ingest.retry_base_ms': '"500"', 'ingest.publish_hour_et': '24', 'ingest.batch_rows': 'true', 'ingest.inflate': '"igzip"',
  'storage.lake': '""', 'storage.row_group_rows': '-5', 'storage.file_size_mb_target': '0', 'storage.zstd_level': '23',
  'storage.duckdb_memory_limit': '"lots"', 'storage.endpoint': '"minio:9000"', 'storage.region': '""',
  'storage.access_key_id': '""', 'storage.secret_access_key': '7', 'storage.force_path_style': '"yes"', 'storage.cache_dir': '""',
  'storage.orphan_grace_minutes': '0',
  'tui.progress_update_ms': '0', 'tui.plain_progress_interval_s': '"5s"',
  'log.level': '"verbose"',
  'metrics.listen': '"9090"', 'metrics.allow_remote': '"yes"',
  'calendar.holidays': '["2025-02-30"]', 'calendar.half_days': '"2025-11-28"', 'calendar.trading_days': '[20250101]',
  'aggregations.symbol': '"spy"', 'aggregations.windows': '["7m"]', 'aggregations.session': '"premarket"',
  'aggregations.option_roots': '"SPXW"', 'aggregations.contract_size': '0', 'aggregations.risk_free_rate': '"4%"',
  'aggregations.dividend_yield': 'nan', 'aggregations.dividend_yields': '{ spy = "x" }', 'aggregations.max_underlying_staleness': '60', 'aggregations.min_time_to_expiry': '"1 minute"',
  'aggregations.min_iv': '0', 'aggregations.max_iv': '-1', 'aggregations.gadvv_scale': '0', 'aggregations.include_adjusted': '1',
  'aggregations.exclude_conditions_high_low': '[2, -7]', 'aggregations.exclude_conditions_open_close': '["5"]',
  'aggregations.exclude_conditions_volume': '15', 'aggregations.exclude_option_conditions': '[201.5]',
  'aggregations.include_corrections': '"no"', 'aggregations.allowed_lateness': '"2"', 'aggregations.late_policy': '"keep"',
  'aggregations.quiet_close_ms': '-1', 'aggregations.aggression': '"on"', 'aggregations.aggression_fallback': '"quote"',
  'aggregations.max_quote_staleness': '"5x"', 'aggregations.quote_staleness_mode': '"auto"',
  'aggregations.adaptive_staleness_min': '"1d"', 'aggregations.adaptive_staleness_max': '"-30s"',
  'live.flush_interval': '"soon"', 'live.finalize': '"yes"', 'live.finalize_retry_min': '5', 'live.finalize_retry_max': '"forever"',
  'web.listen': '"0"', 'web.allow_remote': '"yes"', 'web.max_points': '10', 'web.job_endpoints': '["9090"]', 'web.live_urls': '["127.0.0.1:9090"]',
};

test('every key has a bad-value case, and each error names its key and file', () => {
  const allKeys = (Object.keys(SECTIONS) as SectionName[]).flatMap((s) => sectionKeys(s).map((k) => `${s}.${k}`));
  assert.deepEqual(Object.keys(BAD_VALUES).sort(), allKeys.sort());
  for (const [dotted, value] of Object.entries(BAD_VALUES)) {
    const [section, key] = dotted.split('.');
    const e = configError(`[${section}]\n${key} = ${value}\n`);
    assert.match(e.message, /^cfg\.toml: /, dotted);
    assert.ok(e.message.includes(`${dotted}`), `${dotted}: ${e.message}`);
    assert.ok(String(e.context.key).startsWith(dotted), `${dotted}: context.key = ${e.context.key}`);
    assert.match(e.message, /expected/, dotted);
  }
});

test('cross-field rules name the key at fault', () => {
  assert.match(configError('[aggregations]\nmin_iv = 20\n').message, /aggregations\.max_iv: expected a number greater than aggregations\.min_iv \(20\), got the default 10/);
  assert.match(configError('[aggregations]\nadaptive_staleness_min = "1m"\nadaptive_staleness_max = "30s"\n').message, /aggregations\.adaptive_staleness_max: /);
  assert.match(configError('[aggregations]\nwindows = ["1m", "60s"]\n').message, /aggregations\.windows\[1\]: expected each window size once/);
  assert.match(configError('[aggregations]\nwindows = []\n').message, /aggregations\.windows: expected at least one window size/);
  assert.match(configError('[calendar]\nholidays = ["2030-06-03"]\ntrading_days = ["2030-06-03"]\n').message, /calendar\.trading_days\[0\]: /);
  assert.match(configError('[metrics]\nlisten = "0.0.0.0:9090"\n').message, /metrics\.listen: expected a loopback address/);
  assert.match(configError('[web]\nlisten = "0.0.0.0:8080"\n').message, /web\.listen: expected a loopback address .*web\.allow_remote = true/);
  assert.match(configError('ingest = 5\n').message, /cfg\.toml: ingest: expected a table, got 5/);
});

test('several bad values are all reported', () => {
  const e = configError('[ingest]\nconcurrent_files = "two"\n[log]\nlevel = "loud"\n');
  assert.match(e.message, /2 invalid values/);
  assert.match(e.message, /ingest\.concurrent_files: expected a positive integer, got "two"/);
  assert.match(e.message, /log\.level: expected one of "debug", "info", "warn", "error", got "loud"/);
  assert.equal(e.context.issues, 2);
});

test('remote metrics need allow_remote; "0" disables metrics', () => {
  const { config } = parseConfigText('[metrics]\nlisten = "0.0.0.0:9090"\nallow_remote = true\n', 'cfg.toml', NO_ENV);
  assert.equal(config.metrics.listen, '0.0.0.0:9090');
  assert.equal(parseConfigText('[metrics]\nlisten = "0"\n', 'cfg.toml', NO_ENV).config.metrics.listen, '0');
  assert.equal(parseConfigText('[metrics]\nlisten = "localhost:9464"\n', 'cfg.toml', NO_ENV).config.metrics.listen, 'localhost:9464');
});

test('TOML syntax errors give file, line and column without quoting the line', () => {
  const e = configError('[massive]\napi_key = "sekrit\n');
  assert.match(e.message, /^cfg\.toml:2:\d+: invalid TOML: /);
  assert.equal(e.context.line, 2);
  assert.ok(!e.message.includes('sekrit'));
});

test('secrets are never echoed in validation errors', () => {
  const e = configError('[massive]\napi_key = 123456789\n');
  assert.match(e.message, /massive\.api_key: expected a non-empty string \(value hidden\)/);
  assert.ok(!e.message.includes('123456789'));
});

test('unknown sections and keys are warnings naming the key, with suggestions', () => {
  const { config, warnings } = parseConfigText(`
top_level = 1
[ingest]
concurent_files = 2
[aggregation]
symbol = "QQQ"
[aggregations.extra]
x = 1
`, 'cfg.toml', NO_ENV);
  assert.deepEqual(warnings, [
    'cfg.toml: unknown key "top_level" ignored',
    'cfg.toml: unknown key "ingest.concurent_files" ignored (did you mean "ingest.concurrent_files"?)',
    'cfg.toml: unknown section "aggregation" ignored (did you mean "aggregations"?)',
    'cfg.toml: unknown key "aggregations.extra" ignored',
  ]);
  assert.equal(config.ingest.concurrent_files, availableParallelism());
  assert.equal(config.aggregations.symbol, 'SPY');
});

test('environment variables override secrets; empty ones are ignored', () => {
  const text = '[massive]\napi_key = "from-file"\ns3_access_key_id = "id-from-file"\n';
  const { config } = parseConfigText(text, 'cfg.toml', {
    MASSIVE_API_KEY: 'from-env', MASSIVE_S3_SECRET_ACCESS_KEY: 'secret-from-env', MASSIVE_S3_ACCESS_KEY_ID: '',
  });
  assert.equal(config.massive.api_key, 'from-env');
  assert.equal(config.massive.s3_access_key_id, 'id-from-file');
  assert.equal(config.massive.s3_secret_access_key, 'secret-from-env');
  assert.equal(parseConfigText('', undefined, {}).config.massive.api_key, undefined);
});
