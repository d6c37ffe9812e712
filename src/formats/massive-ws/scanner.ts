/**
 * Fast path of the frame parser (parse.ts): a single-pass scanner for frames of well-formed T/Q
 * data events that builds the records straight from the text, without JSON.parse's intermediate
 * objects. It returns undefined for anything it does not fully handle, and the frame then goes
 * through the JSON path (json.ts). Pure: no I/O.
 */
import { decodeOpra, type OpraContract } from '../opra.js';
import { NO_CONDITIONS, type OptionTrade } from '../records.js';
import { NS_PER_MS, isOptionSymbol, type FeedEvent, type OptionQuote, type ParsedFrame, type StockTrade } from './types.js';

const CH_TAB = 0x09, CH_LF = 0x0a, CH_CR = 0x0d, CH_SPACE = 0x20, CH_QUOTE = 0x22, CH_COMMA = 0x2c, CH_MINUS = 0x2d,
  CH_DOT = 0x2e, CH_0 = 0x30, CH_9 = 0x39, CH_COLON = 0x3a, CH_LBRACKET = 0x5b, CH_BACKSLASH = 0x5c, CH_RBRACKET = 0x5d,
  CH_LBRACE = 0x7b, CH_RBRACE = 0x7d;

/** 10^k, exact as doubles for k ≤ 22. */
const POW10: readonly number[] = Array.from({ length: 23 }, (_, k) => 10 ** k);

/** A symbol seen before: one flat string per ticker and its decoded contract (decodeOpra is pure). */
interface SymEntry {
  readonly sym: string;
  /** Option tickers: the decoded contract, or undefined when the ticker does not decode. */
  readonly contract: OpraContract | undefined;
}

const symCache = new Map<string, SymEntry>();
const SYM_CACHE_LIMIT = 100_000;

function symEntry(slice: string): SymEntry {
  let entry = symCache.get(slice);
  if (entry === undefined) {
    // A flat copy: a slice of the frame would keep the whole frame text alive as long as the
    // ticker is referenced (the quote book keys, the merger buffer).
    const sym = JSON.parse(`"${slice}"`) as string;
    let contract: OpraContract | undefined;
    if (isOptionSymbol(sym)) {
      const d = decodeOpra(sym);
      contract = d.ok ? d.contract : undefined;
    }
    entry = { sym, contract };
    if (symCache.size >= SYM_CACHE_LIMIT) symCache.clear();
    symCache.set(sym, entry);
  }
  return entry;
}

/** text[a, b) equals `s` (no escapes in it: the scanner gives up on those). */
function sameText(text: string, a: number, b: number, s: string): boolean {
  if (b - a !== s.length) return false;
  for (let i = 0; i < s.length; i++) if (text.charCodeAt(a + i) !== s.charCodeAt(i)) return false;
  return true;
}

// Field bits (a key seen twice makes the scanner give up: JSON.parse keeps the last one).
const F_EV = 1, F_SYM = 2, F_X = 4, F_I = 8, F_Z = 16, F_P = 32, F_S = 64, F_C = 128, F_T = 256, F_Q = 512,
  F_TRFI = 1024, F_TRFT = 2048, F_BX = 4096, F_AX = 8192, F_BP = 16384, F_AP = 32768, F_BS = 65536, F_AS = 131072;

/** Bit of the key text[a, b), or 0 for a key the scanner does not know. */
function keyBit(text: string, a: number, b: number): number {
  const c0 = text.charCodeAt(a);
  switch (b - a) {
    case 1:
      switch (c0) {
        case 0x78: return F_X; // x
        case 0x69: return F_I; // i
        case 0x7a: return F_Z; // z
        case 0x70: return F_P; // p
        case 0x73: return F_S; // s
        case 0x63: return F_C; // c
        case 0x74: return F_T; // t
        case 0x71: return F_Q; // q
        default: return 0;
      }
    case 2: {
      const c1 = text.charCodeAt(a + 1);
      if (c0 === 0x65 && c1 === 0x76) return F_EV; // ev
      if (c1 === 0x78) return c0 === 0x62 ? F_BX : c0 === 0x61 ? F_AX : 0; // bx ax
      if (c1 === 0x70) return c0 === 0x62 ? F_BP : c0 === 0x61 ? F_AP : 0; // bp ap
      if (c1 === 0x73) return c0 === 0x62 ? F_BS : c0 === 0x61 ? F_AS : 0; // bs as
      return 0;
    }
    case 3:
      return c0 === 0x73 && text.charCodeAt(a + 1) === 0x79 && text.charCodeAt(a + 2) === 0x6d ? F_SYM : 0; // sym
    case 4:
      if (c0 === 0x74 && text.charCodeAt(a + 1) === 0x72 && text.charCodeAt(a + 2) === 0x66) { // trf
        const c3 = text.charCodeAt(a + 3);
        return c3 === 0x69 ? F_TRFI : c3 === 0x74 ? F_TRFT : 0;
      }
      return 0;
    default:
      return 0;
  }
}

