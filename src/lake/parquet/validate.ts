/**
 * Checks a batch against the writer's schema before any byte of it is
 * encoded, so a malformed batch is a clear error instead of a corrupt file.
 * Pure: no I/O. Cost: one pass over offsets and validity bytes.
 */
import type { Column, ColumnBatch, ColumnSpec } from '../../formats/columns.js';
import { LakeError } from '../../util/errors.js';

/** Both checks below: what ParquetFileWriter.append runs. */
export function validateBatch(specs: readonly ColumnSpec[], batch: ColumnBatch, path: string): void {
  validateBatchShape(specs, batch, path);
  validateBatchContents(specs, batch, path);
}

/**
 * The O(columns) part: row count, column count and types, array lengths.
 * ParquetWorkerWriter runs it on the caller's thread, so a batch of the wrong
 * shape fails the `append` that passed it.
 */
export function validateBatchShape(specs: readonly ColumnSpec[], batch: ColumnBatch, path: string): void {
  const { rows } = batch;
  if (!Number.isInteger(rows) || rows < 0) throw new LakeError(`batch row count ${rows} is not a non-negative integer`, { path });
  if (batch.columns.length !== specs.length) {
    throw new LakeError(`batch has ${batch.columns.length} columns, schema has ${specs.length}`, { path });
  }
  for (let c = 0; c < specs.length; c++) {
    const spec = specs[c];
    const column = batch.columns[c];
    const fail = (problem: string): never => {
      throw new LakeError(`column '${spec.name}': ${problem}`, { path, column: spec.name });
    };
    if (column.type !== spec.type) fail(`batch column has type ${column.type}, schema says ${spec.type}`);
    checkLengths(column, rows, fail);
    if (column.valid !== undefined && column.valid.length < rows) fail(`${column.valid.length} validity bytes for ${rows} rows`);
  }
}

/**
 * The O(rows) part, for a batch that passed `validateBatchShape`: offsets
 * that never decrease and stay within the values, validity bytes 0 or 1 and
 * no null in a required column. ParquetWorkerWriter runs it in the worker
 * (off the parser's thread); a failure there fails the writer.
 */
export function validateBatchContents(specs: readonly ColumnSpec[], batch: ColumnBatch, path: string): void {
  const { rows } = batch;
  for (let c = 0; c < specs.length; c++) {
    const spec = specs[c];
    const column = batch.columns[c];
    const fail = (problem: string): never => {
      throw new LakeError(`column '${spec.name}': ${problem}`, { path, column: spec.name });
    };
    if (column.type === 'utf8') checkOffsets(column.offsets, rows, column.bytes.length, fail);
    else if (column.type === 'list_int32') checkOffsets(column.offsets, rows, column.values.length, fail);
    if (column.valid !== undefined) checkValidity(column.valid, rows, spec.nullable, fail);
  }
}

function checkLengths(column: Column, rows: number, fail: (problem: string) => never): void {
  switch (column.type) {
    case 'utf8': case 'list_int32':
      if (column.offsets.length < rows + 1) fail(`${column.offsets.length} offsets for ${rows} rows (need rows + 1)`);
      break;
    default:
      if (column.values.length < rows) fail(`${column.values.length} values for ${rows} rows`);
  }
}

/** `offsets` has at least rows + 1 entries (checked by the shape). */
function checkOffsets(offsets: Int32Array, rows: number, valueCount: number, fail: (problem: string) => never): void {
  if (offsets[0] < 0) fail(`negative first offset ${offsets[0]}`);
  for (let row = 0; row < rows; row++) {
    if (offsets[row + 1] < offsets[row]) fail(`offsets decrease at row ${row}`);
  }
  if (offsets[rows] > valueCount) fail(`last offset ${offsets[rows]} is beyond the ${valueCount} values`);
}

function checkValidity(valid: Uint8Array, rows: number, nullable: boolean, fail: (problem: string) => never): void {
  for (let row = 0; row < rows; row++) {
    const v = valid[row];
    if (v === 1) continue;
    if (v !== 0) fail(`validity byte ${v} at row ${row} (must be 0 or 1)`);
    if (!nullable) fail(`null at row ${row} in a non-nullable column`);
  }
}
