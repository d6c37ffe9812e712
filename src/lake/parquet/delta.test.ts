import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteSink } from './bytes.js';
import { DeltaScratch, writeDeltaInt64, writeDeltaLengths } from './delta.js';
import { utf8Column } from '../../../test/support/parquet-columns.js';

/** Reference DELTA_BINARY_PACKED decoder (int64, BigInt arithmetic), written from the spec. */
function decodeDelta(bytes: Uint8Array): bigint[] {
  let p = 0;
  const uvarint = (): bigint => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      const b = bytes[p++];
      v |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return v;
      shift += 7n;
    }
  };
  const zigzag = (): bigint => {
    const z = uvarint();
    return (z >> 1n) ^ -(z & 1n);
  };
  const blockSize = Number(uvarint());
  const miniblocks = Number(uvarint());
  const total = Number(uvarint());
  const perMiniblock = blockSize / miniblocks;
  let value = zigzag();
  const out: bigint[] = total > 0 ? [value] : [];
  while (out.length < total) {
    const minDelta = zigzag();
    const widths = Array.from(bytes.subarray(p, p + miniblocks));
    p += miniblocks;
    for (let m = 0; m < miniblocks && out.length < total; m++) {
      const width = widths[m];
      for (let k = 0; k < perMiniblock; k++) {
        let offset = 0n;
        for (let b = 0; b < width; b++) {
          const bit = k * width + b;
          offset |= BigInt((bytes[p + (bit >> 3)] >> (bit & 7)) & 1) << BigInt(b);
        }
        if (out.length < total) {
          value = BigInt.asIntN(64, value + minDelta + offset);
          out.push(value);
        }
      }
      p += (perMiniblock * width) / 8;
    }
  }
  assert.equal(p, bytes.length, 'no trailing bytes');
  return out;
}

/** xorshift32, deterministic. */
function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

function encode(values: readonly bigint[], valid?: Uint8Array, start = 0, end = values.length): Uint8Array | undefined {
  const sink = new ByteSink(8);
  sink.u8(0xaa); // something before: the encoder must append, and leave it alone on refusal
  const ok = writeDeltaInt64(sink, BigInt64Array.from(values), valid, start, end, new DeltaScratch());
  const bytes = sink.copy();
  assert.equal(bytes[0], 0xaa);
  if (!ok) {
    assert.equal(bytes.length, 1, 'a refused page leaves the sink unchanged');
    return undefined;
  }
  return bytes.subarray(1);
}

test('sorted timestamps round-trip and take far fewer than 8 bytes a value', () => {
  const next = rng(7);
  const values: bigint[] = [];
  let t = 1_762_506_000_000_000_000n;
  for (let i = 0; i < 1000; i++) {
    t += BigInt(Math.floor(next() * 5e9)); // up to 5 s apart: 33-bit deltas
    if (i % 500 === 0) t -= 3_600_000_000_000n; // a new ticker starts an hour earlier
    values.push(t);
  }
  const bytes = encode(values)!;
  assert.deepEqual(decodeDelta(bytes), values);
  assert.ok(bytes.length < 5 * values.length, `${bytes.length} bytes`);
});

test('widths above 32 bits, negative values, partial blocks and miniblocks', () => {
  const next = rng(11);
  for (const count of [2, 3, 31, 33, 129, 200, 513]) {
    const values: bigint[] = [];
    let v = -(2n ** 40n);
    for (let i = 0; i < count; i++) {
      v += BigInt(Math.floor((next() - 0.3) * 2 ** 45)); // 45-bit deltas of both signs
      values.push(v);
    }
    const bytes = encode(values);
    if (bytes !== undefined) assert.deepEqual(decodeDelta(bytes), values, `count ${count}`);
  }
  const constant = Array.from({ length: 300 }, () => 42n); // width-0 miniblocks
  assert.deepEqual(decodeDelta(encode(constant)!), constant);
});

test('only present values of the row range are encoded', () => {
  const values = Array.from({ length: 400 }, (_, i) => 1_000_000_000_000n + BigInt(i * i));
  const valid = Uint8Array.from(values, (_, i) => (i % 7 === 3 ? 0 : 1));
  const bytes = encode(values, valid, 50, 390)!;
  const expected = values.filter((_, i) => i >= 50 && i < 390 && valid[i] === 1);
  assert.deepEqual(decodeDelta(bytes), expected);
});

test('pages that delta encoding cannot shrink or represent are refused', () => {
  const next = rng(3);
  const random = Array.from({ length: 500 }, () => BigInt.asIntN(64, BigInt(Math.floor(next() * 2 ** 32)) << 32n | BigInt(Math.floor(next() * 2 ** 32))));
  assert.equal(encode(random), undefined, 'random 64-bit values');
  const jump = [0n, 2n ** 62n, 2n ** 62n + 1n];
  assert.equal(encode(jump), undefined, 'delta beyond 2^52');
  assert.deepEqual(decodeDelta(encode([5n])!), [5n], 'one value: the header alone');
  assert.equal(encode([1n, 2n, 3n], new Uint8Array(3)), undefined, 'no present value: PLAIN');
});

test('a delta page records the rows of its smallest and largest present value', () => {
  const values = Array.from({ length: 300 }, (_, i) => 1_762_506_000_000_000_000n + BigInt(i) * 1000n);
  values[100] = 1_762_506_000_000_000_000n - 2n ** 40n;
  values[200] = 1_762_506_000_000_000_000n + 2n ** 41n;
  values[250] = 1_762_506_000_000_000_000n + 2n ** 42n; // null: not a bound
  const valid = Uint8Array.from(values, (_, i) => (i === 250 ? 0 : 1));
  const scratch = new DeltaScratch();
  assert.ok(writeDeltaInt64(new ByteSink(), BigInt64Array.from(values), valid, 0, values.length, scratch));
  assert.deepEqual([scratch.minRow, scratch.maxRow], [100, 200]);
  assert.ok(writeDeltaInt64(new ByteSink(), BigInt64Array.from(values), valid, 210, 300, scratch));
  assert.deepEqual([scratch.minRow, scratch.maxRow], [210, 299]);
});

test('string lengths of present rows (DELTA_LENGTH_BYTE_ARRAY prefix)', () => {
  const strings = ['39477', '52983944268266', null, '', '4236', 'x'.repeat(300), null, '7'];
  const column = utf8Column(strings);
  const sink = new ByteSink();
  writeDeltaLengths(sink, column.offsets, column.valid, 1, strings.length, new DeltaScratch());
  const expected = strings.slice(1).filter((v): v is string => v !== null).map((v) => BigInt(v.length));
  assert.deepEqual(decodeDelta(sink.copy()), expected);
  const empty = new ByteSink();
  writeDeltaLengths(empty, column.offsets, column.valid, 2, 3, new DeltaScratch());
  assert.deepEqual(decodeDelta(empty.copy()), []);
});
