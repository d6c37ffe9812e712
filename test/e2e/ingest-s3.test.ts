/**
 * `gammaflow ingest` from S3 as a user runs it: the built CLI, a config file
 * whose `[massive] s3_endpoint` points at a fault-injecting proxy in front of
 * a real S3 server (s3rver) on loopback, credentials from the environment.
 *
 * The S3 lake is compared with a `--source local:DIR` ingest of the very same
 * files, read back by DuckDB (row counts and EXCEPT ALL both ways).
 *
 * Range: 2025-11-26 (Wed) .. 2025-12-01 (Mon) holds Thanksgiving (11-27), a
 * half day (11-28) and a weekend; 12-01 is a trading day with no object.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalS3Server, LOCAL_S3_CREDENTIALS, type LocalS3Server } from '../support/s3-server.js';
import { startFaultProxy, matching, type FaultProxy } from '../support/fault-proxy.js';
import { duckQuery, lit } from '../support/duckdb.js';
import { generateStocksDay, parseJsonLines, runCli, startCli } from '../support/cli.js';
import { findOnPath } from '../../src/ingest/inflate.js';

const DATASET = 'stocks-trades';
const FROM = '2025-11-26';
const TO = '2025-12-01';
const HOLIDAY = '2025-11-27';
const WEEKEND = ['2025-11-29', '2025-11-30'];
const MISSING_DAY = '2025-12-01';
const stocksKey = (date: string): string => `us_stocks_sip/trades_v1/${date.slice(0, 4)}/${date.slice(5, 7)}/${date}.csv.gz`;
const UPLOADED = ['2025-11-26', '2025-11-28'];
/** Where the first GET of 11-26 is cut; the object is ~100 kB, so the cut is mid-object. */
const CUT_AFTER_BYTES = 40_000;

let work: string;
let data: string;
let s3: LocalS3Server;
let proxy: FaultProxy;
const rowsByDate = new Map<string, number>();
const sizeByDate = new Map<string, number>();

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'gf-e2e-s3-'));
  data = join(work, 'massive');
  s3 = await startLocalS3Server();
  proxy = await startFaultProxy(s3.endpoint);
  for (const date of UPLOADED) {
    rowsByDate.set(date, await generateStocksDay(data, date, { tickers: 5, spyTrades: 3000, halfDay: date === '2025-11-28' }, work));
    const bytes = readFileSync(join(data, stocksKey(date)));
    sizeByDate.set(date, bytes.length);
    await s3.putObject(stocksKey(date), bytes);
  }
  assert.ok(sizeByDate.get('2025-11-26')! > 2 * CUT_AFTER_BYTES, 'the generated object is large enough to be cut mid-way');
});

