import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bimodalityCoefficient } from './bimodality.js';

test("Sarle's coefficient from G1, G2 and n", () => {
  // (G1² + 1) / (G2 + 3(n−1)²/((n−2)(n−3))) with G1 = 1, G2 = 0, n = 5: 2 / (3·16/6) = 0.25
  assert.equal(bimodalityCoefficient(1, 0, 5), 0.25);
  // Large uniform-like sample: G1 = 0, G2 = −1.2 → 1/1.8 = 5/9 in the limit
  assert.ok(Math.abs(bimodalityCoefficient(0, -1.2, 1e7) - 5 / 9) < 1e-6);
  assert.ok(Number.isNaN(bimodalityCoefficient(0, 0, 3)));
});
