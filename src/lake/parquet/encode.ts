/**
 * Encodes one row group (a row range of a ColumnBatch) into Parquet column
 * chunks: data pages v1 with RLE/bit-packed levels and PLAIN values, split at
 * about `pageBytes` uncompressed, each compressed on its own, plus the
 * chunk's statistics and metadata. Pure computation: no I/O (the compressor
 * is a native binding, not a stream).
 *
 * utf8, int32, date32 and float64 chunks are dictionary-encoded when their distinct
 * values fit the limits of dictionary.ts: a PLAIN dictionary page first, then
 * data pages whose values are RLE_DICTIONARY indices (the same page split as
 * PLAIN). A column whose dictionary overflows once is written PLAIN for the
 * rest of the file (unique ids would otherwise pay for a failed dictionary in
 * every row group). Statistics of a dictionary chunk come from its entries.
 * int64 pages are DELTA_BINARY_PACKED unless delta.ts finds PLAIN better for
 * that page (huge jumps, random values); utf8 pages without a dictionary are
 * DELTA_LENGTH_BYTE_ARRAY.
 *
 * An encoder keeps scratch buffers between row groups, so it is meant to be
 * long-lived (one per open file) and is not re-entrant.
 */
import type { Column, ColumnBatch, ListInt32Column } from '../../formats/columns.js';
import { ByteSink } from './bytes.js';
import type { PageCompressor } from './codec.js';
import { DeltaScratch, writeDeltaInt64, writeDeltaLengths } from './delta.js';
import { DictionaryEncoder, type Dictionary } from './dictionary.js';
import { Encoding, encodeDataPageHeader, encodeDictionaryPageHeader, type ColumnMetaData, type EncodingId, type RowGroup, type Statistics } from './format.js';
import { bytesOf, writeBool, writeFixedWidth, writeListValues, writeUtf8, writeUtf8Bytes } from './plain.js';
import { writeConstantLevelsV1, writeHybrid, writeLevelsV1 } from './rle.js';
import { levelBitWidth, type LeafColumn, type ParquetSchema } from './schema.js';
import { boolBounds, countNulls, float64Bounds, int32Bounds, int64Bounds, int64BoundsOfRows, utf8Bounds, type Bounds } from './statistics.js';

/** Default target for a page's uncompressed size, bytes. */
export const DEFAULT_PAGE_BYTES = 1 << 20;

export interface EncodedRowGroup {
  /** Bytes to write, in order, starting at the `fileOffset` given to `encode`; valid until the next `encode`. */
  readonly parts: readonly Uint8Array[];
  readonly byteLength: number;
  readonly metadata: RowGroup;
}

interface EncodedChunk {
  readonly parts: Uint8Array[];
  readonly metadata: ColumnMetaData;
}

interface PageBody {
  /** Level entries in the page (rows for flat columns). */
  readonly numValues: number;
  /** Level entries without a value. */
  readonly nulls: number;
  /** How the values are encoded. */
  readonly valueEncoding: EncodingId;
  /** Delta-encoded int64 pages: rows of the smallest and largest present value (-1 if none). */
  readonly minRow?: number;
  readonly maxRow?: number;
}

export class RowGroupEncoder {
  private readonly body = new ByteSink(DEFAULT_PAGE_BYTES + (DEFAULT_PAGE_BYTES >> 2));
  private repetitionLevels = new Uint8Array(0);
  private definitionLevels = new Uint8Array(0);
  private readonly dictionaries = new DictionaryEncoder();
  private readonly deltaScratch = new DeltaScratch();
  /** Per leaf: its dictionary overflowed in an earlier row group, so it stays PLAIN. */
  private readonly plainOnly: boolean[];

  constructor(
    private readonly schema: ParquetSchema,
    private readonly compressor: PageCompressor,
    private readonly pageBytes: number = DEFAULT_PAGE_BYTES,
  ) {
    this.plainOnly = schema.leaves.map(() => false);
  }

