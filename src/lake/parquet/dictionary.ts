/**
 * Dictionary encoding of one column chunk (utf8, int32/date32 or float64 values):
 * the chunk's distinct present values in first-seen order, and for every
 * present value its index in that list. The writer stores the entries once
 * in a dictionary page (PLAIN) and the indices as RLE/bit-packed runs
 * (RLE_DICTIONARY data pages), which for low-cardinality columns (tickers,
 * exchange and tape codes, cent-grid prices and round-lot sizes of a row group)
 * is far fewer bytes than PLAIN for zstd to chew on. Doubles are compared by
 * their bits (-0 and 0 are distinct entries, NaN payloads are kept).
 * Pure: no I/O.
 *
 * A chunk with more than `MAX_DICTIONARY_ENTRIES` distinct values, or whose
 * distinct utf8 values exceed `MAX_DICTIONARY_BYTES`, gets no dictionary
 * (`build*` returns undefined as soon as a limit is crossed) and is written
 * PLAIN.
 *
 * Lookups go through an open-addressing hash table of entry numbers; a value
 * equal to the previous row's (sorted columns: long runs) skips the lookup.
 * Like RowGroupEncoder, an encoder keeps its tables between chunks and is not
 * re-entrant: a returned Dictionary is valid until the next `build*` call.
 */
import type { Float64Column, Int32Column, Utf8Column } from '../../formats/columns.js';

/** Entry limit: indices need at most 14 bits. */
export const MAX_DICTIONARY_ENTRIES = 1 << 14;
/** Limit on the distinct utf8 bytes of one chunk (the dictionary page's size, roughly). */
export const MAX_DICTIONARY_BYTES = 1 << 20;

/** Table slots: a power of two, at least twice the entry limit (load factor ≤ 0.5). */
const SLOTS = MAX_DICTIONARY_ENTRIES * 2;
const SLOT_MASK = SLOTS - 1;
/** int32 values in [0, SMALL_VALUES) (exchange, tape, condition codes) skip the hash table: a direct slot each. */
const SMALL_VALUES = 1 << 12;

export interface Dictionary {
  /** The distinct values, first-seen order, as a column without nulls (entry k = row k). */
  readonly entries: Utf8Column | Int32Column | Float64Column;
  readonly entryCount: number;
  /** `indices[i]` is the entry of the chunk's i-th present value (row order); length ≥ presentCount. */
  readonly indices: Int32Array;
  readonly presentCount: number;
  /** Bits per index in data pages: at least 1 (some readers reject 0). */
  readonly bitWidth: number;
}

export class DictionaryEncoder {
  /** slot → entry number + 1 (0 = empty). */
  private readonly slots = new Int32Array(SLOTS);
  /** small int32 value → entry number + 1 (0 = not seen). */
  private readonly smallSlots = new Int32Array(SMALL_VALUES);
  private indices = new Int32Array(1 << 16);
  private readonly entryValues = new Int32Array(MAX_DICTIONARY_ENTRIES);
  private readonly entryOffsets = new Int32Array(MAX_DICTIONARY_ENTRIES + 1);
  /** float64 entries as (low, high) 32-bit word pairs; `entryDoubles` views the same bytes. */
  private readonly entryWords = new Uint32Array(2 * MAX_DICTIONARY_ENTRIES);
  private readonly entryDoubles = new Float64Array(this.entryWords.buffer);
  private entryBytes = new Uint8Array(1 << 12);

  /** Dictionary of the present strings of rows [start, end), or undefined past a limit. */
  buildUtf8(column: Utf8Column, start: number, end: number): Dictionary | undefined {
    const { offsets, bytes, valid } = column;
    const indices = this.indicesFor(end - start);
    const slots = this.slots;
    const entryOffsets = this.entryOffsets;
    slots.fill(0);
    let entryCount = 0;
    let entryBytesUsed = 0;
    let present = 0;
    let previousFrom = -1;
    let previousLength = -1;
    let previousEntry = -1;
    for (let row = start; row < end; row++) {
      if (valid !== undefined && valid[row] !== 1) continue;
      const from = offsets[row];
      const length = offsets[row + 1] - from;
      if (length === previousLength && bytesEqual(bytes, from, bytes, previousFrom, length)) {
        indices[present++] = previousEntry;
        continue;
      }
      let slot = hashBytes(bytes, from, length) & SLOT_MASK;
      let entry = -1;
      for (;;) {
        const stored = slots[slot];
        if (stored === 0) break;
        const candidate = stored - 1;
        const candidateFrom = entryOffsets[candidate];
        if (entryOffsets[candidate + 1] - candidateFrom === length && bytesEqual(this.entryBytes, candidateFrom, bytes, from, length)) {
          entry = candidate;
          break;
        }
        slot = (slot + 1) & SLOT_MASK;
      }
      if (entry < 0) {
        if (entryCount === MAX_DICTIONARY_ENTRIES || entryBytesUsed + length > MAX_DICTIONARY_BYTES) return undefined;
        entry = entryCount++;
        slots[slot] = entry + 1;
        this.ensureEntryBytes(entryBytesUsed + length);
        this.entryBytes.set(bytes.subarray(from, from + length), entryBytesUsed);
        entryBytesUsed += length;
        entryOffsets[entryCount] = entryBytesUsed;
      }
      indices[present++] = entry;
      previousFrom = from;
      previousLength = length;
      previousEntry = entry;
    }
    const entries: Utf8Column = {
      type: 'utf8',
      offsets: entryOffsets.subarray(0, entryCount + 1),
      bytes: this.entryBytes.subarray(0, entryBytesUsed),
    };
    return { entries, entryCount, indices, presentCount: present, bitWidth: indexBitWidth(entryCount) };
  }

