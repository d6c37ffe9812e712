/**
 * Parquet's RLE / bit-packing hybrid encoding for repetition and definition
 * levels (bit widths 1..8) and dictionary indices (bit widths 1..16). Pure: no I/O.
 *
 * A run is either RLE (`varint(count << 1)`, then the value in
 * ceil(bitWidth / 8) little-endian bytes) or
 * bit-packed (`varint(groups << 1 | 1)`, then `groups * bitWidth` bytes holding
 * groups of 8 values, least significant bit first). Only the final bit-packed
 * run may be padded: readers stop after the page's `num_values`.
 *
 * Spec: https://parquet.apache.org/docs/file-format/data-pages/encodings/#run-length-encoding--bit-packing-hybrid-rle--3
 */
import type { ByteSink } from './bytes.js';

/** Runs at least this long become RLE runs; shorter ones are bit-packed with their neighbours. */
const MIN_RLE_RUN = 8;

/**
 * Appends `levels[0, count)` in the data page v1 layout: a 4-byte little-endian
 * byte length, then the hybrid-encoded runs. Every level must be < 2^bitWidth.
 */
export function writeLevelsV1(sink: ByteSink, levels: Uint8Array, count: number, bitWidth: number): void {
  const lengthPosition = sink.length;
  sink.u32le(0);
  writeHybrid(sink, levels, count, bitWidth);
  sink.patchU32le(lengthPosition, sink.length - lengthPosition - 4);
}

/** Same layout as `writeLevelsV1` for `count` copies of one level (the all-present fast path). */
export function writeConstantLevelsV1(sink: ByteSink, level: number, count: number): void {
  const lengthPosition = sink.length;
  sink.u32le(0);
  if (count > 0) {
    sink.uvarint(count * 2);
    sink.u8(level);
  }
  sink.patchU32le(lengthPosition, sink.length - lengthPosition - 4);
}

/** Values the hybrid encoding takes: levels (bytes) or dictionary indices. */
type HybridValues = Uint8Array | Int32Array;

/** The hybrid runs alone, without a length prefix. Every value must be < 2^bitWidth, bitWidth ≤ 16. */
export function writeHybrid(sink: ByteSink, levels: HybridValues, count: number, bitWidth: number): void {
  let packedStart = -1; // start of the pending bit-packed section, if any
  let i = 0;
  while (i < count) {
    const value = levels[i];
    // A run of MIN_RLE_RUN or more starting here needs levels[i + MIN_RLE_RUN - 1] === value:
    // checking that first keeps high-entropy data (dictionary indices) at one comparison a value.
    if (i + MIN_RLE_RUN > count || levels[i + MIN_RLE_RUN - 1] !== value) {
      if (packedStart < 0) packedStart = i;
      i++;
      continue;
    }
    let runEnd = i + 1;
    while (runEnd < count && levels[runEnd] === value) runEnd++;
    if (runEnd - i >= MIN_RLE_RUN) {
      if (packedStart >= 0) {
        // A bit-packed section must hold a multiple of 8 values: borrow the
        // first values of this run to fill its last group (the run stays >= 1).
        const pad = (8 - ((i - packedStart) % 8)) % 8;
        writeBitPacked(sink, levels, packedStart, i + pad, bitWidth);
        i += pad;
        packedStart = -1;
      }
      sink.uvarint((runEnd - i) * 2);
      sink.u8(value & 0xff);
      if (bitWidth > 8) sink.u8(value >>> 8);
    } else if (packedStart < 0) {
      packedStart = i;
    }
    i = runEnd;
  }
  if (packedStart >= 0) writeBitPacked(sink, levels, packedStart, count, bitWidth);
}

/** Bit-packs `levels[start, end)`, zero-padding the last group of 8. */
function writeBitPacked(sink: ByteSink, levels: HybridValues, start: number, end: number, bitWidth: number): void {
  const groups = Math.ceil((end - start) / 8);
  sink.uvarint(groups * 2 + 1);
  const out = sink.reserve(groups * bitWidth);
  let position = sink.length;
  // Up to 15 pending bits plus one value of at most 16 bits: fits 31 bits; flushed two bytes at a time.
  let accumulator = 0;
  let accumulatedBits = 0;
  for (let k = start; k < end; k++) {
    accumulator |= levels[k] << accumulatedBits;
    accumulatedBits += bitWidth;
    if (accumulatedBits >= 16) {
      out[position] = accumulator & 0xff;
      out[position + 1] = (accumulator >>> 8) & 0xff;
      position += 2;
      accumulator >>>= 16;
      accumulatedBits -= 16;
    }
  }
  // Zero padding up to the group boundary adds bits but no value.
  accumulatedBits += (start + groups * 8 - end) * bitWidth;
  while (accumulatedBits > 0) {
    out[position++] = accumulator & 0xff;
    accumulator >>>= 8;
    accumulatedBits -= 8;
  }
  sink.length = position;
}
