import { test } from 'node:test';
import assert from 'node:assert/strict';
import { medianAbsoluteDeviationSorted } from './mad.js';
import { quantileSorted } from './quantile.js';

/** Straightforward definition: sort the absolute deviations and take their median. */
function madBySorting(sorted: number[]): number {
  const median = quantileSorted(sorted, sorted.length, 0.5);
  const deviations = sorted.map((v) => Math.abs(v - median)).sort((a, b) => a - b);
  return quantileSorted(deviations, deviations.length, 0.5);
}

test('MAD of a small sample (unscaled)', () => {
  assert.equal(medianAbsoluteDeviationSorted([1, 1, 2, 2, 4, 6, 9], 7), 1);
  assert.equal(medianAbsoluteDeviationSorted([1, 2, 3, 4], 4), 1);
  assert.equal(medianAbsoluteDeviationSorted([5], 1), 0);
  assert.ok(Number.isNaN(medianAbsoluteDeviationSorted([], 0)));
});

test('the O(n) merge equals sorting the deviations, odd and even n, with ties', () => {
  let state = 17;
  const next = (): number => (state = (state * 48271) % 2147483647) / 2147483647;
  for (let n = 1; n <= 60; n++) {
    for (const ties of [false, true]) {
      const x = Array.from({ length: n }, () => (ties ? Math.floor(next() * 5) : next() * 100 - 30)).sort((a, b) => a - b);
      assert.equal(medianAbsoluteDeviationSorted(x, n), madBySorting(x), `n=${n} ties=${ties}`);
    }
  }
});
