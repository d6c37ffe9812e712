import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DictionaryEncoder, MAX_DICTIONARY_ENTRIES, indexBitWidth, type Dictionary } from './dictionary.js';
import { float64Column, int32Column, utf8Column } from '../../../test/support/parquet-columns.js';

function utf8Entries(dictionary: Dictionary): string[] {
  const entries = dictionary.entries;
  assert.equal(entries.type, 'utf8');
  if (entries.type !== 'utf8') return [];
  const out: string[] = [];
  for (let k = 0; k + 1 < entries.offsets.length; k++) {
    out.push(new TextDecoder().decode(entries.bytes.subarray(entries.offsets[k], entries.offsets[k + 1])));
  }
  return out;
}

test('utf8: first-seen entries, one index per present value, nulls skipped', () => {
  const values = ['MSFT', 'MSFT', null, 'AAPL', 'MSFT', '', 'é', '', 'AAPL', null];
  const dictionary = new DictionaryEncoder().buildUtf8(utf8Column(values), 0, values.length)!;
  assert.deepEqual(utf8Entries(dictionary), ['MSFT', 'AAPL', '', 'é']);
  assert.equal(dictionary.presentCount, 8);
  assert.deepEqual([...dictionary.indices.subarray(0, 8)], [0, 0, 1, 0, 2, 3, 2, 1]);
  assert.equal(dictionary.bitWidth, 2);
});

test('a row range, and the encoder reused for a second chunk', () => {
  const encoder = new DictionaryEncoder();
  const column = utf8Column(['A', 'B', 'C', 'B', 'D']);
  const first = encoder.buildUtf8(column, 1, 4)!;
  assert.deepEqual(utf8Entries(first), ['B', 'C']);
  assert.deepEqual([...first.indices.subarray(0, 3)], [0, 1, 0]);
  const second = encoder.buildUtf8(column, 3, 5)!;
  assert.deepEqual(utf8Entries(second), ['B', 'D']);
  assert.deepEqual([...second.indices.subarray(0, 2)], [0, 1]);
});

test('int32: small and large values, negatives, hash collisions resolved', () => {
  const values: (number | null)[] = [];
  for (let i = 0; i < 3000; i++) values.push(i % 5 === 0 ? null : [4, 12, -7, 2_000_000_000, 4095, 4096, -2_147_483_648][i % 7] + (i % 11 === 0 ? i * 65536 : 0) | 0);
  const column = int32Column(values);
  const dictionary = new DictionaryEncoder().buildInt32(column, 0, values.length)!;
  const entries = (dictionary.entries as { values: Int32Array }).values;
  const present = values.filter((v): v is number => v !== null);
  assert.equal(dictionary.presentCount, present.length);
  assert.equal(new Set(entries).size, entries.length, 'entries are distinct');
  assert.deepEqual(present.map((_, i) => entries[dictionary.indices[i]]), present);
  assert.equal(dictionary.entries.type, 'int32');
});

test('too many distinct values: no dictionary', () => {
  const distinct = Array.from({ length: MAX_DICTIONARY_ENTRIES + 1 }, (_, i) => i * 3);
  assert.equal(new DictionaryEncoder().buildInt32(int32Column(distinct), 0, distinct.length), undefined);
  assert.ok(new DictionaryEncoder().buildInt32(int32Column(distinct), 0, distinct.length - 1));
  const ids = distinct.map((v) => `id-${v}`);
  assert.equal(new DictionaryEncoder().buildUtf8(utf8Column(ids), 0, ids.length), undefined);
});

test('index bit widths', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 256, 257, 16384].map(indexBitWidth), [1, 1, 2, 2, 3, 8, 9, 14]);
});

test('float64: entries compared by bits (-0 and 0 distinct, NaN kept), nulls skipped', () => {
  const values = [6.24, 6.24, null, -0, 0, NaN, 6.2326, NaN, 0, 6.24];
  const column = float64Column(values);
  const dictionary = new DictionaryEncoder().buildFloat64(column, 0, values.length)!;
  assert.equal(dictionary.entries.type, 'float64');
  const entries = [...(dictionary.entries.values as Float64Array)];
  assert.equal(entries.length, 5);
  assert.ok(Object.is(entries[1], -0) && Object.is(entries[2], 0) && Number.isNaN(entries[3]));
  const present = values.filter((v) => v !== null);
  assert.deepEqual(present.map((_, i) => entries[dictionary.indices[i]]), present);
});
