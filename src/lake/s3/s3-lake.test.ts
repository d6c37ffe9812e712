/**
 * The S3 lake over the real S3 protocol (s3rver on 127.0.0.1): DayWriter
 * uploads parts and publishes one commit record per partition; manifests,
 * checks, the local cache and recovery read the bucket. Parts are read back
 * by DuckDB from the cache.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { startLocalS3Server, type LocalS3Server } from '../../../test/support/s3-server.js';
import { duckQuery, lit } from '../../../test/support/duckdb.js';
import type { ColumnSpec } from '../../formats/columns.js';
import { defaultConfig } from '../../config/schema.js';
import { DayWriter } from '../day-writer.js';
import { checkPartition, partitionFilePaths, readManifest } from '../manifest.js';
import { recoverLake } from '../publish.js';
import { batchOf } from '../../../test/support/parquet-columns.js';
import { openS3Lake } from './open.js';
import { remoteLakeAt } from './registry.js';
import { PARTITION_LEASE_MS } from './partition-lock.js';

const DATASET = 'stocks-trades';
const DATE = '2025-11-07';
const SCHEMA: readonly ColumnSpec[] = [
  { name: 'version', type: 'utf8', nullable: false },
  { name: 'price', type: 'float64', nullable: false },
];

let s3: LocalS3Server;
let work: string;

before(async () => {
  s3 = await startLocalS3Server({ buckets: ['lake'] });
  work = mkdtempSync(join(tmpdir(), 'gf-s3lake-'));
});
after(async () => {
  await s3?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Opens `s3://lake/<prefix>` with the server's credentials; returns the cache directory the jobs take as their lake. */
function openLake(prefix: string, cacheName = prefix): string {
  const storage = { ...defaultConfig().storage, cache_dir: join(work, `cache-${cacheName}`) };
  return openS3Lake(`s3://lake/${prefix}`, storage, '--lake', {
    GAMMAFLOW_LAKE_S3_ENDPOINT: s3.endpoint, GAMMAFLOW_LAKE_S3_ACCESS_KEY_ID: s3.credentials.accessKeyId,
    GAMMAFLOW_LAKE_S3_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey, GAMMAFLOW_LAKE_S3_FORCE_PATH_STYLE: 'true',
  });
}

async function keys(prefix: string): Promise<string[]> {
  const r = await s3.client.send(new ListObjectsV2Command({ Bucket: 'lake', Prefix: prefix }));
  return (r.Contents ?? []).map((o) => o.Key!).sort();
}

async function objectText(key: string): Promise<string> {
  const r = await s3.client.send(new GetObjectCommand({ Bucket: 'lake', Key: key }));
  return r.Body!.transformToString();
}

/** Writes a day of `rows` rows tagged `version`, one part per row; with `stopBeforePublish` the writer is left as a crash leaves it. */
async function writeDay(lake: string, version: string, rows: number, options: { stopBeforePublish?: boolean; rejects?: number } = {}): Promise<DayWriter> {
  const runId = `run-${version}`;
  const writer = await DayWriter.create({
    lake, dataset: DATASET, date: DATE, runId, schema: SCHEMA, rowGroupRows: 1, fileSizeTargetBytes: 1, zstdLevel: 1,
    useWorker: false, keyValueMetadata: {},
  });
  for (let i = 0; i < rows; i++) await writer.append(batchOf(SCHEMA, [[version, i]]));
  if ((options.rejects ?? 0) > 0) await writer.addRejects('x.csv', Array.from({ length: options.rejects! }, (_, i) => ({ line: i + 2, reason: 'bad', raw: 'x' })));
  await writer.finish();
  if (options.stopBeforePublish === true) return writer;
  await writer.publish({
    dataset: DATASET, date: DATE, source: { description: 'test', key: `${version}.csv.gz`, size: rows, etag: version },
    rowsFiltered: 0, schemaVersion: 1, runId,
  });
  return writer;
}

