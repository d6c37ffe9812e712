/**
 * Column-chunk statistics: null count and PLAIN-encoded min/max bounds
 * (`min_value`/`max_value`, ordered as parquet's TYPE_DEFINED_ORDER:
 * signed for integers, IEEE order without NaN for doubles, unsigned bytewise
 * for strings). Pure: no I/O.
 *
 * Bounds are omitted when undefined (no present values, only NaN) and for
 * strings longer than `MAX_STRING_BOUND_BYTES` (a footer is not a data store).
 */
import type { BoolColumn, Float64Column, Int32Column, Int64Column, Utf8Column } from '../../formats/columns.js';

export interface Bounds {
  readonly min: Uint8Array;
  readonly max: Uint8Array;
}

export const MAX_STRING_BOUND_BYTES = 256;

/** Rows in [start, end) whose valid byte is not 1. */
export function countNulls(valid: Uint8Array | undefined, start: number, end: number): number {
  if (valid === undefined) return 0;
  let nulls = 0;
  for (let row = start; row < end; row++) if (valid[row] !== 1) nulls++;
  return nulls;
}

export function int32Bounds(column: Int32Column, start: number, end: number): Bounds | undefined {
  const { values, valid } = column;
  let min = 0x7fffffff;
  let max = -0x80000000;
  let seen = false;
  for (let row = start; row < end; row++) {
    if (valid !== undefined && valid[row] !== 1) continue;
    const v = values[row];
    if (v < min) min = v;
    if (v > max) max = v;
    seen = true;
  }
  if (!seen) return undefined;
  return { min: int32Bytes(min), max: int32Bytes(max) };
}

/** Compares int64 values through 32-bit word views (signed high word, unsigned low word): no BigInt per row. */
export function int64Bounds(column: Int64Column, start: number, end: number): Bounds | undefined {
  const { values, valid } = column;
  const high = new Int32Array(values.buffer, values.byteOffset, values.length * 2);
  const low = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
  let minRow = -1;
  let maxRow = -1;
  let minHigh = 0, minLow = 0, maxHigh = 0, maxLow = 0;
  for (let row = start; row < end; row++) {
    if (valid !== undefined && valid[row] !== 1) continue;
    const h = high[2 * row + 1];
    const l = low[2 * row];
    if (minRow < 0 || h < minHigh || (h === minHigh && l < minLow)) { minRow = row; minHigh = h; minLow = l; }
    if (maxRow < 0 || h > maxHigh || (h === maxHigh && l > maxLow)) { maxRow = row; maxHigh = h; maxLow = l; }
  }
  if (minRow < 0) return undefined;
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  return { min: bytes.slice(minRow * 8, minRow * 8 + 8), max: bytes.slice(maxRow * 8, maxRow * 8 + 8) };
}

/** Bounds from the rows already known to hold the smallest and largest value (-1: no present value). */
export function int64BoundsOfRows(column: Int64Column, minRow: number, maxRow: number): Bounds | undefined {
  if (minRow < 0 || maxRow < 0) return undefined;
  const { values } = column;
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  return { min: bytes.slice(minRow * 8, minRow * 8 + 8), max: bytes.slice(maxRow * 8, maxRow * 8 + 8) };
}

/** NaN is ignored; a zero minimum is written as -0 and a zero maximum as +0, as the spec asks. */
export function float64Bounds(column: Float64Column, start: number, end: number): Bounds | undefined {
  const { values, valid } = column;
  let min = Infinity;
  let max = -Infinity;
  let seen = false;
  for (let row = start; row < end; row++) {
    if (valid !== undefined && valid[row] !== 1) continue;
    const v = values[row];
    if (v !== v) continue; // NaN
    if (v < min) min = v;
    if (v > max) max = v;
    seen = true;
  }
  if (!seen) return undefined;
  return { min: float64Bytes(min === 0 ? -0 : min), max: float64Bytes(max === 0 ? 0 : max) };
}

export function boolBounds(column: BoolColumn, start: number, end: number): Bounds | undefined {
  const { values, valid } = column;
  let anyTrue = false;
  let anyFalse = false;
  for (let row = start; row < end; row++) {
    if (valid !== undefined && valid[row] !== 1) continue;
    if (values[row] !== 0) anyTrue = true; else anyFalse = true;
  }
  if (!anyTrue && !anyFalse) return undefined;
  return { min: Uint8Array.of(anyFalse ? 0 : 1), max: Uint8Array.of(anyTrue ? 1 : 0) };
}

export function utf8Bounds(column: Utf8Column, start: number, end: number): Bounds | undefined {
  const { offsets, bytes, valid } = column;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let minRow = -1;
  let maxRow = -1;
  for (let row = start; row < end; row++) {
    if (valid !== undefined && valid[row] !== 1) continue;
    if (minRow < 0) { minRow = row; maxRow = row; continue; }
    // Max first: in sorted columns (tickers) every row is >= the max, so one comparison per row.
    const vsMax = compareStrings(view, offsets, row, maxRow);
    if (vsMax > 0) maxRow = row;
    else if (vsMax < 0 && compareStrings(view, offsets, row, minRow) < 0) minRow = row;
  }
  if (minRow < 0) return undefined;
  const min = bytes.slice(offsets[minRow], offsets[minRow + 1]);
  const max = bytes.slice(offsets[maxRow], offsets[maxRow + 1]);
  if (min.length > MAX_STRING_BOUND_BYTES || max.length > MAX_STRING_BOUND_BYTES) return undefined;
  return { min, max };
}

/**
 * Unsigned bytewise comparison of strings a and b of one column, four bytes
 * at a time (big-endian words order like bytes). Returns <0, 0 or >0.
 */
function compareStrings(view: DataView, offsets: Int32Array, a: number, b: number): number {
  let i = offsets[a];
  let j = offsets[b];
  const aLength = offsets[a + 1] - i;
  const bLength = offsets[b + 1] - j;
  const common = aLength < bLength ? aLength : bLength;
  const wordsEnd = i + (common & ~3);
  for (; i < wordsEnd; i += 4, j += 4) {
    const x = view.getUint32(i);
    const y = view.getUint32(j);
    if (x !== y) return x < y ? -1 : 1;
  }
  const aEnd = offsets[a] + common;
  for (; i < aEnd; i++, j++) {
    const d = view.getUint8(i) - view.getUint8(j);
    if (d !== 0) return d;
  }
  return aLength - bLength;
}

function int32Bytes(v: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setInt32(0, v, true);
  return out;
}

function float64Bytes(v: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setFloat64(0, v, true);
  return out;
}
