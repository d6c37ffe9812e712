/**
 * runIngest with each inflater on the same files: ISA-L (igzip) and zlib publish
 * byte-identical lake files, fail truncated and corrupt gzip with the same
 * messages naming the file, and igzip never outlives an error or an abort.
 * Skipped with a message where igzip is absent (`apt-get install isal`).
 */
import { nyWallClockToUtcNs } from '../calendar/index.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { runIngest, type IngestRequest } from './run.js';
import { findOnPath, isalInflater, zlibInflater, type Inflater } from './inflate.js';
import { DATASETS, objectKey } from '../formats/datasets.js';
import { LocalSource } from '../sources/local.js';
import type { FlatFileSource, ObjectInfo, OpenOptions } from '../sources/source.js';
import { ProgressTracker } from '../observe/progress.js';
import { writeRaw } from '../../test/support/gz.js';
import { duckQuery, lit } from '../../test/support/duckdb.js';
import { childProcessesNamed } from '../../test/support/processes.js';

const IGZIP = findOnPath('igzip');
const needsIgzip = IGZIP === undefined ? 'igzip (Intel ISA-L) is not on PATH: apt-get install isal' : false;

const stocks = DATASETS['stocks-trades'];
const HEADER = 'ticker,conditions,correction,exchange,id,participant_timestamp,price,sequence_number,sip_timestamp,size,tape,trf_id,trf_timestamp';

/** A stocks-trades day (its rows on `date`, from 09:30 New York): `rows` rows over a few hundred tickers in ticker order, plus a malformed row and a bad price. */
function stocksCsv(rows: number, date: string): string {
  const open = nyWallClockToUtcNs(date, 9, 30);
  const lines = [HEADER];
  let x = 11;
  const perTicker = Math.max(1, Math.floor(rows / 300));
  for (let i = 0; i < rows; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    const ticker = `T${String(Math.floor(i / perTicker)).padStart(4, '0')}`;
    const ts = open + BigInt(i) * 1000n;
    const conditions = x % 3 === 0 ? '' : x % 3 === 1 ? '37' : '"12,37"';
    lines.push(`${ticker},${conditions},,${x % 20},${i},${ts},${(x % 100000 + 1) / 100},${i},${ts + 5n},${x % 900 + 1},${1 + (x % 3)},,0`);
    if (i === 1000) lines.push(`${ticker},not-a-row`);
    if (i === 2000) lines.push(`${ticker},,,4,x,${ts},abc,${i},${ts},1,1,,0`);
  }
  return lines.join('\n') + '\n';
}

function request(lake: string, source: FlatFileSource, days: string[], inflater: Inflater, over: Partial<IngestRequest> = {}): IngestRequest {
  return {
    datasets: [stocks], days, lake, source, force: false, inflater,
    concurrentFiles: 1, batchRows: 4096, rowGroupRows: 16_384, fileSizeTargetBytes: 150_000, zstdLevel: 1, useWorkerWriter: true,
    expectedPublishMs: () => 0, tracker: new ProgressTracker(), version: 'test',
    ...over,
  };
}

/** Every file of a lake partition (Parquet parts and rejects), name → bytes. */
function partitionFiles(lake: string, date: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const dir = join(lake, 'stocks-trades', `date=${date}`);
  // The commit record differs by run (id, time); the parts and the rejects must not.
  for (const name of readdirSync(dir).sort()) if (name !== '_manifest.json') files.set(name, readFileSync(join(dir, name)));
  return files;
}

