/**
 * The lake on S3 as a user runs it: `ingest`, `greeks` and `features` with
 * `[storage] lake = "s3://lake/<prefix>"` against a real S3-protocol server
 * (s3rver on loopback, behind a fault-injecting proxy), credentials from the
 * GAMMAFLOW_LAKE_S3_* environment.
 *
 * - Every table equals the local-lake run's, read back by DuckDB from the
 *   bucket's parts (downloaded here with the SDK, not through the product's
 *   cache); each partition's commit record names exactly the parts in the
 *   bucket and no lock is left.
 * - greeks and features run with an empty cache of their own: they read the
 *   ingested tables from the bucket.
 * - An ingest killed (SIGKILL) while it uploads parts, then rerun: no
 *   duplicates, every record names exactly the live parts, the rows equal the
 *   local run's.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { startLocalS3Server, type LocalS3Server } from '../support/s3-server.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { duckQuery, lit } from '../support/duckdb.js';
import { runCli, startCli, type CliProcess } from '../support/cli.js';

const DATE = '2025-11-07';
const SYMBOL = 'SPY';
const INGESTED = ['stocks-trades', 'options-trades', 'options-quotes'];
const DERIVED = [`options-greeks/symbol=${SYMBOL}`, `features/symbol=${SYMBOL}/window=5m`, `features/symbol=${SYMBOL}/window=30m`];

let work: string;
let s3: LocalS3Server;
let proxy: FaultProxy;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'gf-e2e-lake-s3-'));
  s3 = await startLocalS3Server({ buckets: ['lake'] });
  proxy = await startFaultProxy(s3.endpoint);
  const generated = await runCli(['generate', '--out', 'day', '--date', DATE, '--seed', '3', '--tickers', '3',
    '--spy-trades', '3000', '--option-trades', '2000'], { cwd: work });
  assert.equal(generated.code, 0, generated.stderr);
});

after(async () => {
  await proxy?.close();
  await s3?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** A config file: small parts (several per partition), the lake given, the S3 lake's endpoint the proxy. */
function writeConfig(name: string, lake: string, cacheDir?: string, extraStorage: readonly string[] = []): string {
  const path = join(work, `${name}.toml`);
  writeFileSync(path, [
    '[ingest]', 'concurrent_files = 1', 'batch_rows = 500',
    '[storage]', `lake = "${lake}"`, 'row_group_rows = 1000', 'file_size_mb_target = 0.02',
    `endpoint = "${proxy.endpoint}"`, 'force_path_style = true',
    ...(cacheDir !== undefined ? [`cache_dir = "${cacheDir}"`] : []), ...extraStorage,
    '[metrics]', 'listen = "0"',
    '[aggregations]', `symbol = "${SYMBOL}"`, 'windows = ["5m", "30m"]',
  ].join('\n') + '\n');
  return path;
}

const S3_ENV = { GAMMAFLOW_LAKE_S3_ACCESS_KEY_ID: 'S3RVER', GAMMAFLOW_LAKE_S3_SECRET_ACCESS_KEY: 'S3RVER' };

const ingestArgs = (config: string): string[] => ['ingest', '--dataset', INGESTED.join(','), '--from', DATE, '--to', DATE,
  '--source', 'local:day', '--underlyings', SYMBOL, '--config', config, '--no-tui'];
const greeksArgs = (config: string): string[] => ['greeks', '--symbol', SYMBOL, '--from', DATE, '--to', DATE, '--config', config, '--no-tui'];
const featuresArgs = (config: string): string[] => ['features', '--symbol', SYMBOL, '--from', DATE, '--to', DATE, '--config', config, '--no-tui'];

async function run(args: string[]): Promise<void> {
  const r = await runCli(args, { cwd: work, env: S3_ENV, timeoutMs: 180_000 });
  assert.equal(r.code, 0, `gammaflow ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`);
}

