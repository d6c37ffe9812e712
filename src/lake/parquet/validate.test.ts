import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ColumnSpec } from '../../formats/columns.js';
import { LakeError } from '../../util/errors.js';
import { validateBatch } from './validate.js';

const NULLABLE: readonly ColumnSpec[] = [{ name: 'v', type: 'int32', nullable: true }];
const REQUIRED: readonly ColumnSpec[] = [{ name: 'v', type: 'int32', nullable: false }];

/** Validity bytes at every alignment (subarrays starting at byte 0..3 of their buffer). */
function validityAt(shift: number, bytes: readonly number[]): Uint8Array {
  const storage = new Uint8Array(bytes.length + 8);
  storage.set(bytes, shift);
  return storage.subarray(shift, shift + bytes.length);
}

function check(specs: readonly ColumnSpec[], valid: Uint8Array): void {
  validateBatch(specs, { rows: valid.length, columns: [{ type: 'int32', values: new Int32Array(valid.length), valid }] }, 'test.parquet');
}

test('validity bytes: every row checked (0 or 1, no null in a required column), at any offset and length', () => {
  for (let shift = 0; shift < 4; shift++) {
    for (const rows of [0, 1, 3, 4, 5, 17, 64]) {
      const present = new Array<number>(rows).fill(1);
      check(REQUIRED, validityAt(shift, present));
      check(NULLABLE, validityAt(shift, present));
      for (let bad = 0; bad < rows; bad++) {
        const withNull = present.slice();
        withNull[bad] = 0;
        check(NULLABLE, validityAt(shift, withNull));
        assert.throws(() => check(REQUIRED, validityAt(shift, withNull)), (e: unknown) => e instanceof LakeError && e.message.includes(`null at row ${bad}`));
        const junk = present.slice();
        junk[bad] = 2;
        assert.throws(() => check(NULLABLE, validityAt(shift, junk)), (e: unknown) => e instanceof LakeError && e.message.includes(`validity byte 2 at row ${bad}`));
      }
    }
  }
});
