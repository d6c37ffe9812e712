/**
 * Decimal text → float64 without building strings on the fast path. Pure.
 *
 * Up to 15 significant digits (every price and size Massive prints) are
 * accumulated as an exact integer and divided by an exact power of ten, a
 * single correctly rounded IEEE operation, so the result is bit-identical to
 * `parseFloat`. Longer numbers and exponents fall back to `Number()` on the
 * validated text.
 */
const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];
const ZERO = 48, NINE = 57, DOT = 46, MINUS = 45, PLUS = 43;

/** Parses bytes [start, end) as a decimal number; NaN when it is not one. */
export function parseDecimal(buf: Uint8Array, start: number, end: number): number {
  let i = start, neg = false;
  const first = buf[i];
  if (first === MINUS) { neg = true; i++; } else if (first === PLUS) i++;
  let v = 0, digits = 0, frac = 0, seenDot = false;
  for (; i < end; i++) {
    const c = buf[i]!;
    if (c >= ZERO && c <= NINE) {
      v = v * 10 + (c - ZERO);
      digits++;
      if (seenDot) frac++;
    } else if (c === DOT && !seenDot) {
      seenDot = true;
    } else {
      return slowParse(buf, start, end);
    }
  }
  if (digits === 0) return NaN;
  if (digits > 15) return slowParse(buf, start, end);
  const r = frac === 0 ? v : v / POW10[frac]!;
  return neg ? -r : r;
}

function slowParse(buf: Uint8Array, start: number, end: number): number {
  let s = '';
  for (let i = start; i < end; i++) {
    const c = buf[i]!;
    // digits, sign, dot, exponent only: Number() would also accept "0x1f", "Infinity", " 1 ".
    if (!((c >= ZERO && c <= NINE) || c === DOT || c === MINUS || c === PLUS || c === 101 || c === 69)) return NaN;
    s += String.fromCharCode(c);
  }
  if (s === '' || s === '.' ) return NaN;
  const v = Number(s);
  return Number.isFinite(v) ? v : NaN;
}
