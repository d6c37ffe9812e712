/**
 * A minimal Apache Thrift *compact protocol* encoder: exactly what Parquet's
 * footer (FileMetaData) and page headers need. Pure: no I/O.
 *
 * Usage mirrors the wire format: open a struct, write fields in increasing id
 * order (the encoder emits field-id deltas), close the struct.
 *
 * ```ts
 * const w = new CompactWriter();
 * w.struct(() => {
 *   w.fieldI32(1, 42);
 *   w.fieldString(2, 'name');
 *   w.fieldList(3, CompactType.I32, [1, 2], (v) => w.i32(v));
 * });
 * const bytes = w.finish();
 * ```
 *
 * Spec: https://github.com/apache/thrift/blob/master/doc/specs/thrift-compact-protocol.md
 */
import { ByteSink } from './bytes.js';

/** Compact-protocol type ids (4 bits in field and list headers). */
export const CompactType = {
  BOOLEAN_TRUE: 1,
  BOOLEAN_FALSE: 2,
  BYTE: 3,
  I16: 4,
  I32: 5,
  I64: 6,
  DOUBLE: 7,
  BINARY: 8,
  LIST: 9,
  SET: 10,
  MAP: 11,
  STRUCT: 12,
} as const;
export type CompactTypeId = (typeof CompactType)[keyof typeof CompactType];

const textEncoder = new TextEncoder();

export class CompactWriter {
  private readonly sink = new ByteSink(256);
  private lastFieldId = 0;
  private readonly fieldIdStack: number[] = [];

  /** Writes a struct: `body` writes its fields; the STOP byte is appended. */
  struct(body: () => void): void {
    this.fieldIdStack.push(this.lastFieldId);
    this.lastFieldId = 0;
    body();
    this.sink.u8(0); // STOP
    this.lastFieldId = this.fieldIdStack.pop() ?? 0;
  }

  fieldI32(id: number, value: number): void {
    this.fieldHeader(id, CompactType.I32);
    this.i32(value);
  }

  fieldI16(id: number, value: number): void {
    this.fieldHeader(id, CompactType.I16);
    this.i32(value); // same zigzag varint as i32
  }

  fieldI64(id: number, value: number | bigint): void {
    this.fieldHeader(id, CompactType.I64);
    this.i64(value);
  }

  fieldBool(id: number, value: boolean): void {
    // Booleans live in the field header itself.
    this.fieldHeader(id, value ? CompactType.BOOLEAN_TRUE : CompactType.BOOLEAN_FALSE);
  }

  fieldBinary(id: number, value: Uint8Array): void {
    this.fieldHeader(id, CompactType.BINARY);
    this.binary(value);
  }

  fieldString(id: number, value: string): void {
    this.fieldBinary(id, textEncoder.encode(value));
  }

  fieldStruct(id: number, body: () => void): void {
    this.fieldHeader(id, CompactType.STRUCT);
    this.struct(body);
  }

  /** A list field; `writeElement` writes one element with the element-level methods below. */
  fieldList<T>(id: number, elementType: CompactTypeId, elements: readonly T[], writeElement: (element: T) => void): void {
    this.fieldHeader(id, CompactType.LIST);
    this.listHeader(elementType, elements.length);
    for (const element of elements) writeElement(element);
  }

  /** Element-level: zigzag varint i32. */
  i32(value: number): void {
    const v = value | 0;
    this.sink.uvarint(((v << 1) ^ (v >> 31)) >>> 0);
  }

  /** Element-level: zigzag varint i64 (exact for any bigint in range, and for numbers that are safe integers). */
  i64(value: number | bigint): void {
    const v = BigInt.asIntN(64, BigInt(value));
    let zigzag = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
    while (zigzag >= 0x80n) {
      this.sink.u8(Number(zigzag & 0x7fn) | 0x80);
      zigzag >>= 7n;
    }
    this.sink.u8(Number(zigzag));
  }

  /** Element-level: length-prefixed bytes. */
  binary(value: Uint8Array): void {
    this.sink.uvarint(value.length);
    this.sink.bytes(value);
  }

  string(value: string): void {
    this.binary(textEncoder.encode(value));
  }

  /** The encoded bytes (a copy) */
  finish(): Uint8Array {
    return this.sink.copy();
  }

  private fieldHeader(id: number, type: number): void {
    const delta = id - this.lastFieldId;
    if (delta > 0 && delta <= 15) {
      this.sink.u8((delta << 4) | type);
    } else {
      this.sink.u8(type);
      this.i32(id); // field id as zigzag i16
    }
    this.lastFieldId = id;
  }

  private listHeader(elementType: number, size: number): void {
    if (size < 15) {
      this.sink.u8((size << 4) | elementType);
    } else {
      this.sink.u8(0xf0 | elementType);
      this.sink.uvarint(size);
    }
  }
}
