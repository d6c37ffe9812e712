/**
 * The first error is the one reported. When a file fails, the stages torn
 * down after it (gunzip, the source stream, the writer) raise their own
 * "operation was aborted" errors; none of them may replace the cause, in the
 * text output, the JSON output or the exit code.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { generateStocksDay, parseJsonLines, runCli } from '../support/cli.js';

const DATE = '2025-11-07';
const KEY = `us_stocks_sip/trades_v1/2025/11/${DATE}.csv.gz`;

let work: string;
let good: string;
let renamed: string;
let config: string;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'gf-e2e-causes-'));
  good = join(work, 'good');
  await generateStocksDay(good, DATE, { tickers: 10, spyTrades: 60_000 }, work);
  // The same day with the "price" column renamed in the header.
  renamed = join(work, 'renamed');
  const text = gunzipSync(readFileSync(join(good, KEY))).toString('latin1');
  const nl = text.indexOf('\n');
  mkdirSync(dirname(join(renamed, KEY)), { recursive: true });
  writeFileSync(join(renamed, KEY), gzipSync(Buffer.from(text.slice(0, nl).replace(',price,', ',px,') + text.slice(nl), 'latin1')));
  config = join(work, 'config.toml');
  writeFileSync(config, '[metrics]\nlisten = "0"\n');
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const ingest = (source: string, lake: string, ...extra: string[]): string[] =>
  ['ingest', '--dataset', 'stocks-trades', '--from', DATE, '--source', `local:${source}`, '--lake', lake, '--config', config, ...extra];

test('a renamed required column names the file and the column, in text and in JSON', async () => {
  const text = await runCli(ingest(renamed, join(work, 'lake-text'), '--no-tui'), { cwd: work });
  assert.equal(text.code, 1, text.stderr);
  assert.match(text.stderr, /renamed\/us_stocks_sip\/trades_v1\/2025\/11\/2025-11-07\.csv\.gz: header has no column "price" \(expected ticker,/);
  assert.doesNotMatch(text.stderr, /operation was aborted/i);

  const json = await runCli(ingest(renamed, join(work, 'lake-json'), '--json'), { cwd: work });
  assert.equal(json.code, 1, json.stderr);
  const lines = parseJsonLines(json.stdout);
  const day = lines.find((l) => l.type === 'day');
  assert.equal(day?.state, 'failed');
  assert.equal(day?.errorCode, 'parse');
  assert.match(String(day?.message), /header has no column "price"/);
  const summary = lines.find((l) => l.type === 'summary') as { failures: { message: string }[] };
  assert.match(summary.failures[0]!.message, /header has no column "price"/);
  assert.doesNotMatch(json.stdout, /operation was aborted/i);
});

/** A 300 kB tmpfs: the day's first part file does not fit. Needs root (CI runs as root). */
function mountTinyDisk(dir: string): string | undefined {
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=300k', 'tmpfs', dir], { stdio: 'pipe' });
    return undefined;
  } catch (e) {
    return `cannot mount a small tmpfs to fill (${(e as Error).message.split('\n')[0]}); needs root`;
  }
}

test('a full disk says "no space left on device while writing PATH", in text and in JSON', async (t) => {
  const disk = join(work, 'tiny');
  const why = mountTinyDisk(disk);
  if (why !== undefined) { t.skip(why); return; }
  try {
    const text = await runCli(ingest(good, join(disk, 'lake-text'), '--no-tui'), { cwd: work });
    assert.equal(text.code, 1, text.stderr);
    assert.match(text.stderr, /no space left on device while writing \S*tiny\/lake-text\/_staging\/stocks-trades\/date=2025-11-07\.[^/]+\/part-00000\.parquet/);
    assert.doesNotMatch(text.stderr, /operation was aborted/i);

    const json = await runCli(ingest(good, join(disk, 'lake-json'), '--json'), { cwd: work });
    assert.equal(json.code, 1, json.stderr);
    const day = parseJsonLines(json.stdout).find((l) => l.type === 'day');
    assert.equal(day?.state, 'failed');
    assert.match(String(day?.message), /no space left on device while writing /);
  } finally {
    execFileSync('umount', [disk]);
  }
});

test('a file under the wrong date fails, naming the date it seems to hold; nothing is published', async () => {
  const misplaced = join(work, 'misplaced');
  const key = 'us_stocks_sip/trades_v1/2025/11/2025-11-10.csv.gz';
  mkdirSync(dirname(join(misplaced, key)), { recursive: true });
  writeFileSync(join(misplaced, key), readFileSync(join(good, KEY)));
  const lake = join(work, 'lake-misplaced');
  const r = await runCli(['ingest', '--dataset', 'stocks-trades', '--from', '2025-11-10', '--source', `local:${misplaced}`, '--lake', lake, '--config', config, '--no-tui'], { cwd: work });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /2025-11-10\.csv\.gz: [\d,]+ of [\d,]+ rows have a sip_timestamp outside 2025-11-10 \(New York\); the file seems to hold 2025-11-07/);
  assert.equal(existsSync(join(lake, 'stocks-trades', 'date=2025-11-10')), false);
});
