import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  countLocalMaxima, evaluateKdeGrid, evaluateKdeGridDirect, expNearZero, gridPoint, KDE_GRID_POINTS, kdeGrid, kdeMode, scottBandwidth, type KdeGrid,
} from './kde.js';

function lcg(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 48271) % 2147483647) / 2147483647;
}

function curves(sorted: Float64Array, bandwidth: number): { fast: Float64Array; direct: Float64Array; grid: KdeGrid } {
  const grid = kdeGrid(sorted[0]!, sorted[sorted.length - 1]!, bandwidth, { start: 0, end: 0, step: 0 });
  const fast = new Float64Array(KDE_GRID_POINTS);
  const direct = new Float64Array(KDE_GRID_POINTS);
  evaluateKdeGrid(sorted, sorted.length, bandwidth, grid, fast);
  evaluateKdeGridDirect(sorted, sorted.length, bandwidth, grid, direct);
  return { fast, direct, grid };
}

/**
 * Both evaluations see the grid through rounded g_j = start + j·step; with values
 * of magnitude |x| and bandwidth h that alone moves z = (g − x)/h by ~ε|x|/h, so
 * the comparison allows 5e-13 plus that conditioning term (times z² ≲ 40²).
 */
test('the recurrence matches direct evaluation to ~1e-13 relative', () => {
  const next = lcg(5);
  const samples: Float64Array[] = [
    Float64Array.from({ length: 300 }, () => next() * 10).sort(), // wide grid step
    Float64Array.from({ length: 2000 }, () => (next() + next() + next()) * 3).sort(), // narrow step, long walks
    Float64Array.from({ length: 500 }, () => Math.floor(next() * 4)).sort(), // heavy ties
    Float64Array.from([0, 0.1, 0.2, 1e6, 1e6 + 0.3]), // kernels underflow between clusters
    Float64Array.from({ length: 200 }, () => 1e9 + next() * 1e5).sort(), // 1e9-dollar values
    // A dense cluster and sparse outliers: walks end early where they are negligible, tails must stay exact.
    Float64Array.from({ length: 3000 }, (_, k) => (k % 500 === 7 ? 30 + k / 10 : next() + next())).sort(),
  ];
  for (const sorted of samples) {
    const n = sorted.length;
    let mean = 0;
    for (const v of sorted) mean += v / n;
    let m2 = 0;
    for (const v of sorted) m2 += (v - mean) ** 2;
    const bandwidth = scottBandwidth(Math.sqrt(m2 / (n - 1)), n);
    const { fast, direct } = curves(sorted, bandwidth);
    const peak = Math.max(...direct);
    const tolerance = 5e-13 + 1600 * Number.EPSILON * Math.abs(sorted[n - 1]!) / bandwidth;
    for (let j = 0; j < KDE_GRID_POINTS; j++) {
      if (direct[j]! < 1e-250 * peak) continue;
      const relative = Math.abs(fast[j]! - direct[j]!) / direct[j]!;
      assert.ok(relative < tolerance, `n=${n} j=${j}: ${fast[j]} vs ${direct[j]} (${relative})`);
    }
    assert.equal(countLocalMaxima(fast), countLocalMaxima(direct));
  }
});

test('grid follows numpy linspace and the mode of a single bump is at its centre', () => {
  const grid = kdeGrid(-1, 1, 0.5, { start: 0, end: 0, step: 0 });
  assert.equal(gridPoint(grid, 0), -2.5);
  assert.equal(gridPoint(grid, KDE_GRID_POINTS - 1), 2.5);
  const density = new Float64Array(KDE_GRID_POINTS);
  evaluateKdeGrid(Float64Array.from([-1, 0, 0, 0, 1]), 5, 0.5, grid, density);
  assert.ok(Math.abs(kdeMode(density, grid)) <= grid.step);
  assert.equal(countLocalMaxima(density), 1);
});

test('symmetric two-bump data: two peaks, mode is the lower of the tied maxima', () => {
  const x = Float64Array.from([-5, -5, -5, 5, 5, 5]);
  const { fast, grid } = curves(x, 1);
  assert.equal(countLocalMaxima(fast), 2);
  assert.ok(Math.abs(kdeMode(fast, grid) - -5) <= grid.step);
});

