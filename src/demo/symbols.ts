/**
 * The stock universe of a generated day. Pure, no I/O.
 *
 * Well-known symbols come first (with rough late-2025 prices and their SIP
 * tape: 1 = NYSE-listed, 2 = NYSE Arca/American-listed incl. most ETFs,
 * 3 = Nasdaq-listed); further symbols are invented, 1–5 letters, seeded.
 * SPY is always present and is not counted in `tickers`.
 */
import { Rng } from './prng.js';

export interface StockSymbol {
  readonly ticker: string;
  /** Price at 04:00, dollars. */
  readonly startPrice: number;
  /** SIP tape: 1, 2 or 3. */
  readonly tape: 1 | 2 | 3;
  /** Annualised volatility of the intraday path. */
  readonly annualVol: number;
}

/** [ticker, price, tape, vol]. QQQ first so that any universe with ≥ 1 extra ticker has the second option root. */
const WELL_KNOWN: readonly (readonly [string, number, 1 | 2 | 3, number])[] = [
  ['QQQ', 610, 3, 0.19], ['AAPL', 268, 3, 0.25], ['MSFT', 497, 3, 0.22], ['NVDA', 188, 3, 0.45],
  ['AMZN', 244, 3, 0.3], ['GOOGL', 278, 3, 0.3], ['META', 621, 3, 0.35], ['TSLA', 429, 3, 0.6],
  ['IWM', 240, 2, 0.22], ['DIA', 470, 2, 0.14], ['AVGO', 350, 3, 0.45], ['AMD', 240, 3, 0.5],
  ['NFLX', 1100, 3, 0.35], ['INTC', 38, 3, 0.5], ['JPM', 310, 1, 0.22], ['BAC', 53, 1, 0.25],
  ['BRK.B', 500, 1, 0.15], ['XOM', 117, 1, 0.22], ['V', 335, 1, 0.2], ['MA', 550, 1, 0.2],
  ['UNH', 320, 1, 0.35], ['LLY', 930, 1, 0.3], ['WMT', 101, 3, 0.2], ['COST', 910, 3, 0.2],
  ['HD', 360, 1, 0.22], ['KO', 70, 1, 0.15], ['PEP', 145, 3, 0.18], ['CSCO', 72, 3, 0.22],
  ['ORCL', 240, 1, 0.45], ['CRM', 240, 1, 0.35], ['ADBE', 330, 3, 0.35], ['PLTR', 178, 3, 0.7],
  ['COIN', 300, 3, 0.7], ['MSTR', 240, 3, 0.8], ['MU', 230, 3, 0.5], ['QCOM', 170, 3, 0.3],
  ['GS', 790, 1, 0.28], ['MS', 160, 1, 0.28], ['WFC', 86, 1, 0.25], ['C', 100, 1, 0.28],
  ['CVX', 155, 1, 0.22], ['JNJ', 190, 1, 0.15], ['PFE', 25, 1, 0.25], ['MRK', 85, 1, 0.25],
  ['ABBV', 225, 1, 0.25], ['DIS', 110, 1, 0.25], ['BA', 200, 1, 0.35], ['CAT', 530, 1, 0.3],
  ['GE', 300, 1, 0.3], ['IBM', 310, 1, 0.25], ['NKE', 63, 1, 0.35], ['T', 25, 1, 0.2],
  ['VZ', 40, 1, 0.18], ['F', 13, 1, 0.35], ['GM', 70, 1, 0.35], ['UBER', 95, 1, 0.4],
  ['SHOP', 150, 3, 0.55], ['SNOW', 250, 1, 0.5], ['XLF', 53, 2, 0.18], ['XLE', 90, 2, 0.22],
  ['XLK', 290, 2, 0.22], ['GLD', 370, 2, 0.18], ['SLV', 45, 2, 0.3], ['TLT', 90, 3, 0.14],
  ['HYG', 80, 2, 0.06], ['EEM', 54, 2, 0.18], ['EFA', 93, 2, 0.15], ['SMH', 340, 3, 0.35],
  ['ARKK', 80, 2, 0.45], ['SOXL', 40, 2, 1.2], ['TQQQ', 110, 3, 0.6], ['SQQQ', 15, 3, 0.6],
  ['UVXY', 10, 2, 1.0], ['VXX', 35, 2, 0.8], ['PYPL', 62, 3, 0.35], ['SBUX', 84, 3, 0.3],
];

export const SPY: StockSymbol = { ticker: 'SPY', startPrice: 680, tape: 2, annualVol: 0.15 };

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/**
 * SPY plus `extraTickers` other symbols, sorted by ticker (byte order, as in
 * Massive's files). SPY's start price is 680 give or take a few dollars from the seed.
 */
export function stockUniverse(seed: number, extraTickers: number): StockSymbol[] {
  if (!Number.isInteger(extraTickers) || extraTickers < 0) throw new RangeError(`tickers must be a non-negative integer, got ${extraTickers}`);
  const rng = Rng.derive(seed, 'universe');
  const spy: StockSymbol = { ...SPY, startPrice: Math.round((SPY.startPrice + rng.normal() * 4) * 100) / 100 };
  const chosen: StockSymbol[] = [spy];
  const taken = new Set<string>(['SPY']);
  for (const [ticker, startPrice, tape, annualVol] of WELL_KNOWN.slice(0, extraTickers)) {
    chosen.push({ ticker, startPrice, tape, annualVol });
    taken.add(ticker);
  }
  while (chosen.length < extraTickers + 1) {
    const length = rng.pick([1, 2, 3, 3, 4, 4, 4, 5]);
    let ticker = '';
    for (let i = 0; i < length; i++) ticker += LETTERS[rng.int(0, 25)];
    if (taken.has(ticker)) continue;
    taken.add(ticker);
    chosen.push({
      ticker,
      startPrice: Math.round(Math.exp(Math.log(3) + rng.uniform() * Math.log(100)) * 100) / 100,
      tape: rng.pick([1, 1, 2, 3, 3, 3] as const),
      annualVol: 0.2 + 0.6 * rng.uniform(),
    });
  }
  return chosen.sort((a, b) => compareTickers(a.ticker, b.ticker));
}

/** Byte order of ASCII tickers (Massive sorts its files this way). */
export function compareTickers(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
