import { test } from 'node:test';
import assert from 'node:assert/strict';
import reference from './fixtures/reference.json' with { type: 'json' };
import {
  bsmDelta, bsmGamma, bsmGreeks, bsmPrice, bsmTheta, bsmVega, intrinsicValue, noArbitrageBounds, type OptionRight,
} from './bsm.js';

function assertClose(actual: number, expected: number, relTol: number, absTol: number, what: string): void {
  const err = Math.abs(actual - expected);
  assert.ok(err <= relTol * Math.abs(expected) + absTol, `${what}: ${actual} vs ${expected} (err ${err.toExponential(2)})`);
}

test("Hull's example: S=42, K=40, r=10%, T=0.5, σ=20%", () => {
  const call = bsmPrice('C', 42, 40, 0.5, 0.1, 0, 0.2);
  const put = bsmPrice('P', 42, 40, 0.5, 0.1, 0, 0.2);
  assert.equal(call.toFixed(2), '4.76');
  assert.equal(put.toFixed(2), '0.81');
  assertClose(call, 4.759422392871532, 1e-14, 0, 'call');
  // 0.808599372900102 is the naive closed form; 40-digit value is 0.80859937290009358…
  assertClose(put, 0.808599372900102, 1e-13, 0, 'put');
  assertClose(put, 0.8085993729000935833, 1e-15, 0, 'put (exact)');
});

test('matches scipy reference prices and greeks', () => {
  assert.ok(reference.options.length >= 40);
  for (const o of reference.options) {
    const right = o.right as OptionRight;
    const g = bsmGreeks(right, o.S, o.K, o.T, o.r, o.q, o.sigma);
    const what = `${o.right} K=${o.K} T=${o.T} σ=${o.sigma}`;
    // The scipy closed form subtracts two products: its own error is ~eps·S.
    assertClose(g.price, o.price, 1e-13, 1e-14 * o.S, `${what} price`);
    assertClose(g.delta, o.delta, 1e-12, 1e-15, `${what} delta`);
    assertClose(g.gamma, o.gamma, 1e-12, 1e-15, `${what} gamma`);
    assertClose(g.vega, o.vega, 1e-12, 1e-15, `${what} vega`);
    assertClose(g.theta, o.theta, 1e-12, 1e-12 * o.S, `${what} theta`);
  }
});

const grid: Array<[number, number, number, number, number]> = []; // K, T, r, q, sigma
for (const K of [50, 80, 100, 120, 200]) {
  for (const T of [1 / 525600, 1 / 365, 0.25, 3]) {
    for (const sigma of [0.05, 0.3, 1.5]) grid.push([K, T, 0.04, 0.02, sigma]);
  }
}

test('put–call parity C − P = S e^{−qT} − K e^{−rT} to 1e-12·S', () => {
  const S = 100;
  for (const [K, T, r, q, sigma] of grid) {
    const lhs = bsmPrice('C', S, K, T, r, q, sigma) - bsmPrice('P', S, K, T, r, q, sigma);
    const rhs = S * Math.exp(-q * T) - K * Math.exp(-r * T);
    assert.ok(Math.abs(lhs - rhs) <= 1e-12 * S, `K=${K} T=${T} σ=${sigma}: ${lhs} vs ${rhs}`);
  }
});

test('greeks match finite differences of the price', () => {
  const S = 100;
  for (const right of ['C', 'P'] as const) {
    for (const [K, T, r, q, sigma] of grid) {
      if (sigma * Math.sqrt(T) < 0.01) continue; // kink too sharp for a fixed-step difference
      const p = (s: number, t: number, v: number): number => bsmPrice(right, s, K, t, r, q, v);
      const what = `${right} K=${K} T=${T} σ=${sigma}`;
      const spread = S * sigma * Math.sqrt(T); // price scale of the kink: steps relative to it
      const hS = 1e-4 * spread;
      const fdDelta = (p(S + hS, T, sigma) - p(S - hS, T, sigma)) / (2 * hS);
      const hG = 2e-3 * spread;
      const fdGamma = (p(S + hG, T, sigma) - 2 * p(S, T, sigma) + p(S - hG, T, sigma)) / (hG * hG);
      const hV = 1e-5;
      const fdVega = (p(S, T, sigma + hV) - p(S, T, sigma - hV)) / (2 * hV);
      const hT = 1e-4 * T;
      const fdTheta = -(p(S, T + hT, sigma) - p(S, T - hT, sigma)) / (2 * hT);
      assertClose(bsmDelta(right, S, K, T, r, q, sigma), fdDelta, 1e-6, 1e-9, `${what} delta`);
      assertClose(bsmGamma(right, S, K, T, r, q, sigma), fdGamma, 1e-4, 1e-7, `${what} gamma`);
      assertClose(bsmVega(right, S, K, T, r, q, sigma), fdVega, 1e-6, 1e-8, `${what} vega`);
      assertClose(bsmTheta(right, S, K, T, r, q, sigma), fdTheta, 1e-5, 1e-6 * S, `${what} theta`);
    }
  }
});

