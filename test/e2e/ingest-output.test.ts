/**
 * What `gammaflow ingest` prints without a terminal (logs, CI, pipes) and the
 * exit codes scripts rely on: 0 when every day was ingested, was already
 * there or has no file; 1 when a day failed; 2 for usage and config errors.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { generateStocksDay, parseJsonLines, runCli } from '../support/cli.js';

const DATASET = 'stocks-trades';
const DATE = '2025-11-07';
/** A day whose file is truncated mid-stream. */
const CORRUPT_DATE = '2025-11-10';
const stocksKey = (date: string): string => `us_stocks_sip/trades_v1/${date.slice(0, 4)}/${date.slice(5, 7)}/${date}.csv.gz`;

let work: string;
let data: string;
let rows: number;
/** Progress every 20 ms, so even a run of a few hundred ms prints several ticks; no metrics port. */
let config: string;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'gf-e2e-output-'));
  data = join(work, 'massive');
  rows = await generateStocksDay(data, DATE, { tickers: 10, spyTrades: 150_000 }, work);
  // The corrupt day: a day of its own (its rows on its own date), cut in half.
  await generateStocksDay(data, CORRUPT_DATE, { tickers: 10, spyTrades: 150_000 }, work);
  const good = readFileSync(join(data, stocksKey(CORRUPT_DATE)));
  writeFileSync(join(data, stocksKey(CORRUPT_DATE)), good.subarray(0, Math.floor(good.length / 2)));
  config = writeConfig('config.toml', ['[tui]', 'plain_progress_interval_s = 0.02', '[metrics]', 'listen = "0"']);
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

