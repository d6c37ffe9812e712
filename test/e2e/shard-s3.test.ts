/**
 * Four `ingest --shard I/4` processes at once against an S3 lake (s3rver on 127.0.0.1), over four days and three
 * datasets, sharing one local cache as shards on one machine do. The lake they write equals a single-process run's:
 * every partition's commit record in the bucket lists files with the same rows, sizes and checksums, the bucket holds
 * no key that a record does not name and no lock, and the rows (downloaded from the bucket and read by DuckDB) are
 * the same, EXCEPT ALL both ways.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { duckQuery, lit } from '../support/duckdb.js';
import { parseJsonLines, runCli, startCli, type CliResult } from '../support/cli.js';
import { startLocalS3Server, type LocalS3Server } from '../support/s3-server.js';

const DAYS = ['2025-11-03', '2025-11-04', '2025-11-05', '2025-11-06'];
const DATASETS = ['stocks-trades', 'options-trades', 'options-quotes'];
const BUCKET = 'lake';

let s3: LocalS3Server;
let work: string;
let data: string;

const said = (r: { stdout: string; stderr: string }): string =>
  r.stdout.split('\n').filter((l) => !l.startsWith('{"type":"progress"')).join('\n') + r.stderr;

/** A config whose S3 lake cache is `cache` (shards on one machine share it). */
function configWithCache(name: string, cache: string): string {
  const path = join(work, `${name}.toml`);
  writeFileSync(path, ['[ingest]', 'concurrent_files = 2', 'batch_rows = 8192', '[storage]', 'file_size_mb_target = 1', 'row_group_rows = 16384',
    `cache_dir = ${JSON.stringify(cache)}`, '[tui]', 'plain_progress_interval_s = 0.2', '[metrics]', 'listen = "0"'].join('\n') + '\n');
  return path;
}

const lakeEnv = (): Record<string, string> => ({
  GAMMAFLOW_LAKE_S3_ENDPOINT: s3.endpoint, GAMMAFLOW_LAKE_S3_ACCESS_KEY_ID: s3.credentials.accessKeyId,
  GAMMAFLOW_LAKE_S3_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey, GAMMAFLOW_LAKE_S3_FORCE_PATH_STYLE: 'true', GAMMAFLOW_LAKE_S3_REGION: 'us-east-1',
});

const ingestArgs = (prefix: string, config: string, extra: readonly string[] = []): string[] =>
  ['ingest', '--dataset', DATASETS.join(','), '--from', DAYS[0]!, '--to', DAYS.at(-1)!, '--source', `local:${data}`,
    '--lake', `s3://${BUCKET}/${prefix}`, '--json', '--config', config, ...extra];

before(async () => {
  s3 = await startLocalS3Server({ buckets: [BUCKET] });
  work = mkdtempSync(join(tmpdir(), 'gf-e2e-shard-s3-'));
  data = join(work, 'massive');
  for (const [i, date] of DAYS.entries()) {
    const r = await runCli(['generate', '--out', data, '--date', date, '--tickers', '5', '--spy-trades', '20000', '--option-trades', '6000', '--seed', String(i + 11)],
      { cwd: work, timeoutMs: 180_000 });
    assert.equal(r.code, 0, r.stderr);
  }
});

after(async () => {
  await s3?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function listKeys(prefix: string): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  do {
    const r = await s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix, ContinuationToken: token }));
    for (const o of r.Contents ?? []) out.push(o.Key!);
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token !== undefined);
  return out.sort();
}

async function getBytes(key: string): Promise<Uint8Array> {
  const r = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return r.Body!.transformToByteArray();
}

interface StoredRecord { date: string; rows: number; generation: number; source: unknown; rejectsFile?: string; files: { name: string; bytes: number; rows: number; sha256: string }[] }

/**
 * The bucket's view of a lake: per partition its commit record (file names without the run that wrote them), the
 * keys no record names, and the parts downloaded into `into` for DuckDB.
 */