test('igzip and zlib publish byte-identical lake files (single- and multi-member gzip); with the worker writer, the same rows', { skip: needsIgzip }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'gf-src-'));
  const lakes: string[] = [];
  const lake = (): string => { const dir = mkdtempSync(join(tmpdir(), 'gf-lake-')); lakes.push(dir); return dir; };
  try {
    writeRaw(root, objectKey(stocks, '2025-11-03'), gzipSync(stocksCsv(80_000, '2025-11-03')));
    const text = stocksCsv(80_000, '2025-11-04');
    const cut = text.indexOf('\n', Math.floor(text.length / 2)) + 1;
    writeRaw(root, objectKey(stocks, '2025-11-04'), Buffer.concat([gzipSync(text.slice(0, cut)), gzipSync(text.slice(cut), { level: 1 })]));
    const days = ['2025-11-03', '2025-11-04'];
    const source = new LocalSource(root);
    // In-thread writer: where parts are cut depends only on the rows, so the files can be compared byte for byte.
    const isalLake = lake(), zlibLake = lake();
    const isal = await runIngest(request(isalLake, source, days, isalInflater(IGZIP!), { useWorkerWriter: false }));
    const zlib = await runIngest(request(zlibLake, source, days, zlibInflater, { useWorkerWriter: false }));
    for (const r of [isal, zlib]) assert.deepEqual(r.outcomes.map((o) => o.state), ['ingested', 'ingested'], JSON.stringify(r.outcomes));
    for (const date of days) {
      const a = partitionFiles(isalLake, date), b = partitionFiles(zlibLake, date);
      assert.deepEqual([...a.keys()], [...b.keys()], date);
      assert.ok(a.size >= 3, `${date}: several parts and the rejects (${[...a.keys()].join(', ')})`);
      for (const [name, bytes] of a) assert.ok(bytes.equals(b.get(name)!), `${date}/${name}: same bytes`);
    }
    assert.equal(isal.outcomes[0]!.entry!.rows, 80_000);
    assert.equal(isal.outcomes[0]!.entry!.rowsRejected, 2);
    const listed = (r: typeof isal): unknown => r.outcomes[1]!.entry!.files.map(({ name, rows, bytes, rowGroups, sha256 }) => ({ name, rows, bytes, rowGroups, sha256 }));
    assert.deepEqual(listed(isal), listed(zlib), 'same part names, sizes and checksums in the commit record');

    // The worker writer (as the CLI runs) cuts parts when the worker reports sizes, which timing decides: compare rows.
    const workerLake = lake();
    const worker = await runIngest(request(workerLake, source, days, isalInflater(IGZIP!)));
    assert.deepEqual(worker.outcomes.map((o) => o.state), ['ingested', 'ingested']);
    const rel = (dir: string): string => `read_parquet(${lit(join(dir, 'stocks-trades', '*', '*.parquet'))}, hive_partitioning = true)`;
    const [diff] = await duckQuery(`SELECT (SELECT count(*) FROM ${rel(workerLake)}) AS n,
      (SELECT count(*) FROM (SELECT * FROM ${rel(workerLake)} EXCEPT ALL SELECT * FROM ${rel(zlibLake)})) AS onlyIsal,
      (SELECT count(*) FROM (SELECT * FROM ${rel(zlibLake)} EXCEPT ALL SELECT * FROM ${rel(workerLake)})) AS onlyZlib`);
    assert.deepEqual(diff, { n: 160_000n, onlyIsal: 0n, onlyZlib: 0n });
    assert.deepEqual(await childProcessesNamed('igzip'), []);
  } finally {
    rmSync(root, { recursive: true, force: true });
    for (const dir of lakes) rmSync(dir, { recursive: true, force: true });
  }
});

