/**
 * What a `gammaflow live` process shows its Live page, per symbol it follows: the feature rows
 * emitted so far (LiveRowBuffer) and its priced option trades (LiveEnrichedTrades: smile, gadvv
 * by strike, per-trade greeks). Filled by the live run's callbacks; read by the app's /api/live
 * routes.
 */
import { parseWindow } from '../calendar/index.js';
import type { FeatureRow } from '../features/row.js';
import type { TradeSide } from '../features/value-sets.js';
import type { OptionGreeks } from '../options/enrich.js';
import type { OptionTrade } from '../formats/records.js';
import { LiveEnrichedTrades, bucketNsOf } from '../live/enriched-trades.js';
import { LiveRowBuffer } from './live-rows.js';

export interface LiveSymbol {
  readonly rows: LiveRowBuffer;
  readonly trades: LiveEnrichedTrades;
}

export class LiveSession {
  readonly symbols: readonly string[];
  readonly windows: readonly string[];
  readonly #of = new Map<string, LiveSymbol>();

  constructor(symbols: readonly string[], windows: readonly string[], aggression: boolean) {
    if (symbols.length === 0) throw new RangeError('a live session follows at least one symbol');
    this.symbols = symbols;
    this.windows = windows;
    const bucketNs = bucketNsOf(windows.map((w) => parseWindow(w)));
    for (const s of symbols) this.#of.set(s, { rows: new LiveRowBuffer(s, windows, aggression), trades: new LiveEnrichedTrades({ bucketNs }) });
  }

  of(symbol: string): LiveSymbol | undefined {
    return this.#of.get(symbol);
  }

  addRow(row: FeatureRow): void {
    this.#of.get(row.symbol)?.rows.add(row);
  }

  addTrade(symbol: string, trade: OptionTrade, greeks: Readonly<OptionGreeks>, side: TradeSide | undefined): void {
    this.#of.get(symbol)?.trades.add(trade, greeks, side);
  }
}
