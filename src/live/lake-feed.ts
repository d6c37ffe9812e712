/**
 * A lake day as the realtime feed would have carried it: the record iterables the replay server
 * (replay-server.ts) sends on `/stocks` and `/options`.
 *
 * - Stocks: the symbol's stocks-trades rows as {@link StockTrade} (with the feed-only fields the
 *   lake keeps: exchange `x`, trade id `i`, tape `z`, and `trfi`/`trft` for TRF prints), in the
 *   order the historical path reads them: (sip_timestamp, sequence_number nulls last, file, row).
 * - Options: the option trades of the symbol's contracts (underlying = symbol, or root in
 *   `extraRoots`) read through {@link LakeReader.optionTrades}, so each trade's `sequence` is its
 *   row index in the options-trades partition, exactly as the greeks job sets it; merged with the
 *   day's option quotes of the same contracts when the lake has them, in event order: by
 *   sip_timestamp, a quote before a trade at the same time (the historical as-of rule), quotes by
 *   (sequence_number, file, row) and trades by row index among themselves.
 *
 * Everything is streamed chunk by chunk (DuckDB sorts under its memory limit and spills beyond
 * it), so memory stays bounded whatever the size of the day.
 *
 * The feed has no `correction` field: a corrected print goes out like any other (its record's
 * correction reads 0 on the receiving side), as the realtime feed sent the original print.
 */
import { readdir } from 'node:fs/promises';
import { DuckDBInstance, type DuckDBDataChunk, type DuckDBListVector, type DuckDBVector } from '@duckdb/node-api';
import { LakeReader, intList, streamChunks, type LakeReaderOptions, type OptionSelection } from '../lake/reader.js';
import { partitionDir } from '../lake/layout.js';
import type { OptionTrade } from '../options/records.js';
import { msOfNs, type OptionQuote, type StockTrade } from './protocol.js';
import type { ReplayOptionRecord } from './replay-server.js';

/** What one lake day holds for the replay of one symbol. */
export interface LakeDayContents {
  readonly stocksTrades: boolean;
  readonly optionsTrades: boolean;
  readonly optionsQuotes: boolean;
}

export interface LakeOptionRecordsOptions {
  /** Include the day's option quotes: `'auto'` (default) when the lake has the partition. */
  readonly quotes?: boolean | 'auto';
}