  /** Dictionary of the present values of rows [start, end) of an int32 or date32 column, or undefined past the limit. */
  buildInt32(column: Int32Column, start: number, end: number): Dictionary | undefined {
    const { values, valid } = column;
    const indices = this.indicesFor(end - start);
    const slots = this.slots;
    const smallSlots = this.smallSlots;
    const entryValues = this.entryValues;
    slots.fill(0);
    smallSlots.fill(0);
    let entryCount = 0;
    let present = 0;
    let previousValue = 0;
    let previousEntry = -1;
    for (let row = start; row < end; row++) {
      if (valid !== undefined && valid[row] !== 1) continue;
      const value = values[row];
      if (value === previousValue && previousEntry >= 0) {
        indices[present++] = previousEntry;
        continue;
      }
      let entry = -1;
      if (value >= 0 && value < SMALL_VALUES) {
        entry = smallSlots[value] - 1;
        if (entry < 0) {
          if (entryCount === MAX_DICTIONARY_ENTRIES) return undefined;
          entry = entryCount++;
          smallSlots[value] = entry + 1;
          entryValues[entry] = value;
        }
        indices[present++] = entry;
        previousValue = value;
        previousEntry = entry;
        continue;
      }
      let slot = (Math.imul(value, 0x9e3779b1) >>> 17) & SLOT_MASK;
      for (;;) {
        const stored = slots[slot];
        if (stored === 0) break;
        if (entryValues[stored - 1] === value) {
          entry = stored - 1;
          break;
        }
        slot = (slot + 1) & SLOT_MASK;
      }
      if (entry < 0) {
        if (entryCount === MAX_DICTIONARY_ENTRIES) return undefined;
        entry = entryCount++;
        slots[slot] = entry + 1;
        entryValues[entry] = value;
      }
      indices[present++] = entry;
      previousValue = value;
      previousEntry = entry;
    }
    const entries: Int32Column = { type: column.type, values: entryValues.subarray(0, entryCount) };
    return { entries, entryCount, indices, presentCount: present, bitWidth: indexBitWidth(entryCount) };
  }

  /** Dictionary of the present values of rows [start, end) of a float64 column (bitwise distinct), or undefined past the limit. */
  buildFloat64(column: Float64Column, start: number, end: number): Dictionary | undefined {
    const { values, valid } = column;
    const words = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
    const indices = this.indicesFor(end - start);
    const slots = this.slots;
    const entryWords = this.entryWords;
    slots.fill(0);
    let entryCount = 0;
    let present = 0;
    let previousLow = 0;
    let previousHigh = 0;
    let previousEntry = -1;
    for (let row = start; row < end; row++) {
      if (valid !== undefined && valid[row] !== 1) continue;
      const low = words[2 * row];
      const high = words[2 * row + 1];
      if (low === previousLow && high === previousHigh && previousEntry >= 0) {
        indices[present++] = previousEntry;
        continue;
      }
      let slot = (Math.imul(low ^ Math.imul(high, 0x85ebca6b), 0x9e3779b1) >>> 17) & SLOT_MASK;
      let entry = -1;
      for (;;) {
        const stored = slots[slot];
        if (stored === 0) break;
        const candidate = 2 * (stored - 1);
        if (entryWords[candidate] === low && entryWords[candidate + 1] === high) {
          entry = stored - 1;
          break;
        }
        slot = (slot + 1) & SLOT_MASK;
      }
      if (entry < 0) {
        if (entryCount === MAX_DICTIONARY_ENTRIES) return undefined;
        entry = entryCount++;
        slots[slot] = entry + 1;
        entryWords[2 * entry] = low;
        entryWords[2 * entry + 1] = high;
      }
      indices[present++] = entry;
      previousLow = low;
      previousHigh = high;
      previousEntry = entry;
    }
    const entries: Float64Column = { type: 'float64', values: this.entryDoubles.subarray(0, entryCount) };
    return { entries, entryCount, indices, presentCount: present, bitWidth: indexBitWidth(entryCount) };
  }

  private indicesFor(rows: number): Int32Array {
    if (this.indices.length < rows) this.indices = new Int32Array(rows);
    return this.indices;
  }

  private ensureEntryBytes(needed: number): void {
    if (needed <= this.entryBytes.length) return;
    let capacity = this.entryBytes.length * 2;
    while (capacity < needed) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.entryBytes);
    this.entryBytes = grown;
  }
}

/** Bits needed for indices 0 .. entryCount-1, at least 1. */
export function indexBitWidth(entryCount: number): number {
  return entryCount <= 2 ? 1 : 32 - Math.clz32(entryCount - 1);
}

function bytesEqual(a: Uint8Array, aFrom: number, b: Uint8Array, bFrom: number, length: number): boolean {
  for (let k = 0; k < length; k++) if (a[aFrom + k] !== b[bFrom + k]) return false;
  return true;
}

/** FNV-1a over the bytes, finished with a multiplicative mix (the table uses the low bits). */
function hashBytes(bytes: Uint8Array, from: number, length: number): number {
  let h = 0x811c9dc5;
  for (let k = 0; k < length; k++) h = Math.imul(h ^ bytes[from + k], 0x01000193);
  return Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 7;
}
