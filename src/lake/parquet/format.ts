/**
 * The subset of Parquet's Thrift definitions (parquet.thrift) this writer
 * produces, as plain TypeScript data, and their compact-protocol
 * serialisation. Field ids follow parquet.thrift exactly. Pure: no I/O.
 *
 * Spec: https://github.com/apache/parquet-format/blob/master/src/main/thrift/parquet.thrift
 */
import { CompactType, CompactWriter } from './thrift.js';

export const PhysicalType = { BOOLEAN: 0, INT32: 1, INT64: 2, DOUBLE: 5, BYTE_ARRAY: 6 } as const;
export type PhysicalTypeId = (typeof PhysicalType)[keyof typeof PhysicalType];

export const Repetition = { REQUIRED: 0, OPTIONAL: 1, REPEATED: 2 } as const;
export type RepetitionId = (typeof Repetition)[keyof typeof Repetition];

export const ConvertedType = { UTF8: 0, LIST: 3, DATE: 6 } as const;
export type ConvertedTypeId = (typeof ConvertedType)[keyof typeof ConvertedType];

/** Field ids of the LogicalType union members we use (each is an empty struct). */
export const LogicalType = { STRING: 1, LIST: 3, DATE: 6 } as const;
export type LogicalTypeId = (typeof LogicalType)[keyof typeof LogicalType];

export const Encoding = { PLAIN: 0, RLE: 3, DELTA_BINARY_PACKED: 5, DELTA_LENGTH_BYTE_ARRAY: 6, RLE_DICTIONARY: 8 } as const;
export type EncodingId = (typeof Encoding)[keyof typeof Encoding];

export const Codec = { UNCOMPRESSED: 0, ZSTD: 6 } as const;
export type CodecId = (typeof Codec)[keyof typeof Codec];

export const PageType = { DATA_PAGE: 0, DICTIONARY_PAGE: 2 } as const;

export interface SchemaElement {
  readonly name: string;
  /** Leaves only. */
  readonly type?: PhysicalTypeId;
  /** Absent for the root. */
  readonly repetition?: RepetitionId;
  /** Groups only. */
  readonly numChildren?: number;
  readonly convertedType?: ConvertedTypeId;
  readonly logicalType?: LogicalTypeId;
}

export interface Statistics {
  readonly nullCount: number;
  /** PLAIN-encoded bound without length prefix; absent when unknown (all null, all NaN, lists...). */
  readonly minValue?: Uint8Array;
  readonly maxValue?: Uint8Array;
}

export interface ColumnMetaData {
  readonly type: PhysicalTypeId;
  readonly encodings: readonly EncodingId[];
  readonly pathInSchema: readonly string[];
  readonly codec: CodecId;
  /** Level entries (rows for flat columns; list slots for lists), nulls included. */
  readonly numValues: number;
  /** Page headers + uncompressed page bodies, bytes. */
  readonly totalUncompressedSize: number;
  /** Page headers + page bodies as stored, bytes. */
  readonly totalCompressedSize: number;
  /** Absolute file offset of the first data page header. */
  readonly dataPageOffset: number;
  /** Absolute file offset of the dictionary page header (the chunk's first page), if the chunk has one. */
  readonly dictionaryPageOffset?: number;
  readonly statistics: Statistics;
}

export interface RowGroup {
  readonly columns: readonly ColumnMetaData[];
  /** Sum of the columns' uncompressed sizes, bytes. */
  readonly totalByteSize: number;
  readonly numRows: number;
  /** Absolute file offset of the row group's first page. */
  readonly fileOffset: number;
  readonly totalCompressedSize: number;
  readonly ordinal: number;
}

export interface FileMetaData {
  readonly schema: readonly SchemaElement[];
  readonly numRows: number;
  readonly rowGroups: readonly RowGroup[];
  readonly keyValueMetadata: readonly (readonly [key: string, value: string])[];
  readonly createdBy: string;
  /** Number of leaf columns: each gets TYPE_DEFINED_ORDER so readers trust min_value/max_value. */
  readonly leafCount: number;
}

export interface DataPageHeader {
  readonly uncompressedPageSize: number;
  readonly compressedPageSize: number;
  /** Level entries in the page, nulls included. */
  readonly numValues: number;
  /**
   * Encoding of the values: PLAIN (default), DELTA_BINARY_PACKED (int64),
   * DELTA_LENGTH_BYTE_ARRAY (utf8) or RLE_DICTIONARY (indices into the chunk's dictionary page).
   */
  readonly valueEncoding?: EncodingId;
}

