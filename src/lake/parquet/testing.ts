/**
 * Builds ColumnBatch columns from plain JS values (null = missing), for tests
 * and examples. Not for hot paths. Pure: no I/O.
 */
import type { BoolColumn, Column, ColumnSpec, Float64Column, Int32Column, Int64Column, ListInt32Column, Utf8Column } from '../../formats/columns.js';

export type CellValue = string | number | bigint | boolean | readonly number[] | null;

const encoder = new TextEncoder();

function validity(values: readonly unknown[]): { valid?: Uint8Array } {
  return values.includes(null) ? { valid: Uint8Array.from(values, (v) => (v === null ? 0 : 1)) } : {};
}

export function utf8Column(values: readonly (string | null)[]): Utf8Column {
  const encoded = values.map((v) => encoder.encode(v ?? ''));
  const offsets = new Int32Array(values.length + 1);
  encoded.forEach((bytes, i) => { offsets[i + 1] = offsets[i] + bytes.length; });
  const bytes = new Uint8Array(offsets[values.length]);
  encoded.forEach((part, i) => bytes.set(part, offsets[i]));
  return { type: 'utf8', offsets, bytes, ...validity(values) };
}

export function int32Column(values: readonly (number | null)[], type: 'int32' | 'date32' = 'int32'): Int32Column {
  return { type, values: Int32Array.from(values, (v) => v ?? 0), ...validity(values) };
}

export function int64Column(values: readonly (bigint | null)[]): Int64Column {
  return { type: 'int64', values: BigInt64Array.from(values, (v) => v ?? 0n), ...validity(values) };
}

export function float64Column(values: readonly (number | null)[]): Float64Column {
  return { type: 'float64', values: Float64Array.from(values, (v) => v ?? 0), ...validity(values) };
}

export function boolColumn(values: readonly (boolean | null)[]): BoolColumn {
  return { type: 'bool', values: Uint8Array.from(values, (v) => (v === true ? 1 : 0)), ...validity(values) };
}

export function listColumn(values: readonly (readonly number[] | null)[]): ListInt32Column {
  const offsets = new Int32Array(values.length + 1);
  values.forEach((list, i) => { offsets[i + 1] = offsets[i] + (list?.length ?? 0); });
  const flat = new Int32Array(offsets[values.length]);
  values.forEach((list, i) => { if (list !== null) flat.set(list, offsets[i]); });
  return { type: 'list_int32', offsets, values: flat, ...validity(values) };
}

/** One column of `spec.type` from JS values (strings, numbers, bigints, booleans, number arrays). */
export function columnOf(spec: ColumnSpec, values: readonly CellValue[]): Column {
  switch (spec.type) {
    case 'utf8': return utf8Column(values as (string | null)[]);
    case 'int32': case 'date32': return int32Column(values as (number | null)[], spec.type);
    case 'int64': return int64Column(values as (bigint | null)[]);
    case 'float64': return float64Column(values as (number | null)[]);
    case 'bool': return boolColumn(values as (boolean | null)[]);
    case 'list_int32': return listColumn(values as (number[] | null)[]);
  }
}
