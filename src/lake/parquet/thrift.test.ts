import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CompactType, CompactWriter } from './thrift.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

test('short field headers carry the id delta and type in one byte', () => {
  const w = new CompactWriter();
  w.struct(() => {
    w.fieldI32(1, 0);   // 0x15 00
    w.fieldI32(2, -1);  // 0x15 01   zigzag(-1) = 1
    w.fieldI32(4, 1);   // 0x25 02   delta 2, zigzag(1) = 2
  });
  assert.equal(hex(w.finish()), '1500' + '1501' + '2502' + '00');
});

test('long field header when the id delta exceeds 15', () => {
  const w = new CompactWriter();
  w.struct(() => w.fieldI32(20, 150));
  // type byte 0x05, zigzag i16 20 → 40 = 0x28, then zigzag(150) = 300 = 0xac 0x02
  assert.equal(hex(w.finish()), '05' + '28' + 'ac02' + '00');
});

test('i64 zigzag varints are exact beyond 2^53 and for negatives', () => {
  const w = new CompactWriter();
  w.i64(-(2n ** 63n));
  w.i64(2n ** 63n - 1n);
  w.i64(-2);
  assert.equal(hex(w.finish()), 'ffffffffffffffffff01' + 'feffffffffffffffff01' + '03');
});

test('bools live in the field header; binaries are length-prefixed', () => {
  const w = new CompactWriter();
  w.struct(() => {
    w.fieldBool(1, true);
    w.fieldBool(2, false);
    w.fieldString(3, 'é');
  });
  assert.equal(hex(w.finish()), '11' + '12' + '1802c3a9' + '00');
});

test('lists: short header below 15 elements, long header from 15', () => {
  const short = new CompactWriter();
  short.fieldList(1, CompactType.I32, [1, 2], (v) => short.i32(v));
  assert.equal(hex(short.finish()), '19' + '25' + '0204');
  const long = new CompactWriter();
  long.fieldList(1, CompactType.I32, new Array<number>(15).fill(0), (v) => long.i32(v));
  assert.equal(hex(long.finish()), '19' + 'f50f' + '00'.repeat(15));
});

test('nested structs restart field-id deltas and restore the outer ones', () => {
  const w = new CompactWriter();
  w.struct(() => {
    w.fieldStruct(5, () => w.fieldI32(1, 0));
    w.fieldI16(7, 3);
  });
  // 0x5c struct id 5; inner 0x15 00, stop; outer delta 2 with i16 type → 0x24, zigzag 3 = 6
  assert.equal(hex(w.finish()), '5c' + '1500' + '00' + '2406' + '00');
});