function writeConfig(name: string, lines: string[]): string {
  const path = join(work, name);
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

const ingest = (lake: string, ...extra: string[]): string[] =>
  ['ingest', '--dataset', DATASET, '--from', DATE, '--source', `local:${data}`, '--lake', join(work, lake), '--config', config, ...extra];

test('--no-tui prints per-file progress lines with MB / and MB/s, a done line and a summary, all on stderr', async () => {
  const r = await runCli(ingest('lake-plain', '--no-tui'), { cwd: work });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '', 'stdout stays free for data');
  const lines = r.stderr.split('\n');
  const fileLines = lines.filter((l) => l.startsWith(`  ${DATASET} ${DATE}  `));
  assert.ok(fileLines.some((l) => /  [\d.]+ MB \/ [\d.]+ MB  [\d.]+%  [\d.]+ MB\/s  [\d.]+ (k |M )?rows\/s  rows [\d,]+/.test(l)),
    `a progress line such as "stocks-trades ${DATE}  1.05 MB / 4.20 MB  25.0%  3.10 MB/s ...":\n${r.stderr}`);
  assert.ok(lines.some((l) => /^ingest \d+s  days 0\/1  files 0\/1  [\d.]+ MB\/s/.test(l)), `a status line for the run:\n${r.stderr}`);
  assert.ok(lines.some((l) => new RegExp(`^done ${DATASET} ${DATE}  [\\d.]+ MB in \\d+s  [\\d.]+ MB/s  rows ${rows.toLocaleString('en-US')}  rejects 0`).test(l)),
    `a line when the file is done:\n${r.stderr}`);
  assert.match(r.stderr, /^ingest finished in \d+s$/m);
  assert.match(r.stderr, /^inflate=(isal \(\/.*\/igzip\)|zlib \(node [\d.]+\))$/m, 'the summary says which inflater ran');
  assert.match(r.stderr, /^days: 1 done, 0 failed, 0 skipped, 0 missing of 1$/m);
  assert.match(r.stderr, new RegExp(`^read [\\d.]+ MB at [\\d.]+ MB/s average  rows parsed ${rows.toLocaleString('en-US')}  written ${rows.toLocaleString('en-US')}  rejected 0`, 'm'));
  assert.ok(!/\x1b\[/.test(r.stderr), 'no terminal escape codes without a terminal');
});

test('--json prints only JSON lines: progress, file, day and a final summary', async () => {
  const r = await runCli(ingest('lake-json', '--json'), { cwd: work });
  assert.equal(r.code, 0, r.stderr);
  const out = parseJsonLines(r.stdout);
  parseJsonLines(r.stderr); // nothing for people on stderr either
  const types = new Set(out.map((l) => l.type));
  for (const type of ['progress', 'file', 'day', 'summary']) assert.ok(types.has(type), `a "${type}" line in:\n${[...types].join(', ')}`);

  const moving = out.filter((l) => l.type === 'progress')
    .flatMap((l) => l.inFlight as Record<string, unknown>[])
    .filter((f) => (f.bytesDone as number) > 0);
  assert.ok(moving.length > 0, 'progress lines show the file in flight with bytes read');
  const first = moving[0]!;
  assert.equal(first.dataset, DATASET);
  assert.equal(first.date, DATE);
  assert.equal(first.key, stocksKey(DATE));
  assert.ok((first.fraction as number) > 0 && (first.fraction as number) <= 1);
  assert.equal(typeof first.mbPerSec, 'number');

  const file = out.find((l) => l.type === 'file')!;
  assert.equal(file.state, 'done');
  assert.equal(file.rowsWritten, rows);
  assert.equal(file.bytesDone, file.bytesTotal);
  assert.deepEqual(out.filter((l) => l.type === 'day').map((l) => [l.date, l.state, l.rows]), [[DATE, 'ingested', rows]]);

  const summary = out[out.length - 1]!;
  assert.equal(summary.type, 'summary', 'the summary is the last line');
  assert.deepEqual(summary.days, { total: 1, done: 1, failed: 0, skipped: 0, missing: 0 });
  assert.equal((summary.totals as Record<string, number>).rowsWritten, rows);
  assert.deepEqual(summary.failures, []);
  assert.match((summary.extra as Record<string, string>).inflate!, /^(isal \(\/.*\/igzip\)|zlib \(node [\d.]+\))$/, 'the summary says which inflater ran');
});

test('a failed day exits 1 and names the day and the cause; a missing file alone exits 0', async () => {
  const r = await runCli(['ingest', '--dataset', DATASET, '--from', DATE, '--to', CORRUPT_DATE, '--source', `local:${data}`,
    '--lake', join(work, 'lake-fail'), '--config', config, '--no-tui'], { cwd: work });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`failed ${DATASET} ${CORRUPT_DATE} .*truncated gzip`));
  assert.match(r.stderr, /^days: 1 done, 1 failed, 0 skipped, 0 missing of 2$/m, 'the other day is still ingested');

  // Same range where the bad day has no file at all: reported, but not a failure of the run.
  const noFile = mkdtempSync(join(work, 'src-'));
  mkdirSync(dirname(join(noFile, stocksKey(DATE))), { recursive: true });
  copyFileSync(join(data, stocksKey(DATE)), join(noFile, stocksKey(DATE)));
  const m = await runCli(['ingest', '--dataset', DATASET, '--from', DATE, '--to', CORRUPT_DATE, '--source', `local:${noFile}`,
    '--lake', join(work, 'lake-missing'), '--config', config, '--json'], { cwd: work });
  assert.equal(m.code, 0, m.stderr);
  const out = parseJsonLines(m.stdout);
  const days = out.filter((l) => l.type === 'day');
  assert.deepEqual(days.map((d) => [d.date, d.state, d.errorCode ?? null]), [[DATE, 'ingested', null], [CORRUPT_DATE, 'missing', 'not_found']]);
  const summary = out.at(-1)!;
  assert.deepEqual(summary.days, { total: 2, done: 1, failed: 0, skipped: 0, missing: 1 }, 'a day without a file is counted as missing, not failed');
  assert.equal((summary.totals as Record<string, number>).errors, 0);
  const warned = out.filter((l) => l.type === 'log' && l.level === 'warn').map((l) => String(l.message));
  assert.ok(warned.some((w) => w.includes(`${DATASET} ${CORRUPT_DATE}: no file `)), warned.join('\n'));

  // The same in plain text; and --require-all turns the missing day into exit 1.
  const plain = await runCli(['ingest', '--dataset', DATASET, '--from', DATE, '--to', CORRUPT_DATE, '--source', `local:${noFile}`,
    '--lake', join(work, 'lake-missing'), '--config', config, '--no-tui'], { cwd: work });
  assert.equal(plain.code, 0, plain.stderr);
  assert.match(plain.stderr, /^days: 0 done, 0 failed, 1 skipped, 1 missing of 2$/m);
  assert.match(plain.stderr, /^files: 0 done, 0 failed, 1 skipped, 1 missing of 2$/m);
  const strict = await runCli(['ingest', '--dataset', DATASET, '--from', DATE, '--to', CORRUPT_DATE, '--source', `local:${noFile}`,
    '--lake', join(work, 'lake-missing'), '--config', config, '--no-tui', '--require-all'], { cwd: work });
  assert.equal(strict.code, 1, strict.stderr);
  assert.match(strict.stderr, new RegExp(`error .*${DATASET} ${CORRUPT_DATE}: no file .* \\(--require-all\\)`));
  assert.match(strict.stderr, /^days: 0 done, 0 failed, 1 skipped, 1 missing of 2$/m);
});

