/**
 * Builds ColumnBatch columns from plain JS values (null = missing), for tests
 * and examples, plus a sample schema and rows covering every type and edge
 * case. Not for hot paths. Pure: no I/O.
 */
import type { BoolColumn, Column, ColumnBatch, ColumnSpec, Float64Column, Int32Column, Int64Column, ListInt32Column, Utf8Column } from '../../src/formats/columns.js';

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

/** Every column type, nullable and required. */
export const ALL_TYPES: readonly ColumnSpec[] = [
  { name: 'ticker', type: 'utf8', nullable: false },
  { name: 'id', type: 'utf8', nullable: true },
  { name: 'exchange', type: 'int32', nullable: true },
  { name: 'tape', type: 'int32', nullable: false },
  { name: 'session_date', type: 'date32', nullable: true },
  { name: 'sip_timestamp', type: 'int64', nullable: false, unit: 'ns' },
  { name: 'trf_timestamp', type: 'int64', nullable: true, unit: 'ns' },
  { name: 'price', type: 'float64', nullable: true },
  { name: 'size', type: 'float64', nullable: false },
  { name: 'odd_lot', type: 'bool', nullable: true },
  { name: 'conditions', type: 'list_int32', nullable: true },
  { name: 'indicators', type: 'list_int32', nullable: false },
];

/** Deterministic rows covering the edge cases: nulls, empty strings and lists, unicode, int64 beyond 2^53. */
export function sampleRows(count: number): CellValue[][] {
  const rows: CellValue[][] = [];
  const strings = ['', 'é', 'AAPL', '日本語', 'z', 'a\u0000b', 'x'.repeat(40)];
  for (let r = 0; r < count; r++) {
    const big = 2n ** 62n + BigInt(r) * 1_000_000_007n;
    rows.push([
      `T${String(r % 7).padStart(2, '0')}`,
      r % 5 === 0 ? null : strings[r % strings.length],
      r % 3 === 0 ? null : (r * 7919) % 1000 - 500,
      r % 4,
      r % 6 === 1 ? null : 20000 + r - 30,
      1_762_500_000_000_000_000n + BigInt(r) * 1234n,
      r % 4 === 2 ? null : (r % 2 === 0 ? big : -big),
      r % 9 === 4 ? null : r % 11 === 0 ? NaN : (r - 50) * 0.25,
      r === 1 ? -0 : r * 1.5,
      r % 8 === 3 ? null : r % 2 === 0,
      r % 5 === 2 ? null : r % 5 === 1 ? [] : Array.from({ length: r % 4 }, (_, k) => r * 10 + k - 20),
      r % 3 === 0 ? [] : [r, -r],
    ]);
  }
  return rows;
}

export function batchOf(specs: readonly ColumnSpec[], rows: readonly CellValue[][]): ColumnBatch {
  return { rows: rows.length, columns: specs.map((spec, c) => columnOf(spec, rows.map((row) => row[c]))) };
}

/** What DuckDB returns for a sample row. */
export function expectedRow(row: readonly CellValue[]): Record<string, unknown> {
  return Object.fromEntries(ALL_TYPES.map((spec, c) => [spec.name, row[c]]));
}

/** Normalises DuckDB's JS values: DATE → days since epoch. */
export function normaliseRow(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) out[key] = value instanceof Date ? Math.round(value.getTime() / 86_400_000) : value;
  return out;
}
