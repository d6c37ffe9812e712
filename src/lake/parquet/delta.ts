/**
 * DELTA_BINARY_PACKED encoding of int64 values (timestamps, sequence
 * numbers): the first value, then blocks of 128 deltas between consecutive
 * values, each block as its minimum delta plus four miniblocks of 32
 * (delta - minimum) bit-packed at the miniblock's own width. Sorted or
 * slowly-changing columns shrink from 8 bytes a value to a few bits, so zstd
 * has far less to compress. Pure: no I/O.
 *
 * The arithmetic stays in doubles (no BigInt per value): values are read as
 * 32-bit words and a delta is exact as long as it is below 2^52 in magnitude.
 * A page with a larger delta, or whose delta encoding would not be smaller
 * than PLAIN's 8 bytes a value, or without any present value, is not
 * delta-encoded (`writeDeltaInt64` returns false and leaves the sink as it was).
 *
 * `writeDeltaLengths` uses the same blocks for the string lengths of a
 * DELTA_LENGTH_BYTE_ARRAY page.
 *
 * Spec: https://parquet.apache.org/docs/file-format/data-pages/encodings/#delta-encoding-delta_binary_packed--5
 */
import type { ByteSink } from './bytes.js';

const BLOCK_VALUES = 128;
const MINIBLOCKS = 4;
const MINIBLOCK_VALUES = BLOCK_VALUES / MINIBLOCKS;
const TWO32 = 4294967296;
/** |high-word difference| below this keeps |delta| < 2^52 (exact doubles, zigzag < 2^53). */
const MAX_HIGH_DIFFERENCE = 1 << 19;

/** Scratch space reused between pages (one per encoder, not re-entrant), and the last page's extremes. */
export class DeltaScratch {
  deltas = new Float64Array(0);
  /** After `writeDeltaInt64` returned true: rows of the page's smallest and largest present value (-1 if none). */
  minRow = -1;
  maxRow = -1;

  reserve(count: number): Float64Array {
    if (this.deltas.length < count) this.deltas = new Float64Array(Math.max(count, 2 * this.deltas.length));
    return this.deltas;
  }
}

/**
 * Appends the present values of rows [start, end) of an int64 column
 * (`values` as BigInt64Array, `valid` bytes 0/1 or undefined) delta-encoded,
 * and records the rows of the smallest and largest value in `scratch` (the
 * page's statistics come for free from the same pass). Returns false, with
 * the sink unchanged, when the page should stay PLAIN.
 */
export function writeDeltaInt64(
  sink: ByteSink, values: BigInt64Array, valid: Uint8Array | undefined,
  start: number, end: number, scratch: DeltaScratch,
): boolean {
  const high = new Int32Array(values.buffer, values.byteOffset, values.length * 2);
  const low = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
  const deltas = scratch.reserve(end - start);

  // Deltas between consecutive present values; the first present row is the header's first value.
  let firstRow = -1;
  let count = 0; // present values
  let previousHigh = 0;
  let previousLow = 0;
  let minRow = -1, minHigh = 0, minLow = 0;
  let maxRow = -1, maxHigh = 0, maxLow = 0;
  for (let row = start; row < end; row++) {
    if (valid !== undefined && valid[row] !== 1) continue;
    const h = high[2 * row + 1];
    const l = low[2 * row];
    if (firstRow < 0) {
      firstRow = row;
      minRow = maxRow = row;
      minHigh = maxHigh = h;
      minLow = maxLow = l;
    } else {
      const highDifference = h - previousHigh;
      if (highDifference >= MAX_HIGH_DIFFERENCE || highDifference <= -MAX_HIGH_DIFFERENCE) return false;
      deltas[count - 1] = highDifference * TWO32 + (l - previousLow);
      // Signed 64-bit order: signed high word, then unsigned low word.
      if (h < minHigh || (h === minHigh && l < minLow)) { minRow = row; minHigh = h; minLow = l; }
      else if (h > maxHigh || (h === maxHigh && l > maxLow)) { maxRow = row; maxHigh = h; maxLow = l; }
    }
    previousHigh = h;
    previousLow = l;
    count++;
  }

  if (count === 0) return false; // no value: an empty PLAIN section says it best
  const begin = sink.length;
  sink.uvarint(BLOCK_VALUES);
  sink.uvarint(MINIBLOCKS);
  sink.uvarint(count);
  writeZigZagBig(sink, values[firstRow]);
  writeBlocks(sink, deltas, count > 0 ? count - 1 : 0, begin + 8 * count);
  if (sink.length - begin >= 8 * count && count > 0) {
    sink.length = begin;
    return false;
  }
  scratch.minRow = minRow;
  scratch.maxRow = maxRow;
  return true;
}

/**
 * Appends the lengths of the present strings of rows [start, end) (`offsets`
 * as in a Utf8Column), delta-encoded: the first half of a
 * DELTA_LENGTH_BYTE_ARRAY page. Lengths are below 2^31, so this always works.
 */
export function writeDeltaLengths(
  sink: ByteSink, offsets: Int32Array, valid: Uint8Array | undefined,
  start: number, end: number, scratch: DeltaScratch,
): void {
  const deltas = scratch.reserve(end - start);
  let count = 0;
  let first = 0;
  let previous = 0;
  for (let row = start; row < end; row++) {
    if (valid !== undefined && valid[row] !== 1) continue;
    const length = offsets[row + 1] - offsets[row];
    if (count === 0) first = length;
    else deltas[count - 1] = length - previous;
    previous = length;
    count++;
  }
  sink.uvarint(BLOCK_VALUES);
  sink.uvarint(MINIBLOCKS);
  sink.uvarint(count);
  sink.uvarint(2 * first); // zigzag of a non-negative value
  writeBlocks(sink, deltas, count > 0 ? count - 1 : 0, Infinity);
}

