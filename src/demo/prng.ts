/**
 * Seeded pseudo-random numbers for the synthetic data generator. Pure, no I/O.
 *
 * xoshiro128** (Blackman & Vigna) seeded through splitmix32: 32-bit integer
 * arithmetic only (`Math.imul`, `>>>`), so the same seed gives the same
 * sequence on every platform and Node version. `Math.random` is never used.
 *
 * Independent streams: `Rng.derive(seed, label)` mixes a label (e.g.
 * `stocks:AAPL`) into the seed, so each ticker/contract has its own stream and
 * changing how many numbers one part of the generator draws never shifts
 * another part's data.
 */

/** One step of splitmix32 on a 32-bit state; returns [nextState, output]. */
function splitmix32(state: number): [number, number] {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return [next, z >>> 0];
}

/** FNV-1a 32-bit hash of a string (its UTF-16 code units), used to turn labels into seeds. */
export function hashLabel(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const TWO_POW_32 = 4294967296;

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  /** Second value of the last Box–Muller pair, or NaN. */
  private spareNormal = Number.NaN;

  /** A stream from a 32-bit seed (any integer; only its low 32 bits matter). */
  constructor(seed: number) {
    let st = seed | 0;
    let out: number;
    [st, out] = splitmix32(st); this.s0 = out;
    [st, out] = splitmix32(st); this.s1 = out;
    [st, out] = splitmix32(st); this.s2 = out;
    [st, out] = splitmix32(st); this.s3 = out;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // the all-zero state is a fixed point
  }

  /** An independent stream for `label` under `seed`. */
  static derive(seed: number, label: string): Rng {
    return new Rng((Math.imul(seed | 0, 0x9e3779b1) ^ hashLabel(label)) | 0);
  }

  /** Next uniform 32-bit unsigned integer. */
  nextU32(): number {
    const s0 = this.s0, s1 = this.s1, s2 = this.s2, s3 = this.s3;
    const x = Math.imul(s1, 5);
    const result = Math.imul((x << 7) | (x >>> 25), 9);
    const t = s1 << 9;
    this.s2 = s2 ^ s0;
    this.s3 = s3 ^ s1;
    this.s1 = s1 ^ this.s2;
    this.s0 = s0 ^ this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return result >>> 0;
  }

  /** Uniform in [0, 1), resolution 2^-32. */
  uniform(): number {
    return this.nextU32() / TWO_POW_32;
  }

  /** Uniform in (0, 1): never exactly 0 or 1 (safe for logarithms and powers). */
  uniformOpen(): number {
    return (this.nextU32() + 0.5) / TWO_POW_32;
  }

  /** Integer uniform in [lo, hi] (inclusive; hi - lo < 2^32). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.uniform() * (hi - lo + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.uniform() < p;
  }

  /** One element of a non-empty array, uniformly. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.uniform() * items.length)]!;
  }

  /** Standard normal (Box–Muller, pairs cached). */
  normal(): number {
    if (!Number.isNaN(this.spareNormal)) {
      const v = this.spareNormal;
      this.spareNormal = Number.NaN;
      return v;
    }
    const radius = Math.sqrt(-2 * Math.log(this.uniformOpen()));
    const angle = 2 * Math.PI * this.uniform();
    this.spareNormal = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }

  /** Exponential with the given mean. */
  exponential(mean: number): number {
    return -mean * Math.log(this.uniformOpen());
  }
}

/**
 * Picks indices with fixed relative weights in O(log n) per draw
 * (cumulative table + binary search).
 */
export class WeightedPicker {
  private readonly cumulative: Float64Array;

  constructor(weights: readonly number[]) {
    if (weights.length === 0) throw new RangeError('WeightedPicker needs at least one weight');
    this.cumulative = new Float64Array(weights.length);
    let total = 0;
    weights.forEach((w, i) => {
      if (!(w >= 0)) throw new RangeError(`weight ${i} is ${w}`);
      total += w;
      this.cumulative[i] = total;
    });
    if (total <= 0) throw new RangeError('weights sum to zero');
  }

  /** An index in [0, weights.length). */
  pick(rng: Rng): number {
    const c = this.cumulative;
    const target = rng.uniform() * c[c.length - 1]!;
    let lo = 0, hi = c.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (c[mid]! > target) hi = mid; else lo = mid + 1;
    }
    return lo;
  }
}
