/**
 * `generateDay`: one trading day of synthetic Massive flat files under a root
 * folder with Massive's key layout. See index.ts for the overview.
 */
import { join } from 'node:path';
import { DATASETS, objectKey, type DatasetName } from '../formats/datasets.js';
import { ConfigError } from '../util/errors.js';
import { tradingSession } from './arrivals.js';
import { CsvFileSink } from './csvFileSink.js';
import { isWeekday, newYorkDayStartEpochMs, parseDate, wallClockNs } from './newYorkCalendar.js';
import { OPTIONS_QUOTES_HEADER, OPTIONS_TRADES_HEADER, OPTIONS_TRUTH_HEADER, writeOptionFlow } from './optionFlow.js';
import { ContractPricer } from './optionPricing.js';
import { listOptionUniverse } from './optionUniverse.js';
import { STOCKS_TRADES_HEADER, type TimestampPrecision } from './stockTrades.js';
import { writeStocksTrades } from './stocksDay.js';
import { stockUniverse } from './symbols.js';

export interface OptionsGenOptions {
  /** SPY expiries listed (0DTE first); default 5. */
  readonly expiries?: number;
  /** $1 strikes either side of spot; default 15. */
  readonly strikesPerSide?: number;
  /** Option trades to draw (all roots); default 50,000. */
  readonly trades?: number;
  /** Write `us_options_opra/quotes_v1`; default true. */
  readonly quotes?: boolean;
  /** Risk-free rate used for model prices; default 0.04. */
  readonly riskFreeRate?: number;
  /** Dividend yield used for model prices; default 0. */
  readonly dividendYield?: number;
}

export interface DayGenOptions {
  /** Trading day `YYYY-MM-DD` (a weekday; exchange holidays are not checked). */
  readonly date: string;
  /** PRNG seed; default 1. Same seed and options → byte-identical files. */
  readonly seed?: number;
  /** Stocks besides SPY; default 300. */
  readonly tickers?: number;
  /** SPY trades; default 100,000. */
  readonly spyTrades?: number;
  /** Mean trades per other stock; default 200. */
  readonly otherTradesPerTicker?: number;
  /** 'ns' (default) or 'ms': every timestamp a multiple of 1e6. */
  readonly timestampPrecision?: TimestampPrecision;
  /** Options files; `false` for stocks only. Default: all defaults of OptionsGenOptions. */
  readonly options?: false | OptionsGenOptions;
  /** Early close: regular session ends 13:00 New York, extended hours 17:00. */
  readonly halfDay?: boolean;
}

export interface GeneratedFile {
  readonly dataset: DatasetName;
  /** Massive object key, e.g. `us_stocks_sip/trades_v1/2025/11/2025-11-07.csv.gz`. */
  readonly key: string;
  /** `rootDir/key`. */
  readonly path: string;
  /** Data rows (header excluded). */
  readonly rows: number;
  /** Compressed bytes on disk. */
  readonly bytes: number;
}

export interface GeneratedDay {
  readonly files: GeneratedFile[];
  /** `rootDir/_truth/<date>/options-trades.csv` when options were generated. */
  readonly truthPath?: string;
}

/** Where the truth sidecar of `date` lives under `rootDir`. */
export function truthPathFor(rootDir: string, date: string): string {
  return join(rootDir, '_truth', date, 'options-trades.csv');
}

function count(name: string, value: number | undefined, fallback: number, min = 0): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min) throw new ConfigError(`demo option ${name} must be an integer ≥ ${min}, got ${v}`, { key: name });
  return v;
}

/**
 * Writes stocks trades, and unless `options: false`, options trades, options
 * quotes and the truth sidecar for `opts.date` under `rootDir`.
 */
