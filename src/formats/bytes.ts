/**
 * Small byte helpers shared by the streaming parsers and filters. Pure.
 */

/** The string of single-byte characters buf[start, end) (ASCII / Latin-1). */
export function latin1(buf: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(buf[i]!);
  return s;
}

/**
 * The bytes of the last key remembered, for per-run caches: flat files are sorted by ticker, so
 * consecutive rows mostly repeat the previous row's key, and one byte comparison replaces a
 * decode (or a string and a hash) per row.
 */
export class LastBytes {
  private bytes: Uint8Array;
  private length = -1;

  constructor(capacity = 32) {
    this.bytes = new Uint8Array(capacity);
  }

  /** buf[start, end) equals the remembered key (never before `remember`, nor after `forget`). */
  matches(buf: Uint8Array, start: number, end: number): boolean {
    const len = end - start;
    if (len !== this.length) return false;
    const last = this.bytes;
    for (let i = 0; i < len; i++) if (last[i] !== buf[start + i]) return false;
    return true;
  }

  remember(buf: Uint8Array, start: number, end: number): void {
    const len = end - start;
    if (len > this.bytes.length) this.bytes = new Uint8Array(len * 2);
    this.bytes.set(buf.subarray(start, end));
    this.length = len;
  }

  forget(): void {
    this.length = -1;
  }
}