async function readBucketLake(prefix: string, into: string): Promise<{ records: Map<string, unknown>; unnamed: string[]; locks: string[] }> {
  const records = new Map<string, unknown>();
  const named = new Set<string>();
  for (const dataset of DATASETS) {
    for (const key of (await listKeys(`${prefix}/${dataset}/`)).filter((k) => k.endsWith('/_manifest.json'))) {
      const record = JSON.parse(Buffer.from(await getBytes(key)).toString('utf8')) as StoredRecord;
      const dir = key.slice(0, -'_manifest.json'.length);
      named.add(key);
      if (record.rejectsFile !== undefined) named.add(dir + record.rejectsFile);
      for (const [i, f] of record.files.entries()) {
        named.add(dir + f.name);
        const local = join(into, dataset, `date=${record.date}`, `part-${String(i).padStart(5, '0')}.parquet`);
        mkdirSync(dirname(local), { recursive: true });
        writeFileSync(local, await getBytes(dir + f.name));
      }
      records.set(`${dataset} ${record.date}`, {
        rows: record.rows, generation: record.generation, source: record.source,
        files: record.files.map((f) => ({ bytes: f.bytes, rows: f.rows, sha256: f.sha256 })),
      });
    }
  }
  const all = await listKeys(`${prefix}/`);
  return {
    records,
    unnamed: all.filter((k) => !named.has(k) && !k.startsWith(`${prefix}/_locks/`)),
    locks: all.filter((k) => k.startsWith(`${prefix}/_locks/`)),
  };
}

test('four shards at once on an S3 lake write the same lake as one process: records, checksums, rows, nothing else in the bucket', async () => {
  const single = await runCli(ingestArgs('single', configWithCache('single', join(work, 'cache-single'))), { cwd: work, env: lakeEnv(), timeoutMs: 300_000 });
  assert.equal(single.code, 0, said(single));

  const sharedCache = configWithCache('sharded', join(work, 'cache-shared'));
  const shards = [0, 1, 2, 3].map((i) => startCli(ingestArgs('sharded', sharedCache, ['--shard', `${i}/4`]), { cwd: work, env: lakeEnv(), timeoutMs: 300_000 }));
  const results: CliResult[] = await Promise.all(shards.map((s) => s.exited));
  for (const r of results) assert.equal(r.code, 0, said(r));
  const done = results.map((r) => parseJsonLines(r.stdout).filter((l) => l.type === 'day' && l.state === 'ingested').map((l) => `${String(l.dataset)} ${String(l.date)}`));
  assert.deepEqual(done.flat().sort(), DATASETS.flatMap((d) => DAYS.map((day) => `${d} ${day}`)).sort(), 'every (dataset, day) ingested by exactly one shard');
  for (const [i, d] of done.entries()) assert.equal(d.length, 3, `shard ${i}/4 did 3 of 12 items: ${d.join(', ')}`);

  const a = await readBucketLake('single', join(work, 'read-single'));
  const b = await readBucketLake('sharded', join(work, 'read-sharded'));
  assert.equal(a.records.size, 12);
  assert.deepEqual(b.records, a.records, 'the same commit records: rows, generation, source, and each file\'s rows, bytes and sha256');
  assert.deepEqual(b.unnamed, [], 'the bucket holds no part that a record does not name');
  assert.deepEqual([a.locks, b.locks], [[], []], 'no lock object is left');

  for (const dataset of DATASETS) {
    const rel = (dir: string): string => `read_parquet(${lit(join(work, dir, dataset, '*', '*.parquet'))}, hive_partitioning = true)`;
    const [r] = await duckQuery(`SELECT (SELECT count(*) FROM ${rel('read-single')}) AS n,
      (SELECT count(*) FROM (SELECT * FROM ${rel('read-single')} EXCEPT ALL SELECT * FROM ${rel('read-sharded')})) AS only_single,
      (SELECT count(*) FROM (SELECT * FROM ${rel('read-sharded')} EXCEPT ALL SELECT * FROM ${rel('read-single')})) AS only_sharded`);
    assert.ok(Number(r!.n) > 1000, `${dataset}: ${r!.n} rows`);
    assert.deepEqual([r!.only_single, r!.only_sharded], [0n, 0n], `${dataset}: the same rows`);
  }
});
