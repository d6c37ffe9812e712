/**
 * Every command that takes --lake says so clearly when the path is a file (exit 2, a usage
 * error), before any work starts, instead of `EEXIST ... mkdir` from deep inside.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJsonLines, runCli } from '../support/cli.js';

let work: string;
let lakeFile: string;

before(() => {
  work = mkdtempSync(join(tmpdir(), 'gf-e2e-lakepath-'));
  lakeFile = join(work, 'lake');
  writeFileSync(lakeFile, 'a file where the lake should be\n');
  writeFileSync(join(work, 'config.toml'), '[metrics]\nlisten = "0"\n');
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const COMMANDS: Record<string, string[]> = {
  ingest: ['ingest', '--dataset', 'stocks-trades', '--from', '2025-11-07', '--source', 'local:.', '--no-tui'],
  greeks: ['greeks', '--symbol', 'SPY', '--from', '2025-11-07', '--no-tui'],
  features: ['features', '--symbol', 'SPY', '--from', '2025-11-07', '--no-tui'],
  run: ['run', '--symbol', 'SPY', '--from', '2025-11-07', '--source', 'local:.', '--no-tui'],
  replay: ['replay', '--symbol', 'SPY', '--date', '2025-11-07'],
  live: ['live', '--symbol', 'SPY', '--url', 'ws://127.0.0.1:9', '--no-tui'],
  demo: ['demo', '--no-tui', '--data', 'demo-data'],
};

for (const [name, args] of Object.entries(COMMANDS)) {
  test(`${name} --lake FILE: "is a file, not a directory", exit 2, nothing written`, async () => {
    const r = await runCli([...args, '--lake', lakeFile], { cwd: work, env: { MASSIVE_API_KEY: 'k' }, timeoutMs: 30_000 });
    assert.equal(r.code, 2, `exit 2 (usage); stderr:\n${r.stderr}`);
    assert.match(r.stderr, new RegExp(`--lake ${lakeFile.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is a file, not a directory`));
    assert.doesNotMatch(r.stderr, /EEXIST|ENOTDIR|unexpected error/);
    assert.equal(readFileSync(lakeFile, 'utf8'), 'a file where the lake should be\n');
  });
}

test('storage.lake naming a file is reported under its config key; --json gets one error object', async () => {
  const config = join(work, 'file-lake.toml');
  writeFileSync(config, `[metrics]\nlisten = "0"\n[storage]\nlake = ${JSON.stringify(lakeFile)}\n`);
  const r = await runCli(['greeks', '--symbol', 'SPY', '--from', '2025-11-07', '--config', config, '--json'], { cwd: work });
  assert.equal(r.code, 2, r.stderr);
  const errors = parseJsonLines(r.stderr).filter((l) => l.type === 'error');
  assert.equal(errors.length, 1, r.stderr);
  assert.equal(errors[0]!.error, 'LakePathError');
  assert.match(String(errors[0]!.message), /^storage\.lake .* is a file, not a directory/);
});
