import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeStats, sortAscending, SortScratch, STAT_NAMES_BASE, STAT_NAMES_WITH_QUANTILES, StatsScratch, type StatName } from './index.js';

const ALL: readonly StatName[] = STAT_NAMES_WITH_QUANTILES;

function stats(values: number[]): Record<string, number> {
  const out = new Float64Array(ALL.length);
  computeStats(Float64Array.from(values), values.length, ALL, out, 0);
  return Object.fromEntries(ALL.map((name, k) => [name, out[k]!]));
}

const nullNames = (r: Record<string, number>): string[] => ALL.filter((name) => Number.isNaN(r[name]));

test('name lists follow feature_names.json order', () => {
  assert.deepEqual([...STAT_NAMES_BASE], ALL.filter((name) => !name.startsWith('q')));
  assert.equal(ALL.length, 17);
});

test('null (NaN) rules by n and for all-equal values', () => {
  assert.deepEqual(nullNames(stats([])), ALL.filter((name) => name !== 'total'));
  assert.equal(stats([]).total, 0);
  assert.deepEqual(nullNames(stats([2])), ['stddev', 'skew', 'kurtosis', 'cv', 'bc', 'dip_pval']);
  assert.deepEqual(nullNames(stats([2, 5])), ['skew', 'kurtosis', 'bc', 'dip_pval']);
  assert.deepEqual(nullNames(stats([2, 5, 6])), ['kurtosis', 'bc', 'dip_pval']);
  assert.deepEqual(nullNames(stats([2, 5, 6, 9])), []);
  const constant = stats([4.2, 4.2, 4.2, 4.2, 4.2]);
  assert.deepEqual(nullNames(constant), ['skew', 'kurtosis', 'bc']);
  assert.equal(constant.mode, 4.2);
  assert.equal(constant.kde_peaks, 1);
  assert.equal(constant.stddev, 0);
  assert.equal(constant.cv, 0);
  assert.equal(nullNames(stats([-1, 1, -2, 2])).includes('cv'), true); // mean = 0
});

test('results are bit-identical whatever order the values arrive in', () => {
  let state = 11;
  const next = (): number => (state = (state * 48271) % 2147483647) / 2147483647;
  const values = Array.from({ length: 700 }, () => (next() < 0.3 ? 1e9 * next() : next() * 1000 - 200));
  const reference = stats(values);
  for (let trial = 0; trial < 5; trial++) {
    const shuffled = values.slice();
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    const again = stats(shuffled);
    for (const name of ALL) assert.ok(Object.is(again[name], reference[name]), `${name}: ${again[name]} vs ${reference[name]}`);
  }
});

test('writes at outOffset in the order of names, only n values used, scratch reusable', () => {
  const values = Float64Array.from([9, 1, 5, 3, 1e6, -1e6]); // last two are beyond n
  const out = new Float64Array(6).fill(-7);
  const scratch = new StatsScratch();
  computeStats(values, 4, ['maximum', 'total', 'q2'], out, 2, scratch);
  assert.deepEqual([...out], [-7, -7, 9, 18, 4, -7]);
  assert.deepEqual([...values.subarray(0, 4)], [1, 3, 5, 9]); // sorted in place
  computeStats(Float64Array.from([1, 2, 3, 4, 100, 101, 102, 103]), 8, ['kde_peaks', 'mode'], out, 0, scratch);
  assert.equal(out[0], 2);
  assert.ok(out[1]! >= 0 && out[1]! <= 5);
});

test('sortAscending orders exactly like Float64Array.prototype.sort (radix path and small path)', () => {
  let state = 23;
  const next = (): number => (state = (state * 48271) % 2147483647) / 2147483647;
  const special = [0, -0, 1e-310, -1e-310, Number.MIN_VALUE, -Number.MAX_VALUE, Number.MAX_VALUE, Infinity, -Infinity, 1, -1];
  const scratch = new SortScratch();
  for (const n of [0, 1, 7, 511, 512, 513, 3000, 20000]) {
    const values = Float64Array.from({ length: n }, (_, k) => {
      if (k < special.length && n > 20) return special[k]!;
      const u = next();
      if (u < 0.2) return Math.round(next() * 50) / 4; // ties
      if (u < 0.3) return -next() * 1e6;
      return Math.exp(40 * next() - 20); // many binades
    });
    const expected = values.slice().sort();
    const buffer = new Float64Array(n + 3).fill(42); // values beyond n stay put
    buffer.set(values);
    sortAscending(buffer, n, scratch);
    for (let k = 0; k < n; k++) assert.ok(Object.is(buffer[k], expected[k]), `n=${n} k=${k}: ${buffer[k]} vs ${expected[k]}`);
    assert.deepEqual([...buffer.subarray(n)], [42, 42, 42]);
  }
  const sameSign = Float64Array.from({ length: 1000 }, (_, k) => 1000 + (k % 7)); // most digits shared: skipped passes
  sortAscending(sameSign, sameSign.length, scratch);
  for (let k = 1; k < sameSign.length; k++) assert.ok(sameSign[k - 1]! <= sameSign[k]!);
});
