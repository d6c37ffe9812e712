/**
 * PLAIN value encoding for one page (a row range of one column). Pure: no I/O.
 *
 * Only present values are written: rows whose `valid` byte is not 1 are
 * skipped (their absence is carried by the definition levels). Fixed-width
 * values are copied as little-endian bytes in runs of present rows, so a
 * column without nulls is a single memcpy.
 */
import type { BoolColumn, ListInt32Column, Utf8Column } from '../../formats/columns.js';
import type { ByteSink } from './bytes.js';

type FixedWidthArray = Int32Array | BigInt64Array | Float64Array;

/** The bytes of a typed array (a view, no copy). */
export function bytesOf(values: FixedWidthArray): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/**
 * Appends present values of rows [start, end) of a fixed-width column.
 * `valueBytes` is the whole column as bytes, `width` the bytes per value.
 */
export function writeFixedWidth(
  sink: ByteSink, valueBytes: Uint8Array, width: number,
  valid: Uint8Array | undefined, start: number, end: number,
): void {
  if (valid === undefined) {
    sink.bytes(valueBytes.subarray(start * width, end * width));
    return;
  }
  writePresentRuns(valid, start, end, (runStart, runEnd) => {
    sink.bytes(valueBytes.subarray(runStart * width, runEnd * width));
  });
}

/** Appends present values of rows [start, end) of a list column: its elements, concatenated. */
export function writeListValues(sink: ByteSink, column: ListInt32Column, valueBytes: Uint8Array, start: number, end: number): void {
  const { offsets, valid } = column;
  if (valid === undefined) {
    sink.bytes(valueBytes.subarray(offsets[start] * 4, offsets[end] * 4));
    return;
  }
  writePresentRuns(valid, start, end, (runStart, runEnd) => {
    sink.bytes(valueBytes.subarray(offsets[runStart] * 4, offsets[runEnd] * 4));
  });
}

/** Appends present strings of rows [start, end): each a 4-byte little-endian length, then its bytes. */
export function writeUtf8(sink: ByteSink, column: Utf8Column, start: number, end: number): void {
  const { offsets, bytes, valid } = column;
  const bound = offsets[end] - offsets[start] + 4 * (end - start);
  const out = sink.reserve(bound);
  let position = sink.length;
  for (let row = start; row < end; row++) {
    if (valid !== undefined && valid[row] !== 1) continue;
    const from = offsets[row];
    const to = offsets[row + 1];
    const length = to - from;
    out[position] = length & 0xff;
    out[position + 1] = (length >>> 8) & 0xff;
    out[position + 2] = (length >>> 16) & 0xff;
    out[position + 3] = length >>> 24;
    position += 4;
    if (length < 32) {
      // Short strings (tickers, ids): a byte loop beats creating a subarray.
      for (let k = from; k < to; k++) out[position++] = bytes[k];
    } else {
      out.set(bytes.subarray(from, to), position);
      position += length;
    }
  }
  sink.length = position;
}

/**
 * Appends the bytes of the present strings of rows [start, end), back to
 * back (the second half of a DELTA_LENGTH_BYTE_ARRAY page, after the
 * lengths): one copy per run of present rows.
 */
export function writeUtf8Bytes(sink: ByteSink, column: Utf8Column, start: number, end: number): void {
  const { offsets, bytes, valid } = column;
  if (valid === undefined) {
    sink.bytes(bytes.subarray(offsets[start], offsets[end]));
    return;
  }
  writePresentRuns(valid, start, end, (runStart, runEnd) => {
    sink.bytes(bytes.subarray(offsets[runStart], offsets[runEnd]));
  });
}

/** Appends present booleans of rows [start, end), bit-packed least significant bit first. */
export function writeBool(sink: ByteSink, column: BoolColumn, start: number, end: number): void {
  const { values, valid } = column;
  const out = sink.reserve(Math.ceil((end - start) / 8));
  let position = sink.length;
  let accumulator = 0;
  let bits = 0;
  for (let row = start; row < end; row++) {
    if (valid !== undefined && valid[row] !== 1) continue;
    if (values[row] !== 0) accumulator |= 1 << bits;
    if (++bits === 8) {
      out[position++] = accumulator;
      accumulator = 0;
      bits = 0;
    }
  }
  if (bits > 0) out[position++] = accumulator;
  sink.length = position;
}

/** Calls `emit` for each maximal run [runStart, runEnd) of present rows within [start, end). */
function writePresentRuns(valid: Uint8Array, start: number, end: number, emit: (runStart: number, runEnd: number) => void): void {
  let row = start;
  while (row < end) {
    while (row < end && valid[row] !== 1) row++;
    const runStart = row;
    while (row < end && valid[row] === 1) row++;
    if (row > runStart) emit(runStart, row);
  }
}
