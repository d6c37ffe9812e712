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
import { DuckDBInstance, type DuckDBConnection, type DuckDBDataChunk, type DuckDBListVector, type DuckDBVector } from '@duckdb/node-api';
import { copyValues, createTickerDictionary, intList, streamChunks } from '../../lake/duckdb-chunks.js';
import { LakeReader, type LakeReaderOptions, type OptionSelection } from '../../lake/reader.js';
import { replayOptionQuotesSql, replayStockTradesSql } from '../../lake/queries/replay.js';
import { optionWhere, rowNumberedScan, streamedQuery, type StreamedQuery } from '../../lake/sql.js';
import { partitionDir } from '../../lake/layout.js';
import { ensureLocalPartition } from '../../lake/manifest.js';
import type { OptionTrade } from '../../formats/records.js';
import { msOfNs, type OptionQuote, type StockTrade } from '../../formats/massive-ws/types.js';
import type { ReplayOptionRecord } from './codec.js';

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


/** Does the lake hold a published partition (at least one Parquet part) of `dataset` for `date`? */
export async function hasPartition(lake: string, dataset: string, date: string): Promise<boolean> {
  await ensureLocalPartition(lake, dataset, date);
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
    const query = streamedQuery(replayStockTradesSql(files, symbol), 'sip_timestamp, sequence_number NULLS LAST, filename, file_row_number');
    for await (const chunk of this.chunks(query)) yield stockTradeRecords(chunk, symbol);
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
    const scan = rowNumberedScan(files);
    // Tickers through a dictionary (one string per contract, not one decode per quote).
    const sql = replayOptionQuotesSql(scan, 'replay_quote_contracts');
    let tickers: string[] = [];
    const prepare = async (conn: DuckDBConnection): Promise<void> => {
      tickers = await createTickerDictionary(conn, 'replay_quote_contracts', scan, optionWhere(selection));
    };
    const query = streamedQuery(sql, 'p.sip_timestamp, sequence, p.filename, p.file_row_number');
    for await (const chunk of streamChunks(this.duckdb, this.lake, query, prepare)) yield optionQuoteRecords(chunk, tickers);
  }

  /** Streams a query's chunks; the connection closes when the consumer stops (even early). */
  private chunks(query: StreamedQuery): AsyncGenerator<DuckDBDataChunk> {
    return streamChunks(this.duckdb, this.lake, query);
  }

  close(): void {
    this.reader.close();
    this.duckdb.closeSync();
  }
}


/** A NOT NULL DOUBLE column of a chunk, copied out. */
function float64Column(chunk: DuckDBDataChunk, c: number): Float64Array {
  const out = new Float64Array(chunk.rowCount);
  copyValues(chunk.getColumnVector(c), chunk.rowCount, out);
  return out;
}

/** A NOT NULL BIGINT column of a chunk, copied out. */
function int64Column(chunk: DuckDBDataChunk, c: number): BigInt64Array {
  const out = new BigInt64Array(chunk.rowCount);
  copyValues(chunk.getColumnVector(c), chunk.rowCount, out);
  return out;
}

/** Columns: see {@link LakeFeed.stockTradeChunks}: sip_timestamp and trf_timestamp BIGINT, conditions a list, id a string, the rest DOUBLE (NaN = null). */
function stockTradeRecords(chunk: DuckDBDataChunk, symbol: string): StockTrade[] {
  const n = chunk.rowCount;
  const big = (c: number): BigInt64Array => int64Column(chunk, c);
  const col = (c: number): Float64Array => float64Column(chunk, c);
  const ts = big(0), seq = col(1), price = col(2), size = col(3), correction = col(5), exchange = col(6), tape = col(8);
  const trfId = col(9), trfTs = big(10);
  const conditions = chunk.getColumnVector(4) as DuckDBListVector, id = chunk.getColumnVector(7) as DuckDBVector<string | null>;
  const out = new Array<StockTrade>(n);
  for (let i = 0; i < n; i++) {
    const trade: { -readonly [K in keyof StockTrade]: StockTrade[K] } = {
      sym: symbol,
      sipTimestampNs: ts[i]!,
      sequence: seq[i]!,
      price: price[i]!,
      size: size[i]!,
      conditions: intList(conditions, i),
      correction: correction[i]!,
    };
    const x = exchange[i]!, tradeId = id.getItem(i), z = tape[i]!;
    if (x === x) trade.exchange = x;
    if (tradeId !== null) trade.tradeId = tradeId;
    if (z === z) trade.tape = z;
    // The feed carries trfi/trft only for prints reported to a TRF (the flat file has trf_timestamp 0 otherwise).
    const trfi = trfId[i]!, trft = trfTs[i]!;
    if (trfi === trfi && trft > 0n) {
      trade.trfId = trfi;
      trade.trfTimestampMs = msOfNs(trft);
    }
    out[i] = trade;
  }
  return out;
}

/** Columns: sip_timestamp BIGINT, then sequence, contract id, bid, ask, bid size, ask size, bid exchange, ask exchange (DOUBLE, NOT NULL). */
function optionQuoteRecords(chunk: DuckDBDataChunk, tickers: readonly string[]): OptionQuote[] {
  const n = chunk.rowCount;
  const ts = int64Column(chunk, 0);
  const col = (c: number): Float64Array => float64Column(chunk, c);
  const seq = col(1), id = col(2), bid = col(3), ask = col(4), bidSize = col(5), askSize = col(6), bidExchange = col(7), askExchange = col(8);
  const out = new Array<OptionQuote>(n);
  for (let i = 0; i < n; i++) {
    out[i] = {
      sipTimestampNs: ts[i]!, sequence: seq[i]!, ticker: tickers[id[i]!]!, bidPrice: bid[i]!, askPrice: ask[i]!,
      bidSize: bidSize[i]!, askSize: askSize[i]!, bidExchange: bidExchange[i]!, askExchange: askExchange[i]!,
    };
  }
  return out;
}
