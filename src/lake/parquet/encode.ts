/**
 * Encodes one row group (a row range of a ColumnBatch) into Parquet column
 * chunks: data pages v1 with RLE/bit-packed levels and PLAIN values, split at
 * about `pageBytes` uncompressed, each compressed on its own, plus the
 * chunk's statistics and metadata. Pure computation: no I/O (the compressor
 * is a native binding, not a stream).
 *
 * An encoder keeps scratch buffers between row groups, so it is meant to be
 * long-lived (one per open file) and is not re-entrant.
 */
import type { Column, ColumnBatch, ListInt32Column } from '../../formats/columns.js';
import { ByteSink } from './bytes.js';
import type { PageCompressor } from './codec.js';
import { Encoding, encodeDataPageHeader, type ColumnMetaData, type RowGroup, type Statistics } from './format.js';
import { bytesOf, writeBool, writeFixedWidth, writeListValues, writeUtf8 } from './plain.js';
import { writeConstantLevelsV1, writeLevelsV1 } from './rle.js';
import { levelBitWidth, type LeafColumn, type ParquetSchema } from './schema.js';
import { boolBounds, countNulls, float64Bounds, int32Bounds, int64Bounds, utf8Bounds, type Bounds } from './statistics.js';

/** Default target for a page's uncompressed size, bytes. */
export const DEFAULT_PAGE_BYTES = 1 << 20;

export interface EncodedRowGroup {
  /** Bytes to write, in order, starting at the `fileOffset` given to `encode`. */
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
}

export class RowGroupEncoder {
  private readonly body = new ByteSink(DEFAULT_PAGE_BYTES + (DEFAULT_PAGE_BYTES >> 2));
  private repetitionLevels = new Uint8Array(0);
  private definitionLevels = new Uint8Array(0);

  constructor(
    private readonly schema: ParquetSchema,
    private readonly compressor: PageCompressor,
    private readonly pageBytes: number = DEFAULT_PAGE_BYTES,
  ) {}

  /**
   * Encodes rows [rowStart, rowEnd) of `batch` (columns in schema order, already
   * validated) as row group number `ordinal`, to be written at `fileOffset`.
   */
  encode(batch: ColumnBatch, rowStart: number, rowEnd: number, fileOffset: number, ordinal: number): EncodedRowGroup {
    const parts: Uint8Array[] = [];
    const columns: ColumnMetaData[] = [];
    let offset = fileOffset;
    let totalByteSize = 0;
    for (let c = 0; c < this.schema.leaves.length; c++) {
      const chunk = this.encodeChunk(this.schema.leaves[c], batch.columns[c], rowStart, rowEnd, offset);
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

  private encodeChunk(leaf: LeafColumn, column: Column, start: number, end: number, fileOffset: number): EncodedChunk {
    const parts: Uint8Array[] = [];
    let uncompressedSize = 0;
    let compressedSize = 0;
    let numValues = 0;
    let nullCount = 0;
    let pageStart = start;
    do {
      const pageEnd = this.pageEnd(column, pageStart, end);
      this.body.reset();
      const page = this.writePageBody(leaf, column, pageStart, pageEnd);
      const uncompressed = this.body.view();
      const compressed = this.compressor.compress(uncompressed);
      const header = encodeDataPageHeader({
        uncompressedPageSize: uncompressed.length,
        compressedPageSize: compressed.length,
        numValues: page.numValues,
      });
      parts.push(header, compressed);
      uncompressedSize += header.length + uncompressed.length;
      compressedSize += header.length + compressed.length;
      numValues += page.numValues;
      nullCount += page.nulls;
      pageStart = pageEnd;
    } while (pageStart < end);

    const hasLevels = leaf.maxDefinitionLevel > 0 || leaf.maxRepetitionLevel > 0;
    return {
      parts,
      metadata: {
        type: leaf.physicalType,
        encodings: hasLevels ? [Encoding.PLAIN, Encoding.RLE] : [Encoding.PLAIN],
        pathInSchema: leaf.pathInSchema,
        codec: this.compressor.codec,
        numValues,
        totalUncompressedSize: uncompressedSize,
        totalCompressedSize: compressedSize,
        dataPageOffset: fileOffset,
        statistics: statistics(column, start, end, nullCount),
      },
    };
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

  /** Writes levels and values of rows [start, end) into `this.body`. */
  private writePageBody(leaf: LeafColumn, column: Column, start: number, end: number): PageBody {
    if (column.type === 'list_int32') return this.writeListPage(leaf, column, start, end);
    const rows = end - start;
    let valid = column.valid;
    let nulls = 0;
    if (leaf.maxDefinitionLevel > 0) {
      nulls = countNulls(valid, start, end);
      if (nulls === 0 || valid === undefined) {
        writeConstantLevelsV1(this.body, 1, rows);
        valid = undefined; // every row present: values are one contiguous copy
      } else {
        // valid bytes are exactly 0/1 (checked on append), i.e. already definition levels.
        writeLevelsV1(this.body, valid.subarray(start, end), rows, 1);
      }
    } else {
      valid = undefined; // required column
    }
    switch (column.type) {
      case 'int32': case 'date32': writeFixedWidth(this.body, bytesOf(column.values), 4, valid, start, end); break;
      case 'int64': writeFixedWidth(this.body, bytesOf(column.values), 8, valid, start, end); break;
      case 'float64': writeFixedWidth(this.body, bytesOf(column.values), 8, valid, start, end); break;
      case 'utf8': writeUtf8(this.body, valid === undefined ? { ...column, valid: undefined } : column, start, end); break;
      case 'bool': writeBool(this.body, valid === undefined ? { ...column, valid: undefined } : column, start, end); break;
    }
    return { numValues: rows, nulls };
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
    return { numValues: entries, nulls: entries - elements };
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
  return bounds === undefined ? { nullCount } : { nullCount, minValue: bounds.min, maxValue: bounds.max };
}