test('--source local: naming a folder that does not exist, or a file, is a usage error naming it', async () => {
  const gone = join(work, 'no-such-folder');
  const r = await runCli(['ingest', '--dataset', DATASET, '--from', DATE, '--source', `local:${gone}`, '--lake', join(work, 'lake-nosrc'),
    '--config', config, '--no-tui'], { cwd: work });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, new RegExp(`--source local:${gone}: the folder ${gone} does not exist`));
  assert.doesNotMatch(r.stderr, /finished in/, 'refused before the run starts');
  const file = join(work, 'config.toml');
  const f = await runCli(['run', '--symbol', 'SPY', '--from', DATE, '--source', `local:${file}`, '--lake', join(work, 'lake-nosrc'),
    '--config', config, '--json'], { cwd: work });
  assert.equal(f.code, 2, f.stderr);
  const [error] = parseJsonLines(f.stderr);
  assert.match(String(error!.message), new RegExp(`--source local:${file}: ${file} is a file, not a folder`));
});

test('usage and config errors exit 2 and say what is wrong', async () => {
  const base = ['ingest', '--dataset', DATASET, '--from', DATE, '--source', `local:${data}`, '--lake', join(work, 'lake-usage')];
  const cases: { name: string; args: string[]; env?: Record<string, string>; stderr: RegExp }[] = [
    { name: 'unknown dataset', args: ['ingest', '--dataset', 'stock-trades', '--from', DATE, '--config', config], stderr: /unknown dataset "stock-trades"; known: stocks-trades, /  },
    { name: 'malformed config value', args: [...base, '--config', writeConfig('bad-value.toml', ['[ingest]', 'batch_rows = "many"'])], stderr: /ingest\.batch_rows: expected a positive integer, got "many"/ },
    { name: 'TOML syntax error', args: [...base, '--config', writeConfig('bad-syntax.toml', ['[storage', 'lake = 1'])], stderr: /bad-syntax\.toml:1:\d+: invalid TOML/ },
    { name: 'named config file absent', args: [...base, '--config', join(work, 'nope.toml')], stderr: /config file not found: .*nope\.toml/ },
    { name: 'impossible date', args: ['ingest', '--dataset', DATASET, '--from', '2025-11-31', '--config', config], stderr: /--from: "2025-11-31" is not a date/ },
    { name: 'range backwards', args: ['ingest', '--dataset', DATASET, '--from', DATE, '--to', '2025-11-03', '--config', config], stderr: /--to 2025-11-03 is before --from 2025-11-07/ },
    { name: 'unknown option', args: [...base, '--config', config, '--frobnicate'], stderr: /ingest: .*--frobnicate/ },
    { name: 'S3 without credentials', args: ['ingest', '--dataset', DATASET, '--from', DATE, '--config', config], stderr: /S3 credentials are missing: set MASSIVE_S3_ACCESS_KEY_ID and MASSIVE_S3_SECRET_ACCESS_KEY/ },
    { name: 'no command', args: [], stderr: /^$/ },
    // An empty PATH (the CLI runs as process.execPath): no igzip, so inflate = "isal" cannot be honoured.
    { name: 'ISA-L required but absent', args: [...base, '--config', writeConfig('isal.toml', ['[ingest]', 'inflate = "isal"', '[metrics]', 'listen = "0"'])],
      env: { PATH: mkdtempSync(join(work, 'empty-path-')) }, stderr: /ingest\.inflate = "isal" but igzip \(Intel ISA-L\) is not on PATH: install it \(Debian\/Ubuntu: apt-get install isal\)/ },
  ];
  for (const c of cases) {
    const r = await runCli(c.args, { cwd: work, ...(c.env ? { env: c.env } : {}) });
    assert.equal(r.code, 2, `${c.name}: exit 2\n${r.stdout}${r.stderr}`);
    assert.match(r.stderr, c.stderr, c.name);
  }
  // With --json the error is one JSON object on stderr naming the key.
  const j = await runCli([...base, '--json', '--config', join(work, 'bad-value.toml')], { cwd: work });
  assert.equal(j.code, 2);
  assert.equal(j.stdout, '');
  const [error] = parseJsonLines(j.stderr);
  assert.deepEqual({ type: error!.type, code: error!.code, key: error!.key }, { type: 'error', code: 'config', key: 'ingest.batch_rows' });
});

test('an unknown config key is a warning naming it, and the run goes on', async () => {
  const warned = writeConfig('typo.toml', ['[ingest]', 'batch_row = 5', '[metrics]', 'listen = "0"']);
  const r = await runCli(['ingest', '--dataset', DATASET, '--from', DATE, '--source', `local:${data}`, '--lake', join(work, 'lake-typo'),
    '--config', warned, '--no-tui'], { cwd: work });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: .*typo\.toml: unknown key "ingest\.batch_row" ignored \(did you mean "ingest\.batch_rows"\?\)/);
  const j = await runCli(['ingest', '--dataset', DATASET, '--from', DATE, '--source', `local:${data}`, '--lake', join(work, 'lake-typo'),
    '--config', warned, '--json'], { cwd: work });
  assert.equal(j.code, 0, j.stderr);
  const [warning] = parseJsonLines(j.stderr);
  assert.equal(warning!.type, 'warning');
  assert.match(warning!.message as string, /ingest\.batch_row/);
});
