import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, WeightedPicker, hashLabel } from './prng.js';

describe('Rng', () => {
  it('repeats its sequence for a seed and differs across seeds and labels', () => {
    const draw = (r: Rng) => Array.from({ length: 8 }, () => r.nextU32());
    assert.deepEqual(draw(new Rng(42)), draw(new Rng(42)));
    assert.notDeepEqual(draw(new Rng(42)), draw(new Rng(43)));
    assert.deepEqual(draw(Rng.derive(1, 'stocks:SPY')), draw(Rng.derive(1, 'stocks:SPY')));
    assert.notDeepEqual(draw(Rng.derive(1, 'stocks:SPY')), draw(Rng.derive(1, 'stocks:QQQ')));
    assert.notEqual(hashLabel('a'), hashLabel('b'));
  });

  it('matches an independent xoshiro128** + splitmix32 implementation', () => {
    const r = new Rng(1);
    assert.deepEqual(Array.from({ length: 4 }, () => r.nextU32()), [r0(1, 0), r0(1, 1), r0(1, 2), r0(1, 3)]);
  });

  it('draws uniforms in [0, 1), integers in range and normals with mean 0, variance 1', () => {
    const r = new Rng(7);
    let sum = 0, sumSq = 0, uSum = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const u = r.uniform();
      assert.ok(u >= 0 && u < 1);
      uSum += u;
      const k = r.int(3, 5);
      assert.ok(k === 3 || k === 4 || k === 5);
      const z = r.normal();
      sum += z; sumSq += z * z;
    }
    assert.ok(Math.abs(uSum / n - 0.5) < 0.01);
    assert.ok(Math.abs(sum / n) < 0.02);
    assert.ok(Math.abs(sumSq / n - 1) < 0.03);
  });

  it('picks weighted indices in proportion', () => {
    const picker = new WeightedPicker([1, 0, 3]);
    const r = new Rng(3);
    const counts = [0, 0, 0];
    for (let i = 0; i < 40_000; i++) counts[picker.pick(r)]!++;
    assert.equal(counts[1], 0);
    assert.ok(Math.abs(counts[2]! / counts[0]! - 3) < 0.2);
    assert.throws(() => new WeightedPicker([]));
    assert.throws(() => new WeightedPicker([0, 0]));
  });
});

/** Reference xoshiro128** written independently with BigInt-free 32-bit ops, seeded by splitmix32 like Rng. */
function r0(seed: number, index: number): number {
  const s = new Uint32Array(4);
  let st = seed | 0;
  for (let i = 0; i < 4; i++) {
    st = (st + 0x9e3779b9) | 0;
    let z = st;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    s[i] = (z ^ (z >>> 16)) >>> 0;
  }
  let out = 0;
  for (let k = 0; k <= index; k++) {
    const x = Math.imul(s[1]!, 5) >>> 0;
    out = Math.imul(((x << 7) | (x >>> 25)) >>> 0, 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2]! ^= s[0]!; s[3]! ^= s[1]!; s[1]! ^= s[2]!; s[0]! ^= s[3]!; s[2]! ^= t;
    s[3] = (s[3]! << 11) | (s[3]! >>> 21);
  }
  return out;
}