  /**
   * Encodes rows [rowStart, rowEnd) of `batch` (columns in schema order, already
   * validated) as row group number `ordinal`, to be written at `fileOffset`.
   */
  encode(batch: ColumnBatch, rowStart: number, rowEnd: number, fileOffset: number, ordinal: number): EncodedRowGroup {
    this.compressor.startRowGroup(); // the previous row group's pages have been written
    const parts: Uint8Array[] = [];
    const columns: ColumnMetaData[] = [];
    let offset = fileOffset;
    let totalByteSize = 0;
    for (let c = 0; c < this.schema.leaves.length; c++) {
      const chunk = this.encodeChunk(c, batch.columns[c], rowStart, rowEnd, offset);
      for (const part of chunk.parts) parts.push(part);
      columns.push(chunk.metadata);
      offset += chunk.metadata.totalCompressedSize;
      totalByteSize += chunk.metadata.totalUncompressedSize;
    }
    const byteLength = offset - fileOffset;
    return {
      parts,
      byteLength,
      metadata: { columns, totalByteSize, numRows: rowEnd - rowStart, fileOffset, totalCompressedSize: byteLength, ordinal },
    };
  }

  private encodeChunk(leafIndex: number, column: Column, start: number, end: number, fileOffset: number): EncodedChunk {
    const leaf = this.schema.leaves[leafIndex];
    const parts: Uint8Array[] = [];
    let uncompressedSize = 0;
    let compressedSize = 0;
    let numValues = 0;
    let nullCount = 0;

    const dictionary = this.dictionaryOf(leafIndex, column, start, end);
    if (dictionary !== undefined) {
      this.body.reset();
      writeEntries(this.body, dictionary);
      const uncompressed = this.body.view();
      const compressed = this.compressor.compress(uncompressed);
      const header = encodeDictionaryPageHeader({
        uncompressedPageSize: uncompressed.length,
        compressedPageSize: compressed.length,
        numValues: dictionary.entryCount,
      });
      parts.push(header, compressed);
      uncompressedSize += header.length + uncompressed.length;
      compressedSize += header.length + compressed.length;
    }
    const dataPageOffset = fileOffset + compressedSize;
    const valueEncodings = new Set<EncodingId>(dictionary === undefined ? [] : [Encoding.PLAIN]); // the dictionary page is PLAIN

    // int64 bounds gathered by the delta pages; any PLAIN page means a separate pass (rangeKnown false).
    let rangeKnown = column.type === 'int64';
    let minRow = -1;
    let maxRow = -1;
    let pageStart = start;
    let presentBefore = 0; // present values in earlier pages: the first index of this page
    do {
      const pageEnd = this.pageEnd(column, pageStart, end);
      this.body.reset();
      const page = dictionary === undefined
        ? this.writePageBody(leaf, column, pageStart, pageEnd)
        : this.writeIndexPageBody(leaf, column, pageStart, pageEnd, dictionary, presentBefore);
      const uncompressed = this.body.view();
      const compressed = this.compressor.compress(uncompressed);
      const header = encodeDataPageHeader({
        uncompressedPageSize: uncompressed.length,
        compressedPageSize: compressed.length,
        numValues: page.numValues,
        valueEncoding: page.valueEncoding,
      });
      valueEncodings.add(page.valueEncoding);
      if (rangeKnown && column.type === 'int64') {
        if (page.minRow === undefined || page.maxRow === undefined) {
          rangeKnown = false;
        } else if (page.minRow >= 0) {
          const values = column.values;
          if (minRow < 0 || values[page.minRow] < values[minRow]) minRow = page.minRow;
          if (maxRow < 0 || values[page.maxRow] > values[maxRow]) maxRow = page.maxRow;
        }
      }
      parts.push(header, compressed);
      uncompressedSize += header.length + uncompressed.length;
      compressedSize += header.length + compressed.length;
      numValues += page.numValues;
      nullCount += page.nulls;
      presentBefore += page.numValues - page.nulls;
      pageStart = pageEnd;
    } while (pageStart < end);

    const hasLevels = leaf.maxDefinitionLevel > 0 || leaf.maxRepetitionLevel > 0;
    if (hasLevels) valueEncodings.add(Encoding.RLE);
    const encodings = [...valueEncodings].sort((a, b) => a - b);
    return {
      parts,
      metadata: {
        type: leaf.physicalType,
        encodings,
        pathInSchema: leaf.pathInSchema,
        codec: this.compressor.codec,
        numValues,
        totalUncompressedSize: uncompressedSize,
        totalCompressedSize: compressedSize,
        dataPageOffset,
        ...(dictionary === undefined ? {} : { dictionaryPageOffset: fileOffset }),
        statistics: dictionary !== undefined
          ? statistics(dictionary.entries, 0, dictionary.entryCount, nullCount)
          : rangeKnown && column.type === 'int64'
            ? withBounds(nullCount, int64BoundsOfRows(column, minRow, maxRow))
            : statistics(column, start, end, nullCount),
      },
    };
  }

