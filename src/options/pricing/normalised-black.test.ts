import { test } from 'node:test';
import assert from 'node:assert/strict';
import reference from './fixtures/normalised-black.json' with { type: 'json' };
import { lastVega, normalisedTimeValue, normalisedTimeValueWithVega, normalisedVega } from './normalised-black.js';

// x ≤ 0 and s over all four evaluation regions: asymptotic (h = x/s < −10, small t), small t
// (s < 0.42), direct Φ difference (h + t > 0.85) and erfcx.
const xs = [0, -1e-12, -1e-6, -0.001, -0.01, -0.05, -0.2, -0.5, -1, -2, -5, -12];
const ss = [1e-6, 1e-3, 0.01, 0.05, 0.1, 0.2, 0.3, 0.41, 0.43, 0.6, 1, 2, 4, 8];

test('normalisedTimeValueWithVega returns normalisedTimeValue and puts its vega and 1/s beside it', () => {
  for (const x of xs) {
    for (const s of ss) {
      const b = normalisedTimeValueWithVega(x, s);
      assert.equal(b, normalisedTimeValue(x, s), `b at x=${x} s=${s}`);
      // The same formula as normalisedVega, with h = x·(1/s) in place of x/s: equal to the
      // rounding of h, which exp(−h²/2) scales by h².
      const amplification = 1 + (x / s) * (x / s);
      assert.ok(Math.abs(lastVega[0]! - normalisedVega(x, s)) <= 4e-16 * amplification * normalisedVega(x, s),
        `vega at x=${x} s=${s}: ${lastVega[0]} vs ${normalisedVega(x, s)}`);
      assert.equal(lastVega[1], 1 / s, `1/s at x=${x} s=${s}`);
      // Put–call symmetry: the time value depends on |x| only.
      assert.equal(normalisedTimeValueWithVega(-x, s), b, `symmetry at x=${x} s=${s}`);
    }
  }
  assert.equal(normalisedTimeValueWithVega(-1, 0), 0);
  assert.equal(lastVega[0], 0);
});

test('time value and vega match 80-digit mpmath values over all four evaluation regions', () => {
  let worst = 0;
  for (const { x, s, b: expected, vega } of reference.values) {
    const b = normalisedTimeValueWithVega(x, s);
    if (expected < 1e-300) {
      // Below the normal range the reference itself is 0 or subnormal: b must be that small too.
      assert.ok(b < 1e-290, `x=${x} s=${s}: ${b} vs ${expected}`);
      continue;
    }
    const error = Math.abs(b - expected) / expected;
    worst = Math.max(worst, error);
    // h = x/s and t = s/2 enter through exp(−(h² + t²)/2): a rounding of h² + t² costs ~(h² + t²)·ε.
    const amplification = (x / s) * (x / s) + (s / 2) * (s / 2);
    assert.ok(error <= 2e-14 + 4e-16 * amplification, `b at x=${x} s=${s}: ${b} vs ${expected} (rel ${error.toExponential(2)})`);
    assert.ok(Math.abs(lastVega[0]! - vega) <= (2e-15 + 4e-16 * amplification) * vega,
      `vega at x=${x} s=${s}: ${lastVega[0]} vs ${vega}`);
  }
  assert.ok(worst > 0, 'the comparison ran');
});
