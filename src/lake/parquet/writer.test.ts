import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ColumnBatch } from '../../formats/columns.js';
import { LakeError } from '../../util/errors.js';
import { DuckDbReader, sqlString, tempDir } from '../../../test/support/parquet-readback.js';
import { ALL_TYPES, batchOf, expectedRow, normaliseRow, sampleRows } from '../../../test/support/parquet-columns.js';
import { ParquetFileWriter, type ParquetWriterOptions } from './writer.js';

const OPTIONS: ParquetWriterOptions = { rowGroupRows: 16, keyValueMetadata: { 'gammaflow.schema_version': '1', keep: 'a' } };
/** Batch sizes that straddle row groups, fill the buffer, and contain whole row groups. */
const BATCH_SIZES = [3, 40, 16, 41];

function writeSample(path: string, options: ParquetWriterOptions = OPTIONS) {
  const rows = sampleRows(100);
  const writer = new ParquetFileWriter(path, ALL_TYPES, options);
  let at = 0;
  for (const size of BATCH_SIZES) {
    writer.append(batchOf(ALL_TYPES, rows.slice(at, at + size)));
    at += size;
  }
  assert.equal(writer.rowsWritten, 100);
  return { rows, result: writer.close({ keep: 'b', 'gammaflow.source': 'test' }) };
}