/** Scanner state: the position after the last token, and the last string's bounds. */
class Scanner {
  pos = 0;
  strStart = 0;
  strEnd = 0;
  /** The number {@link number} read last (a double field: updated in place, no allocation). */
  value = Number.NaN;
  constructor(readonly text: string) {}

  /** Only whitespace is left. */
  atEnd(): boolean {
    return Number.isNaN(this.peek());
  }

  /** Skips JSON whitespace; returns the next char code (NaN at the end). */
  peek(): number {
    const t = this.text;
    let i = this.pos;
    let c = t.charCodeAt(i);
    while (c === CH_SPACE || c === CH_LF || c === CH_CR || c === CH_TAB) c = t.charCodeAt(++i);
    this.pos = i;
    return c;
  }

  /** A string without escapes or control characters at pos (after whitespace); false otherwise. */
  string(): boolean {
    if (this.peek() !== CH_QUOTE) return false;
    const t = this.text;
    let i = this.pos + 1;
    const start = i;
    for (;;) {
      const c = t.charCodeAt(i);
      if (c === CH_QUOTE) break;
      if (c === CH_BACKSLASH || c < CH_SPACE || c !== c) return false; // escape, control char, end of text
      i++;
    }
    this.strStart = start;
    this.strEnd = i;
    this.pos = i + 1;
    return true;
  }

  /**
   * Reads a JSON number of at most 15 digits without exponent into {@link value}, as JSON.parse
   * reads it (mantissa and 10^fraction digits are exact doubles, so their quotient is the
   * correctly rounded value); false when the number has another form. (A field rather than a
   * return value: this is not inlined into the frame loop, and a returned double is boxed.)
   */
  number(): boolean {
    const t = this.text;
    let i = this.pos;
    let c = t.charCodeAt(i);
    while (c === CH_SPACE || c === CH_LF || c === CH_CR || c === CH_TAB) c = t.charCodeAt(++i);
    let negative = false;
    if (c === CH_MINUS) { negative = true; c = t.charCodeAt(++i); }
    if (!(c >= CH_0 && c <= CH_9)) return false;
    let m = 0;
    let digits = 0;
    if (c === CH_0) {
      c = t.charCodeAt(++i);
      if (c >= CH_0 && c <= CH_9) return false; // leading zero: not JSON
      digits = 1;
    } else {
      while (c >= CH_0 && c <= CH_9) { m = m * 10 + (c - CH_0); digits++; c = t.charCodeAt(++i); }
    }
    let fraction = 0;
    if (c === CH_DOT) {
      c = t.charCodeAt(++i);
      if (!(c >= CH_0 && c <= CH_9)) return false;
      while (c >= CH_0 && c <= CH_9) { m = m * 10 + (c - CH_0); digits++; fraction++; c = t.charCodeAt(++i); }
    }
    if (digits > 15 || c === 0x65 || c === 0x45) return false; // too long to be exact, or an exponent
    this.pos = i;
    const v = fraction === 0 ? m : m / POW10[fraction]!;
    this.value = negative ? -v : v;
    return true;
  }
}

/**
 * Where the scanner collects a conditions list. Records without conditions share NO_CONDITIONS;
 * non-empty lists equal to the previous event's of the frame share its array.
 */
const conditionScratch: number[] = [];