test('far out-of-the-money prices stay positive and accurate (no cancellation)', () => {
  // 1-minute 50%-OTM call: the naive formula gives exactly 0. Reference: mpmath, 40 digits.
  const p = bsmPrice('C', 100, 150, 1 / 525600, 0, 0, 0.2);
  assert.equal(p, 0); // true value ~1e-60000: underflows, correctly
  const far = bsmPrice('C', 100, 200, 0.25, 0.05, 0, 0.2);
  assertClose(far, 9.9102037070272889718e-12, 1e-13, 0, 'K=200 call');
});

test('price is monotone in σ and bounded by the no-arbitrage interval', () => {
  for (const right of ['C', 'P'] as const) {
    for (const [K, T, r, q] of grid) {
      const { lower, upper } = noArbitrageBounds(right, 100, K, T, r, q);
      let previous = lower;
      for (let sigma = 0.01; sigma < 10; sigma *= 1.5) {
        const price = bsmPrice(right, 100, K, T, r, q, sigma);
        assert.ok(price >= previous && price <= upper, `${right} K=${K} T=${T} σ=${sigma}`);
        previous = price;
      }
    }
  }
});

test('edge cases: zero vol or time give the intrinsic value, bad inputs give NaN', () => {
  assert.equal(bsmPrice('C', 100, 90, 0, 0.05, 0, 0.3), 10);
  assert.equal(bsmPrice('P', 100, 90, 0, 0.05, 0, 0.3), 0);
  assertClose(bsmPrice('C', 100, 90, 1, 0.05, 0.01, 0), 100 * Math.exp(-0.01) - 90 * Math.exp(-0.05), 1e-15, 0, 'σ=0');
  assert.equal(bsmPrice('C', 0, 90, 1, 0.05, 0, 0.3), 0);
  assertClose(bsmPrice('P', 0, 90, 1, 0.05, 0, 0.3), 90 * Math.exp(-0.05), 1e-15, 0, 'S=0 put');
  for (const bad of [[-1, 90, 1, 0.3], [100, -1, 1, 0.3], [100, 90, -1, 0.3], [100, 90, 1, -0.3], [NaN, 90, 1, 0.3]]) {
    const [S, K, T, sigma] = bad as [number, number, number, number];
    assert.ok(Number.isNaN(bsmPrice('C', S, K, T, 0, 0, sigma)), JSON.stringify(bad));
    assert.ok(Number.isNaN(bsmGreeks('C', S, K, T, 0, 0, sigma).delta), JSON.stringify(bad));
  }
  const g = bsmGreeks('P', 100, 120, 0.5, 0.05, 0, 0);
  assert.deepEqual([g.delta, g.gamma, g.vega], [-1, 0, 0]);
});

test('intrinsic value and bounds', () => {
  assert.equal(intrinsicValue('C', 105, 100), 5);
  assert.equal(intrinsicValue('C', 95, 100), 0);
  assert.equal(intrinsicValue('P', 95, 100), 5);
  assert.equal(intrinsicValue('P', 105, 100), 0);
  const b = noArbitrageBounds('P', 100, 110, 1, 0.05, 0.02);
  assertClose(b.lower, 110 * Math.exp(-0.05) - 100 * Math.exp(-0.02), 1e-15, 0, 'put lower');
  assertClose(b.upper, 110 * Math.exp(-0.05), 1e-15, 0, 'put upper');
  assert.equal(noArbitrageBounds('C', 100, 110, 1, 0.05, 0.02).lower, 0);
});

test('bsmGreeks fills a caller-supplied object', () => {
  const out = { price: 0, delta: 0, gamma: 0, vega: 0, theta: 0 };
  assert.equal(bsmGreeks('C', 42, 40, 0.5, 0.1, 0, 0.2, out), out);
  assertClose(out.price, 4.759422392871532, 1e-14, 0, 'price');
});
