import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../util/errors.js';
import { loadConfig } from './load.js';
import { defaultConfig } from './schema.js';

async function withTempDir(f: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'gammaflow-config-'));
  try {
    await f(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('an explicit file is read, validated and returned with its absolute path', () => withTempDir(async (dir) => {
  const file = join(dir, 'my.toml');
  await writeFile(file, '[log]\nlevel = "debug"\n[tui]\nspeed = 1\n');
  const loaded = await loadConfig(file, { env: { MASSIVE_API_KEY: 'k' } });
  assert.equal(loaded.path, file);
  assert.equal(loaded.config.log.level, 'debug');
  assert.equal(loaded.config.massive.api_key, 'k');
  assert.deepEqual(loaded.warnings, [`${file}: unknown key "tui.speed" ignored`]);
}));

test('a missing explicit file is a ConfigError naming it', () => withTempDir(async (dir) => {
  const file = join(dir, 'absent.toml');
  await assert.rejects(loadConfig(file, { env: {} }), (e: unknown) => e instanceof ConfigError && e.message === `config file not found: ${file}` && e.context.file === file);
}));

test('a missing default ./config.toml means defaults, unless required', () => withTempDir(async (dir) => {
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    const loaded = await loadConfig(undefined, { env: { MASSIVE_S3_ACCESS_KEY_ID: 'id' } });
    assert.equal(loaded.path, undefined);
    assert.deepEqual(loaded.warnings, []);
    assert.deepEqual(loaded.config, { ...defaultConfig(), massive: { ...defaultConfig().massive, s3_access_key_id: 'id' } });
    await assert.rejects(loadConfig(undefined, { env: {}, required: true }), /config file not found: .*config\.toml/);
    await writeFile(join(dir, 'config.toml'), '[storage]\nzstd_level = 9\n');
    const found = await loadConfig(undefined, { env: {} });
    assert.equal(found.path, join(process.cwd(), 'config.toml'));
    assert.equal(found.config.storage.zstd_level, 9);
  } finally {
    process.chdir(cwd);
  }
}));

test('an invalid file is a ConfigError naming the file and key', () => withTempDir(async (dir) => {
  const file = join(dir, 'bad.toml');
  await writeFile(file, '[ingest]\nconcurrent_files = "two"\n');
  await assert.rejects(loadConfig(file, { env: {} }), {
    name: 'ConfigError',
    message: `${file}: ingest.concurrent_files: expected a positive integer, got "two"`,
  });
}));

test('a directory instead of a file is a ConfigError', () => withTempDir(async (dir) => {
  await assert.rejects(loadConfig(dir, { env: {} }), (e: unknown) => e instanceof ConfigError && /cannot read config file/.test(e.message));
}));
