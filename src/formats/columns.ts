/**
 * Columnar batches: the unit that flows from the CSV parser to the Parquet
 * writer (and from lake readers to the options/feature code). Pure data, no I/O.
 *
 * Layout follows Arrow: strings are (offsets, bytes); lists are (offsets,
 * values); nullable columns carry a `valid` byte per row (1 = present).
 * int64 values live in BigInt64Array so nanosecond timestamps beyond 2^53
 * are exact; parsers fill them through a Uint32Array view (lo, hi words)
 * without BigInt arithmetic.
 */

export type ColumnType = 'utf8' | 'int32' | 'int64' | 'float64' | 'list_int32' | 'date32' | 'bool';

export interface ColumnSpec {
  /** Column name in the lake (and, for CSV columns, the header name, matched case-insensitively). */
  readonly name: string;
  readonly type: ColumnType;
  /** Nullable columns are OPTIONAL in Parquet; a required column's empty CSV field is a rejected row. */
  readonly nullable: boolean;
  /** Optional logical annotation for int64 columns holding epoch nanoseconds. */
  readonly unit?: 'ns';
  readonly doc?: string;
}

export interface Utf8Column {
  readonly type: 'utf8';
  /** length rows+1; value i is bytes[offsets[i], offsets[i+1]) */
  readonly offsets: Int32Array;
  readonly bytes: Uint8Array;
  readonly valid?: Uint8Array;
}
export interface Int32Column { readonly type: 'int32' | 'date32'; readonly values: Int32Array; readonly valid?: Uint8Array }
export interface Int64Column { readonly type: 'int64'; readonly values: BigInt64Array; readonly valid?: Uint8Array }
export interface Float64Column { readonly type: 'float64'; readonly values: Float64Array; readonly valid?: Uint8Array }
export interface BoolColumn { readonly type: 'bool'; readonly values: Uint8Array; readonly valid?: Uint8Array }
export interface ListInt32Column {
  readonly type: 'list_int32';
  /** length rows+1; list i is values[offsets[i], offsets[i+1]) */
  readonly offsets: Int32Array;
  readonly values: Int32Array;
  readonly valid?: Uint8Array;
}
export type Column = Utf8Column | Int32Column | Int64Column | Float64Column | BoolColumn | ListInt32Column;

export interface ColumnBatch {
  readonly rows: number;
  /** Same order as the schema the batch was built for. */
  readonly columns: readonly Column[];
}

const textDecoder = new TextDecoder();
/** Value i of a utf8 column as a JS string (not for hot loops). */
export function utf8At(col: Utf8Column, i: number): string {
  return textDecoder.decode(col.bytes.subarray(col.offsets[i], col.offsets[i + 1]));
}
/** Whether row i of a column holds a value. */
export function isValid(col: Column, i: number): boolean {
  return col.valid === undefined || col.valid[i] === 1;
}
