import { test } from 'node:test';
import assert from 'node:assert/strict';
import reference from './fixtures/reference.json' with { type: 'json' };
import { bsmPrice, bsmVega, noArbitrageBounds, type OptionRight } from './bsm.js';
import { impliedVolatility, ivStatusName, IvStatus, lastIvStatus } from './iv.js';

const EPS = 2.220446049250313e-16;

function logGrid(from: number, to: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => from * Math.pow(to / from, i / (n - 1)));
}

test("round trip over moneyness 0.5–2, T 1 minute–3 years, σ 1%–500%, calls and puts, q ≠ 0", () => {
  // "Informative" = a relative change of 1e-8 in σ moves the price by more than 4 ulps:
  //   vega·σ·1e-8 > 4·eps·price.
  // Elsewhere (deep in the money where the price is all intrinsic, or far out of the money at
  // tiny σ√T) the double price cannot pin σ to 1e-8, whatever the solver; nor can prices below
  // 1e-300, where the normalised time value becomes subnormal. For every solution
  // we also check the solver loses nothing beyond that conditioning: the relative σ error is at
  // most 16× cond, cond = eps·price/(vega·σ) (the σ change a one-ulp price change makes), or
  // 16 eps when the problem is well conditioned.
  const S = 100, r = 0.045, q = 0.013;
  let informative = 0, solved = 0, worstRatio = 0;
  for (const moneyness of logGrid(0.5, 2, 25)) {
    for (const T of logGrid(1 / 525600, 3, 25)) {
      for (const sigma of logGrid(0.01, 5, 25)) {
        for (const right of ['C', 'P'] as const) {
          const K = S * moneyness;
          const price = bsmPrice(right, S, K, T, r, q, sigma);
          const vega = bsmVega(right, S, K, T, r, q, sigma);
          const what = `${right} K=${K} T=${T} σ=${sigma} price=${price}`;
          const implied = impliedVolatility(price, right, S, K, T, r, q);
          const status = lastIvStatus();
          if (vega * sigma * 1e-8 > 4 * EPS * price && price > 1e-300) {
            informative++;
            assert.equal(status, IvStatus.Ok, `${what}: ${ivStatusName(status)}`);
            assert.ok(Math.abs(implied - sigma) <= 1e-8 * sigma, `${what}: σ̂=${implied}`);
          }
          if (status === IvStatus.Ok) {
            solved++;
            const resolution = Math.max(EPS * price, 5e-324); // subnormal prices: absolute resolution
            const cond = resolution / (vega * sigma);
            const ratio = Math.abs(implied - sigma) / sigma / Math.max(cond, EPS);
            worstRatio = Math.max(worstRatio, ratio);
            assert.ok(ratio <= 16, `${what}: σ̂=${implied}, error ${ratio.toFixed(1)}× conditioning`);
          } else {
            assert.ok(Number.isNaN(implied), `${what}: no solution must be NaN`);
          }
        }
      }
    }
  }
  assert.ok(informative > 10000, `only ${informative} informative cases`);
  assert.ok(solved >= informative);
});

test('matches scipy brentq implied volatilities', () => {
  for (const o of reference.options) {
    const right = o.right as OptionRight;
    const implied = impliedVolatility(o.price, right, o.S, o.K, o.T, o.r, o.q);
    assert.equal(lastIvStatus(), IvStatus.Ok);
    // The reference price itself carries ~eps·S of error from the closed form's subtraction.
    const tol = 1e-12 * o.implied_vol + 4 * EPS * o.S / o.vega;
    assert.ok(Math.abs(implied - o.implied_vol) <= tol, `${o.right} K=${o.K} T=${o.T}: ${implied} vs ${o.implied_vol}`);
  }
});

test("Hull's example inverts to 20%", () => {
  assert.ok(Math.abs(impliedVolatility(4.759422392871532, 'C', 42, 40, 0.5, 0.1, 0) - 0.2) < 1e-14);
  assert.ok(Math.abs(impliedVolatility(0.808599372900102, 'P', 42, 40, 0.5, 0.1, 0) - 0.2) < 1e-13);
});

test('prices outside the open no-arbitrage interval have no solution', () => {
  const S = 100, T = 0.25, r = 0.05, q = 0.02;
  for (const right of ['C', 'P'] as const) {
    for (const K of [80, 100, 125]) {
      const { lower, upper } = noArbitrageBounds(right, S, K, T, r, q);
      if (lower > 0) {
        assert.ok(Number.isNaN(impliedVolatility(lower, right, S, K, T, r, q)));
        assert.equal(lastIvStatus(), IvStatus.BelowLowerBound, `${right} ${K} at lower`);
        assert.ok(Number.isNaN(impliedVolatility(lower * 0.99, right, S, K, T, r, q)));
        assert.equal(lastIvStatus(), IvStatus.BelowLowerBound);
      }
      for (const p of [upper, upper * 1.01]) {
        assert.ok(Number.isNaN(impliedVolatility(p, right, S, K, T, r, q)));
        assert.equal(lastIvStatus(), IvStatus.AboveUpperBound, `${right} ${K} at ${p}`);
      }
    }
  }
  // Just inside the interval: a (large) solution exists, or it is above max_iv, never a wrong number.
  const nearUpper = noArbitrageBounds('C', S, 100, T, r, q).upper * (1 - 1e-9);
  const v = impliedVolatility(nearUpper, 'C', S, 100, T, r, q, 1e-6, 1000);
  assert.equal(lastIvStatus(), IvStatus.Ok);
  assert.ok(Math.abs(bsmPrice('C', S, 100, T, r, q, v) - nearUpper) <= 8 * EPS * nearUpper);
});