/** Is `a` the first `n` codes of `b`? */
function sameCodes(a: readonly number[], b: readonly number[], n: number): boolean {
  if (a.length !== n) return false;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Fast path of {@link parseFrame}: a frame that is an array of T and Q events, each with valid
 * fields (the events parseEvent turns into records), parsed in one pass; undefined as soon as
 * anything else is met.
 */
export function parseDataFrameFast(text: string): ParsedFrame | undefined {
  let prevConditions: readonly number[] = NO_CONDITIONS;
  const sc = new Scanner(text);
  let lastMs = Number.NaN, lastNs = 0n;
  let prevEntry: SymEntry | undefined;
  if (sc.peek() !== CH_LBRACKET) return undefined;
  sc.pos++;
  const events: FeedEvent[] = [];
  if (sc.peek() === CH_RBRACKET) {
    sc.pos++;
    return sc.atEnd() ? { events, malformed: 0, unknown: 0 } : undefined;
  }
  for (;;) {
    if (sc.peek() !== CH_LBRACE) return undefined;
    sc.pos++;
    let seen = 0;
    let quote = false;
    let symStart = 0, symEnd = 0, idStart = 0, idEnd = 0;
    let x = Number.NaN, z = Number.NaN, p = Number.NaN, size = Number.NaN, t = Number.NaN, q = Number.NaN, trfi = Number.NaN,
      trft = Number.NaN, bx = Number.NaN, ax = Number.NaN, bp = Number.NaN, ap = Number.NaN, bs = Number.NaN, as = Number.NaN;
    let conditions: readonly number[] | undefined;
    if (sc.peek() === CH_RBRACE) return undefined; // {}: no ev
    for (;;) {
      if (!sc.string()) return undefined;
      const bit = keyBit(text, sc.strStart, sc.strEnd);
      if (bit === 0 || (seen & bit) !== 0) return undefined;
      seen |= bit;
      if (sc.peek() !== CH_COLON) return undefined;
      sc.pos++;
      switch (bit) {
        case F_EV: {
          if (!sc.string() || sc.strEnd - sc.strStart !== 1) return undefined;
          const ev = text.charCodeAt(sc.strStart);
          if (ev === 0x51) quote = true; // Q
          else if (ev !== 0x54) return undefined; // T
          break;
        }
        case F_SYM:
          if (!sc.string()) return undefined;
          symStart = sc.strStart; symEnd = sc.strEnd;
          break;
        case F_I:
          if (!sc.string()) return undefined;
          idStart = sc.strStart; idEnd = sc.strEnd;
          break;
        case F_C: {
          if (sc.peek() !== CH_LBRACKET) return undefined;
          sc.pos++;
          if (sc.peek() === CH_RBRACKET) { sc.pos++; conditions = NO_CONDITIONS; break; }
          // Read into a scratch array by index (setting `length = 0` would drop its storage, one allocation per list).
          const codes = conditionScratch;
          let count = 0;
          for (;;) {
            if (!sc.number() || !Number.isInteger(sc.value)) return undefined;
            codes[count++] = sc.value;
            const c = sc.peek();
            sc.pos++;
            if (c === CH_RBRACKET) break;
            if (c !== CH_COMMA) return undefined;
          }
          // Lists repeat (a stream's prints mostly carry the same few): share the previous one when equal.
          if (!sameCodes(prevConditions, codes, count)) prevConditions = codes.slice(0, count);
          conditions = prevConditions;
          break;
        }
        default: {
          if (!sc.number()) return undefined;
          const v = sc.value;
          switch (bit) {
            case F_X: x = v; break;
            case F_Z: z = v; break;
            case F_P: p = v; break;
            case F_S: size = v; break;
            case F_T: t = v; break;
            case F_Q: q = v; break;
            case F_TRFI: trfi = v; break;
            case F_TRFT: trft = v; break;
            case F_BX: bx = v; break;
            case F_AX: ax = v; break;
            case F_BP: bp = v; break;
            case F_AP: ap = v; break;
            case F_BS: bs = v; break;
            case F_AS: as = v; break;
          }
        }
      }
      const c = sc.peek();
      sc.pos++;
      if (c === CH_RBRACE) break;
      if (c !== CH_COMMA) return undefined;
    }
    // The checks of parseStockTrade / parseOptionTrade / parseOptionQuote; a failure leaves the
    // event to the JSON path (which counts it).
    if ((seen & (F_EV | F_SYM)) !== (F_EV | F_SYM) || symEnd === symStart) return undefined;
    if (!Number.isSafeInteger(t) || !Number.isInteger(q)) return undefined;
    const option = symEnd - symStart >= 2 && text.charCodeAt(symStart) === 0x4f && text.charCodeAt(symStart + 1) === CH_COLON; // O:
    // Consecutive events often name the same symbol (a stock stream is one): compare in place
    // before slicing and hashing.
    let entry: SymEntry;
    if (prevEntry !== undefined && sameText(text, symStart, symEnd, prevEntry.sym)) entry = prevEntry;
    else entry = prevEntry = symEntry(text.slice(symStart, symEnd));
    // Events of a frame often share their millisecond: reuse its BigInt (immutable) instead of two allocations.
    if (t !== lastMs) { lastMs = t; lastNs = BigInt(t) * NS_PER_MS; }
    const ns = lastNs;
    if (quote) {
      if (!option || entry.contract === undefined) return undefined; // stock Q: unknown; bad ticker: malformed
      if (!Number.isInteger(bx) || !Number.isInteger(ax) || bp !== bp || ap !== ap || bs !== bs || as !== as) return undefined;
      if ((seen & (F_X | F_I | F_Z | F_P | F_S | F_C | F_TRFI | F_TRFT)) !== 0) return undefined; // extra keys: JSON path
      events.push({
        kind: 'optionQuote',
        quote: { sipTimestampNs: ns, sequence: q, ticker: entry.sym, bidPrice: bp, askPrice: ap, bidSize: bs, askSize: as, bidExchange: bx, askExchange: ax },
      });
    } else {
      if (p !== p || size !== size) return undefined;
      if ((seen & (F_BX | F_AX | F_BP | F_AP | F_BS | F_AS)) !== 0) return undefined;
      if (option) {
        const k = entry.contract;
        if (k === undefined || !Number.isInteger(x) || (seen & (F_I | F_Z | F_TRFI | F_TRFT)) !== 0) return undefined;
        events.push({
          kind: 'optionTrade',
          trade: {
            sipTimestampNs: ns, sequence: q, ticker: entry.sym, root: k.root, right: k.right, strike: k.strike, expiryDays: k.expiryDays,
            adjusted: k.adjusted, price: p, size, conditions: conditions ?? NO_CONDITIONS, correction: 0, exchange: x,
          },
        });
      } else {
        // Optional fields of another type are ignored by parseStockTrade; here they give up.
        if (((seen & F_X) !== 0 && !Number.isInteger(x)) || ((seen & F_Z) !== 0 && !Number.isInteger(z))
          || ((seen & F_TRFI) !== 0 && !Number.isInteger(trfi)) || ((seen & F_TRFT) !== 0 && !Number.isSafeInteger(trft))) return undefined;
        const c = conditions ?? NO_CONDITIONS;
        const optional = seen & (F_X | F_I | F_Z | F_TRFI | F_TRFT);
        // The feed's usual shapes as one literal each (adding properties one by one allocates the object's property storage).
        if (optional === (F_X | F_I | F_Z)) {
          const tradeId = idEnd - idStart >= 13 ? JSON.parse(text.slice(idStart - 1, idEnd + 1)) as string : text.slice(idStart, idEnd);
          events.push({ kind: 'stockTrade', trade: { sym: entry.sym, sipTimestampNs: ns, sequence: q, price: p, size, conditions: c, correction: 0, exchange: x, tradeId, tape: z } });
        } else if (optional === (F_X | F_I | F_Z | F_TRFI | F_TRFT)) {
          const tradeId = idEnd - idStart >= 13 ? JSON.parse(text.slice(idStart - 1, idEnd + 1)) as string : text.slice(idStart, idEnd);
          events.push({
            kind: 'stockTrade',
            trade: { sym: entry.sym, sipTimestampNs: ns, sequence: q, price: p, size, conditions: c, correction: 0, exchange: x, tradeId, tape: z, trfId: trfi, trfTimestampMs: trft },
          });
        } else {
          const trade: { -readonly [K in keyof StockTrade]: StockTrade[K] } = {
            sym: entry.sym, sipTimestampNs: ns, sequence: q, price: p, size, conditions: c, correction: 0,
          };
          if ((seen & F_X) !== 0) trade.exchange = x;
          if ((seen & F_I) !== 0) trade.tradeId = idEnd - idStart >= 13 ? JSON.parse(text.slice(idStart - 1, idEnd + 1)) as string : text.slice(idStart, idEnd);
          if ((seen & F_Z) !== 0) trade.tape = z;
          if ((seen & F_TRFI) !== 0) trade.trfId = trfi;
          if ((seen & F_TRFT) !== 0) trade.trfTimestampMs = trft;
          events.push({ kind: 'stockTrade', trade });
        }
      }
    }
    const c = sc.peek();
    sc.pos++;
    if (c === CH_RBRACKET) break;
    if (c !== CH_COMMA) return undefined;
  }
  return sc.atEnd() ? { events, malformed: 0, unknown: 0 } : undefined; // only whitespace after the array
}
