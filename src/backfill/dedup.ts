/**
 * The set of dedup keys of one ticker's rows, compact enough for a whole
 * day of SPY trades (millions of rows): each key is kept as a 64-bit hash in an
 * open-addressing table (8 bytes a slot, at most half full), not as a string.
 * Two different keys share a hash with probability ~n²/2^65 (1e-6 for 5 M
 * rows of one ticker).
 *
 * Pure: no I/O.
 */

/** Two 32-bit FNV-1a style hashes of `text` with different offsets and multipliers. */
export function hash64(text: string): [number, number] {
  let a = 0x811c9dc5, b = 0x2f5a6c1d;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  a ^= a >>> 16; a = Math.imul(a, 0x85ebca6b); a ^= a >>> 13;
  b ^= b >>> 16; b = Math.imul(b, 0xc2b2ae35); b ^= b >>> 16;
  return [a >>> 0, b >>> 0];
}

export class KeySet {
  private hi: Uint32Array;
  private lo: Uint32Array;
  private used: Uint8Array;
  private count = 0;

  constructor(initialCapacity = 1024) {
    let cap = 16;
    while (cap < initialCapacity * 2) cap *= 2;
    this.hi = new Uint32Array(cap);
    this.lo = new Uint32Array(cap);
    this.used = new Uint8Array(cap);
  }

  get size(): number { return this.count; }

  /** Adds `key`; false when it was already there. */
  add(key: string): boolean {
    const [h, l] = hash64(key);
    if ((this.count + 1) * 2 > this.used.length) this.grow();
    return this.insert(h, l);
  }

  has(key: string): boolean {
    const [h, l] = hash64(key);
    const mask = this.used.length - 1;
    for (let i = (l ^ Math.imul(h, 0x9e3779b1)) & mask; ; i = (i + 1) & mask) {
      if (this.used[i] === 0) return false;
      if (this.hi[i] === h && this.lo[i] === l) return true;
    }
  }

  private insert(h: number, l: number): boolean {
    const mask = this.used.length - 1;
    for (let i = (l ^ Math.imul(h, 0x9e3779b1)) & mask; ; i = (i + 1) & mask) {
      if (this.used[i] === 0) {
        this.used[i] = 1; this.hi[i] = h; this.lo[i] = l;
        this.count++;
        return true;
      }
      if (this.hi[i] === h && this.lo[i] === l) return false;
    }
  }

  private grow(): void {
    const { hi, lo, used } = this;
    const cap = used.length * 2;
    this.hi = new Uint32Array(cap);
    this.lo = new Uint32Array(cap);
    this.used = new Uint8Array(cap);
    this.count = 0;
    for (let i = 0; i < used.length; i++) if (used[i] === 1) this.insert(hi[i]!, lo[i]!);
  }
}