  /** The chunk's dictionary, or undefined for PLAIN (other types, overflow now or in an earlier row group). */
  private dictionaryOf(leafIndex: number, column: Column, start: number, end: number): Dictionary | undefined {
    if (this.plainOnly[leafIndex]) return undefined;
    let dictionary: Dictionary | undefined;
    switch (column.type) {
      case 'utf8': dictionary = this.dictionaries.buildUtf8(column, start, end); break;
      case 'int32': case 'date32': dictionary = this.dictionaries.buildInt32(column, start, end); break;
      case 'float64': dictionary = this.dictionaries.buildFloat64(column, start, end); break;
      default: return undefined;
    }
    if (dictionary === undefined) this.plainOnly[leafIndex] = true;
    // An all-null chunk: nothing to look up, and no empty dictionary page for readers to trip on.
    return dictionary !== undefined && dictionary.entryCount > 0 ? dictionary : undefined;
  }

  /** End (exclusive) of the page starting at `start`: at least one row, about `pageBytes` of values. */
  private pageEnd(column: Column, start: number, end: number): number {
    const budget = this.pageBytes;
    switch (column.type) {
      case 'int32': case 'date32': return Math.min(end, start + Math.max(1, Math.floor(budget / 4)));
      case 'int64': case 'float64': return Math.min(end, start + Math.max(1, Math.floor(budget / 8)));
      case 'bool': return Math.min(end, start + budget * 8);
      case 'utf8': {
        const { offsets } = column;
        return lastRowWithin(start, end, (row) => offsets[row] - offsets[start] + 4 * (row - start) <= budget);
      }
      case 'list_int32': {
        const { offsets } = column;
        return lastRowWithin(start, end, (row) => 4 * (offsets[row] - offsets[start]) + 2 * (row - start) <= budget);
      }
    }
  }

  /**
   * Writes the definition levels of rows [start, end) of a flat column into
   * `this.body` (nothing for a required column); returns the null count.
   */
  private writeDefinitionLevels(leaf: LeafColumn, valid: Uint8Array | undefined, start: number, end: number): number {
    if (leaf.maxDefinitionLevel === 0) return 0;
    const rows = end - start;
    const nulls = countNulls(valid, start, end);
    if (nulls === 0 || valid === undefined) {
      writeConstantLevelsV1(this.body, 1, rows);
    } else {
      // valid bytes are exactly 0/1 (checked on append), i.e. already definition levels.
      writeLevelsV1(this.body, valid.subarray(start, end), rows, 1);
    }
    return nulls;
  }

  /** Writes levels and dictionary indices of rows [start, end); `firstIndex` is the page's first entry in `dictionary.indices`. */
  private writeIndexPageBody(leaf: LeafColumn, column: Column, start: number, end: number, dictionary: Dictionary, firstIndex: number): PageBody {
    const nulls = this.writeDefinitionLevels(leaf, column.valid, start, end);
    const present = end - start - nulls;
    this.body.u8(dictionary.bitWidth);
    writeHybrid(this.body, dictionary.indices.subarray(firstIndex, firstIndex + present), present, dictionary.bitWidth);
    return { numValues: end - start, nulls, valueEncoding: Encoding.RLE_DICTIONARY };
  }

  /** Writes levels and values of rows [start, end) into `this.body`. */
  private writePageBody(leaf: LeafColumn, column: Column, start: number, end: number): PageBody {
    if (column.type === 'list_int32') return this.writeListPage(leaf, column, start, end);
    const rows = end - start;
    const nulls = this.writeDefinitionLevels(leaf, column.valid, start, end);
    // Every row present (or a required column): values are one contiguous copy.
    const valid = nulls === 0 ? undefined : column.valid;
    switch (column.type) {
      case 'int32': case 'date32': writeFixedWidth(this.body, bytesOf(column.values), 4, valid, start, end); break;
      case 'int64':
        if (writeDeltaInt64(this.body, column.values, valid, start, end, this.deltaScratch)) {
          const { minRow, maxRow } = this.deltaScratch;
          return { numValues: rows, nulls, valueEncoding: Encoding.DELTA_BINARY_PACKED, minRow, maxRow };
        }
        writeFixedWidth(this.body, bytesOf(column.values), 8, valid, start, end);
        break;
      case 'float64': writeFixedWidth(this.body, bytesOf(column.values), 8, valid, start, end); break;
      case 'utf8': {
        if (nulls === rows) break; // no value at all: an empty PLAIN section
        // Lengths apart from the bytes: no 4-byte prefix per string for zstd to chew on, and the bytes are one copy per run.
        const present = valid === undefined ? { ...column, valid: undefined } : column;
        writeDeltaLengths(this.body, present.offsets, present.valid, start, end, this.deltaScratch);
        writeUtf8Bytes(this.body, present, start, end);
        return { numValues: rows, nulls, valueEncoding: Encoding.DELTA_LENGTH_BYTE_ARRAY };
      }
      case 'bool': writeBool(this.body, valid === undefined ? { ...column, valid: undefined } : column, start, end); break;
    }
    return { numValues: rows, nulls, valueEncoding: Encoding.PLAIN };
  }