/** Serialises a v1 data page header (values as `valueEncoding` says, RLE levels). */
export function encodeDataPageHeader(header: DataPageHeader): Uint8Array {
  const w = new CompactWriter();
  w.struct(() => {
    w.fieldI32(1, PageType.DATA_PAGE);
    w.fieldI32(2, header.uncompressedPageSize);
    w.fieldI32(3, header.compressedPageSize);
    w.fieldStruct(5, () => {
      w.fieldI32(1, header.numValues);
      w.fieldI32(2, header.valueEncoding ?? Encoding.PLAIN);
      w.fieldI32(3, Encoding.RLE);
      w.fieldI32(4, Encoding.RLE);
    });
  });
  return w.finish();
}

export interface DictionaryPageHeader {
  readonly uncompressedPageSize: number;
  readonly compressedPageSize: number;
  /** Dictionary entries in the page. */
  readonly numValues: number;
}

/** Serialises a dictionary page header (PLAIN-encoded entries). */
export function encodeDictionaryPageHeader(header: DictionaryPageHeader): Uint8Array {
  const w = new CompactWriter();
  w.struct(() => {
    w.fieldI32(1, PageType.DICTIONARY_PAGE);
    w.fieldI32(2, header.uncompressedPageSize);
    w.fieldI32(3, header.compressedPageSize);
    w.fieldStruct(7, () => {
      w.fieldI32(1, header.numValues);
      w.fieldI32(2, Encoding.PLAIN);
    });
  });
  return w.finish();
}

/** Serialises the footer (without the trailing length and magic). */
export function encodeFileMetaData(meta: FileMetaData): Uint8Array {
  const w = new CompactWriter();
  w.struct(() => {
    w.fieldI32(1, 1); // version
    w.fieldList(2, CompactType.STRUCT, meta.schema, (element) => w.struct(() => writeSchemaElement(w, element)));
    w.fieldI64(3, meta.numRows);
    w.fieldList(4, CompactType.STRUCT, meta.rowGroups, (rowGroup) => w.struct(() => writeRowGroup(w, rowGroup)));
    if (meta.keyValueMetadata.length > 0) {
      w.fieldList(5, CompactType.STRUCT, meta.keyValueMetadata, ([key, value]) => w.struct(() => {
        w.fieldString(1, key);
        w.fieldString(2, value);
      }));
    }
    w.fieldString(6, meta.createdBy);
    const orders = new Array<number>(meta.leafCount).fill(0);
    // ColumnOrder is a union whose member 1 is the empty struct TypeDefinedOrder.
    w.fieldList(7, CompactType.STRUCT, orders, () => w.struct(() => w.fieldStruct(1, () => {})));
  });
  return w.finish();
}

function writeSchemaElement(w: CompactWriter, e: SchemaElement): void {
  if (e.type !== undefined) w.fieldI32(1, e.type);
  if (e.repetition !== undefined) w.fieldI32(3, e.repetition);
  w.fieldString(4, e.name);
  if (e.numChildren !== undefined) w.fieldI32(5, e.numChildren);
  if (e.convertedType !== undefined) w.fieldI32(6, e.convertedType);
  if (e.logicalType !== undefined) {
    const member = e.logicalType;
    w.fieldStruct(10, () => w.fieldStruct(member, () => {}));
  }
}

function writeRowGroup(w: CompactWriter, g: RowGroup): void {
  w.fieldList(1, CompactType.STRUCT, g.columns, (column) => w.struct(() => {
    w.fieldI64(2, column.dictionaryPageOffset ?? column.dataPageOffset); // ColumnChunk.file_offset (deprecated; conventionally the chunk start)
    w.fieldStruct(3, () => writeColumnMetaData(w, column));
  }));
  w.fieldI64(2, g.totalByteSize);
  w.fieldI64(3, g.numRows);
  w.fieldI64(5, g.fileOffset);
  w.fieldI64(6, g.totalCompressedSize);
  w.fieldI16(7, g.ordinal);
}

function writeColumnMetaData(w: CompactWriter, c: ColumnMetaData): void {
  w.fieldI32(1, c.type);
  w.fieldList(2, CompactType.I32, c.encodings, (encoding) => w.i32(encoding));
  w.fieldList(3, CompactType.BINARY, c.pathInSchema, (part) => w.string(part));
  w.fieldI32(4, c.codec);
  w.fieldI64(5, c.numValues);
  w.fieldI64(6, c.totalUncompressedSize);
  w.fieldI64(7, c.totalCompressedSize);
  w.fieldI64(9, c.dataPageOffset);
  if (c.dictionaryPageOffset !== undefined) w.fieldI64(11, c.dictionaryPageOffset);
  w.fieldStruct(12, () => {
    const s = c.statistics;
    w.fieldI64(3, s.nullCount);
    if (s.maxValue !== undefined) w.fieldBinary(5, s.maxValue);
    if (s.minValue !== undefined) w.fieldBinary(6, s.minValue);
  });
}
