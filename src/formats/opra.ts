/**
 * OPRA option tickers as Massive writes them: `O:` + root + `YYMMDD` + `C|P` + strike×1000 in
 * 8 digits, e.g. `O:SPY251107C00680000` (SPY call, expiry 2025-11-07, strike 680).
 *
 * The root is not padded, so tickers are parsed from the right: the last 15 characters are
 * fixed width (6 date digits, the right, 8 strike digits) and everything between the optional
 * `O:` prefix and them is the root: 1–6 characters of [A-Z0-9], a letter first. A root ending in
 * a digit (`GOOG1`) denotes an adjusted contract (after a split or special dividend); it is
 * flagged `adjusted` and maps to the underlying of its letters.
 *
 * Years are 20YY (OPRA listings only span this century). Pure code; the byte-level variants
 * read ASCII from a Uint8Array slice and build no string except the root (expiry strings come
 * from a small cache keyed by day number).
 */
import { daysFromCivil, daysInMonth } from '../calendar/civilDate.js';
import { latin1 } from './bytes.js';

export interface OpraContract {
  /** Option root as listed (e.g. `SPXW`, `GOOG1`). */
  root: string;
  /** Expiry date `YYYY-MM-DD`. */
  expiry: string;
  /** Expiry as days since 1970-01-01 (Arrow/Parquet date32). */
  expiryDays: number;
  right: 'C' | 'P';
  /** Strike in currency units: the 8-digit field / 1000. */
  strike: number;
  /** The 8-digit strike field as an integer (strike × 1000), exact. */
  strikeMilli: number;
  /** True when the root ends in a digit (adjusted contract). */
  adjusted: boolean;
}

export type OpraResult = { ok: true; contract: OpraContract } | { ok: false; reason: string };

/** Length of the fixed-width tail: YYMMDD + C|P + 8 strike digits. */
const TAIL_LENGTH = 15;
const MAX_ROOT_LENGTH = 6;
const CHAR_O = 0x4f, CHAR_COLON = 0x3a, CHAR_0 = 0x30, CHAR_9 = 0x39, CHAR_A = 0x41, CHAR_Z = 0x5a;
const CHAR_C = 0x43, CHAR_P = 0x50;

function fail(reason: string): OpraResult {
  return Object.freeze({ ok: false, reason }) as OpraResult;
}
// Failures are shared frozen objects: rejecting a ticker allocates nothing.
const EMPTY = fail('empty ticker');
const ONLY_PREFIX = fail('only the O: prefix');
const TOO_SHORT = fail('too short: expected root + 15 characters (YYMMDD, C|P, 8-digit strike)');
const ROOT_TOO_LONG = fail('root longer than 6 characters');
const ROOT_CHAR = fail('root characters must be A-Z or 0-9');
const ROOT_FIRST = fail('root must start with a letter');
const DATE_DIGITS = fail('expiry YYMMDD must be 6 digits');
const BAD_MONTH = fail('expiry month must be 01-12');
const BAD_DAY = fail('expiry day is not valid for its month');
const BAD_RIGHT = fail('right must be C or P');
const STRIKE_DIGITS = fail('strike must be 8 digits');

const expiryCache = new Map<number, string>();

function expiryString(expiryDays: number, year: number, month: number, day: number): string {
  let s = expiryCache.get(expiryDays);
  if (s === undefined) {
    s = `${year}-${month < 10 ? '0' : ''}${month}-${day < 10 ? '0' : ''}${day}`;
    expiryCache.set(expiryDays, s);
  }
  return s;
}

/** Character source over either a string or a byte slice, so both decoders share one parser. */
type CodeAt = (i: number) => number;

function isDigit(c: number): boolean {
  return c >= CHAR_0 && c <= CHAR_9;
}

/** Start of the root after an optional `O:` prefix, or a failure for empty / prefix-only input. */
function rootStart(code: CodeAt, start: number, end: number): number | OpraResult {
  if (end <= start) return EMPTY;
  const hasPrefix = end - start >= 2 && code(start) === CHAR_O && code(start + 1) === CHAR_COLON;
  const rs = hasPrefix ? start + 2 : start;
  if (rs === end) return ONLY_PREFIX;
  return rs;
}

/** Validates the root span [rs, re); returns a failure or undefined when fine. */
function checkRoot(code: CodeAt, rs: number, re: number): OpraResult | undefined {
  const n = re - rs;
  if (n < 1) return TOO_SHORT;
  if (n > MAX_ROOT_LENGTH) return ROOT_TOO_LONG;
  for (let i = rs; i < re; i++) {
    const c = code(i);
    if (!((c >= CHAR_A && c <= CHAR_Z) || isDigit(c))) return ROOT_CHAR;
  }
  const first = code(rs);
  if (!(first >= CHAR_A && first <= CHAR_Z)) return ROOT_FIRST;
  return undefined;
}

