/**
 * A day of stocks trades for a whole universe, written ticker by ticker.
 *
 * Two passes: first every ticker's arrival times (so sequence numbers can
 * follow time across the whole file), then, in ticker order, each ticker's
 * price path and rows. While writing, the high/low-eligible prints of the
 * tickers that underlie options (SPY, QQQ) are recorded for the options pass.
 */
import { ArrivalProfile, stockIntensity, type Session } from './arrivals.js';
import type { CsvFileSink } from './csvFileSink.js';
import { truncateToMs } from './epochNs.js';
import { GbmPath } from './pricePath.js';
import { Rng } from './prng.js';
import { SequenceNumbering, TickerSequencer } from './sequenceNumbers.js';
import { StockTradePrinter, type TimestampPrecision } from './stockTrades.js';
import type { StockSymbol } from './symbols.js';
import { UnderlyingTape } from './underlyingTape.js';

export interface StocksDayParams {
  readonly seed: number;
  /** Sorted by ticker. */
  readonly universe: readonly StockSymbol[];
  readonly session: Session;
  readonly dayStartEpochMs: number;
  readonly precision: TimestampPrecision;
  readonly spyTrades: number;
  /** Mean trades of every other ticker (each gets 0.5–1.5 × this), except QQQ which prints half as often as SPY. */
  readonly otherTradesPerTicker: number;
}

/** How many trades `symbol` prints today. */
function tradeCount(params: StocksDayParams, symbol: StockSymbol): number {
  if (symbol.ticker === 'SPY') return params.spyTrades;
  if (symbol.ticker === 'QQQ') return Math.max(Math.round(params.spyTrades / 2), params.otherTradesPerTicker);
  const factor = 0.5 + Rng.derive(params.seed, `stock-count:${symbol.ticker}`).uniform();
  return Math.round(params.otherTradesPerTicker * factor);
}

/** Arrival times (`timeOfDayNs`, ascending, ms-truncated in 'ms' mode) of every ticker, in universe order. */
export function planStockArrivals(params: StocksDayParams): Float64Array[] {
  const { session } = params;
  const profile = new ArrivalProfile(session.extendedOpenNs, session.extendedCloseNs, stockIntensity(session));
  return params.universe.map((symbol) => {
    const times = profile.sortedTimes(Rng.derive(params.seed, `stock-times:${symbol.ticker}`), tradeCount(params, symbol));
    if (params.precision === 'ms') for (let i = 0; i < times.length; i++) times[i] = truncateToMs(times[i]!);
    return times;
  });
}

/**
 * Writes the day's stocks trades into `sink` (sorted by ticker, then time)
 * and returns the as-of tapes of `tapeTickers` that are in the universe.
 */
export async function writeStocksTrades(sink: CsvFileSink, params: StocksDayParams,
  tapeTickers: readonly string[]): Promise<Map<string, UnderlyingTape>> {
  const arrivals = planStockArrivals(params);
  const numbering = new SequenceNumbering(arrivals);
  const tapes = new Map<string, UnderlyingTape>();
  for (const [u, symbol] of params.universe.entries()) {
    const times = arrivals[u]!;
    const tape = tapeTickers.includes(symbol.ticker) ? new UnderlyingTape(symbol.ticker) : undefined;
    if (tape) tapes.set(symbol.ticker, tape);
    const path = new GbmPath({ startPrice: symbol.startPrice, annualVol: symbol.annualVol, startNs: params.session.extendedOpenNs },
      params.session, Rng.derive(params.seed, `stock-path:${symbol.ticker}`));
    const printer = new StockTradePrinter(symbol, params.session, params.dayStartEpochMs, params.precision,
      Rng.derive(params.seed, `stock-rows:${symbol.ticker}`));
    const sequencer = new TickerSequencer(numbering);
    for (let i = 0; i < times.length; i++) {
      const t = times[i]!;
      sink.add(printer.print(t, path.at(t), sequencer.next(t)));
      if (tape && printer.lastUpdatesHighLow) tape.record(t, printer.lastPrice);
      if (sink.full) await sink.flush();
    }
  }
  return tapes;
}
