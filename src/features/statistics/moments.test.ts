import { test } from 'node:test';
import assert from 'node:assert/strict';
import { centralMomentsSorted, excessKurtosisG2, meanSorted, sampleStddev, skewnessG1, type CentralMoments } from './moments.js';

const moments = (x: number[]): CentralMoments =>
  centralMomentsSorted(x, x.length, meanSorted(x, x.length), { n: 0, mean: 0, m2: 0, m3: 0, m4: 0 });

test('stddev, skew and kurtosis of a small sample match scipy (bias=False)', () => {
  const m = moments([1, 2, 3, 10]);
  assert.equal(m.mean, 4);
  // np.std(ddof=1) = sqrt(50/3); scipy skew(bias=False) = 1.763632614803888; kurtosis(bias=False) = 3.228
  assert.ok(Math.abs(sampleStddev(m) - Math.sqrt(50 / 3)) < 1e-15);
  assert.ok(Math.abs(skewnessG1(m) - 1.763632614803888) < 1e-12);
  assert.ok(Math.abs(excessKurtosisG2(m) - 3.228) < 1e-12);
});

test('two-pass moments keep full accuracy on 1e9-dollar values', () => {
  const x = [1e9 + 1, 1e9 + 2, 1e9 + 3, 1e9 + 4, 1e9 + 5];
  const m = moments(x);
  assert.equal(m.mean, 1e9 + 3);
  assert.equal(sampleStddev(m), Math.sqrt(2.5));
  assert.equal(skewnessG1(m), 0);
  assert.ok(Math.abs(excessKurtosisG2(m) - -1.2) < 1e-12);
});

test('mean of equal values is that value exactly; null rules by n', () => {
  const x = new Array(3).fill(0.1);
  assert.equal(meanSorted(x, 3), 0.1); // 0.1+0.1+0.1 = 0.30000000000000004, /3 would not be 0.1
  assert.ok(Number.isNaN(meanSorted([], 0)));
  assert.ok(Number.isNaN(sampleStddev(moments([1]))));
  assert.ok(Number.isNaN(skewnessG1(moments([1, 2]))));
  assert.ok(Number.isNaN(excessKurtosisG2(moments([1, 2, 3]))));
  assert.ok(Number.isNaN(skewnessG1(moments([2, 2, 2]))));
});