test('every type round-trips through DuckDB, across row-group boundaries', async () => {
  const dir = tempDir();
  const reader = await DuckDbReader.open();
  try {
    const path = join(dir, 'all.parquet');
    const { rows, result } = writeSample(path);
    assert.equal(result.rows, 100);
    assert.equal(result.rowGroups, 7);
    const file = readFileSync(path);
    assert.equal(result.bytes, file.length);
    assert.equal(result.sha256, createHash('sha256').update(file).digest('hex'));

    const read = (await reader.rows(`SELECT * FROM read_parquet(${sqlString(path)})`)).map(normaliseRow);
    assert.equal(read.length, 100);
    for (let r = 0; r < rows.length; r++) assert.deepEqual(read[r], expectedRow(rows[r]), `row ${r}`);

    // Empty list and null list stay distinct.
    const [counts] = await reader.rows(`SELECT count(*) FILTER (WHERE conditions IS NULL) AS nulls,
      count(*) FILTER (WHERE len(conditions) = 0) AS empties FROM read_parquet(${sqlString(path)})`);
    const conditions = rows.map((row) => row[10] as number[] | null);
    assert.deepEqual(counts, {
      nulls: BigInt(conditions.filter((list) => list === null).length),
      empties: BigInt(conditions.filter((list) => list !== null && list.length === 0).length),
    });
    assert.ok(counts.nulls! > 0n && counts.empties! > 0n);
  } finally {
    reader.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('row groups, codec, statistics and key-value metadata are visible to DuckDB', async () => {
  const dir = tempDir();
  const reader = await DuckDbReader.open();
  try {
    const path = join(dir, 'meta.parquet');
    writeSample(path);
    const p = sqlString(path);
    const groups = await reader.rows(`SELECT DISTINCT row_group_id, row_group_num_rows FROM parquet_metadata(${p}) ORDER BY 1`);
    assert.deepEqual(groups.map((g) => g.row_group_num_rows), [16n, 16n, 16n, 16n, 16n, 16n, 4n]);

    const codecs = await reader.rows(`SELECT DISTINCT compression FROM parquet_metadata(${p})`);
    assert.deepEqual(codecs, [{ compression: 'ZSTD' }]);

    const stats = await reader.rows(`SELECT path_in_schema AS path, stats_min_value AS min, stats_max_value AS max,
      stats_null_count AS nulls FROM parquet_metadata(${p}) WHERE row_group_id = 0 ORDER BY column_id`);
    const byPath = Object.fromEntries(stats.map((s) => [s.path, s]));
    // Rows 0..15 of sampleRows.
    assert.deepEqual(byPath.ticker, { path: 'ticker', min: 'T00', max: 'T06', nulls: 0n });
    assert.deepEqual(byPath.id, { path: 'id', min: '', max: '日本語', nulls: 4n });
    assert.deepEqual(byPath.tape, { path: 'tape', min: '0', max: '3', nulls: 0n });
    assert.deepEqual(byPath.sip_timestamp, { path: 'sip_timestamp', min: '1762500000000000000', max: String(1_762_500_000_000_000_000n + 15n * 1234n), nulls: 0n });
    assert.equal(byPath.session_date.min, '2024-09-04'); // day 19970 (row 0)
    assert.equal(byPath.price.min, '-12.25'); // row 0 is NaN: excluded from bounds
    assert.equal(byPath.odd_lot.nulls, 2n);
    assert.equal(byPath['conditions, list, element'].min, null, 'no bounds for lists');

    const kv = await reader.rows(`SELECT decode(key) AS key, decode(value) AS value FROM parquet_kv_metadata(${p}) ORDER BY 1`);
    assert.deepEqual(kv, [
      { key: 'gammaflow.schema_version', value: '1' },
      { key: 'gammaflow.source', value: 'test' },
      { key: 'gammaflow.units', value: '{"sip_timestamp":"ns","trf_timestamp":"ns"}' },
      { key: 'keep', value: 'b' },
    ]);
    const schema = await reader.rows(`SELECT name, duckdb_type FROM parquet_schema(${p}) WHERE name IN ('sip_timestamp', 'session_date', 'ticker')`);
    assert.deepEqual(schema, [
      { name: 'ticker', duckdb_type: 'VARCHAR' },
      { name: 'session_date', duckdb_type: 'DATE' },
      { name: 'sip_timestamp', duckdb_type: 'BIGINT' },
    ]);
  } finally {
    reader.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tiny pages, uncompressed codec and one-row batches read back the same', async () => {
  const dir = tempDir();
  const reader = await DuckDbReader.open();
  try {
    const path = join(dir, 'pages.parquet');
    const rows = sampleRows(60);
    const writer = new ParquetFileWriter(path, ALL_TYPES, { rowGroupRows: 25, pageBytes: 24, compression: 'uncompressed' });
    for (const row of rows) writer.append(batchOf(ALL_TYPES, [row]));
    writer.close();
    const read = (await reader.rows(`SELECT * FROM read_parquet(${sqlString(path)})`)).map(normaliseRow);
    assert.deepEqual(read, rows.map(expectedRow));
    const codecs = await reader.rows(`SELECT DISTINCT compression FROM parquet_metadata(${sqlString(path)})`);
    assert.deepEqual(codecs, [{ compression: 'UNCOMPRESSED' }]);
  } finally {
    reader.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a sliced batch (offsets not starting at 0) and a row group encoded in place', async () => {
  const dir = tempDir();
  const reader = await DuckDbReader.open();
  try {
    const path = join(dir, 'sliced.parquet');
    const rows = sampleRows(50);
    const full = batchOf(ALL_TYPES, rows);
    // A view of rows 10..49 whose arrays still index into the full batch's storage.
    const sliced: ColumnBatch = {
      rows: 40,
      columns: full.columns.map((column) => {
        const valid = column.valid?.subarray(10);
        const base = valid === undefined ? {} : { valid };
        switch (column.type) {
          case 'utf8': return { ...column, ...base, offsets: column.offsets.subarray(10) };
          case 'list_int32': return { ...column, ...base, offsets: column.offsets.subarray(10) };
          case 'int64': return { ...column, ...base, values: column.values.subarray(10) };
          case 'float64': return { ...column, ...base, values: column.values.subarray(10) };
          case 'bool': return { ...column, ...base, values: column.values.subarray(10) };
          default: return { ...column, ...base, values: column.values.subarray(10) };
        }
      }),
    };
    const writer = new ParquetFileWriter(path, ALL_TYPES, { rowGroupRows: 32 });
    writer.append(sliced);
    assert.ok(writer.bytesWritten > 4, 'the whole row group inside the batch was written immediately');
    const result = writer.close();
    assert.equal(result.rowGroups, 2);
    const read = (await reader.rows(`SELECT * FROM read_parquet(${sqlString(path)})`)).map(normaliseRow);
    assert.deepEqual(read, rows.slice(10).map(expectedRow));
  } finally {
    reader.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a 0-row file has the schema and no row groups', async () => {
  const dir = tempDir();
  const reader = await DuckDbReader.open();
  try {
    const path = join(dir, 'empty.parquet');
    const writer = new ParquetFileWriter(path, ALL_TYPES, OPTIONS);
    writer.append(batchOf(ALL_TYPES, []));
    const result = writer.close();
    assert.deepEqual({ rows: result.rows, rowGroups: result.rowGroups }, { rows: 0, rowGroups: 0 });
    const [count] = await reader.rows(`SELECT count(*) AS n FROM read_parquet(${sqlString(path)})`);
    assert.equal(count.n, 0n);
    const columns = await reader.rows(`DESCRIBE SELECT * FROM read_parquet(${sqlString(path)})`);
    assert.deepEqual(columns.map((c) => c.column_name), ALL_TYPES.map((s) => s.name));
    assert.equal(columns.find((c) => c.column_name === 'conditions')?.column_type, 'INTEGER[]');
  } finally {
    reader.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('malformed batches are LakeErrors; abort deletes the file; a closed writer refuses appends', () => {
  const dir = tempDir();
  try {
    const path = join(dir, 'bad.parquet');
    const writer = new ParquetFileWriter(path, ALL_TYPES, OPTIONS);
    const rows = sampleRows(4);
    assert.throws(() => writer.append({ rows: 4, columns: batchOf(ALL_TYPES, rows).columns.slice(1) }), LakeError);
    const nullTicker = batchOf(ALL_TYPES, rows);
    (nullTicker.columns[0] as { valid?: Uint8Array }).valid = Uint8Array.of(1, 0, 1, 1);
    assert.throws(() => writer.append(nullTicker), /column 'ticker': null at row 1 in a non-nullable column/);
    const wrongType = batchOf(ALL_TYPES, rows);
    (wrongType.columns as unknown[])[2] = { type: 'float64', values: new Float64Array(4) };
    assert.throws(() => writer.append(wrongType), /column 'exchange': batch column has type float64/);
    assert.ok(existsSync(path));
    writer.abort();
    assert.equal(existsSync(path), false);
    assert.throws(() => writer.append(batchOf(ALL_TYPES, rows)), LakeError);
    assert.throws(() => new ParquetFileWriter(join(dir, 'missing', 'x.parquet'), ALL_TYPES, OPTIONS), LakeError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
