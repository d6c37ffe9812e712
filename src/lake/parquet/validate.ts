/**
 * Checks a batch against the writer's schema before any byte of it is
 * encoded, so a malformed batch is a clear error instead of a corrupt file.
 * Pure: no I/O. Cost: one pass over offsets and validity bytes.
 */
import type { Column, ColumnBatch, ColumnSpec } from '../../formats/columns.js';
import { LakeError } from '../../util/errors.js';

export function validateBatch(specs: readonly ColumnSpec[], batch: ColumnBatch, path: string): void {
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
    if (column.valid !== undefined) checkValidity(column.valid, rows, spec.nullable, fail);
  }
}

function checkLengths(column: Column, rows: number, fail: (problem: string) => never): void {
  switch (column.type) {
    case 'utf8':
      checkOffsets(column.offsets, rows, column.bytes.length, fail);
      break;
    case 'list_int32':
      checkOffsets(column.offsets, rows, column.values.length, fail);
      break;
    default:
      if (column.values.length < rows) fail(`${column.values.length} values for ${rows} rows`);
  }
}

function checkOffsets(offsets: Int32Array, rows: number, valueCount: number, fail: (problem: string) => never): void {
  if (offsets.length < rows + 1) fail(`${offsets.length} offsets for ${rows} rows (need rows + 1)`);
  if (offsets[0] < 0) fail(`negative first offset ${offsets[0]}`);
  for (let row = 0; row < rows; row++) {
    if (offsets[row + 1] < offsets[row]) fail(`offsets decrease at row ${row}`);
  }
  if (offsets[rows] > valueCount) fail(`last offset ${offsets[rows]} is beyond the ${valueCount} values`);
}

function checkValidity(valid: Uint8Array, rows: number, nullable: boolean, fail: (problem: string) => never): void {
  if (valid.length < rows) fail(`${valid.length} validity bytes for ${rows} rows`);
  for (let row = 0; row < rows; row++) {
    const v = valid[row];
    if (v === 1) continue;
    if (v !== 0) fail(`validity byte ${v} at row ${row} (must be 0 or 1)`);
    if (!nullable) fail(`null at row ${row} in a non-nullable column`);
  }
}