test('with igzip, truncated, corrupt and non-gzip files fail their day naming the file, like zlib; no igzip is left', { skip: needsIgzip }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'gf-src-'));
  try {
    const gz = gzipSync(stocksCsv(50_000, '2025-11-03'));
    const corrupt = Buffer.from(gz);
    corrupt.fill(0xff, 4000, 4016);
    writeRaw(root, objectKey(stocks, '2025-11-03'), gz.subarray(0, gz.length - 20));
    writeRaw(root, objectKey(stocks, '2025-11-04'), corrupt);
    writeRaw(root, objectKey(stocks, '2025-11-05'), Buffer.from('this is not gzip at all\n'));
    writeRaw(root, objectKey(stocks, '2025-11-06'), new Uint8Array(0));
    const days = ['2025-11-03', '2025-11-04', '2025-11-05', '2025-11-06'];
    const messages: Record<string, Record<string, string>> = {};
    for (const inflater of [isalInflater(IGZIP!), zlibInflater]) {
      const lake = mkdtempSync(join(tmpdir(), 'gf-lake-'));
      try {
        const r = await runIngest(request(lake, new LocalSource(root), days, inflater));
        assert.deepEqual(r.outcomes.map((o) => o.state), ['failed', 'failed', 'failed', 'failed'], inflater.kind);
        assert.deepEqual(r.outcomes.map((o) => o.errorCode), ['corrupt', 'corrupt', 'corrupt', 'corrupt'], inflater.kind);
        messages[inflater.kind] = Object.fromEntries(r.outcomes.map((o) => [o.date, o.message ?? '']));
        assert.equal(existsSync(join(lake, 'stocks-trades')), false, 'nothing published');
      } finally {
        rmSync(lake, { recursive: true, force: true });
      }
    }
    for (const kind of ['isal', 'zlib']) {
      const m = messages[kind]!;
      assert.match(m['2025-11-03']!, /local:.*\/2025-11-03\.csv\.gz: truncated gzip \(.+\) after \d+ of \d+ compressed bytes; the day was not published/, kind);
      assert.match(m['2025-11-04']!, /\/2025-11-04\.csv\.gz: corrupt gzip/, kind);
      assert.match(m['2025-11-05']!, /\/2025-11-05\.csv\.gz: corrupt gzip/, kind);
      assert.match(m['2025-11-06']!, /\/2025-11-06\.csv\.gz: truncated gzip/, kind);
    }
    assert.match(messages['isal']!['2025-11-03']!, /igzip: Error does not contain a complete gzip file \(igzip exit status 1\)/);
    assert.deepEqual(await childProcessesNamed('igzip'), []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

/** A local source whose files deliver their first `bytes` bytes and then wait forever (a stalled download). */
class StallingSource implements FlatFileSource {
  private readonly inner: LocalSource;
  readonly description: string;
  constructor(root: string, private readonly bytes: number, private readonly onStalled: () => void) {
    this.inner = new LocalSource(root);
    this.description = this.inner.description;
  }
  stat(key: string): Promise<ObjectInfo> { return this.inner.stat(key); }
  open(info: ObjectInfo, options: OpenOptions = {}): Readable {
    const all = readFileSync(join(this.inner.root, info.key));
    const { bytes, onStalled } = this;
    return Readable.from((async function* () {
      yield all.subarray(0, bytes);
      onStalled();
      await new Promise<void>((_, reject) => options.signal?.addEventListener('abort', () => reject(options.signal!.reason), { once: true }));
    })());
  }
}

test('stopping a run (Ctrl-C, q) while igzip inflates a file kills igzip and abandons the day', { skip: needsIgzip }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'gf-src-'));
  const lake = mkdtempSync(join(tmpdir(), 'gf-lake-'));
  try {
    writeRaw(root, objectKey(stocks, '2025-11-03'), gzipSync(stocksCsv(100_000, '2025-11-03')));
    const controller = new AbortController();
    let running: number | undefined;
    const source = new StallingSource(root, 200_000, () => {
      void childProcessesNamed('igzip').then((found) => {
        running = found.length;
        controller.abort();
      });
    });
    const r = await runIngest(request(lake, source, ['2025-11-03'], isalInflater(IGZIP!), { signal: controller.signal }));
    assert.equal(running, 1, 'igzip was running when the run was stopped');
    assert.deepEqual(r.outcomes.map((o) => o.state), ['abandoned']);
    assert.deepEqual(await childProcessesNamed('igzip'), [], 'no igzip after the stop');
    assert.equal(existsSync(join(lake, 'stocks-trades', 'date=2025-11-03')), false);
  } finally {
    rmSync(root, { recursive: true, force: true });
    rmSync(lake, { recursive: true, force: true });
  }
});
