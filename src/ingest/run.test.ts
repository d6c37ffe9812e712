/**
 * End-to-end ingest on local files with Massive's layout, read back with DuckDB.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { runIngest, type IngestRequest } from './run.js';
import { DATASETS, objectKey } from '../formats/datasets.js';
import { LocalSource } from '../sources/local.js';
import { ProgressTracker } from '../observe/progress.js';
import { tickerFilter } from '../formats/filters.js';
import { duckQuery, lit } from '../../test/support/duckdb.js';
import { writeGz, writeRaw } from '../../test/support/gz.js';

const stocks = DATASETS['stocks-trades'];
const HEADER = 'ticker,conditions,correction,exchange,id,participant_timestamp,price,sequence_number,sip_timestamp,size,tape,trf_id,trf_timestamp';

const EDGE_ROWS = [
  'A,,,4,1,1762174800000000001,10.5,1,1762174800000000001,100,1,,0',
  'A,"12,37",,4,2,1762174800000000002,10.510000,2,1762174800000000002,4.000000,1,201,1762174799999999999',
  'A,14,,11,3,,10.52,3,1762174800000000003,0.512,1,,0',
  'AAPL,"2,7,12",1,12,x4,9223372036854775807,268.05,4,1762174800000000004,1,3,,0',
  'AAPL,not-a-row',
  'SPY,37,,8,5,1762174800000000005,abc,5,1762174800000000005,1,2,,0',
  'SPY,37,,8,6,1762174800000000006,680.25,6,1762174800000000006,7,2,,0',
];

function request(lake: string, root: string, days: string[], over: Partial<IngestRequest> = {}): IngestRequest {
  return {
    datasets: [stocks], days, lake, source: new LocalSource(root), force: false,
    concurrentFiles: 2, batchRows: 2, rowGroupRows: 3, fileSizeTargetBytes: 128 << 20, zstdLevel: 3, useWorkerWriter: false,
    expectedPublishMs: () => 0, tracker: new ProgressTracker(), version: 'test',
    ...over,
  };
}

const glob = (lake: string) => lit(join(lake, 'stocks-trades', '*', '*.parquet'));

test('ingests edge cases exactly, quarantines malformed rows, and reruns idempotently', async () => {
  const root = mkdtempSync(join(tmpdir(), 'gf-src-'));
  const lake = mkdtempSync(join(tmpdir(), 'gf-lake-'));
  try {
    // 11-03: edge cases with CRLF and no final newline; 11-04: header only.
    writeGz(root, objectKey(stocks, '2025-11-03'), [HEADER, ...EDGE_ROWS].join('\r\n'));
    writeGz(root, objectKey(stocks, '2025-11-04'), HEADER + '\n');
    const r1 = await runIngest(request(lake, root, ['2025-11-03', '2025-11-04']));
    assert.deepEqual(r1.outcomes.map((o) => o.state), ['ingested', 'ingested'], JSON.stringify(r1.outcomes));
    assert.equal(r1.exitCode, 0);

    const rows = await duckQuery(`SELECT * FROM read_parquet(${glob(lake)}, hive_partitioning=true) ORDER BY sequence_number`);
    assert.equal(rows.length, 5);
    assert.deepEqual(rows.map((r) => r.ticker), ['A', 'A', 'A', 'AAPL', 'SPY']);
    assert.deepEqual(rows[0]!.conditions, []);
    assert.deepEqual(rows[1]!.conditions, [12, 37]);
    assert.deepEqual(rows[3]!.conditions, [2, 7, 12]);
    assert.equal(rows[1]!.price, 10.51);
    assert.equal(rows[1]!.size, 4);
    assert.equal(rows[2]!.size, 0.512);
    assert.equal(rows[1]!.trf_id, 201);
    assert.equal(rows[0]!.trf_id, null);
    assert.equal(rows[0]!.trf_timestamp, 0n);
    assert.equal(rows[1]!.trf_timestamp, 1762174799999999999n);
    assert.equal(rows[2]!.participant_timestamp, null);
    assert.equal(rows[3]!.participant_timestamp, 9223372036854775807n);
    assert.equal(rows[0]!.sip_timestamp, 1762174800000000001n);
    assert.equal(rows[3]!.correction, 1);
    assert.equal(rows[3]!.id, 'x4');
    assert.equal((rows[0]!.date as Date).toISOString().slice(0, 10), '2025-11-03');

    const types = await duckQuery(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(${glob(lake)}, hive_partitioning=false))`);
    assert.deepEqual(Object.fromEntries(types.map((t) => [t.column_name, t.column_type])), {
      ticker: 'VARCHAR', conditions: 'INTEGER[]', correction: 'INTEGER', exchange: 'INTEGER', id: 'VARCHAR',
      participant_timestamp: 'BIGINT', price: 'DOUBLE', sequence_number: 'BIGINT', sip_timestamp: 'BIGINT',
      size: 'DOUBLE', tape: 'INTEGER', trf_id: 'INTEGER', trf_timestamp: 'BIGINT',
    });
    const meta = await duckQuery(`SELECT DISTINCT compression FROM parquet_metadata(${glob(lake)})`);
    assert.deepEqual(meta.map((m) => m.compression), ['ZSTD']);
    const kv = await duckQuery(`SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata(${glob(lake)})`);
    const kvm = Object.fromEntries(kv.map((x) => [x.k, x.v]));
    assert.equal(kvm['gammaflow.schema_version'], '1');
    assert.equal(kvm['gammaflow.source_key'], objectKey(stocks, '2025-11-03'));

    const rejects = readFileSync(join(lake, 'stocks-trades', 'date=2025-11-03', '_rejects.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(rejects.map((r) => [r.line, r.field]), [[6, null], [7, 'price']]);
    assert.match(rejects[0].reason, /expected 13 fields, got 2/);
    assert.match(rejects[0].file, /2025-11-03\.csv\.gz$/);
    const manifest = ['2025-11-03', '2025-11-04'].map((d) => JSON.parse(readFileSync(join(lake, 'stocks-trades', `date=${d}`, '_manifest.json'), 'utf8')));
    assert.equal(manifest.length, 2);
    assert.equal(manifest[0].rows, 5);
    assert.equal(manifest[0].rowsRejected, 2);
    assert.equal(manifest[1].rows, 0);
    assert.match(manifest[0].files[0].sha256, /^[0-9a-f]{64}$/);

    // Rerun: nothing to do.
    const r2 = await runIngest(request(lake, root, ['2025-11-03', '2025-11-04']));
    assert.deepEqual(r2.outcomes.map((o) => o.state), ['skipped', 'skipped']);
    // The source object is replaced upstream: that day (only) is redone, without duplicates.
    writeGz(root, objectKey(stocks, '2025-11-03'), [HEADER, ...EDGE_ROWS, 'SPY,,,8,7,1,680.5,7,1762174800000000007,1,2,,0'].join('\n'));
    const r3 = await runIngest(request(lake, root, ['2025-11-03', '2025-11-04']));
    assert.deepEqual(r3.outcomes.map((o) => o.state), ['ingested', 'skipped']);
    // --force redoes everything.
    const r4 = await runIngest(request(lake, root, ['2025-11-03', '2025-11-04'], { force: true }));
    assert.deepEqual(r4.outcomes.map((o) => o.state), ['ingested', 'ingested']);
    const count = await duckQuery(`SELECT count(*) AS n, count(DISTINCT sequence_number) AS d FROM read_parquet(${glob(lake)})`);
    assert.deepEqual(count[0], { n: 6n, d: 6n });
    assert.deepEqual(readdirSync(join(lake, '_staging', 'stocks-trades')), []);
  } finally {
    rmSync(root, { recursive: true, force: true });
    rmSync(lake, { recursive: true, force: true });
  }
});

test('truncated gzip, garbage, zero-byte and missing files fail their day only and publish nothing', async () => {
  const root = mkdtempSync(join(tmpdir(), 'gf-src-'));
  const lake = mkdtempSync(join(tmpdir(), 'gf-lake-'));
  try {
    const good = [HEADER, ...EDGE_ROWS].join('\n') + '\n';
    // The 11-04 file: the same rows a day later (a file's rows must fall on its own New York day).
    const gz = gzipSync(Buffer.from(good.replace(/176217\d{13}/g, (ns) => String(BigInt(ns) + 86_400_000_000_000n))));
    writeGz(root, objectKey(stocks, '2025-11-03'), good);
    writeRaw(root, objectKey(stocks, '2025-11-04'), gz.subarray(0, gz.length - 20));       // truncated
    writeRaw(root, objectKey(stocks, '2025-11-05'), Buffer.from('this is not gzip at all\n')); // garbage
    writeRaw(root, objectKey(stocks, '2025-11-06'), new Uint8Array(0));                     // zero bytes
    // 11-07: no file at all
    const r = await runIngest(request(lake, root, ['2025-11-03', '2025-11-04', '2025-11-05', '2025-11-06', '2025-11-07']));
    const states = Object.fromEntries(r.outcomes.map((o) => [o.date, o.state]));
    assert.deepEqual(states, { '2025-11-03': 'ingested', '2025-11-04': 'failed', '2025-11-05': 'failed', '2025-11-06': 'failed', '2025-11-07': 'missing' });
    assert.equal(r.exitCode, 1);
    const msg = Object.fromEntries(r.outcomes.map((o) => [o.date, o.message ?? '']));
    assert.match(msg['2025-11-04']!, /2025-11-04\.csv\.gz: truncated gzip/);
    assert.match(msg['2025-11-05']!, /corrupt gzip/);
    assert.match(msg['2025-11-07']!, /no file .*2025-11-07\.csv\.gz/);
    assert.deepEqual(readdirSync(join(lake, 'stocks-trades')), ['date=2025-11-03']);
    assert.equal(existsSync(join(lake, '_staging', 'stocks-trades', 'date=2025-11-04')), false);

    // The file gets fixed upstream: the next run picks it up, the good day is skipped.
    writeFileSync(join(root, objectKey(stocks, '2025-11-04')), gz);
    const r2 = await runIngest(request(lake, root, ['2025-11-03', '2025-11-04']));
    assert.deepEqual(r2.outcomes.map((o) => o.state), ['skipped', 'ingested']);

    // A missing day before its publication time is "not yet published", not an error, and not missing (--require-all included).
    const early = new ProgressTracker();
    const r3 = await runIngest(request(lake, root, ['2025-11-07'], { expectedPublishMs: () => Date.now() + 3_600_000, requireAll: true, tracker: early }));
    assert.equal(r3.outcomes[0]!.state, 'not_published');
    assert.equal(r3.exitCode, 0);
    const e = early.snapshot();
    assert.deepEqual([e.daysSkipped, e.daysMissing, e.filesSkipped, e.filesMissing, e.totals.errors], [1, 0, 1, 0, 0]);

    // Past its publication time it is missing: counted as such, not failed; exit 0, or 1 with requireAll.
    const lenient = new ProgressTracker();
    const r4 = await runIngest(request(lake, root, ['2025-11-03', '2025-11-07'], { tracker: lenient }));
    assert.deepEqual(r4.outcomes.map((o) => o.state), ['skipped', 'missing']);
    assert.equal(r4.exitCode, 0);
    const l = lenient.snapshot();
    assert.deepEqual([l.daysSkipped, l.daysMissing, l.daysFailed, l.filesMissing, l.totals.errors], [1, 1, 0, 1, 0]);
    assert.ok(l.logs.some((x) => x.level === 'warn' && /stocks-trades 2025-11-07: no file /.test(x.message)));
    const strict = new ProgressTracker();
    const r5 = await runIngest(request(lake, root, ['2025-11-03', '2025-11-07'], { tracker: strict, requireAll: true }));
    assert.deepEqual(r5.outcomes.map((o) => o.state), ['skipped', 'missing']);
    assert.equal(r5.exitCode, 1);
    const s5 = strict.snapshot();
    assert.deepEqual([s5.daysMissing, s5.daysFailed, s5.totals.errors], [1, 0, 1]);
  } finally {
    rmSync(root, { recursive: true, force: true });
    rmSync(lake, { recursive: true, force: true });
  }
});

test('a ticker filter keeps only the wanted rows and is recorded; a different filter re-ingests', async () => {
  const root = mkdtempSync(join(tmpdir(), 'gf-src-'));
  const lake = mkdtempSync(join(tmpdir(), 'gf-lake-'));
  try {
    writeGz(root, objectKey(stocks, '2025-11-03'), [HEADER, ...EDGE_ROWS].join('\n'));
    const r = await runIngest(request(lake, root, ['2025-11-03'], { filterFor: () => tickerFilter(['spy']) }));
    assert.equal(r.outcomes[0]!.entry?.filter, 'tickers=SPY');
    // Rows of other tickers are filtered whatever else they hold ('AAPL,not-a-row' included);
    // a malformed row of a wanted ticker is still rejected.
    assert.equal(r.outcomes[0]!.entry?.rowsFiltered, 5);
    assert.equal(r.outcomes[0]!.entry?.rowsRejected, 1);
    const rows = await duckQuery(`SELECT ticker FROM read_parquet(${glob(lake)})`);
    assert.deepEqual(rows.map((x) => x.ticker), ['SPY']);
    const again = await runIngest(request(lake, root, ['2025-11-03'], { filterFor: () => tickerFilter(['SPY']) }));
    assert.equal(again.outcomes[0]!.state, 'skipped');
    const all = await runIngest(request(lake, root, ['2025-11-03']));
    assert.equal(all.outcomes[0]!.state, 'ingested');
  } finally {
    rmSync(root, { recursive: true, force: true });
    rmSync(lake, { recursive: true, force: true });
  }
});

test('a dataset or a day named twice is ingested once', async () => {
  const root = mkdtempSync(join(tmpdir(), 'gf-src-'));
  const lake = mkdtempSync(join(tmpdir(), 'gf-lake-'));
  try {
    writeGz(root, objectKey(stocks, '2025-11-03'), [HEADER, ...EDGE_ROWS].join('\n'));
    const tracker = new ProgressTracker();
    const r = await runIngest(request(lake, root, ['2025-11-03', '2025-11-03'], { datasets: [stocks, stocks], tracker }));
    assert.deepEqual(r.outcomes.map((o) => `${o.dataset} ${o.date} ${o.state}`), ['stocks-trades 2025-11-03 ingested']);
    const s = tracker.snapshot();
    assert.equal(s.filesTotal, 1);
    assert.equal(s.daysTotal, 1);
    assert.equal(JSON.parse(readFileSync(join(lake, 'stocks-trades', 'date=2025-11-03', '_manifest.json'), 'utf8')).generation, 1, 'published once');
    const rows = await duckQuery(`SELECT count(*)::INTEGER AS n FROM read_parquet(${glob(lake)})`);
    assert.equal(rows[0]!.n, 5);
  } finally {
    rmSync(root, { recursive: true, force: true });
    rmSync(lake, { recursive: true, force: true });
  }
});

test('when no requested day has a file, a warning says to check the source and names an expected key', async () => {
  const root = mkdtempSync(join(tmpdir(), 'gf-src-'));
  const lake = mkdtempSync(join(tmpdir(), 'gf-lake-'));
  try {
    const tracker = new ProgressTracker();
    const r = await runIngest(request(lake, root, ['2025-11-03', '2025-11-04'], { tracker }));
    assert.deepEqual(r.outcomes.map((o) => o.state), ['missing', 'missing']);
    assert.equal(r.exitCode, 0);
    const warned = tracker.snapshot().logs.filter((l) => l.level === 'warn').map((l) => l.message);
    assert.ok(warned.some((m) => m.startsWith(`no file for any of the 2 requested (dataset, day) pairs in local:${root}: check the source (expected keys such as us_stocks_sip/trades_v1/2025/11/2025-11-03.csv.gz)`)),
      warned.join('\n'));
  } finally {
    rmSync(root, { recursive: true, force: true });
    rmSync(lake, { recursive: true, force: true });
  }
});
