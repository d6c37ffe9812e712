import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boolBounds, countNulls, float64Bounds, int32Bounds, int64Bounds, utf8Bounds } from './statistics.js';
import { boolColumn, float64Column, int32Column, int64Column, utf8Column } from '../../../test/support/parquet-columns.js';

const i64 = (bytes: Uint8Array): bigint => new DataView(bytes.buffer, bytes.byteOffset).getBigInt64(0, true);
const f64 = (bytes: Uint8Array): number => new DataView(bytes.buffer, bytes.byteOffset).getFloat64(0, true);
const i32 = (bytes: Uint8Array): number => new DataView(bytes.buffer, bytes.byteOffset).getInt32(0, true);
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

test('int64 bounds compare signed 64-bit values exactly, skipping nulls', () => {
  const column = int64Column([2n ** 62n + 1n, null, -(2n ** 40n), 2n ** 62n, -1n, -(2n ** 63n) + 1n]);
  const bounds = int64Bounds(column, 0, 6)!;
  assert.equal(i64(bounds.min), -(2n ** 63n) + 1n);
  assert.equal(i64(bounds.max), 2n ** 62n + 1n);
  // A sub-range (row group inside a larger batch).
  const sub = int64Bounds(column, 3, 5)!;
  assert.equal(i64(sub.min), -1n);
  assert.equal(i64(sub.max), 2n ** 62n);
  assert.equal(int64Bounds(int64Column([null, null]), 0, 2), undefined);
});

test('float64 bounds ignore NaN and write a zero minimum as -0, a zero maximum as +0', () => {
  const bounds = float64Bounds(float64Column([NaN, 0, 2.5, null, -0]), 0, 5)!;
  assert.ok(Object.is(f64(bounds.min), -0));
  assert.equal(f64(bounds.max), 2.5);
  const zeros = float64Bounds(float64Column([-0, 0]), 0, 2)!;
  assert.ok(Object.is(f64(zeros.min), -0));
  assert.ok(Object.is(f64(zeros.max), 0));
  assert.equal(float64Bounds(float64Column([NaN]), 0, 1), undefined);
});

test('utf8 bounds compare bytes unsigned (é after z; prefix first)', () => {
  const bounds = utf8Bounds(utf8Column(['m', 'é', null, 'z', 'ab', 'a']), 0, 6)!;
  assert.equal(text(bounds.min), 'a');
  assert.equal(text(bounds.max), 'é');
  const empty = utf8Bounds(utf8Column(['', 'x']), 0, 2)!;
  assert.equal(text(empty.min), '');
});

test('int32, bool bounds and null counts', () => {
  const bounds = int32Bounds(int32Column([5, -7, null, 3]), 0, 4)!;
  assert.deepEqual([i32(bounds.min), i32(bounds.max)], [-7, 5]);
  assert.deepEqual(boolBounds(boolColumn([true, null, true]), 0, 3), { min: Uint8Array.of(1), max: Uint8Array.of(1) });
  assert.equal(countNulls(Uint8Array.of(1, 0, 0, 1), 0, 4), 2);
  assert.equal(countNulls(undefined, 0, 4), 0);
});