after(async () => {
  await proxy?.close();
  await s3?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

interface ConfigOptions { lake: string; secretInFile?: string; metricsListen?: string; concurrentFiles?: number; inflate?: 'auto' | 'isal' | 'zlib' }

/** A config.toml pointing at the proxy; returns its path. */
function writeConfig(name: string, o: ConfigOptions): string {
  const path = join(work, `${name}.toml`);
  writeFileSync(path, [
    '[massive]',
    `s3_endpoint = "${proxy.endpoint}"`,
    's3_bucket = "flatfiles"',
    ...(o.secretInFile ? [`s3_secret_access_key = "${o.secretInFile}"`] : []),
    '[ingest]',
    'retry_base_ms = 20',
    'max_retries = 4',
    `concurrent_files = ${o.concurrentFiles ?? 2}`,
    ...(o.inflate ? [`inflate = "${o.inflate}"`] : []),
    '[storage]',
    `lake = "${o.lake}"`,
    '[metrics]',
    `listen = "${o.metricsListen ?? '0'}"`,
  ].join('\n') + '\n');
  return path;
}

const credentials = (secret: string = LOCAL_S3_CREDENTIALS.secretAccessKey): Record<string, string> => ({
  MASSIVE_S3_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
  MASSIVE_S3_SECRET_ACCESS_KEY: secret,
});

const glob = (lake: string): string => lit(join(lake, DATASET, '*', '*.parquet'));

/** Row counts of two lakes and the rows of each that the other lacks (EXCEPT ALL keeps duplicates). */
async function compareLakes(a: string, b: string): Promise<{ rowsA: bigint; rowsB: bigint; onlyA: bigint; onlyB: bigint }> {
  const rel = (lake: string) => `read_parquet(${glob(lake)}, hive_partitioning = true)`;
  const [r] = await duckQuery(`SELECT
    (SELECT count(*) FROM ${rel(a)}) AS rowsA,
    (SELECT count(*) FROM ${rel(b)}) AS rowsB,
    (SELECT count(*) FROM (SELECT * FROM ${rel(a)} EXCEPT ALL SELECT * FROM ${rel(b)})) AS onlyA,
    (SELECT count(*) FROM (SELECT * FROM ${rel(b)} EXCEPT ALL SELECT * FROM ${rel(a)})) AS onlyB`);
  return r as { rowsA: bigint; rowsB: bigint; onlyA: bigint; onlyB: bigint };
}

/** ISA-L's igzip, when installed (.ci/run installs it): the default `inflate = "auto"` then uses it. */
const IGZIP = findOnPath('igzip');

test('S3 ingest through a cut connection resumes by Range and equals a local ingest of the same files (ISA-L vs zlib)', async () => {
  if (IGZIP === undefined) process.stderr.write('note: igzip (apt-get install isal) is not on PATH: the S3 run inflates with zlib too\n');
  proxy.reset();
  const cut = proxy.inject({ kind: 'cut', afterBodyBytes: CUT_AFTER_BYTES }, { match: matching({ method: 'GET', key: stocksKey('2025-11-26') }), times: 1 });
  const lakeS3 = join(work, 'lake-s3');
  const config = writeConfig('s3', { lake: lakeS3 });
  const r = await runCli(['ingest', '--dataset', DATASET, '--from', FROM, '--to', TO, '--no-tui', '--config', config], { cwd: work, env: credentials() });
  const output = r.stdout + r.stderr;
  assert.equal(r.code, 0, `a missing object on one trading day does not fail the run when the others succeed:\n${output}`);
  assert.equal(cut.hits, 1);

  // Resumed where the cut happened, not restarted.
  const gets = proxy.requests.filter((q) => q.method === 'GET' && q.key === stocksKey('2025-11-26'));
  assert.deepEqual(gets.map((q) => q.headers.range ?? null), [null, `bytes=${CUT_AFTER_BYTES}-`]);
  assert.ok(gets.every((q) => q.headers['if-match'] !== undefined), 'every GET is pinned to the ETag');
  assert.match(output, new RegExp(`stocks-trades 2025-11-26: connection dropped .*resuming at byte ${CUT_AFTER_BYTES}`));
  assert.match(output, /s3 retries 1 /);
  // The compressed input is what is resumed and counted, whichever inflater runs.
  assert.match(output, new RegExp(`^inflate=${IGZIP === undefined ? 'zlib' : 'isal \\(/.*/igzip\\)'}$`, 'm'));

  // The missing trading day is reported; the holiday and the weekend are not even asked for.
  assert.match(output, new RegExp(`stocks-trades ${MISSING_DAY}: no file ${stocksKey(MISSING_DAY).replace(/\./g, '\\.')}`));
  for (const quiet of [HOLIDAY, ...WEEKEND]) {
    assert.ok(!output.includes(quiet), `${quiet} is not a trading day and is skipped quietly:\n${output}`);
    assert.ok(!proxy.requests.some((q) => q.key.includes(quiet)), `no request for ${quiet}`);
  }
  assert.match(output, /days: 2 done, 0 failed, 0 skipped, 1 missing of 3/);
  assert.ok(!output.includes(LOCAL_S3_CREDENTIALS.secretAccessKey), 'the S3 secret never appears in the output');
  assert.doesNotMatch(output, /NodeVersionSupportWarning/, 'no SDK runtime warning for people to puzzle over');

  const lakeLocal = join(work, 'lake-local');
  const local = await runCli(['ingest', '--dataset', DATASET, '--from', FROM, '--to', TO, '--no-tui', '--source', `local:${data}`,
    '--config', writeConfig('local', { lake: lakeLocal, inflate: 'zlib' })], { cwd: work });
  assert.equal(local.code, 0, local.stderr);
  assert.match(local.stderr, /^inflate=zlib \(node [0-9.]+\)$/m, 'inflate = "zlib" forces Node\'s zlib');

  const diff = await compareLakes(lakeS3, lakeLocal);
  const expectedRows = BigInt([...rowsByDate.values()].reduce((a, b) => a + b, 0));
  assert.deepEqual(diff, { rowsA: expectedRows, rowsB: expectedRows, onlyA: 0n, onlyB: 0n });
  const perDay = await duckQuery(`SELECT strftime(date, '%Y-%m-%d') AS day, count(*) AS n FROM read_parquet(${glob(lakeS3)}, hive_partitioning = true) GROUP BY ALL ORDER BY day`);
  assert.deepEqual(perDay, UPLOADED.map((day) => ({ day, n: BigInt(rowsByDate.get(day)!) })));

  // The manifest records the S3 object (ETag from the server), so a rerun downloads nothing.
  proxy.reset();
  const again = await runCli(['ingest', '--dataset', DATASET, '--from', FROM, '--to', TO, '--json', '--config', config], { cwd: work, env: credentials() });
  assert.equal(again.code, 0, again.stderr);
  parseJsonLines(again.stderr); // nothing but JSON on stderr either
  const days = parseJsonLines(again.stdout).filter((l) => l.type === 'day');
  assert.deepEqual(days.map((d) => [d.date, d.state]), [['2025-11-26', 'skipped'], ['2025-11-28', 'skipped'], [MISSING_DAY, 'missing']]);
  assert.deepEqual(proxy.requests.filter((q) => q.method === 'GET'), [], 'skipped days are decided by HEAD alone');
});

test('a dataset outside the subscription (bare 403) fails its days with an access-denied message naming it, exit 1', async () => {
  proxy.reset();
  proxy.inject({ kind: 'status', status: 403 }, { match: (q) => q.key.startsWith('us_options_opra/') });
  const lake = join(work, 'lake-403');
  const r = await runCli(['ingest', '--dataset', 'stocks-trades,options-trades', '--from', '2025-11-26', '--to', '2025-11-28', '--no-tui',
    '--config', writeConfig('denied', { lake })], { cwd: work, env: credentials() });
  const output = r.stdout + r.stderr;
  assert.equal(r.code, 1, output);
  for (const date of UPLOADED) {
    assert.match(output, new RegExp(`failed options-trades ${date} .*access denied to s3 key us_options_opra/trades_v1/2025/11/${date}\\.csv\\.gz \\(403\\)`),
      `an access-denied line names the dataset and day:\n${output}`);
    assert.match(output, new RegExp(`done stocks-trades ${date}`), 'the permitted dataset is still ingested');
  }
  assert.match(output, /subscription may not include this dataset/);
  assert.ok(!output.includes(LOCAL_S3_CREDENTIALS.secretAccessKey));
  const denied = proxy.requests.filter((q) => q.key.startsWith('us_options_opra/'));
  assert.deepEqual(denied.map((q) => q.method), ['HEAD', 'HEAD'], 'access denied is final: no retries, no GET');
});

test('unknown credentials are refused by the server and never printed, in plain or JSON output', async () => {
  proxy.reset();
  // s3rver checks the access key id but not SigV4 signatures, so the refusal comes from an unknown key id.
  const keyId = 'E2EUNKNOWNKEYID7C1F';
  const secret = 'e2e-Wr0ng-Secret-7c1f9a';
  for (const mode of ['--no-tui', '--json']) {
    const r = await runCli(['ingest', '--dataset', DATASET, '--from', '2025-11-26', '--to', '2025-11-28', mode,
      '--config', writeConfig('wrong-key', { lake: join(work, 'lake-wrong') })],
    { cwd: work, env: { MASSIVE_S3_ACCESS_KEY_ID: keyId, MASSIVE_S3_SECRET_ACCESS_KEY: secret } });
    const output = r.stdout + r.stderr;
    assert.equal(r.code, 1, output);
    assert.match(output, /access denied to s3 key us_stocks_sip\/trades_v1\/2025\/11\/2025-11-26\.csv\.gz/);
    assert.ok(!output.includes(secret), `${mode}: the secret never appears:\n${output}`);
    assert.ok(!output.includes(keyId), `${mode}: the access key id never appears:\n${output}`);
    if (mode === '--json') {
      const failed = parseJsonLines(r.stdout).filter((l) => l.type === 'day' && l.state === 'failed');
      assert.deepEqual(failed.map((l) => [l.date, l.errorCode]), [['2025-11-26', 'access_denied'], ['2025-11-28', 'access_denied']]);
      parseJsonLines(r.stderr);
    }
  }
  // The secret in the config file instead of the environment: same.
  const fileSecret = 'e2e-File-Secret-0b2e44';
  const r = await runCli(['ingest', '--dataset', DATASET, '--from', '2025-11-26', '--no-tui',
    '--config', writeConfig('file-secret', { lake: join(work, 'lake-wrong'), secretInFile: fileSecret })],
  { cwd: work, env: { MASSIVE_S3_ACCESS_KEY_ID: keyId } });
  assert.equal(r.code, 1, r.stderr);
  assert.ok(!(r.stdout + r.stderr).includes(fileSecret));
});

/** A TCP port that was free a moment ago on 127.0.0.1. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

/** Value of one Prometheus sample line (`name{labels} value`). */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('/metrics, scraped while the run waits on its second file, counts what the first one did', async () => {
  proxy.reset();
  // The HEAD of the second day is held until the scrape is done: the run is provably mid-way.
  let reached!: () => void;
  const headReached = new Promise<void>((resolve) => { reached = resolve; });
  let release!: () => void;
  const gate = new Promise<void>((resolve) => { release = resolve; });
  proxy.inject({ kind: 'before', run: async () => { reached(); await gate; } }, { match: matching({ method: 'HEAD', key: stocksKey('2025-11-28') }), times: 1 });

  const port = await freePort();
  const config = writeConfig('metrics', { lake: join(work, 'lake-metrics'), metricsListen: `127.0.0.1:${port}`, concurrentFiles: 1 });
  const run = startCli(['ingest', '--dataset', DATASET, '--from', '2025-11-26', '--to', '2025-11-28', '--json', '--config', config],
    { cwd: work, env: credentials() });
  try {
    await Promise.race([headReached, run.exited.then((r) => { throw new Error(`the run ended before its second file: ${r.stderr}`); })]);
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.equal(response.status, 200);
    const text = await response.text();
    assert.equal(sample(text, 'gammaflow_bytes_read_total'), sizeByDate.get('2025-11-26'));
    assert.equal(sample(text, 'gammaflow_rows_written_total'), rowsByDate.get('2025-11-26'));
    assert.equal(sample(text, 'gammaflow_rows_parsed_total'), rowsByDate.get('2025-11-26'));
    assert.equal(sample(text, 'gammaflow_files_finished_total{dataset="stocks-trades",state="done"}'), 1);
    assert.equal(sample(text, 'gammaflow_days_finished_total{result="done"}'), 1);
    assert.equal(sample(text, 'gammaflow_files_planned'), 2);
    assert.equal(sample(text, 'gammaflow_errors_total'), 0);
    assert.match(text, /^# TYPE gammaflow_bytes_read_total counter$/m);
    assert.match(text, /^process_cpu_user_seconds_total /m, 'process metrics are exported too');
    assert.equal(await (await fetch(`http://127.0.0.1:${port}/healthz`)).text(), 'ok\n');
  } finally {
    release();
  }
  const r = await run.exited;
  assert.equal(r.code, 0, r.stderr);
  await assert.rejects(fetch(`http://127.0.0.1:${port}/metrics`), 'the metrics server stops with the run');
  const fileLines = parseJsonLines(r.stdout).filter((l) => l.type === 'file');
  assert.deepEqual(fileLines.map((l) => [l.date, l.state, l.bytesDone]),
    UPLOADED.map((date) => [date, 'done', sizeByDate.get(date)]));
  assert.ok(statSync(join(work, 'lake-metrics', DATASET, 'date=2025-11-28')).isDirectory());
});
