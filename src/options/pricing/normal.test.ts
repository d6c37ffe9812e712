import { test } from 'node:test';
import assert from 'node:assert/strict';
import reference from './fixtures/reference.json' with { type: 'json' };
import { erf, erfc, erfcx, inverseNormCdf, normCdf, normPdf } from './normal.js';

const EPS = 2.220446049250313e-16;

function assertRel(actual: number, expected: number, tol: number, what: string): void {
  const err = Math.abs(actual - expected) / Math.abs(expected);
  assert.ok(err <= tol, `${what}: ${actual} vs ${expected} (rel err ${err.toExponential(2)} > ${tol})`);
}

test('normCdf matches mpmath on the body of the distribution', () => {
  for (const { x, cdf } of reference.norm_cdf) assertRel(normCdf(x), cdf, 4 * EPS, `normCdf(${x})`);
});

test('normCdf keeps full precision in the deep lower tail (mpmath, 40 digits)', () => {
  for (const { x, cdf } of reference.norm_cdf_tail) {
    // Below ~1e-308 the result is subnormal: only absolute precision 2^-1074 remains.
    const tol = cdf > 2.2250738585072014e-308 ? 8 * EPS : 4.9e-324 / cdf * 2;
    assertRel(normCdf(x), cdf, tol, `normCdf(${x})`);
  }
  assert.ok(normCdf(-38) > 2.8e-316 && normCdf(-38) < 2.9e-316);
  assert.equal(normCdf(-41), 0);
  assert.equal(normCdf(-Infinity), 0);
  assert.equal(normCdf(Infinity), 1);
  assert.ok(Number.isNaN(normCdf(NaN)));
});

test('normCdf symmetry and monotonicity', () => {
  for (let x = -8; x <= 8; x += 0.0625) {
    assert.ok(Math.abs(normCdf(x) + normCdf(-x) - 1) <= 2 * EPS, `symmetry at ${x}`);
    assert.ok(normCdf(x + 0.0625) >= normCdf(x), `monotone at ${x}`);
  }
});

test('normPdf, erf, erfc, erfcx agree with each other and known values', () => {
  assertRel(normPdf(0), 0.3989422804014327, EPS, 'φ(0)');
  assertRel(normPdf(-3), 0.0044318484119380075, 4 * EPS, 'φ(3)');
  assertRel(erf(0.5), 0.5204998778130465, 2 * EPS, 'erf(0.5)');
  assertRel(erf(-2), -0.9953222650189527, 2 * EPS, 'erf(-2)');
  assertRel(erfc(5), 1.5374597944280349e-12, 8 * EPS, 'erfc(5)');
  assertRel(erfc(-1), 1.8427007929497148, 2 * EPS, 'erfc(-1)');
  assertRel(erfcx(30), 0.018795888861416751, 8 * EPS, 'erfcx(30)');
  for (const x of [-3, -0.7, -0.2, 0, 0.3, 0.9, 2.5, 4.5, 8]) {
    assert.ok(Math.abs(erf(x) + erfc(x) - 1) <= 4 * EPS, `erf+erfc at ${x}`);
    assertRel(erfcx(x) * Math.exp(-x * x), erfc(x), 64 * EPS, `erfcx at ${x}`);
  }
});

test('inverseNormCdf inverts normCdf', () => {
  for (let x = -37; x <= 8; x += 0.25) {
    const u = normCdf(x);
    const back = inverseNormCdf(u);
    // AS 241 is good to ~1e-16 relative in u; map it through 1/φ.
    assert.ok(Math.abs(back - x) <= 1e-14 * Math.max(1, Math.abs(x)) + 4 * EPS * u / normPdf(x), `x=${x}: ${back}`);
  }
  assert.equal(inverseNormCdf(0), -Infinity);
  assert.equal(inverseNormCdf(1), Infinity);
  assert.ok(Number.isNaN(inverseNormCdf(1.5)));
});