export async function generateDay(rootDir: string, opts: DayGenOptions): Promise<GeneratedDay> {
  try {
    parseDate(opts.date);
  } catch (e) {
    throw new ConfigError(`demo date: ${(e as Error).message}`, { key: 'date' });
  }
  if (!isWeekday(opts.date)) throw new ConfigError(`demo date ${opts.date} is a weekend day`, { key: 'date' });
  const seed = count('seed', opts.seed, 1, Number.MIN_SAFE_INTEGER);
  const precision = opts.timestampPrecision ?? 'ns';
  if (precision !== 'ns' && precision !== 'ms') throw new ConfigError(`demo timestampPrecision must be 'ns' or 'ms'`, { key: 'timestampPrecision' });
  const session = tradingSession(opts.halfDay ?? false);
  const dayStartEpochMs = newYorkDayStartEpochMs(opts.date);
  const universe = stockUniverse(seed, count('tickers', opts.tickers, 300));
  const stocksParams = {
    seed, universe, session, dayStartEpochMs, precision,
    spyTrades: count('spyTrades', opts.spyTrades, 100_000),
    otherTradesPerTicker: count('otherTradesPerTicker', opts.otherTradesPerTicker, 200),
  };
  const optionOpts = opts.options === false ? undefined : opts.options ?? {};
  const optionCounts = optionOpts && {
    expiries: count('options.expiries', optionOpts.expiries, 5, 1),
    strikesPerSide: count('options.strikesPerSide', optionOpts.strikesPerSide, 15),
    trades: count('options.trades', optionOpts.trades, 50_000),
  };

  const pathOf = (dataset: DatasetName) => {
    const key = objectKey(DATASETS[dataset], opts.date);
    return { dataset, key, path: join(rootDir, key) };
  };
  const files: GeneratedFile[] = [];
  const open: CsvFileSink[] = [];
  const openSink = async (path: string, header: string, gzip = true) => {
    const sink = await CsvFileSink.open(path, header, gzip ? {} : { gzipLevel: false });
    open.push(sink);
    return sink;
  };
  try {
    const stocks = pathOf('stocks-trades');
    const stocksSink = await openSink(stocks.path, STOCKS_TRADES_HEADER);
    const tapes = await writeStocksTrades(stocksSink, stocksParams, optionOpts ? ['SPY', 'QQQ'] : []);
    files.push({ ...stocks, ...(await stocksSink.close()) });
    if (!optionOpts || !optionCounts) return { files };

    const pricer = new ContractPricer({
      dayStartEpochMs,
      riskFreeRate: optionOpts.riskFreeRate ?? 0.04,
      dividendYield: optionOpts.dividendYield ?? 0,
      minTimeToExpiryNs: 60e9,
      tapes,
    });
    const qqq = universe.find((s) => s.ticker === 'QQQ');
    const contracts = listOptionUniverse({
      date: opts.date,
      expiries: optionCounts.expiries,
      strikesPerSide: optionCounts.strikesPerSide,
      spyReferenceSpot: universe.find((s) => s.ticker === 'SPY')!.startPrice,
      ...(qqq ? { qqqReferenceSpot: qqq.startPrice } : {}),
      yearsToExpiry: (expiry) => pricer.yearsToExpiry(expiry, wallClockNs(9, 30)),
    });
    const trades = pathOf('options-trades');
    const quotes = pathOf('options-quotes');
    const truthPath = truthPathFor(rootDir, opts.date);
    const tradesSink = await openSink(trades.path, OPTIONS_TRADES_HEADER);
    const quotesSink = optionOpts.quotes === false ? undefined : await openSink(quotes.path, OPTIONS_QUOTES_HEADER);
    const truthSink = await openSink(truthPath, OPTIONS_TRUTH_HEADER, false);
    await writeOptionFlow({
      seed, session, dayStartEpochMs, precision, contracts, pricer,
      trades: optionCounts.trades,
      backgroundQuotesPerContract: 20,
    }, { trades: tradesSink, truth: truthSink, ...(quotesSink ? { quotes: quotesSink } : {}) });
    files.push({ ...trades, ...(await tradesSink.close()) });
    if (quotesSink) files.push({ ...quotes, ...(await quotesSink.close()) });
    await truthSink.close();
    return { files, truthPath };
  } catch (e) {
    await Promise.all(open.map((s) => s.abort()));
    throw e;
  }
}