function decode(code: CodeAt, start: number, end: number, rootOf: (rs: number, re: number) => string): OpraResult {
  const rsOrFail = rootStart(code, start, end);
  if (typeof rsOrFail !== 'number') return rsOrFail;
  const rs = rsOrFail;
  const tail = end - TAIL_LENGTH;
  if (tail <= rs) return TOO_SHORT;
  const rootFailure = checkRoot(code, rs, tail);
  if (rootFailure !== undefined) return rootFailure;

  for (let i = tail; i < tail + 6; i++) if (!isDigit(code(i))) return DATE_DIGITS;
  const yy = (code(tail) - CHAR_0) * 10 + (code(tail + 1) - CHAR_0);
  const month = (code(tail + 2) - CHAR_0) * 10 + (code(tail + 3) - CHAR_0);
  const day = (code(tail + 4) - CHAR_0) * 10 + (code(tail + 5) - CHAR_0);
  const year = 2000 + yy;
  if (month < 1 || month > 12) return BAD_MONTH;
  const monthDays = daysInMonth(year, month);
  if (day < 1 || day > monthDays) return BAD_DAY;

  const rightCode = code(tail + 6);
  if (rightCode !== CHAR_C && rightCode !== CHAR_P) return BAD_RIGHT;

  let strikeMilli = 0;
  for (let i = tail + 7; i < end; i++) {
    const c = code(i);
    if (!isDigit(c)) return STRIKE_DIGITS;
    strikeMilli = strikeMilli * 10 + (c - CHAR_0);
  }

  const expiryDays = daysFromCivil(year, month, day);
  return {
    ok: true,
    contract: {
      root: rootOf(rs, tail),
      expiry: expiryString(expiryDays, year, month, day),
      expiryDays,
      right: rightCode === CHAR_C ? 'C' : 'P',
      strike: strikeMilli / 1000,
      strikeMilli,
      adjusted: isDigit(code(tail - 1)),
    },
  };
}

/** Decodes an OPRA ticker string (`O:` prefix optional). Failures carry a human-readable reason. */
export function decodeOpra(ticker: string): OpraResult {
  return decode((i) => ticker.charCodeAt(i), 0, ticker.length, (rs, re) => ticker.slice(rs, re));
}

/** Decodes an OPRA ticker from ASCII bytes buf[start, end), e.g. a CSV field, without building the ticker string. */
export function decodeOpraBytes(buf: Uint8Array, start: number, end: number): OpraResult {
  return decode((i) => buf[i]!, start, end, (rs, re) => latin1(buf, rs, re));
}

/**
 * Fast path for streaming filters: the root of the ticker in buf[start, end), or undefined when the
 * ticker is too short or its root malformed. Only the shape and the root are checked, not the
 * date, right or strike digits (use {@link decodeOpraBytes} for a full validation).
 */
export function rootOfTicker(buf: Uint8Array, start: number, end: number): string | undefined {
  let rs = start;
  if (end - start >= 2 && buf[start] === CHAR_O && buf[start + 1] === CHAR_COLON) rs += 2;
  const re = end - TAIL_LENGTH;
  const n = re - rs;
  if (n < 1 || n > MAX_ROOT_LENGTH) return undefined;
  const first = buf[rs]!;
  if (!(first >= CHAR_A && first <= CHAR_Z)) return undefined;
  for (let i = rs + 1; i < re; i++) {
    const c = buf[i]!;
    if (!((c >= CHAR_A && c <= CHAR_Z) || isDigit(c))) return undefined;
  }
  return latin1(buf, rs, re);
}

/**
 * Index and other option roots whose underlying symbol differs from (or needs pinning to) the
 * root: weeklies/PM-settled series and index roots. Extend per run with `extra`.
 */
export const DEFAULT_ROOT_UNDERLYINGS: Readonly<Record<string, string>> = Object.freeze({
  SPX: 'SPX', SPXW: 'SPX', SPXPM: 'SPX',
  NDX: 'NDX', NDXP: 'NDX',
  RUT: 'RUT', RUTW: 'RUT',
  VIX: 'VIX', VIXW: 'VIX',
  XSP: 'XSP',
  DJX: 'DJX',
  OEX: 'OEX', XEO: 'OEX',
});

/**
 * Underlying symbol of an option root: `extra` first, then {@link DEFAULT_ROOT_UNDERLYINGS}, else
 * the root itself. An adjusted root (trailing digits, `GOOG1`) maps to the underlying of its
 * letters (`GOOG`), looked up the same way; the contract itself stays flagged `adjusted`.
 */
export function underlyingOfRoot(root: string, extra?: Readonly<Record<string, string>>): string {
  const direct = lookup(root, extra);
  if (direct !== undefined) return direct;
  let n = root.length;
  while (n > 1 && isDigit(root.charCodeAt(n - 1))) n--;
  if (n === root.length) return root;
  const letters = root.slice(0, n);
  return lookup(letters, extra) ?? letters;
}

function lookup(root: string, extra?: Readonly<Record<string, string>>): string | undefined {
  if (extra !== undefined && Object.prototype.hasOwnProperty.call(extra, root)) return extra[root];
  if (Object.prototype.hasOwnProperty.call(DEFAULT_ROOT_UNDERLYINGS, root)) return DEFAULT_ROOT_UNDERLYINGS[root];
  return undefined;
}
