import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteSink } from './bytes.js';
import { writeConstantLevelsV1, writeHybrid, writeLevelsV1 } from './rle.js';

/** Reference decoder of the v1 layout (length prefix + hybrid runs), written from the spec. */
function decodeLevelsV1(bytes: Uint8Array, count: number, bitWidth: number): number[] {
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  assert.equal(length, bytes.length - 4, 'length prefix covers the runs exactly');
  const out: number[] = [];
  let p = 4;
  const varint = (): number => {
    let v = 0;
    let shift = 0;
    for (;;) {
      const b = bytes[p++];
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return v;
      shift += 7;
    }
  };
  while (out.length < count) {
    const header = varint();
    if (header % 2 === 0) {
      let value = 0;
      for (let b = 0; b < Math.ceil(bitWidth / 8); b++) value |= bytes[p++] << (8 * b);
      for (let k = 0; k < header / 2; k++) out.push(value);
    } else {
      const values = ((header - 1) / 2) * 8;
      let bitPosition = 0;
      for (let k = 0; k < values; k++, bitPosition += bitWidth) {
        let v = 0;
        for (let b = 0; b < bitWidth; b++) {
          const bit = bitPosition + b;
          v |= ((bytes[p + (bit >> 3)] >> (bit & 7)) & 1) << b;
        }
        out.push(v);
      }
      p += ((header - 1) / 2) * bitWidth;
    }
  }
  assert.equal(p, bytes.length, 'no trailing bytes');
  return out.slice(0, count);
}

function roundTrip(levels: number[], bitWidth: number): Uint8Array {
  const sink = new ByteSink(4);
  writeLevelsV1(sink, Uint8Array.from(levels), levels.length, bitWidth);
  const bytes = sink.copy();
  assert.deepEqual(decodeLevelsV1(bytes, levels.length, bitWidth), levels);
  return bytes;
}

test('long runs become a single RLE run', () => {
  const bytes = roundTrip(new Array<number>(1000).fill(1), 1);
  assert.equal(Buffer.from(bytes).toString('hex'), '03000000' + 'd00f' + '01');
});

test('short runs are bit-packed LSB first', () => {
  const bytes = roundTrip([1, 0, 1, 1, 0, 0, 0, 1, 1], 1);
  // 2 groups: header (2<<1)|1 = 5; bits 1,0,1,1,0,0,0,1 → 0x8d; then 1 + padding → 0x01
  assert.equal(Buffer.from(bytes).toString('hex'), '03000000' + '05' + '8d01');
});

test('mixed runs round-trip for bit widths 1 and 2 (seeded random)', () => {
  let seed = 12345;
  const random = (): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  for (const bitWidth of [1, 2]) {
    for (let trial = 0; trial < 200; trial++) {
      const levels: number[] = [];
      const target = Math.floor(random() * 300);
      while (levels.length < target) {
        const value = Math.floor(random() * (1 << bitWidth));
        const run = random() < 0.3 ? Math.floor(random() * 40) : 1 + Math.floor(random() * 3);
        for (let k = 0; k < run; k++) levels.push(value);
      }
      roundTrip(levels, bitWidth);
    }
  }
});

test('constant levels and the empty page', () => {
  const sink = new ByteSink();
  writeConstantLevelsV1(sink, 2, 5);
  assert.deepEqual(decodeLevelsV1(sink.copy(), 5, 2), [2, 2, 2, 2, 2]);
  assert.deepEqual([...roundTrip([], 1)], [0, 0, 0, 0]);
});

test('dictionary indices up to 14 bits: two-byte RLE values, wide bit-packing (seeded random)', () => {
  let seed = 777;
  const random = (): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  for (const bitWidth of [3, 9, 14]) {
    for (let trial = 0; trial < 50; trial++) {
      const values: number[] = [];
      const target = Math.floor(random() * 500);
      while (values.length < target) {
        const value = Math.floor(random() * (1 << bitWidth));
        const run = random() < 0.3 ? Math.floor(random() * 40) : 1 + Math.floor(random() * 3);
        for (let k = 0; k < run; k++) values.push(value);
      }
      const sink = new ByteSink(4);
      sink.u32le(0);
      writeHybrid(sink, Int32Array.from(values), values.length, bitWidth);
      sink.patchU32le(0, sink.length - 4);
      assert.deepEqual(decodeLevelsV1(sink.copy(), values.length, bitWidth), values);
    }
  }
  const sink = new ByteSink(4);
  writeHybrid(sink, Int32Array.from(new Array<number>(10).fill(0x1234)), 10, 13);
  assert.equal(Buffer.from(sink.copy()).toString('hex'), '14' + '3412', 'RLE run of 10, value in 2 bytes little-endian');
});