  /**
   * A list page: one level entry per element, or one per null / empty list.
   * Repetition level 1 marks "same row as the previous entry"; definition
   * levels are maxDef for an element, maxDef-1 for an empty list, 0 for a
   * null list (optional lists only).
   */
  private writeListPage(leaf: LeafColumn, column: ListInt32Column, start: number, end: number): PageBody {
    const { offsets, valid } = column;
    const maxDef = leaf.maxDefinitionLevel;
    let entries = 0;
    for (let row = start; row < end; row++) {
      const length = valid !== undefined && valid[row] !== 1 ? 0 : offsets[row + 1] - offsets[row];
      entries += length === 0 ? 1 : length;
    }
    if (this.repetitionLevels.length < entries) {
      this.repetitionLevels = new Uint8Array(entries * 2);
      this.definitionLevels = new Uint8Array(entries * 2);
    }
    const rep = this.repetitionLevels;
    const def = this.definitionLevels;
    let k = 0;
    let elements = 0;
    for (let row = start; row < end; row++) {
      if (valid !== undefined && valid[row] !== 1) {
        rep[k] = 0; def[k] = 0; k++;
        continue;
      }
      const length = offsets[row + 1] - offsets[row];
      if (length === 0) {
        rep[k] = 0; def[k] = maxDef - 1; k++;
        continue;
      }
      rep[k] = 0; def[k] = maxDef; k++;
      for (let e = 1; e < length; e++) { rep[k] = 1; def[k] = maxDef; k++; }
      elements += length;
    }
    writeLevelsV1(this.body, rep, entries, levelBitWidth(leaf.maxRepetitionLevel));
    writeLevelsV1(this.body, def, entries, levelBitWidth(maxDef));
    writeListValues(this.body, column, bytesOf(column.values), start, end);
    return { numValues: entries, nulls: entries - elements, valueEncoding: Encoding.PLAIN };
  }
}

/** Appends a dictionary's entries, PLAIN-encoded (the dictionary page body). */
function writeEntries(sink: ByteSink, dictionary: Dictionary): void {
  const { entries, entryCount } = dictionary;
  switch (entries.type) {
    case 'utf8': writeUtf8(sink, entries, 0, entryCount); break;
    case 'float64': writeFixedWidth(sink, bytesOf(entries.values), 8, undefined, 0, entryCount); break;
    default: writeFixedWidth(sink, bytesOf(entries.values), 4, undefined, 0, entryCount);
  }
}

/** Largest row r in (start, end] with fits(r), but at least start + 1; `fits` must be monotone. */
function lastRowWithin(start: number, end: number, fits: (row: number) => boolean): number {
  if (fits(end)) return end;
  let low = start + 1; // answer is at least this
  let high = end - 1;
  while (low < high) {
    const middle = (low + high + 1) >>> 1;
    if (fits(middle)) low = middle; else high = middle - 1;
  }
  return low;
}

function statistics(column: Column, start: number, end: number, nullCount: number): Statistics {
  let bounds: Bounds | undefined;
  switch (column.type) {
    case 'int32': case 'date32': bounds = int32Bounds(column, start, end); break;
    case 'int64': bounds = int64Bounds(column, start, end); break;
    case 'float64': bounds = float64Bounds(column, start, end); break;
    case 'bool': bounds = boolBounds(column, start, end); break;
    case 'utf8': bounds = utf8Bounds(column, start, end); break;
    case 'list_int32': bounds = undefined; break; // element bounds would mislead list predicates
  }
  return withBounds(nullCount, bounds);
}

function withBounds(nullCount: number, bounds: Bounds | undefined): Statistics {
  return bounds === undefined ? { nullCount } : { nullCount, minValue: bounds.min, maxValue: bounds.max };
}