async function listKeys(prefix: string): Promise<{ key: string; size: number }[]> {
  const out: { key: string; size: number }[] = [];
  let token: string | undefined;
  do {
    const r = await s3.client.send(new ListObjectsV2Command({ Bucket: 'lake', Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }));
    for (const o of r.Contents ?? []) out.push({ key: o.Key!, size: o.Size ?? 0 });
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token !== undefined);
  return out.sort((a, b) => a.key.localeCompare(b.key));
}

async function objectText(key: string): Promise<string> {
  return (await s3.client.send(new GetObjectCommand({ Bucket: 'lake', Key: key }))).Body!.transformToString();
}

/** Downloads every object under `prefix` into `dir` (same relative paths), with the SDK. */
async function download(prefix: string, dir: string): Promise<void> {
  for (const { key } of await listKeys(prefix)) {
    const path = join(dir, key.slice(prefix.length));
    mkdirSync(dirname(path), { recursive: true });
    const body = await (await s3.client.send(new GetObjectCommand({ Bucket: 'lake', Key: key }))).Body!.transformToByteArray();
    writeFileSync(path, body);
  }
}

/**
 * Every partition under `prefix` holds exactly what its commit record names
 * (parts with their sizes, the rejects object), and no partition lock is
 * left. Returns the number of partitions.
 */
async function assertRecordsNameExactlyTheKeys(prefix: string): Promise<number> {
  const keys = await listKeys(prefix);
  assert.deepEqual(keys.filter((k) => k.key.startsWith(`${prefix}_locks/`)), [], 'no partition lock is left');
  const byPartition = new Map<string, Map<string, number>>();
  for (const { key, size } of keys) {
    const m = /^(.*\/date=\d{4}-\d{2}-\d{2})\/([^/]+)$/.exec(key.slice(prefix.length));
    assert.ok(m, `${key} lies in a partition`);
    const files = byPartition.get(m[1]!) ?? new Map<string, number>();
    files.set(m[2]!, size);
    byPartition.set(m[1]!, files);
  }
  for (const [partition, files] of byPartition) {
    assert.ok(files.has('_manifest.json'), `${partition} has a commit record`);
    const record = JSON.parse(await objectText(`${prefix}${partition}/_manifest.json`)) as { files: { name: string; bytes: number }[]; rejectsFile?: string };
    const named = new Map(record.files.map((f) => [f.name, f.bytes]));
    const parts = new Map([...files].filter(([name]) => name.endsWith('.parquet')));
    assert.deepEqual(parts, named, `${partition}: the parquet keys are exactly the parts the record names, with their sizes`);
    const others = [...files.keys()].filter((name) => !name.endsWith('.parquet')).sort();
    assert.deepEqual(others, ['_manifest.json', ...(record.rejectsFile !== undefined ? [record.rejectsFile] : [])].sort(), partition);
  }
  return byPartition.size;
}

/** Rows of `table` in lake `a` and lake `b` are the same multiset (DuckDB, EXCEPT ALL both ways). */
async function assertSameRows(a: string, b: string, table: string): Promise<number> {
  const scan = (lake: string): string => `read_parquet(${lit(join(lake, table, '*', '*.parquet'))}, hive_partitioning = false, union_by_name = true)`;
  const [{ n: na }] = await duckQuery(`SELECT count(*) AS n FROM ${scan(a)}`) as [{ n: bigint }];
  const [{ n: nb }] = await duckQuery(`SELECT count(*) AS n FROM ${scan(b)}`) as [{ n: bigint }];
  assert.equal(nb, na, `${table}: row counts`);
  assert.ok(na > 0n, `${table} has rows`);
  const diff = await duckQuery(`SELECT count(*) AS n FROM ((SELECT * FROM ${scan(a)} EXCEPT ALL SELECT * FROM ${scan(b)})
    UNION ALL (SELECT * FROM ${scan(b)} EXCEPT ALL SELECT * FROM ${scan(a)}))`);
  assert.equal(diff[0]!.n, 0n, `${table}: the same rows`);
  return Number(na);
}

