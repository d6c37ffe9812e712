import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dipStatistic, dipWithModalInterval, DipScratch } from './dip.js';

const sortedOf = (x: number[]): Float64Array => Float64Array.from(x).sort();

test('dip of tiny and constant samples is 1/(2n), as diptest::dip', () => {
  assert.equal(dipStatistic([3], 1), 0.5);
  assert.equal(dipStatistic([1, 2], 2), 0.25);
  assert.equal(dipStatistic([2, 2, 2, 2, 2], 5), 0.1);
  assert.throws(() => dipStatistic([], 0), RangeError);
});

test('known values from R diptest 0.76', () => {
  // dip(c(1, 2, 10, 11)) = 0.2222222222222222; dip(1:5 with 3.5) = 0.12
  assert.equal(dipStatistic([1, 2, 10, 11], 4), 0.22222222222222221);
  assert.equal(dipStatistic(sortedOf([5, 1, 4, 2, 3.5]), 5), 0.12);
  // two balanced point masses: the largest possible dip, 1/4
  assert.equal(dipStatistic(sortedOf([-1, -1, -1, -1, 1, 1, 1, 1]), 8), 0.25);
});

test('the dip is invariant under mirroring and bounded by [1/(2n), 1/4]', () => {
  let state = 3;
  const next = (): number => (state = (state * 48271) % 2147483647) / 2147483647;
  const scratch = new DipScratch();
  for (let trial = 0; trial < 200; trial++) {
    const n = 4 + (trial % 50);
    const x = Array.from({ length: n }, () => (trial % 3 === 0 ? Math.floor(next() * 6) : next() < 0.5 ? next() : 3 + next()));
    const dip = dipStatistic(sortedOf(x), n, scratch);
    const mirrored = dipStatistic(sortedOf(x.map((v) => -v)), n, scratch);
    assert.ok(Math.abs(dip - mirrored) <= 1e-15, `trial ${trial}: ${dip} vs mirrored ${mirrored}`);
    assert.ok(dip >= 1 / (2 * n) - 1e-15 && dip <= 0.25 + 1e-15, `trial ${trial}: dip ${dip}`);
  }
});

test('modal interval of a unimodal sample lies inside the data', () => {
  const x = sortedOf([0, 1, 1.5, 1.8, 2, 2.1, 2.2, 2.5, 3, 4, 6]);
  const r = dipWithModalInterval(x, x.length);
  assert.ok(r.lowIndex >= 0 && r.lowIndex <= r.highIndex && r.highIndex < x.length);
});
