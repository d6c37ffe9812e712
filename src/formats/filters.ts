/**
 * Streaming row filters on the ticker field. Flat files are sorted by ticker,
 * so consecutive rows share a ticker: each filter remembers its last decision
 * and compares bytes instead of building strings. Pure.
 */
import type { TickerFilter } from './csv/parser.js';
import { LastBytes, latin1 } from './bytes.js';

/** Keeps rows whose ticker `decide` accepts; caches the decision per distinct ticker run. */
class CachedFilter implements TickerFilter {
  private readonly last = new LastBytes(64);
  private lastKeep = false;
  constructor(private readonly decide: (ticker: string) => boolean) {}
  keep(buf: Uint8Array, start: number, end: number): boolean {
    if (this.last.matches(buf, start, end)) return this.lastKeep;
    this.last.remember(buf, start, end);
    this.lastKeep = this.decide(latin1(buf, start, end));
    return this.lastKeep;
  }
  /** The whole ticker decided (the same ticker gets the same answer). */
  droppedBy(_buf: Uint8Array, start: number, end: number): number {
    return end - start;
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
  private readonly lastRoot = new LastBytes(MAX_ROOT);
  private lastKeep = false;
  constructor(private readonly wanted: ReadonlySet<string>, private readonly namesOf: (ticker: string) => readonly string[] | undefined) {}
  keep(buf: Uint8Array, start: number, end: number): boolean {
    let rs = start;
    if (end - start >= 2 && buf[start] === 79 /* O */ && buf[start + 1] === 58 /* : */) rs += 2;
    const re = end - OPRA_TAIL;
    const hasRoot = re - rs >= 1 && re - rs <= MAX_ROOT;
    if (hasRoot && this.lastRoot.matches(buf, rs, re)) return this.lastKeep;
    const names = this.namesOf(latin1(buf, start, end));
    if (names === undefined) return true;
    const keep = names.some((n) => this.wanted.has(n));
    if (hasRoot) {
      this.lastRoot.remember(buf, rs, re);
      this.lastKeep = keep;
    }
    return keep;
  }
  /**
   * A dropped ticker of the usual shape was decided by its `O:` prefix and root (every ticker of the
   * same length with those leading bytes has that root, whose decision is cached); 0 otherwise.
   */
  droppedBy(buf: Uint8Array, start: number, end: number): number {
    let rs = start;
    if (end - start >= 2 && buf[start] === 79 /* O */ && buf[start + 1] === 58 /* : */) rs += 2;
    const re = end - OPRA_TAIL;
    return re - rs >= 1 && re - rs <= MAX_ROOT && this.lastRoot.matches(buf, rs, re) && !this.lastKeep ? re - start : 0;
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
