import { test } from 'node:test';
import assert from 'node:assert/strict';
import { changedKeys, HOT_RELOADABLE_KEYS, planReload } from './reload.js';
import { redactedConfig, REDACTED } from './redact.js';
import { defaultConfig } from './schema.js';
import { parseConfigText } from './parse.js';

test('changedKeys lists differing keys in schema order, arrays by value', () => {
  const a = defaultConfig();
  const b = defaultConfig();
  assert.deepEqual(changedKeys(a, b), []);
  b.aggregations.windows = ['1m', '5m', '15m', '30m'];
  assert.deepEqual(changedKeys(a, b), []);
  b.aggregations.windows = ['1m'];
  b.log.level = 'debug';
  b.massive.api_key = 'x';
  assert.deepEqual(changedKeys(a, b), ['massive.api_key', 'log.level', 'aggregations.windows']);
});

test('planReload applies display keys now and defers the rest', () => {
  const running = defaultConfig();
  const fromFile = parseConfigText('[log]\nlevel = "warn"\n[tui]\nprogress_update_ms = 1000\n[ingest]\nconcurrent_files = 1\n', 'c.toml', {}).config;
  const plan = planReload(running, fromFile);
  assert.deepEqual(plan.changed, ['ingest.concurrent_files', 'tui.progress_update_ms', 'log.level']);
  assert.deepEqual(plan.applied, ['tui.progress_update_ms', 'log.level']);
  assert.deepEqual(plan.deferred, ['ingest.concurrent_files']);
  assert.equal(plan.next.log.level, 'warn');
  assert.equal(plan.next.tui.progress_update_ms, 1000);
  assert.equal(plan.next.ingest.concurrent_files, running.ingest.concurrent_files, 'deferred keys keep their running value');
  assert.equal(running.log.level, 'info', 'the running config is not mutated');
  for (const key of plan.applied) assert.ok(HOT_RELOADABLE_KEYS.has(key));
});

test('redactedConfig hides set secrets only and copies deeply', () => {
  const config = parseConfigText('[massive]\napi_key = "ak"\n', 'c.toml', { MASSIVE_S3_SECRET_ACCESS_KEY: 'sk' }).config;
  const shown = redactedConfig(config);
  assert.equal(shown.massive.api_key, REDACTED);
  assert.equal(shown.massive.s3_secret_access_key, REDACTED);
  assert.equal(shown.massive.s3_access_key_id, undefined);
  assert.equal(config.massive.api_key, 'ak', 'the original keeps its secrets');
  const text = JSON.stringify(shown);
  assert.ok(!text.includes('"ak"') && !text.includes('"sk"'));
  shown.aggregations.windows.push('1h');
  assert.equal(config.aggregations.windows.length, 4);
});
