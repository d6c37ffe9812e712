import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../util/errors.js';
import { loadConfig } from './load.js';
import type { Config } from './schema.js';
import { watchConfig } from './watch.js';

interface Change { next: Config; changed: string[]; applied: string[]; deferred: string[] }

/** A watch whose callbacks are awaited one at a time; a guard timeout fails a test that hangs. */
function recorder() {
  const events: Array<{ change?: Change; error?: unknown }> = [];
  let wake: (() => void) | undefined;
  const push = (e: { change?: Change; error?: unknown }) => {
    events.push(e);
    wake?.();
  };
  return {
    onChange: (next: Config, changed: string[], applied: string[], deferred: string[]) => push({ change: { next, changed, applied, deferred } }),
    onError: (error: unknown) => push({ error }),
    async next(): Promise<{ change?: Change; error?: unknown }> {
      const deadline = setTimeout(() => wake?.(), 10_000);
      try {
        while (events.length === 0) {
          await new Promise<void>((r) => { wake = r; });
          if (events.length === 0) assert.fail('no config event within 10 s');
        }
      } finally {
        clearTimeout(deadline);
      }
      return events.shift()!;
    },
    pending: () => events.length,
  };
}

async function withConfigFile(initial: string, f: (file: string, dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'gammaflow-watch-'));
  const file = join(dir, 'config.toml');
  await writeFile(file, initial);
  try {
    await f(file, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('an edit is reported with applied and deferred keys; deferred values stay', () => withConfigFile('[log]\nlevel = "info"\n', async (file) => {
  const { config } = await loadConfig(file, { env: {} });
  const r = recorder();
  const stop = watchConfig(file, config, r.onChange, r.onError, { debounceMs: 20, env: {} });
  try {
    await writeFile(file, '[log]\nlevel = "debug"\n[ingest]\nbatch_rows = 1024\n');
    const { change, error } = await r.next();
    assert.equal(error, undefined);
    assert.deepEqual(change!.changed, ['ingest.batch_rows', 'log.level']);
    assert.deepEqual(change!.applied, ['log.level']);
    assert.deepEqual(change!.deferred, ['ingest.batch_rows']);
    assert.equal(change!.next.log.level, 'debug');
    assert.equal(change!.next.ingest.batch_rows, config.ingest.batch_rows);
  } finally {
    stop();
  }
}));

test('an invalid file goes to onError and the running config stays', () => withConfigFile('[tui]\nprogress_update_ms = 250\n', async (file, dir) => {
  const { config } = await loadConfig(file, { env: {} });
  const r = recorder();
  const stop = watchConfig(file, config, r.onChange, r.onError, { debounceMs: 20, env: {} });
  try {
    await writeFile(file, '[tui]\nprogress_update_ms = "fast"\n');
    const bad = await r.next();
    assert.ok(bad.error instanceof ConfigError);
    assert.match((bad.error as Error).message, /tui\.progress_update_ms: expected a positive integer, got "fast"/);

    // Save by rename, as many editors do; the change is relative to the config still running.
    await writeFile(join(dir, 'config.toml.tmp'), '[tui]\nprogress_update_ms = 500\n');
    await rename(join(dir, 'config.toml.tmp'), file);
    const good = await r.next();
    assert.deepEqual(good.change!.changed, ['tui.progress_update_ms']);
    assert.deepEqual(good.change!.applied, ['tui.progress_update_ms']);
    assert.equal(good.change!.next.tui.progress_update_ms, 500);
    assert.equal(config.tui.progress_update_ms, 250, 'the caller\'s object is not mutated');
  } finally {
    stop();
  }
}));

test('a save without a change reports nothing; pending deferred keys are reported again with the next edit', () => withConfigFile('[log]\nlevel = "warn"\n', async (file) => {
  const { config } = await loadConfig(file, { env: {} });
  const r = recorder();
  const stop = watchConfig(file, config, r.onChange, r.onError, { debounceMs: 20, env: {} });
  const settle = () => new Promise((resolve) => setTimeout(resolve, 200));
  try {
    await writeFile(file, '[log]\nlevel = "warn"\n[ingest]\nbatch_rows = 1024\n');
    const first = await r.next();
    assert.deepEqual(first.change!.deferred, ['ingest.batch_rows']);
    await writeFile(file, '# saved again, same values\n[log]\nlevel = "warn"\n[ingest]\nbatch_rows = 1024\n');
    await settle();
    await writeFile(file, '[log]\nlevel = "error"\n[ingest]\nbatch_rows = 1024\n');
    const second = await r.next();
    assert.deepEqual(second.change!.changed, ['ingest.batch_rows', 'log.level']);
    assert.deepEqual(second.change!.applied, ['log.level']);
    assert.deepEqual(second.change!.deferred, ['ingest.batch_rows']);
  } finally {
    stop();
  }
  await writeFile(file, '[log]\nlevel = "debug"\n');
  await settle();
  assert.equal(r.pending(), 0, 'no event after stop');
}));