test('ingest, greeks and features on an S3 lake give the local lake\'s tables; every record names exactly its parts', async () => {
  const local = writeConfig('local', 'local-lake');
  await run(ingestArgs(local));
  await run(greeksArgs(local));
  await run(featuresArgs(local));

  await run(ingestArgs(writeConfig('s3-ingest', 's3://lake/research/v1', join(work, 'cache-ingest'))));
  // Fresh caches: greeks and features read the ingested partitions from the bucket.
  await run(greeksArgs(writeConfig('s3-greeks', 's3://lake/research/v1', join(work, 'cache-greeks'))));
  await run(featuresArgs(writeConfig('s3-features', 's3://lake/research/v1', join(work, 'cache-features'))));

  const partitions = await assertRecordsNameExactlyTheKeys('research/v1/');
  assert.equal(partitions, INGESTED.length + DERIVED.length);
  const parts = (await listKeys('research/v1/options-quotes/')).filter((k) => k.key.endsWith('.parquet'));
  assert.ok(parts.length > 1, 'a partition of several parts');
  assert.ok(parts.every((k) => /\/part-[0-9a-z]+-[0-9a-f]+-\d{5}\.parquet$/.test(k.key)), 'parts are named after their run');

  const downloaded = join(work, 'downloaded-v1');
  await download('research/v1/', downloaded);
  for (const table of [...INGESTED, ...DERIVED]) await assertSameRows(join(work, 'local-lake'), downloaded, table);

  // A rerun finds every day in place: nothing is uploaded again.
  proxy.reset();
  await run(ingestArgs(writeConfig('s3-ingest', 's3://lake/research/v1', join(work, 'cache-ingest'))));
  assert.deepEqual(proxy.requests.filter((r) => r.method === 'PUT' || r.method === 'POST').map((r) => r.key), [], 'the rerun writes nothing');
});

test('an ingest killed while it uploads parts, then rerun: no duplicates, each record names exactly the live parts', async () => {
  const config = writeConfig('s3-killed', 's3://lake/research/killed', join(work, 'cache-killed'));
  let cli: CliProcess | undefined;
  let partUploads = 0;
  proxy.reset();
  proxy.inject({
    kind: 'before',
    run: async () => {
      cli?.kill('SIGKILL');
      await new Promise((r) => setTimeout(r, 300));
    },
  }, { match: (r) => r.key.includes('/options-quotes/') && /\/part-/.test(r.key) && r.method === 'PUT' && ++partUploads === 3, times: 1 });
  cli = startCli(ingestArgs(config), { cwd: work, env: S3_ENV, timeoutMs: 120_000 });
  const killed = await cli.exited;
  assert.equal(killed.signal, 'SIGKILL', `the ingest was killed mid-upload:\n${killed.stdout}\n${killed.stderr}`);
  const left = await listKeys('research/killed/');
  assert.ok(left.some((k) => k.key.includes('/options-quotes/') && k.key.endsWith('.parquet')), 'parts of the killed run are in the bucket');
  assert.ok(left.some((k) => k.key.includes('_locks/')), 'its partition lock is left behind');
  proxy.reset();

  const rerun = await runCli(ingestArgs(config), { cwd: work, env: S3_ENV, timeoutMs: 180_000 });
  assert.equal(rerun.code, 0, rerun.stdout + rerun.stderr);
  assert.match(rerun.stdout + rerun.stderr, /options-quotes 2025-11-07: a write interrupted .*was cleaned up/);
  await assertRecordsNameExactlyTheKeys('research/killed/');
  const downloaded = join(work, 'downloaded-killed');
  await download('research/killed/', downloaded);
  for (const table of INGESTED) await assertSameRows(join(work, 'local-lake'), downloaded, table);
});