test('a day published to an S3 lake: parts under keys of their run, one commit record, cached for readers', async () => {
  const lake = openLake('a/b');
  await recoverLake(lake);
  await writeDay(lake, 'v1', 3, { rejects: 2 });
  const prefix = `a/b/${DATASET}/date=${DATE}/`;
  assert.deepEqual(await keys(prefix), [
    `${prefix}_manifest.json`, `${prefix}_rejects-run-v1.jsonl`,
    `${prefix}part-run-v1-00000.parquet`, `${prefix}part-run-v1-00001.parquet`, `${prefix}part-run-v1-00002.parquet`,
  ]);
  assert.deepEqual(await keys('a/b/_locks/'), [], 'the lock is released');
  const entry = (await readManifest(lake, DATASET)).get(DATE)!;
  assert.equal(entry.generation, 1);
  assert.equal(entry.rows, 3);
  assert.equal(entry.rowsRejected, 2);
  assert.equal(entry.rejectsFile, '_rejects-run-v1.jsonl');
  assert.ok(entry.files.every((f) => f.etag !== undefined && f.etag !== ''));
  assert.deepEqual(await checkPartition(lake, entry, { verify: true }), { ok: true, problems: [], unlisted: [], filesHashed: 3 });

  // A second reader with an empty cache downloads the partition; DuckDB reads it.
  const other = openLake('a/b', 'a-b-other');
  const files = await partitionFilePaths(other, (await readManifest(other, DATASET)).get(DATE)!);
  assert.equal(files.length, 3);
  const rows = await duckQuery(`SELECT version, count(*) AS n FROM read_parquet([${files.map(lit).join(', ')}]) GROUP BY 1`);
  assert.deepEqual(rows, [{ version: 'v1', n: 3n }]);
  assert.equal(readFileSync(join(other, DATASET, `date=${DATE}`, '_rejects.jsonl'), 'utf8').trim().split('\n').length, 2);
});

test('a new generation replaces the old: the record names only its parts and the replaced keys are deleted; a stale cache is refreshed', async () => {
  const lake = openLake('gen');
  const reader = openLake('gen', 'gen-reader');
  await writeDay(lake, 'v1', 3);
  const first = await partitionFilePaths(reader, (await readManifest(reader, DATASET)).get(DATE)!);
  assert.equal(first.length, 3);
  await writeDay(lake, 'v2', 2);
  const prefix = `gen/${DATASET}/date=${DATE}/`;
  assert.deepEqual(await keys(prefix), [`${prefix}_manifest.json`, `${prefix}part-run-v2-00000.parquet`, `${prefix}part-run-v2-00001.parquet`]);
  const entry = (await readManifest(reader, DATASET)).get(DATE)!;
  assert.equal(entry.generation, 2);
  const files = await partitionFilePaths(reader, entry);
  const rows = await duckQuery(`SELECT version, count(*) AS n FROM read_parquet(${lit(join(reader, DATASET, `date=${DATE}`, '*.parquet'))}) GROUP BY 1`);
  assert.deepEqual(rows, [{ version: 'v2', n: 2n }], 'the cached partition holds the new generation only');
  assert.equal(files.length, 2);
  assert.ok(!existsSync(join(reader, DATASET, `date=${DATE}`, '_rejects.jsonl')));
});

test('a write that stopped before its commit leaves the old generation for readers; recovery deletes its parts and lock', async () => {
  const lake = openLake('crash');
  await writeDay(lake, 'v1', 2);
  await writeDay(lake, 'v2', 3, { stopBeforePublish: true }); // uploaded, never committed, lock held by this process
  const prefix = `crash/${DATASET}/date=${DATE}/`;
  assert.equal((await keys(prefix)).length, 1 + 2 + 3, 'the uncommitted parts are in the bucket');
  const entry = (await readManifest(lake, DATASET)).get(DATE)!;
  assert.equal(entry.runId, 'run-v1');
  const check = await checkPartition(lake, entry);
  assert.equal(check.ok, false, 'a glob reader would see the extra parts: the partition does not match');
  assert.equal(check.unlisted.length, 3);
  // The lock names this (live) process: recovery leaves the partition to it.
  assert.deepEqual((await recoverLake(lake)).actions, []);
  // As a crashed process leaves it: the lock names a pid that no longer exists.
  const lockKey = `crash/_locks/${DATASET}/date=${DATE}.json`;
  const lock = JSON.parse(await objectText(lockKey)) as Record<string, unknown>;
  await s3.putObject(lockKey, JSON.stringify({ ...lock, pid: 2 ** 22 + 7, startTicks: 1 }), 'lake');
  const report = await recoverLake(lake);
  assert.equal(report.actions.length, 1, report.actions.join('\n'));
  assert.match(report.actions[0]!, /3 keys its commit record does not name deleted/);
  assert.deepEqual(await keys(prefix), [`${prefix}_manifest.json`, `${prefix}part-run-v1-00000.parquet`, `${prefix}part-run-v1-00001.parquet`]);
  assert.deepEqual(await keys('crash/_locks/'), []);
  assert.equal((await checkPartition(lake, entry)).ok, true);
});

