/**
 * The writer's encodings end to end: dictionary chunks (several pages, nulls,
 * indices wider than 8 bits), the fall back for high-cardinality columns
 * (DELTA_LENGTH_BYTE_ARRAY strings, PLAIN int32), and DELTA_BINARY_PACKED
 * int64 pages next to PLAIN ones, read back by
 * DuckDB and nodejs-polars.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadPolars } from '../../../test/support/polars.js';
import type { ColumnSpec } from '../../formats/columns.js';
import { DuckDbReader, sqlString, tempDir } from '../../../test/support/parquet-readback.js';
import { batchOf, type CellValue } from '../../../test/support/parquet-columns.js';
import { ParquetFileWriter } from './writer.js';

const SPECS: readonly ColumnSpec[] = [
  { name: 'ticker', type: 'utf8', nullable: false },
  { name: 'venue', type: 'int32', nullable: true },
  { name: 'id', type: 'utf8', nullable: true },
  { name: 'serial', type: 'int32', nullable: false },
  { name: 'ts', type: 'int64', nullable: true, unit: 'ns' },
  { name: 'noise', type: 'int64', nullable: false },
  { name: 'day', type: 'date32', nullable: true },
  { name: 'late_ts', type: 'int64', nullable: true },
  { name: 'late_tag', type: 'utf8', nullable: true },
];
const ROWS = 40_000;
const ROW_GROUP_ROWS = 20_000;

/** xorshift32, deterministic. */
function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

function rows(): CellValue[][] {
  const next = rng(99);
  const out: CellValue[][] = [];
  let ts = 1_762_506_000_000_000_000n;
  for (let r = 0; r < ROWS; r++) {
    const tickerNumber = Math.floor(r / 60); // sorted, ~333 per row group: 9-bit indices
    if (r % 60 === 0) ts -= 3_000_000_000_000n;
    ts += BigInt(Math.floor(next() * 1e9));
    out.push([
      `T${String(tickerNumber).padStart(4, '0')}`,
      r % 13 === 0 ? null : [4, 11, 12, 19, 21][Math.floor(next() * 5)],
      r % 9 === 0 ? null : `id-${r}`,
      r * 7 - 100_000,
      r % 17 === 0 ? null : ts,
      BigInt.asIntN(64, (BigInt(Math.floor(next() * 2 ** 32)) << 32n) | BigInt(Math.floor(next() * 2 ** 32))),
      r < 25_000 ? null : 20_000 + (r % 3),
      r < 25_000 ? null : 1_000_000n * BigInt(r), // all-null pages and a whole all-null chunk
      r < 25_000 ? null : `tag-${r}`,
    ]);
  }
  return out;
}

function writeFile(path: string, data: CellValue[][]): void {
  const writer = new ParquetFileWriter(path, SPECS, { rowGroupRows: ROW_GROUP_ROWS, pageBytes: 16 * 1024 });
  for (let at = 0; at < data.length; at += 7_000) writer.append(batchOf(SPECS, data.slice(at, at + 7_000)));
  writer.close();
}

test('dictionary, delta and plain chunks read back through DuckDB, with the expected encodings', async () => {
  const dir = tempDir();
  const reader = await DuckDbReader.open();
  try {
    const path = join(dir, 'encodings.parquet');
    const data = rows();
    writeFile(path, data);
    const p = sqlString(path);

    const read = await reader.rows(`SELECT * FROM read_parquet(${p})`);
    assert.equal(read.length, ROWS);
    for (let r = 0; r < ROWS; r++) {
      const row = read[r];
      const want = data[r];
      const day = row.day === null ? null : Math.round((row.day as Date).getTime() / 86_400_000);
      const got = [row.ticker, row.venue, row.id, row.serial, row.ts, row.noise, day, row.late_ts, row.late_tag];
      assert.deepEqual(got, want, `row ${r}`);
    }

    const chunks = await reader.rows(`SELECT row_group_id AS g, path_in_schema AS path, encodings, stats_min_value AS min, stats_max_value AS max,
      stats_null_count AS nulls FROM parquet_metadata(${p}) ORDER BY row_group_id, column_id`);
    const chunk = (g: number, path: string) => chunks.find((c) => c.g === BigInt(g) && c.path === path)!;
    for (const g of [0, 1]) {
      assert.match(String(chunk(g, 'ticker').encodings), /RLE_DICTIONARY/);
      assert.match(String(chunk(g, 'venue').encodings), /RLE_DICTIONARY/);
      assert.doesNotMatch(String(chunk(g, 'id').encodings), /DICTIONARY/, 'unique ids: no dictionary');
      assert.match(String(chunk(g, 'id').encodings), /DELTA_LENGTH_BYTE_ARRAY/);
      assert.match(String(chunk(g, 'ts').encodings), /DELTA_BINARY_PACKED/);
      assert.doesNotMatch(String(chunk(g, 'noise').encodings), /DELTA/, 'random int64: PLAIN pages');
    }
    assert.deepEqual([chunk(0, 'ticker').min, chunk(0, 'ticker').max], ['T0000', 'T0333']);
    assert.deepEqual([chunk(0, 'venue').min, chunk(0, 'venue').max], ['4', '21']);
    assert.equal(chunk(0, 'venue').nulls, BigInt(Math.ceil(ROW_GROUP_ROWS / 13)));
    assert.deepEqual([chunk(1, 'day').min, chunk(1, 'day').max, chunk(0, 'day').min], ['2024-10-04', '2024-10-06', null]);
  } finally {
    reader.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

const pl = loadPolars();

test('nodejs-polars reads the same values', { skip: pl ? false : 'nodejs-polars not installed: npm run peers' }, () => {
  const dir = tempDir();
  try {
    const path = join(dir, 'encodings.parquet');
    const data = rows();
    writeFile(path, data);
    const df = pl.readParquet(path);
    assert.equal(df.height, ROWS);
    const column = (name: string): unknown[] => df.getColumn(name).toArray();
    const strings = (name: string): unknown[] => df.getColumn(name).cast(pl.Utf8).toArray();
    const at = (c: number) => data.map((row) => row[c]);
    assert.deepEqual(column('ticker'), at(0));
    assert.deepEqual(column('venue'), at(1));
    assert.deepEqual(column('id'), at(2));
    assert.deepEqual(column('serial'), at(3));
    assert.deepEqual(strings('ts'), at(4).map((v) => (v === null ? null : String(v))));
    assert.deepEqual(strings('noise'), at(5).map(String));
    assert.deepEqual(strings('day'), data.map((row) => (row[6] === null ? null : new Date((row[6] as number) * 86_400_000).toISOString().slice(0, 10))));
    assert.deepEqual(strings('late_ts'), at(7).map((v) => (v === null ? null : String(v))));
    assert.deepEqual(column('late_tag'), at(8));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
