/**
 * Streaming row filters on the ticker field. Flat files are sorted by ticker,
 * so consecutive rows share a ticker: each filter remembers its last decision
 * and compares bytes instead of building strings. Pure.
 */
import type { TickerFilter } from './csv/parser.js';

/** Keeps rows whose key maps (via `keyOf`) into `wanted`; caches the decision per distinct ticker run. */
class CachedFilter implements TickerFilter {
  private last = new Uint8Array(64);
  private lastLen = -1;
  private lastKeep = false;
  constructor(private readonly decide: (ticker: string) => boolean) {}
  keep(buf: Uint8Array, start: number, end: number): boolean {
    const len = end - start;
    if (len === this.lastLen) {
      let same = true;
      for (let i = 0; i < len; i++) if (this.last[i] !== buf[start + i]) { same = false; break; }
      if (same) return this.lastKeep;
    }
    let s = '';
    for (let i = start; i < end; i++) s += String.fromCharCode(buf[i]!);
    if (len > this.last.length) this.last = new Uint8Array(len * 2);
    this.last.set(buf.subarray(start, end));
    this.lastLen = len;
    this.lastKeep = this.decide(s);
    return this.lastKeep;
  }
}

/** `--tickers SPY,QQQ` for stock datasets. */
export function tickerFilter(tickers: readonly string[]): { description: string; filter: TickerFilter } {
  const wanted = new Set(tickers.map((t) => t.trim().toUpperCase()).filter((t) => t !== ''));
  return { description: `tickers=${[...wanted].sort().join(',')}`, filter: new CachedFilter((t) => wanted.has(t)) };
}

/** Length of an OPRA ticker after its root: YYMMDD, C/P, 8-digit strike. */
const OPRA_TAIL = 15;
const MAX_ROOT = 6;

/**
 * Keeps option rows by root: the decision for a well-formed ticker is cached by its root bytes
 * (`O:` prefix and the 15-character tail stripped), so a full-market file costs one comparison of
 * at most 6 bytes a row, not one decode per contract. A ticker `namesOf` cannot name is kept
 * (the parser quarantines it) and never cached.
 */
class RootCachedFilter implements TickerFilter {
  private last = new Uint8Array(MAX_ROOT);
  private lastLen = -1;
  private lastKeep = false;
  constructor(private readonly wanted: ReadonlySet<string>, private readonly namesOf: (ticker: string) => readonly string[] | undefined) {}
  keep(buf: Uint8Array, start: number, end: number): boolean {
    let rs = start;
    if (end - start >= 2 && buf[start] === 79 /* O */ && buf[start + 1] === 58 /* : */) rs += 2;
    const len = end - OPRA_TAIL - rs;
    if (len >= 1 && len === this.lastLen) {
      let same = true;
      for (let i = 0; i < len; i++) if (this.last[i] !== buf[rs + i]) { same = false; break; }
      if (same) return this.lastKeep;
    }
    let ticker = '';
    for (let i = start; i < end; i++) ticker += String.fromCharCode(buf[i]!);
    const names = this.namesOf(ticker);
    if (names === undefined) return true;
    const keep = names.some((n) => this.wanted.has(n));
    if (len >= 1 && len <= MAX_ROOT) {
      this.last.set(buf.subarray(rs, rs + len));
      this.lastLen = len;
      this.lastKeep = keep;
    }
    return keep;
  }
}

/**
 * `--underlyings SPY,SPX` for option datasets: keeps contracts any of whose
 * names (root, underlying of the root: `namesOf`) is wanted. `namesOf` must
 * depend only on the root of a ticker it can name (decisions are cached per
 * root). A ticker whose names are unknown (it does not decode) is kept, so that
 * the parser quarantines it with a reason instead of it vanishing.
 */
export function underlyingFilter(underlyings: readonly string[], namesOf: (ticker: string) => readonly string[] | undefined): { description: string; filter: TickerFilter } {
  const wanted = new Set(underlyings.map((t) => t.trim().toUpperCase()).filter((t) => t !== ''));
  return { description: `underlyings=${[...wanted].sort().join(',')}`, filter: new RootCachedFilter(wanted, namesOf) };
}