test('countLocalMaxima: plateaus count once, edges count against −∞', () => {
  assert.equal(countLocalMaxima([0, 1, 1, 1, 0], 5), 1);
  assert.equal(countLocalMaxima([0, 1, 0, 1, 0], 5), 2);
  assert.equal(countLocalMaxima([3, 2, 1], 3), 1);
  assert.equal(countLocalMaxima([1, 2, 2, 3], 4), 1);
  assert.equal(countLocalMaxima([0, 0, 1, 0, 0, 2, 0], 7), 2);
  assert.equal(countLocalMaxima([1, 2, 2, 1, 2, 2, 1], 7), 2);
  assert.equal(countLocalMaxima([1, 1, 1], 3), 1);
});

test('kdeMode picks the lowest grid point within 1e-9 relative of the maximum', () => {
  const grid: KdeGrid = { start: 0, end: 511, step: 1 };
  const density = new Float64Array(KDE_GRID_POINTS);
  density[100] = 1 - 5e-10;
  density[300] = 1;
  assert.equal(kdeMode(density, grid), 100);
  density[100] = 1 - 2e-9;
  assert.equal(kdeMode(density, grid), 300);
});

test('expNearZero agrees with Math.exp to 2 ulp on [−0.05, 0.05]', () => {
  for (let k = -1000; k <= 1000; k++) {
    const x = (k / 1000) * 0.05 + k * 1e-9;
    if (Math.abs(x) > 0.05) continue;
    const relative = Math.abs(expNearZero(x) - Math.exp(x)) / Math.exp(x);
    assert.ok(relative <= 2 * Number.EPSILON, `x=${x}: ${expNearZero(x)} vs ${Math.exp(x)}`);
  }
});

test('randomized windows of every shape: same peak count and mode as direct evaluation, curve within tolerance', () => {
  const next = lcg(12345);
  const normal = (): number => {
    let z = -6;
    for (let k = 0; k < 12; k++) z += next();
    return z;
  };
  const direct = new Float64Array(KDE_GRID_POINTS);
  const fast = new Float64Array(KDE_GRID_POINTS);
  let checked = 0;
  for (let t = 0; t < 120; t++) {
    const n = 2 + Math.floor(next() ** 2 * 1500);
    const centers = Array.from({ length: 1 + Math.floor(next() * 5) }, () => next() * 100);
    const x = Float64Array.from({ length: n }, () => {
      const c = centers[Math.floor(next() * centers.length)]!;
      switch (t % 6) {
        case 0: return c + normal(); // mixtures
        case 1: return Math.round((c + normal() * 3) * 100) / 100; // cent ticks
        case 2: return Math.exp(3 + 1.5 * normal()); // lognormal (coarse grid)
        case 3: return (0.05 + 0.9 * next()) * 680 * (1 + Math.floor(next() ** 4 * 200)) * 100; // dadvv-like (fine grid)
        case 4: return next() < 0.01 ? c * 1000 : c + normal() * 0.1; // rare far outliers
        default: return Math.floor(next() * 6); // heavy ties
      }
    }).sort();
    if (x[0] === x[n - 1]) continue;
    let mean = 0;
    for (const v of x) mean += v / n;
    let m2 = 0;
    for (const v of x) m2 += (v - mean) ** 2;
    const bandwidth = scottBandwidth(Math.sqrt(m2 / (n - 1)), n);
    const grid = kdeGrid(x[0]!, x[n - 1]!, bandwidth, { start: 0, end: 0, step: 0 });
    evaluateKdeGrid(x, n, bandwidth, grid, fast);
    evaluateKdeGridDirect(x, n, bandwidth, grid, direct);
    assert.equal(countLocalMaxima(fast), countLocalMaxima(direct), `window ${t} (n=${n})`);
    assert.equal(kdeMode(fast, grid), kdeMode(direct, grid), `window ${t} (n=${n})`);
    const peak = Math.max(...direct);
    const tolerance = 5e-13 + 1600 * Number.EPSILON * Math.abs(x[n - 1]!) / bandwidth;
    for (let j = 0; j < KDE_GRID_POINTS; j++) {
      if (direct[j]! < 1e-250 * peak) continue;
      assert.ok(Math.abs(fast[j]! - direct[j]!) <= tolerance * direct[j]!, `window ${t} j=${j}: ${fast[j]} vs ${direct[j]}`);
    }
    checked++;
  }
  assert.ok(checked >= 100, `checked ${checked} windows`);
});
