/**
 * # Synthetic Massive flat files (src/demo)
 *
 * Massive credentials are not available where gammaflow is built and tested,
 * so the demo, the tests and the benchmarks run on generated files in
 * Massive's exact flat-file formats (/work/shared/MASSIVE.md): same object
 * keys, headers, column order, sorting (ticker, then time) and quirks
 * (19-digit nanosecond timestamps, quoted condition lists, 6-decimal prices,
 * fractional sizes, empty corrections, `trf_timestamp` 0).
 *
 * ## API
 * - `generateDay(rootDir, opts)`: one trading day under `rootDir`:
 *   `us_stocks_sip/trades_v1/YYYY/MM/<date>.csv.gz` and, unless
 *   `options: false`, `us_options_opra/trades_v1/…`, `us_options_opra/quotes_v1/…`
 *   and the truth sidecar `_truth/<date>/options-trades.csv`.
 *   Defaults (300 tickers + SPY, 100 k SPY trades, 200 per other ticker,
 *   50 k option trades on 5 expiries × 31 strikes) take a few seconds.
 * - `generateLargeStocksTrades(path, rows, seed?, options?)`: one big stocks
 *   trades file for benchmarks (tens of millions of rows, streamed through gzip).
 *
 * ## Guarantees
 * - Deterministic: seeded xoshiro128** streams per ticker/contract
 *   (prng.ts); same seed and options → byte-identical files. No Math.random,
 *   no clock.
 * - Streaming: rows go through ~1 MiB buffers into gzip; files appear under
 *   their final name only when complete.
 * - Known truth: every option contract has a constant σ from a smile
 *   (optionChain.ts); every option trade's price is
 *   `bsmPrice(right, S, K, T, r = 0.04, q = 0, σ)` rounded to the cent, with
 *   S the latest high/low-eligible underlying print at or before it and T to
 *   16:00 New York on expiry in 365-day years floored at 60 s (FEATURES.md's
 *   rules), and executes at the ask (`buy`), at the bid (`sell`), or inside
 *   the spread / against a locked quote (`none`) of a fresh quote written just
 *   before it. The truth sidecar lists, per option trade in file order:
 *   `ticker,sip_timestamp,sigma,underlying_price,underlying_sip_timestamp,time_to_expiry_years,model_price,price,side`.
 *
 * ## Module map
 * prng (seeded streams) · newYorkCalendar (dates, DST, expiries) · epochNs
 * (exact timestamp strings) · arrivals (sessions, intraday profiles) ·
 * pricePath (GBM) · symbols (universe) · sequenceNumbers · stockTrades (one
 * stocks row) · stocksDay (a day of stocks) · underlyingTape (as-of prints) ·
 * optionChain (contracts, smile) · optionUniverse (roots, weights) ·
 * optionPricing (S, T, model price) · optionFlow (option trades, quotes,
 * truth) · csvFileSink (streaming gzip/plain writer) · generateDay ·
 * largeStocksTrades. Readers for tests are in test/support/demo-csv.ts.
 */
export { generateDay, truthPathFor } from './generateDay.js';
export type { DayGenOptions, GeneratedDay, GeneratedFile, OptionsGenOptions } from './generateDay.js';
export { generateLargeStocksTrades } from './largeStocksTrades.js';
export type { LargeStocksTradesOptions } from './largeStocksTrades.js';
export { STOCKS_TRADES_HEADER } from './stockTrades.js';
export { OPTIONS_QUOTES_HEADER, OPTIONS_TRADES_HEADER, OPTIONS_TRUTH_HEADER } from './optionFlow.js';
