/**
 * A growable little-endian byte buffer, reused across pages so encoding a row
 * group allocates (almost) nothing once the buffer has reached its working
 * size. Pure: no I/O.
 *
 * `view()` returns a window onto the internal storage: it is only valid until
 * the next write or `reset()`; copy it (or compress it) before reusing the sink.
 */
export class ByteSink {
  private storage: Uint8Array;
  private dataView: DataView;
  /** Bytes written since the last `reset()`. */
  length = 0;

  constructor(initialCapacity = 1 << 16) {
    this.storage = new Uint8Array(initialCapacity);
    this.dataView = new DataView(this.storage.buffer);
  }

  reset(): void {
    this.length = 0;
  }

  /** Make room for `extra` more bytes; returns the storage to write into (at `this.length`). */
  reserve(extra: number): Uint8Array {
    const needed = this.length + extra;
    if (needed > this.storage.length) {
      let capacity = this.storage.length * 2;
      while (capacity < needed) capacity *= 2;
      const grown = new Uint8Array(capacity);
      grown.set(this.storage.subarray(0, this.length));
      this.storage = grown;
      this.dataView = new DataView(grown.buffer);
    }
    return this.storage;
  }

  u8(value: number): void {
    this.reserve(1)[this.length++] = value;
  }

  /** 32-bit little-endian (signed or unsigned). */
  u32le(value: number): void {
    this.reserve(4);
    this.dataView.setUint32(this.length, value >>> 0, true);
    this.length += 4;
  }

  /** Overwrite 4 bytes at an earlier position (for length prefixes written after their payload). */
  patchU32le(position: number, value: number): void {
    this.dataView.setUint32(position, value >>> 0, true);
  }

  /** Unsigned LEB128 varint of a non-negative integer below 2^53. */
  uvarint(value: number): void {
    const out = this.reserve(10);
    let v = value;
    while (v >= 0x80) {
      out[this.length++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    out[this.length++] = v;
  }

  bytes(source: Uint8Array): void {
    this.reserve(source.length).set(source, this.length);
    this.length += source.length;
  }

  /** The bytes written so far (a view; see the class comment). */
  view(): Uint8Array {
    return this.storage.subarray(0, this.length);
  }

  /** A copy of the bytes written so far, independent of later writes. */
  copy(): Uint8Array {
    return this.storage.slice(0, this.length);
  }
}
