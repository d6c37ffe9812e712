/** startWebServer: loopback unless allowed, a missing lake named, the app served on 127.0.0.1. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig } from '../config/schema.js';
import { ConfigError, LakeError } from '../util/errors.js';
import { REMOTE_EXPOSURE, startWebServer } from './serve.js';

const quiet = (): void => undefined;

test('a non-loopback host without [web] allow_remote is refused, naming the key', async () => {
  await assert.rejects(startWebServer({ config: defaultConfig(), lake: '.', host: '0.0.0.0', port: 0, log: quiet }),
    (e: unknown) => e instanceof ConfigError && /0\.0\.0\.0 is not a loopback address: set \[web\] allow_remote = true/.test(e.message));
  assert.match(REMOTE_EXPOSURE, /feature rows.*greeks.*prices.*downloads.*progress/);
});

test('a missing lake is named; an empty lake serves an empty inventory on 127.0.0.1', async () => {
  await assert.rejects(startWebServer({ config: defaultConfig(), lake: '/nonexistent/lake', host: '127.0.0.1', port: 0, log: quiet }),
    (e: unknown) => e instanceof LakeError && /no lake at \/nonexistent\/lake/.test(e.message));
  const lake = mkdtempSync(join(tmpdir(), 'gf-serve-'));
  const logs: string[] = [];
  const server = await startWebServer({ config: defaultConfig(), lake, host: '127.0.0.1', port: 0, log: (_l, m) => logs.push(m) });
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.deepEqual(await (await fetch(`${server.url}/api/inventory`)).json(), { symbols: [] });
    assert.equal((await fetch(`${server.url}/`)).status, 200);
    assert.deepEqual(logs, [], 'no warning on loopback');
  } finally {
    await server.close();
    rmSync(lake, { recursive: true, force: true });
  }
});