test('serve and replay read an S3 lake through an empty cache of their own', async () => {
  const config = writeConfig('s3-serve', 's3://lake/research/v1', join(work, 'cache-serve'));
  const serve = startCli(['serve', '--port', '0', '--config', config], { cwd: work, env: S3_ENV, timeoutMs: 60_000 });
  try {
    const url = await serve.waitForLine((l) => l.startsWith('http://'));
    const inventory = await (await fetch(`${url}api/inventory`)).json();
    assert.deepEqual(inventory, { symbols: [{ symbol: SYMBOL, days: [{ date: DATE, windows: ['5m', '30m'], greeks: true, stocksTrades: true }] }] });
    const features = await (await fetch(`${url}api/features?symbol=${SYMBOL}&date=${DATE}&window=5m`)).json() as { rows: unknown[] };
    const [{ n }] = await duckQuery(`SELECT count(*) AS n FROM read_parquet(${lit(join(work, 'local-lake', 'features', `symbol=${SYMBOL}`, 'window=5m', '*', '*.parquet'))})`) as [{ n: bigint }];
    assert.equal(features.rows.length, Number(n));
    const prices = await (await fetch(`${url}api/underlying?symbol=${SYMBOL}&date=${DATE}`)).json() as { trades: number };
    assert.ok(prices.trades > 0, 'the underlying prices come from the stocks-trades partition in the bucket');
  } finally {
    serve.kill('SIGTERM');
    await serve.exited;
  }

  const replayConfig = writeConfig('s3-replay', 's3://lake/research/v1', join(work, 'cache-replay'));
  const replay = startCli(['replay', '--symbol', SYMBOL, '--date', DATE, '--speed', 'max', '--config', replayConfig], { cwd: work, env: S3_ENV, timeoutMs: 60_000 });
  try {
    const url = await replay.waitForLine((l) => l.startsWith('ws://'));
    assert.match(url, /^ws:\/\/127\.0\.0\.1:\d+/);
  } finally {
    replay.kill('SIGKILL');
    await replay.exited;
  }
});

test('lake check on an S3 lake: clean, then a stray part found, and deleted by --repair once older than the grace period', async () => {
  const config = writeConfig('s3-check', 's3://lake/research/v1', join(work, 'cache-check'), ['orphan_grace_minutes = 0.001']);
  const clean = await runCli(['lake', 'check', '--config', config], { cwd: work, env: S3_ENV });
  assert.equal(clean.code, 0, clean.stdout + clean.stderr);
  assert.match(clean.stdout, /lake s3:\/\/lake\/research\/v1: 6 dataset\(s\), 6 partition\(s\), \d+ file\(s\) checked; no problem found/);

  const stray = `research/v1/stocks-trades/date=${DATE}/part-stray-00000.parquet`;
  await s3.putObject(stray, 'not parquet', 'lake');
  const found = await runCli(['lake', 'check', '--config', config], { cwd: work, env: S3_ENV });
  assert.equal(found.code, 1, found.stdout + found.stderr);
  assert.match(found.stdout, /s3:\/\/lake\/research\/v1\/stocks-trades\/date=2025-11-07\/part-stray-00000\.parquet is not named in the day's commit record/);

  await new Promise((r) => setTimeout(r, 200));
  const repaired = await runCli(['lake', 'check', '--repair', '--config', config], { cwd: work, env: S3_ENV });
  assert.equal(repaired.code, 0, repaired.stdout + repaired.stderr);
  assert.match(repaired.stdout, /^repaired .*part-stray-00000\.parquet .*\(deleted\)$/m);
  assert.equal((await listKeys(stray)).length, 0);
  await assertRecordsNameExactlyTheKeys('research/v1/');
});

test('gammaflow run on an S3 lake writes the features file of the same run on a local lake', async () => {
  const args = (config: string, out: string): string[] => ['run', '--symbol', SYMBOL, '--from', DATE, '--source', 'local:day', '--out', out,
    '--config', config, '--no-tui'];
  await run(args(writeConfig('run-local', 'run-local-lake'), 'run-local.csv'));
  await run(args(writeConfig('run-s3', 's3://lake/research/run', join(work, 'cache-run')), 'run-s3.csv'));
  const { readFileSync } = await import('node:fs');
  const local = readFileSync(join(work, 'run-local.csv'), 'utf8');
  assert.ok(local.split('\n').length > 10, 'the run wrote feature rows');
  assert.equal(readFileSync(join(work, 'run-s3.csv'), 'utf8'), local);
  await assertRecordsNameExactlyTheKeys('research/run/');
});
