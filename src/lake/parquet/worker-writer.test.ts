import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Int64Column } from '../../formats/columns.js';
import { LakeError } from '../../util/errors.js';
import { DuckDbReader, sqlString, tempDir } from '../../../test/support/parquet-readback.js';
import { ParquetWorkerWriter } from './worker-writer.js';
import { ParquetFileWriter, type ParquetWriterOptions } from './writer.js';
import { ALL_TYPES, batchOf, expectedRow, normaliseRow, sampleRows } from '../../../test/support/parquet-columns.js';

const OPTIONS: ParquetWriterOptions = { rowGroupRows: 16, keyValueMetadata: { 'gammaflow.schema_version': '1' } };
const BATCH_SIZES = [3, 40, 16, 41, 0, 7];

test('the worker writer produces the same bytes as the in-thread writer', async () => {
  const dir = tempDir();
  const reader = await DuckDbReader.open();
  try {
    const rows = sampleRows(107);
    const syncPath = join(dir, 'sync.parquet');
    const workerPath = join(dir, 'worker.parquet');
    const syncWriter = new ParquetFileWriter(syncPath, ALL_TYPES, OPTIONS);
    const workerWriter = new ParquetWorkerWriter(workerPath, ALL_TYPES, OPTIONS);
    let at = 0;
    for (const size of BATCH_SIZES) {
      const slice = rows.slice(at, at + size);
      syncWriter.append(batchOf(ALL_TYPES, slice));
      const batch = batchOf(ALL_TYPES, slice);
      await workerWriter.append(batch);
      if (size > 0) assert.equal((batch.columns[5] as Int64Column).values.length, 0, 'the caller\'s buffers were transferred (detached)');
      at += size;
    }
    assert.equal(workerWriter.rowsWritten, 107);
    const expected = syncWriter.close({ extra: 'x' });
    const actual = await workerWriter.close({ extra: 'x' });
    assert.deepEqual(actual, expected);
    assert.deepEqual(readFileSync(workerPath), readFileSync(syncPath));
    assert.equal(workerWriter.bytesWritten, expected.bytes);

    const read = (await reader.rows(`SELECT * FROM read_parquet(${sqlString(workerPath)})`)).map(normaliseRow);
    assert.deepEqual(read, rows.map(expectedRow));
  } finally {
    reader.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('with one batch in flight, each awaited append has been written when it resolves', async () => {
  const dir = tempDir();
  try {
    const path = join(dir, 'backpressure.parquet');
    const writer = new ParquetWorkerWriter(path, ALL_TYPES, { ...OPTIONS, maxInFlightBatches: 1 });
    await writer.append(batchOf(ALL_TYPES, sampleRows(20)));
    const afterFirstGroup = writer.bytesWritten;
    assert.ok(afterFirstGroup > 4, 'the first full row group is on disk');
    await writer.append(batchOf(ALL_TYPES, sampleRows(20)));
    assert.ok(writer.bytesWritten > afterFirstGroup, 'the second row group is on disk');
    const result = await writer.close();
    assert.equal(result.rows, 40);
    assert.equal(result.rowGroups, 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('worker failures reject with LakeError; abort deletes the partial file', async () => {
  const dir = tempDir();
  try {
    const broken = new ParquetWorkerWriter(join(dir, 'no', 'such', 'dir.parquet'), ALL_TYPES, OPTIONS);
    await assert.rejects(async () => {
      await broken.append(batchOf(ALL_TYPES, sampleRows(3)));
      await broken.close();
    }, (e: unknown) => e instanceof LakeError && /no such file or directory while creating .*no\/such\/dir\.parquet/.test(e.message));
    await broken.abort();

    const path = join(dir, 'aborted.parquet');
    const writer = new ParquetWorkerWriter(path, ALL_TYPES, OPTIONS);
    await writer.append(batchOf(ALL_TYPES, sampleRows(40)));
    await assert.rejects(writer.append({ rows: 1, columns: [] }), LakeError);
    await writer.abort();
    assert.equal(existsSync(path), false);
    await assert.rejects(writer.close(), LakeError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a batch with bad contents fails the writer from the worker (its own append or the next call), nothing of it written', async () => {
  const dir = tempDir();
  try {
    const path = join(dir, 'bad-contents.parquet');
    const writer = new ParquetWorkerWriter(path, ALL_TYPES, { ...OPTIONS, maxInFlightBatches: 1 });
    await writer.append(batchOf(ALL_TYPES, sampleRows(20)));
    const bad = batchOf(ALL_TYPES, sampleRows(5));
    const ticker = bad.columns[0];
    const required = { ...ticker, valid: Uint8Array.of(1, 1, 0, 1, 1) }; // a null in the non-nullable ticker
    const badBatch = { rows: bad.rows, columns: [required, ...bad.columns.slice(1)] };
    await assert.rejects(async () => {
      await writer.append(badBatch);
      await writer.close();
    }, (e: unknown) => e instanceof LakeError && /column 'ticker': null at row 2/.test(e.message));
    await writer.abort();
    assert.equal(existsSync(path), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('shared batches are not transferred, and onBatchDone returns each one, in order, once the worker is done with it', async () => {
  const dir = tempDir();
  const reader = await DuckDbReader.open();
  try {
    const rows = sampleRows(50);
    const toShared = <T extends ArrayBufferView>(array: T): T => {
      const shared = new SharedArrayBuffer(array.byteLength);
      new Uint8Array(shared).set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
      return new (array.constructor as new (buffer: ArrayBufferLike) => T)(shared);
    };
    const done: unknown[] = [];
    const path = join(dir, 'shared.parquet');
    const writer = new ParquetWorkerWriter(path, ALL_TYPES, { ...OPTIONS, maxInFlightBatches: 2, onBatchDone: (b) => done.push(b) });
    const sent: unknown[] = [];
    for (let at = 0; at < 50; at += 10) {
      const plain = batchOf(ALL_TYPES, rows.slice(at, at + 10));
      const batch = {
        rows: plain.rows,
        columns: plain.columns.map((c) => Object.fromEntries(Object.entries(c).map(([k, v]) => [k, ArrayBuffer.isView(v) ? toShared(v) : v]))),
      } as unknown as typeof plain;
      await writer.append(batch);
      sent.push(batch);
      assert.equal((batch.columns[5] as Int64Column).values.length, 10, 'shared arrays stay usable on this side');
    }
    await writer.close();
    assert.equal(done.length, 5);
    done.forEach((b, i) => assert.equal(b, sent[i]));
    const read = (await reader.rows(`SELECT * FROM read_parquet(${sqlString(path)})`)).map(normaliseRow);
    assert.deepEqual(read, rows.map(expectedRow));
  } finally {
    reader.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
