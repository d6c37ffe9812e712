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

/**
 * `--underlyings SPY,SPX` for option datasets: keeps contracts any of whose
 * names (root, underlying of the root: `namesOf`) is wanted. A ticker whose
 * names are unknown (it does not decode) is kept, so that the parser
 * quarantines it with a reason instead of it vanishing.
 */
export function underlyingFilter(underlyings: readonly string[], namesOf: (ticker: string) => readonly string[] | undefined): { description: string; filter: TickerFilter } {
  const wanted = new Set(underlyings.map((t) => t.trim().toUpperCase()).filter((t) => t !== ''));
  return {
    description: `underlyings=${[...wanted].sort().join(',')}`,
    filter: new CachedFilter((t) => {
      const names = namesOf(t);
      return names === undefined || names.some((n) => wanted.has(n));
    }),
  };
}