test('a partition another live writer holds is refused with the holder named; a lease of another host is taken once expired', async () => {
  const lake = openLake('busy');
  const writer = await writeDay(lake, 'v1', 1, { stopBeforePublish: true });
  await assert.rejects(writeDay(lake, 'v2', 1), /being written by pid \d+ on host/);
  await writer.abort();
  assert.deepEqual(await keys(`busy/${DATASET}/`), [], 'abort deletes what the write uploaded');
  const lockKey = `busy/_locks/${DATASET}/date=${DATE}.json`;
  const foreign = { pid: 1, host: 'elsewhere', runId: 'r', token: 't', since: new Date().toISOString() };
  await s3.putObject(lockKey, JSON.stringify({ ...foreign, expiresAt: Date.now() + PARTITION_LEASE_MS }), 'lake');
  await assert.rejects(writeDay(lake, 'v2', 1), /on host elsewhere/);
  await s3.putObject(lockKey, JSON.stringify({ ...foreign, expiresAt: Date.now() - 1 }), 'lake');
  await writeDay(lake, 'v2', 1);
  assert.equal((await readManifest(lake, DATASET)).get(DATE)?.runId, 'run-v2');
});

test('the cache directory is the lake path the jobs see; an unknown directory is a local lake', () => {
  const lake = openLake('reg');
  assert.equal(remoteLakeAt(lake)?.url, 's3://lake/reg');
  assert.equal(remoteLakeAt(join(work, 'somewhere-else')), undefined);
});

test('a part larger than one upload part goes up in several (multipart) and comes back byte for byte', async () => {
  const { S3Objects, UPLOAD_PART_BYTES } = await import('./objects.js');
  const { randomBytes, createHash } = await import('node:crypto');
  const objects = new S3Objects('lake', { endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: s3.credentials });
  try {
    const bytes = randomBytes(2 * UPLOAD_PART_BYTES + 12345);
    const path = join(work, 'big.bin');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path, bytes);
    const commands: string[] = [];
    objects.client.middlewareStack.add((next, context) => async (args) => {
      commands.push(String(context.commandName));
      return next(args);
    }, { step: 'initialize' });
    await objects.uploadFile(path, 'multi/big.bin', bytes.length);
    assert.deepEqual(commands, ['CreateMultipartUploadCommand', 'UploadPartCommand', 'UploadPartCommand', 'UploadPartCommand', 'CompleteMultipartUploadCommand']);
    const back = await objects.downloadFile('multi/big.bin', join(work, 'big.back'));
    assert.equal(back.bytes, bytes.length);
    assert.equal(back.sha256, createHash('sha256').update(bytes).digest('hex'));
  } finally {
    objects.destroy();
  }
});

test('folders and partitions are listed from the bucket', async () => {
  const lake = openLake('list');
  await writeDay(lake, 'v1', 1);
  const remote = remoteLakeAt(lake)!;
  assert.deepEqual(await remote.listFolders(''), [DATASET]);
  assert.deepEqual(await remote.listFolders(DATASET), [`date=${DATE}`]);
  assert.equal(await remote.hasPartition(DATASET, DATE), true);
  assert.equal(await remote.hasPartition(DATASET, '2025-11-10'), false);
});

test('recovery by another process sharing the cache keeps a live write\'s staging and drops a dead run\'s', async () => {
  const lake = openLake('shared');
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const dead = join(lake, '_staging', DATASET, `date=2025-11-10.deadrun`);
  mkdirSync(dead, { recursive: true });
  writeFileSync(join(dead, 'part-deadrun-00000.parquet'), 'x');
  const writer = await DayWriter.create({
    lake, dataset: DATASET, date: DATE, runId: 'run-live', schema: SCHEMA, rowGroupRows: 1, fileSizeTargetBytes: 1, zstdLevel: 1,
    useWorker: false, keyValueMetadata: {},
  });
  await writer.append(batchOf(SCHEMA, [['live', 1]]));
  await recoverLake(lake);
  assert.ok(existsSync(writer.dir), 'the live write keeps its staging directory');
  assert.ok(!existsSync(dead), 'the dead run\'s staging directory is gone');
  await writer.append(batchOf(SCHEMA, [['live', 2]]));
  await writer.finish();
  await writer.publish({ dataset: DATASET, date: DATE, source: { description: 't', key: 'k', size: 1, etag: 'e' }, rowsFiltered: 0, schemaVersion: 1, runId: 'run-live' });
  assert.equal((await readManifest(lake, DATASET)).get(DATE)?.rows, 2);
});