/**
 * Appends the blocks of `deltas[0, deltaCount)` (each |delta| < 2^52); stops
 * early once the sink reaches `stopAt` bytes (the caller then discards them).
 */
function writeBlocks(sink: ByteSink, deltas: Float64Array, deltaCount: number, stopAt: number): void {
  const widths = new Uint8Array(MINIBLOCKS);
  const miniblockMax = new Float64Array(MINIBLOCKS);
  for (let blockStart = 0; blockStart < deltaCount; blockStart += BLOCK_VALUES) {
    const blockEnd = Math.min(deltaCount, blockStart + BLOCK_VALUES);
    // One pass for the block's minimum and each miniblock's maximum; width = bits of (max - min).
    let minDelta = deltas[blockStart];
    for (let m = 0; m < MINIBLOCKS; m++) {
      const from = blockStart + m * MINIBLOCK_VALUES;
      const to = Math.min(blockEnd, from + MINIBLOCK_VALUES);
      let max = from < to ? deltas[from] : 0;
      for (let i = from; i < to; i++) {
        const delta = deltas[i];
        if (delta > max) max = delta;
        else if (delta < minDelta) minDelta = delta;
      }
      miniblockMax[m] = max;
    }
    sink.uvarint(minDelta >= 0 ? 2 * minDelta : -2 * minDelta - 1);
    for (let m = 0; m < MINIBLOCKS; m++) {
      widths[m] = blockStart + m * MINIBLOCK_VALUES < blockEnd ? bitWidthOf(miniblockMax[m] - minDelta) : 0;
    }
    for (let m = 0; m < MINIBLOCKS; m++) sink.u8(widths[m]);
    for (let m = 0; m < MINIBLOCKS; m++) {
      const from = blockStart + m * MINIBLOCK_VALUES;
      if (from >= blockEnd) break; // unneeded miniblocks of the last block have no body
      packMiniblock(sink, deltas, from, Math.min(blockEnd, from + MINIBLOCK_VALUES), minDelta, widths[m]);
    }
    if (sink.length >= stopAt) break; // already no smaller than PLAIN
  }
}

/** Bits needed for a non-negative integer below 2^53. */
function bitWidthOf(value: number): number {
  if (value < TWO32) return 32 - Math.clz32(value);
  return 64 - Math.clz32(Math.floor(value / TWO32));
}

/**
 * Bit-packs (deltas[i] - minDelta) for i in [from, to), zero-padded to a full
 * miniblock of 32 values, least significant bit first, `width` bits each.
 * 32 values of `width` bits are exactly `width` 32-bit words, written little-endian.
 */
function packMiniblock(sink: ByteSink, deltas: Float64Array, from: number, to: number, minDelta: number, width: number): void {
  if (width === 0) return;
  if (width <= 32) {
    packNarrow(sink, deltas, from, to, minDelta, width);
    return;
  }
  // Wider than 32 bits: each offset is its low word (32 bits, always completing the pending
  // word, so `filled` is unchanged by it) followed by its high part (width - 32 bits).
  const out = sink.reserve(4 * width);
  let position = sink.length;
  let word = 0; // pending bits, the low `filled` of them valid
  let filled = 0;
  const highWidth = width - 32;
  for (let i = from; i < from + MINIBLOCK_VALUES; i++) {
    const offset = i < to ? deltas[i] - minDelta : 0;
    const low = offset >>> 0;
    const high = (offset - low) / TWO32;
    word = (word | (low << filled)) >>> 0;
    out[position] = word & 0xff;
    out[position + 1] = (word >>> 8) & 0xff;
    out[position + 2] = (word >>> 16) & 0xff;
    out[position + 3] = word >>> 24;
    position += 4;
    word = filled === 0 ? 0 : low >>> (32 - filled);
    word = (word | (high << filled)) >>> 0;
    filled += highWidth;
    if (filled >= 32) {
      out[position] = word & 0xff;
      out[position + 1] = (word >>> 8) & 0xff;
      out[position + 2] = (word >>> 16) & 0xff;
      out[position + 3] = word >>> 24;
      position += 4;
      filled -= 32;
      word = filled === 0 ? 0 : high >>> (highWidth - filled);
    }
  }
  sink.length = position;
}

/** `packMiniblock` for widths up to 32: every offset fits one unsigned 32-bit word. */
function packNarrow(sink: ByteSink, deltas: Float64Array, from: number, to: number, minDelta: number, width: number): void {
  const out = sink.reserve(4 * width);
  let position = sink.length;
  let word = 0;
  let filled = 0;
  const end = from + MINIBLOCK_VALUES;
  for (let i = from; i < end; i++) {
    const value = i < to ? (deltas[i] - minDelta) >>> 0 : 0;
    word = (word | (value << filled)) >>> 0;
    filled += width;
    if (filled >= 32) {
      out[position] = word & 0xff;
      out[position + 1] = (word >>> 8) & 0xff;
      out[position + 2] = (word >>> 16) & 0xff;
      out[position + 3] = word >>> 24;
      position += 4;
      filled -= 32;
      word = filled === 0 ? 0 : value >>> (width - filled);
    }
  }
  sink.length = position;
}

/** Zigzag ULEB128 of a signed 64-bit value (once per page: BigInt is fine here). */
function writeZigZagBig(sink: ByteSink, value: bigint): void {
  let z = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
  while (z >= 0x80n) {
    sink.u8(Number(z & 0x7fn) | 0x80);
    z >>= 7n;
  }
  sink.u8(Number(z));
}
