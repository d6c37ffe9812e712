/**
 * `generateLargeStocksTrades`: one big stocks-trades flat file for benchmarks.
 *
 * Same row model as `generateDay` (stockTrades.ts: venues, conditions, sizes,
 * TRF fields, 19-digit timestamps), at tens of millions of rows:
 * - about one ticker per 4,000 rows (at most 8,000), from the same universe as
 *   generateDay; row counts fall off like a power law of a seeded rank, SPY
 *   the busiest (~7 % of rows for 10 M), and sum exactly to `rows`;
 * - rows are produced ticker by ticker in ~1 MiB strings and streamed
 *   through gzip: memory is bounded by the busiest ticker's arrival times
 *   (8 bytes a row) plus a few MiB of buffers;
 * - sequence numbers come from time (10 µs ticks since New York midnight,
 *   bumped to stay strictly increasing per ticker) instead of a global rank,
 *   so no pass over the whole day is needed;
 * - gzip level 6 (gzip's and, as far as its files suggest, Massive's
 *   default) so decompression costs what it costs on real files; the
 *   generator keeps 4 MiB queued so zlib compresses on the thread pool while
 *   the next chunk is generated. Level 1 is available (`gzipLevel`) when only
 *   generation speed matters.
 */
import { ArrivalProfile, stockIntensity, tradingSession } from './arrivals.js';
import { CsvFileSink } from './csvFileSink.js';
import { newYorkDayStartEpochMs } from './newYorkCalendar.js';
import { GbmPath } from './pricePath.js';
import { Rng } from './prng.js';
import { STOCKS_TRADES_HEADER, StockTradePrinter } from './stockTrades.js';
import { stockUniverse, type StockSymbol } from './symbols.js';

export interface LargeStocksTradesOptions {
  /** Trading day the timestamps fall on; default 2025-11-07. */
  readonly date?: string;
  /** zlib level; default 6. */
  readonly gzipLevel?: number;
}

const ROWS_PER_TICKER = 4000;
const MAX_TICKERS = 8000;

/** Splits `rows` over `universe` (power law of a seeded rank, SPY first), summing exactly to `rows`. */
export function rowsPerTicker(universe: readonly StockSymbol[], rows: number, seed: number): number[] {
  const rng = Rng.derive(seed, 'large:ranks');
  const ranks = universe.map((s) => (s.ticker === 'SPY' ? 0 : 1 + rng.uniform() * universe.length));
  const weights = ranks.map((r) => 1 / Math.pow(r + 3, 1.1));
  const total = weights.reduce((a, b) => a + b, 0);
  const counts = weights.map((w) => Math.floor(rows * w / total));
  let missing = rows - counts.reduce((a, b) => a + b, 0);
  for (let i = 0; missing > 0; i = (i + 1) % counts.length, missing--) counts[i]!++;
  return counts;
}

/**
 * Writes `rows` stocks trades (plus header) to `path` as gzip, in Massive's
 * format and order. Deterministic in (`rows`, `seed`, options).
 */
export async function generateLargeStocksTrades(path: string, rows: number, seed = 1,
  options: LargeStocksTradesOptions = {}): Promise<{ rows: number; bytes: number }> {
  if (!Number.isInteger(rows) || rows < 0) throw new RangeError(`rows must be a non-negative integer, got ${rows}`);
  const date = options.date ?? '2025-11-07';
  const session = tradingSession(false);
  const dayStartEpochMs = newYorkDayStartEpochMs(date);
  const tickers = Math.max(1, Math.min(MAX_TICKERS, Math.round(rows / ROWS_PER_TICKER)));
  const universe = stockUniverse(seed, tickers - 1);
  const counts = rowsPerTicker(universe, rows, seed);
  const profile = new ArrivalProfile(session.extendedOpenNs, session.extendedCloseNs, stockIntensity(session));

  const sink = await CsvFileSink.open(path, STOCKS_TRADES_HEADER, { gzipLevel: options.gzipLevel ?? 6 });
  try {
    for (const [u, symbol] of universe.entries()) {
      const times = profile.sortedTimes(Rng.derive(seed, `large-times:${symbol.ticker}`), counts[u]!);
      const path = new GbmPath({ startPrice: symbol.startPrice, annualVol: symbol.annualVol, startNs: session.extendedOpenNs },
        session, Rng.derive(seed, `large-path:${symbol.ticker}`));
      const printer = new StockTradePrinter(symbol, session, dayStartEpochMs, 'ns', Rng.derive(seed, `large-rows:${symbol.ticker}`));
      let sequenceNumber = 0;
      for (let i = 0; i < times.length; i++) {
        const t = times[i]!;
        sequenceNumber = Math.max(sequenceNumber + 1, Math.floor(t / 10_000));
        sink.add(printer.print(t, path.at(t), sequenceNumber));
        if (sink.full) await sink.flush();
      }
    }
    return await sink.close();
  } catch (e) {
    await sink.abort();
    throw e;
  }
}
