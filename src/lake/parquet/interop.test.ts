/** A second, independent reader: nodejs-polars (Rust parquet reader) on a file written by ParquetFileWriter. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadPolars } from '../../../test/support/polars.js';
import { ParquetFileWriter } from './writer.js';
import { ALL_TYPES, batchOf, sampleRows } from '../../../test/support/parquet-columns.js';
import { tempDir } from '../../../test/support/parquet-readback.js';

const pl = loadPolars();

test('nodejs-polars reads every type, nulls, lists and exact int64 values', { skip: pl ? false : 'nodejs-polars not installed: npm run peers' }, () => {
  const dir = tempDir();
  try {
    const path = join(dir, 'polars.parquet');
    const rows = sampleRows(70);
    const writer = new ParquetFileWriter(path, ALL_TYPES, { rowGroupRows: 32 });
    writer.append(batchOf(ALL_TYPES, rows.slice(0, 50)));
    writer.append(batchOf(ALL_TYPES, rows.slice(50)));
    writer.close();

    const df = pl.readParquet(path);
    assert.equal(df.height, 70);
    assert.deepEqual(df.columns, ALL_TYPES.map((s) => s.name));
    assert.equal(String(df.schema.session_date), 'DataType(Date)');
    assert.equal(String(df.schema.sip_timestamp), 'DataType(Int64)');
    const column = (name: string): unknown[] => df.getColumn(name).toArray();
    const strings = (name: string): unknown[] => df.getColumn(name).cast(pl.Utf8).toArray();
    const at = (c: number) => rows.map((row) => row[c]);
    assert.deepEqual(column('ticker'), at(0));
    assert.deepEqual(column('id'), at(1));
    assert.deepEqual(column('exchange'), at(2));
    assert.deepEqual(strings('sip_timestamp'), at(5).map(String));
    assert.deepEqual(strings('trf_timestamp'), at(6).map((v) => (v === null ? null : String(v))));
    assert.deepEqual(column('price'), at(7));
    assert.deepEqual(column('odd_lot'), at(9));
    assert.deepEqual(column('conditions').map((v) => (v === null ? null : [...(v as Iterable<number>)])), at(10));
    assert.deepEqual(column('indicators').map((v) => [...(v as Iterable<number>)]), at(11));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
