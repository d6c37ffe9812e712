import { test } from 'node:test';
import assert from 'node:assert/strict';
import { neumaierSum } from './summation.js';

test('neumaierSum recovers low-order parts lost by naive summation', () => {
  assert.equal(neumaierSum([1e16, 1, -1e16], 0, 3), 1);
  const tenths = new Float64Array(10).fill(0.1);
  assert.equal(neumaierSum(tenths, 0, 10), 1); // naive: 0.9999999999999999
  assert.equal(neumaierSum([1e9, 0.01, 0.01, -1e9], 0, 4), 0.02);
});

test('neumaierSum honours the [from, to) range and is 0 when empty', () => {
  assert.equal(neumaierSum([5, 1, 2, 7], 1, 3), 3);
  assert.equal(neumaierSum([5], 0, 0), 0);
});
