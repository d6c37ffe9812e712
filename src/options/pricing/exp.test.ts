import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mulberry32 } from '../../../test/support/rng.js';
import { exp } from './exp.js';

const f64 = new Float64Array(1);
const i64 = new BigInt64Array(f64.buffer);
function ulpsApart(a: number, b: number): number {
  f64[0] = a;
  const ia = i64[0]!;
  f64[0] = b;
  return Math.abs(Number(ia - i64[0]!));
}

test('exp is within 2 ulp of Math.exp, and mostly equal, over the whole finite range', () => {
  const random = mulberry32(20261202);
  const counts = [0, 0, 0];
  const scales = [1e-300, 1e-12, 1e-3, 0.3, 1, 5, 30, 200, 707.9];
  for (let i = 0; i < 1_000_000; i++) {
    const x = (2 * random() - 1) * scales[i % scales.length]!;
    const d = ulpsApart(exp(x), Math.exp(x));
    assert.ok(d <= 2, `exp(${x}) = ${exp(x)}, Math.exp = ${Math.exp(x)}: ${d} ulp`);
    counts[d]!++;
  }
  assert.ok(counts[0]! > 600_000, `equal in ${counts[0]} of 1 000 000`);
  assert.ok(counts[2]! < 100, `2 ulp in ${counts[2]} of 1 000 000`);
});

test('exp at the edges: exact points, the fallback range, infinities and NaN', () => {
  assert.equal(exp(0), 1);
  assert.equal(exp(-0), 1);
  assert.ok(ulpsApart(exp(1), Math.E) <= 1, `e: ${exp(1)}`);
  for (const k of [-1021, -500, -1, 1, 10, 1023]) {
    assert.ok(ulpsApart(exp(k * Math.LN2), Math.exp(k * Math.LN2)) <= 2, `k·ln 2, k = ${k}: ${exp(k * Math.LN2)}`);
  }
  for (const x of [-707.99, -708, -720, -745.1, -746, -1e300, 708.99, 709, 709.7, 710, 1e300]) {
    assert.ok(ulpsApart(exp(x), Math.exp(x)) <= 2 || exp(x) === Math.exp(x), `exp(${x})`);
  }
  assert.equal(exp(-Infinity), 0);
  assert.equal(exp(Infinity), Infinity);
  assert.ok(Number.isNaN(exp(NaN)));
  assert.equal(exp(-800), 0);
  assert.ok(exp(-740) > 0 && exp(-740) < 2.3e-308, 'subnormal result from the fallback');
});
