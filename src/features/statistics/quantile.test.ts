import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lerp, quantileSorted } from './quantile.js';

test('quantileSorted follows numpy linear interpolation', () => {
  const x = [1, 2, 3, 4];
  assert.equal(quantileSorted(x, 4, 0.25), 1.75); // np.quantile([1,2,3,4], .25)
  assert.equal(quantileSorted(x, 4, 0.5), 2.5);
  assert.equal(quantileSorted(x, 4, 0.75), 3.25);
  assert.equal(quantileSorted(x, 4, 0), 1);
  assert.equal(quantileSorted(x, 4, 1), 4);
  assert.equal(quantileSorted([7], 1, 0.25), 7);
  assert.equal(quantileSorted([10, 20, 40], 3, 0.75), 30);
});

test('quantileSorted is NaN for an empty sample', () => {
  assert.ok(Number.isNaN(quantileSorted([], 0, 0.5)));
});

test('lerp is exact at both ends and computed from the nearer end', () => {
  assert.equal(lerp(0.1, 0.7, 0), 0.1);
  assert.equal(lerp(0.1, 0.7, 1), 0.7);
  assert.equal(lerp(1e9, 1e9 + 1, 0.75), 1e9 + 0.75);
});