/** SQL string literal. */
const lit = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** Does the lake hold a published partition (at least one Parquet part) of `dataset` for `date`? */
export async function hasPartition(lake: string, dataset: string, date: string): Promise<boolean> {
  try {
    return (await readdir(partitionDir(lake, dataset, date))).some((n) => n.endsWith('.parquet'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

/**
 * Merges two event-time ordered streams of chunks into one stream of chunks: by sip_timestamp,
 * and at equal time every quote before any trade (a quote at the same instant as a trade is "at
 * or before" it). Each input's own order is kept. Pure: no I/O; reads one chunk ahead per input
 * and yields what it merged whenever one input's chunk is used up.
 */
export async function* mergeOptionRecords(trades: AsyncIterable<readonly OptionTrade[]>,
  quotes: AsyncIterable<readonly OptionQuote[]>): AsyncGenerator<ReplayOptionRecord[]> {
  const tradeChunks = trades[Symbol.asyncIterator]();
  const quoteChunks = quotes[Symbol.asyncIterator]();
  let tradeChunk: readonly OptionTrade[] = [];
  let quoteChunk: readonly OptionQuote[] = [];
  let ti = 0;
  let qi = 0;
  let tradesDone = false;
  let quotesDone = false;
  try {
    for (;;) {
      while (!tradesDone && ti >= tradeChunk.length) {
        const r = await tradeChunks.next();
        if (r.done) tradesDone = true;
        else { tradeChunk = r.value; ti = 0; }
      }
      while (!quotesDone && qi >= quoteChunk.length) {
        const r = await quoteChunks.next();
        if (r.done) quotesDone = true;
        else { quoteChunk = r.value; qi = 0; }
      }
      if (tradesDone && quotesDone) return;
      if (tradesDone) { yield quoteChunk.slice(qi); qi = quoteChunk.length; continue; }
      if (quotesDone) { yield tradeChunk.slice(ti); ti = tradeChunk.length; continue; }
      // Both have records: merge until one chunk is used up.
      const out: ReplayOptionRecord[] = [];
      while (ti < tradeChunk.length && qi < quoteChunk.length) {
        const trade = tradeChunk[ti]!;
        const quote = quoteChunk[qi]!;
        if (quote.sipTimestampNs <= trade.sipTimestampNs) { out.push(quote); qi++; } else { out.push(trade); ti++; }
      }
      yield out;
    }
  } finally {
    // An early stop (or a failure of one input) releases the other input's query too.
    if (!tradesDone) await tradeChunks.return?.();
    if (!quotesDone) await quoteChunks.return?.();
  }
}

/** Records of a chunk stream one by one. */
export async function* flatten<T>(chunks: AsyncIterable<readonly T[]>): AsyncGenerator<T> {
  for await (const chunk of chunks) yield* chunk;
}

/**
 * Reads lake days for the replay: {@link stockTradeChunks} and {@link optionRecordChunks} are
 * the `stocks` and `options` inputs of `startReplayServer`. One instance may serve several reads;
 * {@link close} releases DuckDB.
 */
export class LakeFeed {
  private constructor(
    readonly lake: string,
    private readonly reader: LakeReader,
    private readonly duckdb: DuckDBInstance,
  ) {}

  static async open(lake: string, options: LakeReaderOptions = {}): Promise<LakeFeed> {
    const config: Record<string, string> = {
      memory_limit: options.memoryLimit ?? '256MB',
      threads: String(options.threads ?? 2),
    };
    if (options.tempDirectory !== undefined) config.temp_directory = options.tempDirectory;
    const reader = await LakeReader.open(lake, { ...options, memoryLimit: options.memoryLimit ?? '256MB' });
    try {
      return new LakeFeed(lake, reader, await DuckDBInstance.create(':memory:', config));
    } catch (e) {
      reader.close();
      throw e;
    }
  }

  /** Which of the replayed datasets the lake holds for `date`. */
  async contents(date: string): Promise<LakeDayContents> {
    const [stocksTrades, optionsTrades, optionsQuotes] = await Promise.all(
      ['stocks-trades', 'options-trades', 'options-quotes'].map((d) => hasPartition(this.lake, d, date)));
    return { stocksTrades: stocksTrades!, optionsTrades: optionsTrades!, optionsQuotes: optionsQuotes! };
  }

  /** The symbol's stock trades of `date` in (sip_timestamp, sequence_number nulls last, file, row) order. */
  stockTrades(date: string, symbol: string): AsyncGenerator<StockTrade> {
    return flatten(this.stockTradeChunks(date, symbol));
  }

  /** {@link stockTrades} a chunk at a time (the replay server's input). */
  async *stockTradeChunks(date: string, symbol: string): AsyncGenerator<StockTrade[]> {
    const files = await this.reader.partitionFiles('stocks-trades', date);
    const sql = `SELECT sip_timestamp, coalesce(sequence_number, 0) AS sequence, price, size,
        coalesce(conditions, []::INTEGER[]) AS conditions, coalesce(correction, 0) AS correction,
        exchange, id, tape, trf_id, trf_timestamp
      FROM read_parquet([${files.map(lit).join(', ')}], filename = true, file_row_number = true, hive_partitioning = false)
      WHERE ticker = ${lit(symbol)}
      ORDER BY sip_timestamp, sequence_number NULLS LAST, filename, file_row_number`;
    for await (const chunk of this.chunks(sql)) yield stockTradeRecords(chunk, symbol);
  }

  /**
   * The option trades (and, per `options.quotes`, quotes) of the selected contracts on `date`,
   * merged in event order (see {@link mergeOptionRecords}); trade `sequence` = partition row index.
   */
  optionRecords(date: string, selection: OptionSelection, options: LakeOptionRecordsOptions = {}): AsyncGenerator<ReplayOptionRecord> {
    return flatten(this.optionRecordChunks(date, selection, options));
  }

  /** {@link optionRecords} a chunk at a time (the replay server's input). */
  async *optionRecordChunks(date: string, selection: OptionSelection, options: LakeOptionRecordsOptions = {}): AsyncGenerator<ReplayOptionRecord[]> {
    const wantQuotes = options.quotes ?? 'auto';
    const quotes = wantQuotes === 'auto' ? await hasPartition(this.lake, 'options-quotes', date) : wantQuotes;
    const trades = this.reader.optionTrades(date, selection);
    if (!quotes) {
      yield* trades;
      return;
    }
    yield* mergeOptionRecords(trades, this.optionQuotes(date, selection));
  }

  /**
   * The selected contracts' option quotes of `date`, in the historical reader's order
   * (sip_timestamp, sequence_number with null read as 0, file, row), with both exchanges.
   */
  async *optionQuotes(date: string, selection: OptionSelection): AsyncGenerator<OptionQuote[]> {
    const files = await this.reader.partitionFiles('options-quotes', date);
    const roots = selection.extraRoots ?? [];
    const where = `underlying = ${lit(selection.underlying)}` + (roots.length > 0 ? ` OR root IN (${roots.map(lit).join(', ')})` : '');
    const sql = `SELECT sip_timestamp, coalesce(sequence_number, 0) AS sequence, ticker,
        coalesce(bid_price, 0) AS bid_price, coalesce(ask_price, 0) AS ask_price,
        coalesce(bid_size, 0) AS bid_size, coalesce(ask_size, 0) AS ask_size,
        coalesce(bid_exchange, 0) AS bid_exchange, coalesce(ask_exchange, 0) AS ask_exchange
      FROM read_parquet([${files.map(lit).join(', ')}], filename = true, file_row_number = true, hive_partitioning = false)
      WHERE ${where}
      ORDER BY sip_timestamp, sequence, filename, file_row_number`;
    for await (const chunk of this.chunks(sql)) yield optionQuoteRecords(chunk);
  }

  /** Streams a query's chunks; the connection closes when the consumer stops (even early). */
  private chunks(sql: string): AsyncGenerator<DuckDBDataChunk> {
    return streamChunks(this.duckdb, this.lake, sql);
  }

  close(): void {
    this.reader.close();
    this.duckdb.closeSync();
  }
}


function stockTradeRecords(chunk: DuckDBDataChunk, symbol: string): StockTrade[] {
  const n = chunk.rowCount;
  const v = (c: number) => chunk.getColumnVector(c);
  const ts = v(0) as DuckDBVector<bigint>, seq = v(1) as DuckDBVector<bigint>;
  const price = v(2) as DuckDBVector<number>, size = v(3) as DuckDBVector<number>;
  const conditions = v(4) as DuckDBListVector, correction = v(5) as DuckDBVector<number>;
  const exchange = v(6) as DuckDBVector<number | null>, id = v(7) as DuckDBVector<string | null>;
  const tape = v(8) as DuckDBVector<number | null>, trfId = v(9) as DuckDBVector<number | null>;
  const trfTs = v(10) as DuckDBVector<bigint | null>;
  const out = new Array<StockTrade>(n);
  for (let i = 0; i < n; i++) {
    const trade: { -readonly [K in keyof StockTrade]: StockTrade[K] } = {
      sym: symbol,
      sipTimestampNs: ts.getItem(i)!,
      sequence: Number(seq.getItem(i)!),
      price: price.getItem(i)!,
      size: size.getItem(i)!,
      conditions: intList(conditions, i),
      correction: correction.getItem(i)!,
    };
    const x = exchange.getItem(i), tradeId = id.getItem(i), z = tape.getItem(i);
    if (x !== null) trade.exchange = x;
    if (tradeId !== null) trade.tradeId = tradeId;
    if (z !== null) trade.tape = z;
    // The feed carries trfi/trft only for prints reported to a TRF (the flat file has trf_timestamp 0 otherwise).
    const trfi = trfId.getItem(i), trft = trfTs.getItem(i);
    if (trfi !== null && trft !== null && trft > 0n) {
      trade.trfId = trfi;
      trade.trfTimestampMs = msOfNs(trft);
    }
    out[i] = trade;
  }
  return out;
}

function optionQuoteRecords(chunk: DuckDBDataChunk): OptionQuote[] {
  const n = chunk.rowCount;
  const v = (c: number) => chunk.getColumnVector(c);
  const ts = v(0) as DuckDBVector<bigint>, seq = v(1) as DuckDBVector<bigint>, ticker = v(2) as DuckDBVector<string>;
  const bid = v(3) as DuckDBVector<number>, ask = v(4) as DuckDBVector<number>;
  const bidSize = v(5) as DuckDBVector<number>, askSize = v(6) as DuckDBVector<number>;
  const bidExchange = v(7) as DuckDBVector<number>, askExchange = v(8) as DuckDBVector<number>;
  const out = new Array<OptionQuote>(n);
  for (let i = 0; i < n; i++) {
    out[i] = {
      sipTimestampNs: ts.getItem(i)!,
      sequence: Number(seq.getItem(i)!),
      ticker: ticker.getItem(i)!,
      bidPrice: bid.getItem(i)!,
      askPrice: ask.getItem(i)!,
      bidSize: bidSize.getItem(i)!,
      askSize: askSize.getItem(i)!,
      bidExchange: bidExchange.getItem(i)!,
      askExchange: askExchange.getItem(i)!,
    };
  }
  return out;
}
