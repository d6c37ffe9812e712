/** `gammaflow serve` as a user runs it: usage errors exit 2 (a bad --live URL too), a non-loopback host needs allow_remote, the URL comes first. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, startCli } from '../support/cli.js';

let work: string;
before(() => {
  work = mkdtempSync(join(tmpdir(), 'gf-e2e-serve-'));
  mkdirSync(join(work, 'lake'));
  writeFileSync(join(work, 'config.toml'), '[metrics]\nlisten = "0"\n');
});
after(() => { if (work) rmSync(work, { recursive: true, force: true }); });

test('serve: bad --port, non-loopback --host without allow_remote, missing lake', async () => {
  const port = await runCli(['serve', '--lake', 'lake', '--port', 'http'], { cwd: work });
  assert.equal(port.code, 2, port.stderr);
  assert.match(port.stderr, /--port: expected a port number 0-65535, got "http"/);
  const host = await runCli(['serve', '--lake', 'lake', '--host', '0.0.0.0', '--port', '0'], { cwd: work });
  assert.equal(host.code, 2, host.stderr);
  assert.match(host.stderr, /0\.0\.0\.0 is not a loopback address: set \[web\] allow_remote = true/);
  const live = await runCli(['serve', '--lake', 'lake', '--port', '0', '--live', 'http://127.0.0.1:9090,127.0.0.1:9091'], { cwd: work });
  assert.equal(live.code, 2, live.stderr);
  assert.match(live.stderr, /--live: expected the http:\/\/host:port of a gammaflow live process, got "127\.0\.0\.1:9091"/);
  const lake = await runCli(['serve', '--lake', 'nowhere', '--port', '0'], { cwd: work });
  assert.equal(lake.code, 1, lake.stderr);
  assert.match(lake.stderr, /no lake at nowhere/);
});

test('serve: prints its URL first, answers on it, stops on SIGTERM with exit 0', async () => {
  const serve = startCli(['serve', '--lake', 'lake', '--port', '0'], { cwd: work, timeoutMs: 60_000 });
  const url = await serve.waitForLine((l) => l.startsWith('http://'));
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  assert.deepEqual(await (await fetch(`${url}api/inventory`)).json(), { symbols: [] });
  // No live process writes to this lake: the Live page's API says so.
  const live = await (await fetch(`${url}api/live`)).json() as { active: boolean; message: string };
  assert.equal(live.active, false);
  assert.match(live.message, /No live process/);
  serve.kill('SIGTERM');
  const done = await serve.exited;
  assert.equal(done.code, 0, done.stderr);
});