test('σ outside [minIv, maxIv] is OutOfRange', () => {
  const S = 100, K = 100, T = 0.1, r = 0.03, q = 0.01;
  const high = bsmPrice('C', S, K, T, r, q, 12);
  assert.ok(Number.isNaN(impliedVolatility(high, 'C', S, K, T, r, q)));
  assert.equal(lastIvStatus(), IvStatus.OutOfRange);
  assert.ok(Math.abs(impliedVolatility(high, 'C', S, K, T, r, q, 1e-6, 20) - 12) < 1e-12);
  // At the forward (r = q) the price is linear in tiny σ, so σ = 5e-7 is still well defined.
  const low = bsmPrice('P', S, K, T, 0.01, 0.01, 5e-7);
  assert.ok(low > 1e-6);
  assert.ok(Number.isNaN(impliedVolatility(low, 'P', S, K, T, 0.01, 0.01)));
  assert.equal(lastIvStatus(), IvStatus.OutOfRange);
  assert.ok(Math.abs(impliedVolatility(low, 'P', S, K, T, 0.01, 0.01, 1e-7) - 5e-7) < 1e-19);
  // Custom bounds: a call worth 0.30 here implies σ ≈ 1.45 %, outside [0.5, 1].
  assert.ok(Number.isNaN(impliedVolatility(0.3, 'C', S, K, T, r, q, 0.5, 1)));
  assert.equal(lastIvStatus(), IvStatus.OutOfRange);
});

test('invalid inputs', () => {
  const cases: Array<[number, number, number, number, number, number]> = [
    [NaN, 100, 100, 0.1, 0, 0], [-1, 100, 100, 0.1, 0, 0], [0, 100, 100, 0.1, 0, 0], [Infinity, 100, 100, 0.1, 0, 0],
    [1, 0, 100, 0.1, 0, 0], [1, -100, 100, 0.1, 0, 0], [1, NaN, 100, 0.1, 0, 0],
    [1, 100, 0, 0.1, 0, 0], [1, 100, NaN, 0.1, 0, 0],
    [1, 100, 100, 0, 0, 0], [1, 100, 100, -0.1, 0, 0], [1, 100, 100, NaN, 0, 0],
    [1, 100, 100, 0.1, NaN, 0], [1, 100, 100, 0.1, 0, Infinity],
  ];
  for (const [price, S, K, T, r, q] of cases) {
    assert.ok(Number.isNaN(impliedVolatility(price, 'C', S, K, T, r, q)));
    assert.equal(lastIvStatus(), IvStatus.InvalidInput, JSON.stringify([price, S, K, T, r, q]));
  }
  assert.ok(Number.isNaN(impliedVolatility(1, 'C', 100, 100, 0.1, 0, 0, 0, 10)));
  assert.equal(lastIvStatus(), IvStatus.InvalidInput);
  assert.ok(Number.isNaN(impliedVolatility(1, 'C', 100, 100, 0.1, 0, 0, 2, 1)));
  assert.equal(lastIvStatus(), IvStatus.InvalidInput);
  assert.equal(ivStatusName(IvStatus.InvalidInput), 'invalid_input');
});

test('minutes to expiry with realistic 0DTE quotes', () => {
  // SPX-like: 10 minutes left, strikes ±2 %, prices quoted in cents.
  const S = 5000, T = 10 / 525600, r = 0.05, q = 0.013;
  for (const K of [4900, 4975, 5000, 5025, 5100]) {
    for (const right of ['C', 'P'] as const) {
      const price = Math.round(bsmPrice(right, S, K, T, r, q, 0.18) * 100) / 100;
      if (price === 0) { // far OTM rounds to no price at all
        assert.ok(Number.isNaN(impliedVolatility(price, right, S, K, T, r, q)));
        assert.equal(lastIvStatus(), IvStatus.InvalidInput);
        continue;
      }
      const v = impliedVolatility(price, right, S, K, T, r, q);
      if (lastIvStatus() === IvStatus.Ok) {
        assert.ok(Math.abs(bsmPrice(right, S, K, T, r, q, v) - price) <= 64 * EPS * price, `${right} ${K}`);
      } else {
        // Rounded to cents, deep OTM/ITM prices may leave the open interval or imply σ < min_iv.
        assert.ok([IvStatus.BelowLowerBound, IvStatus.OutOfRange].includes(lastIvStatus() as 1 | 3), `${right} ${K}`);
      }
    }
  }
});
