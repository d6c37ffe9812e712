/**
 * Reads one dataset-day of the lake for one symbol IN EVENT-TIME ORDER, streamed in chunks, as
 * the shared trade records (src/formats/records.ts).
 *
 * Flat files, hence lake partitions, are sorted by ticker then time, not by time: the rows of one
 * symbol are many per-contract runs. DuckDB (`read_parquet`) filters them (row-group statistics
 * prune most of a full-market partition) and sorts them; the result is fetched chunk by chunk
 * (DuckDB's streaming result, ~2 048 rows per chunk), so the JS side holds one chunk per stream.
 *
 * Order and tie-breaks (deterministic):
 * - underlying trades: sip_timestamp, sequence_number (nulls last), then partition row order;
 * - option trades: sip_timestamp, then the row's index in the partition (file order: ticker, then
 *   time). That index becomes the record's `sequence` (options flat files have no sequence number);
 * - option quotes: sip_timestamp, sequence_number (nulls first: read as 0), then partition row
 *   order (file, row), so an equal-key re-delivery keeps the order of the file.
 *
 * Memory: DuckDB's sort is bounded by `memory_limit` (default 512 MB) and spills to
 * `temp_directory` beyond it; `threads` (default 2) caps its parallelism. One symbol-day of SPY
 * (a few million trades, ~60 bytes each in the sort) fits in memory; a larger day spills instead
 * of growing the process.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection, type DuckDBDataChunk, type DuckDBListVector, type DuckDBVector } from '@duckdb/node-api';
import { NO_CONDITIONS, type OptionTrade, type UnderlyingTrade } from '../formats/records.js';
import { LakeError } from '../util/errors.js';
import { copyValues, createTickerDictionary, intList, streamChunks } from './duckdb-chunks.js';
import { partitionDir } from './layout.js';
import { lit, optionWhere, rowNumberedScan, streamedQuery, type StreamedQuery } from './sql.js';
import { remoteLakeAt } from './s3/registry.js';

export interface LakeReaderOptions {
  /** DuckDB `memory_limit`, e.g. '512MB'. */
  readonly memoryLimit?: string;
  /** DuckDB worker threads. */
  readonly threads?: number;
  /** Where DuckDB spills sorts that exceed the memory limit. */
  readonly tempDirectory?: string;
}

/** An option trade as stored in the lake: the shared record plus the lake-only columns. */
export interface LakeOptionTrade extends OptionTrade {
  /** Underlying symbol of the root (contract column `underlying`). */
  readonly underlying: string;
  /** null when the flat file had no participant_timestamp. */
  readonly participantTimestampNs: bigint | null;
}

/**
 * Which option contracts belong to a symbol: `underlying = symbol` or root in `extraRoots`; with
 * `moreUnderlyings`, those of several symbols at once (`underlying IN (underlying, ...moreUnderlyings)`).
 */
export interface OptionSelection {
  readonly underlying: string;
  readonly extraRoots?: readonly string[];
  readonly moreUnderlyings?: readonly string[];
}

/**
 * One chunk of option quotes as columns (no object per quote: a symbol-day holds tens of millions
 * of quotes). Row i is `ticker[i]`'s NBBO at `sipTimestampNs[i]`. Massive's convention is kept:
 * an absent side has price and size 0 (a null field in the lake reads as 0).
 */
export interface OptionQuoteColumns {
  readonly length: number;
  /** OPRA ticker (`O:` prefix); the strings are shared by every quote of a contract. */
  readonly ticker: readonly string[];
  /** Contract dictionary: `ticker[i] === contracts[contract[i]]`; LakeReader shares one array across a stream's chunks (cache on its identity). */
  readonly contracts: readonly string[];
  /** Index of row i's ticker in {@link contracts}. */
  readonly contract: Int32Array;
  /** SIP time, ns since the Unix epoch. */
  readonly sipTimestampNs: BigInt64Array;
  /** `sequence_number` (0 when null): the book's tie-break at equal timestamps. */
  readonly sequence: Float64Array;
  readonly bidPrice: Float64Array;
  /** Contracts. */
  readonly bidSize: Float64Array;
  readonly askPrice: Float64Array;
  /** Contracts. */
  readonly askSize: Float64Array;
}

/**
 * The fields of the symbol's option trades that classification needs, as columns, for the
 * contract-by-contract as-of merge (see {@link LakeReader.optionTradeKeys}).
 */
export interface OptionTradeKeyColumns {
  readonly length: number;
  /** OPRA ticker; the strings are shared by every trade of a contract. */
  readonly ticker: readonly string[];
  readonly sipTimestampNs: BigInt64Array;
  readonly price: Float64Array;
  /** Row index in the options-trades partition: the `sequence` of {@link LakeOptionTrade}. */
  readonly rowIndex: Float64Array;
}

/** Numbers the temporary ENUM types of {@link LakeReader.optionQuotesInFileOrder}. */
let typeCounter = 0;

export class LakeReader {
  private constructor(private readonly lake: string, private readonly instance: DuckDBInstance) {}

  static async open(lake: string, options: LakeReaderOptions = {}): Promise<LakeReader> {
    const config: Record<string, string> = {
      memory_limit: options.memoryLimit ?? '512MB',
      threads: String(options.threads ?? 2),
    };
    if (options.tempDirectory !== undefined) config.temp_directory = options.tempDirectory;
    return new LakeReader(lake, await DuckDBInstance.create(':memory:', config));
  }

  /** Parquet parts of a published partition, in part order; a LakeError when there are none. */
  async partitionFiles(dataset: string, date: string): Promise<string[]> {
    const remote = remoteLakeAt(this.lake);
    if (remote !== undefined && (await remote.cachePartition(dataset, date)) === undefined) {
      throw new LakeError(`no ${dataset} partition for ${date} in ${remote.url}`, { dataset, date, path: remote.url });
    }
    const dir = partitionDir(this.lake, dataset, date);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new LakeError(`no ${dataset} partition for ${date} in ${this.lake}`, { dataset, date, path: dir });
      throw new LakeError(`cannot list ${dir}: ${(e as Error).message}`, { dataset, date, path: dir }, { cause: e });
    }
    const parts = names.filter((n) => n.endsWith('.parquet')).sort();
    if (parts.length === 0) throw new LakeError(`the ${dataset} partition for ${date} holds no Parquet file`, { dataset, date, path: dir });
    return parts.map((n) => join(dir, n));
  }

  /** The symbol's stocks trades of one day, in (sip_timestamp, sequence_number, row) order. */
  async *underlyingTrades(date: string, symbol: string): AsyncGenerator<UnderlyingTrade[]> {
    const query = await this.#underlyingQuery(date, `ticker = ${lit(symbol)}`, '');
    for await (const chunk of this.chunks(query)) yield underlyingRecords(chunk);
  }

  /**
   * Several symbols' underlying trades of one day in one sorted read, each with its ticker: each
   * symbol's trades come in the order underlyingTrades gives them (the same sort, filtered).
   */
  async *underlyingTradesOf(date: string, symbols: readonly string[]): AsyncGenerator<TickerUnderlyingTrade[]> {
    const query = await this.#underlyingQuery(date, `ticker IN (${symbols.map(lit).join(', ')})`, ', ticker');
    for await (const chunk of this.chunks(query)) {
      const trades = underlyingRecords(chunk) as TickerUnderlyingTrade[];
      const tickers = chunk.getColumnVector(6) as DuckDBVector<string>;
      for (let i = 0; i < trades.length; i++) (trades[i] as { ticker?: string }).ticker = tickers.getItem(i)!;
      yield trades;
    }
  }

  /** The sorted read of a day's stocks trades behind underlyingTrades(Of): the columns underlyingRecords reads, then `extraColumns`. */
  async #underlyingQuery(date: string, where: string, extraColumns: string): Promise<StreamedQuery> {
    const files = await this.partitionFiles('stocks-trades', date);
    const sql = `SELECT sip_timestamp, coalesce(sequence_number, 0) AS sequence, price, size,
        coalesce(conditions, []::INTEGER[]) AS conditions, coalesce(correction, 0) AS correction${extraColumns}
      FROM read_parquet([${files.map(lit).join(', ')}], filename = true, file_row_number = true, hive_partitioning = false)
      WHERE ${where}`;
    return streamedQuery(sql, 'sip_timestamp, sequence_number NULLS LAST, filename, file_row_number');
  }

  /**
   * The symbol's option trades of one day, in (sip_timestamp, partition row) order. The decoded
   * contract columns are read once per contract (a small dictionary keyed by ticker) rather than
   * once per trade: string decoding dominated the read otherwise.
   */
  async *optionTrades(date: string, selection: OptionSelection): AsyncGenerator<LakeOptionTrade[]> {
    const files = await this.partitionFiles('options-trades', date);
    const offsets = await this.rowOffsets(files);
    const where = optionWhere(selection);
    const scan = rowNumberedScan(files);
    const contractsSql = `CREATE TEMP TABLE contracts AS
      SELECT row_number() OVER (ORDER BY ticker) - 1 AS id, ticker, underlying, root, "right", strike,
        CAST(expiry - DATE '1970-01-01' AS INTEGER) AS expiry_days, adjusted
      FROM (SELECT DISTINCT ticker, underlying, root, "right", strike, expiry, adjusted FROM ${scan} WHERE ${where})`;
    const tradesSql = `SELECT p.sip_timestamp, p.file_row_number + f.row_offset AS row_index, c.id, p.price, p.size,
        coalesce(p.conditions, []::INTEGER[]) AS conditions, coalesce(p.correction, 0) AS correction,
        coalesce(p.exchange, 0) AS exchange, p.participant_timestamp
      FROM ${scan} AS p
      JOIN (VALUES ${offsets.join(', ')}) AS f(filename, row_offset) ON p.filename = f.filename
      JOIN contracts AS c ON p.ticker = c.ticker`;
    let contracts: ContractColumns[] = [];
    const prepare = async (conn: DuckDBConnection): Promise<void> => {
      await conn.run(contractsSql);
      const reader = await conn.runAndReadAll('SELECT ticker, underlying, root, "right", strike, expiry_days, adjusted FROM contracts ORDER BY id');
      contracts = reader.getRows().map(([ticker, underlying, root, right, strike, expiryDays, adjusted]) => ({
        ticker: String(ticker), underlying: String(underlying), root: String(root), right: right === 'C' ? 'C' : 'P',
        strike: Number(strike), expiryDays: Number(expiryDays), adjusted: adjusted === true,
      }));
    };
    for await (const chunk of this.chunks(streamedQuery(tradesSql, 'p.sip_timestamp, row_index'), prepare)) yield optionRecords(chunk, contracts);
  }

  /**
   * The option quotes of the symbol's contracts for one day (the options-quotes table, ingested
   * with `--underlyings SYMBOL`; it carries the decoded contract columns), in (sip_timestamp,
   * sequence_number, file, row) order, as column chunks. Tickers are read once per contract
   * through a dictionary, as in {@link optionTrades}.
   */
  async *optionQuotes(date: string, selection: OptionSelection): AsyncGenerator<OptionQuoteColumns> {
    const files = await this.partitionFiles('options-quotes', date);
    const where = optionWhere(selection);
    const scan = rowNumberedScan(files);
    const quotesSql = `SELECT p.sip_timestamp, CAST(coalesce(p.sequence_number, 0) AS DOUBLE) AS sequence, CAST(c.id AS DOUBLE) AS id,
        coalesce(p.bid_price, 0) AS bid_price, coalesce(p.bid_size, 0) AS bid_size,
        coalesce(p.ask_price, 0) AS ask_price, coalesce(p.ask_size, 0) AS ask_size
      FROM ${scan} AS p JOIN quote_contracts AS c ON p.ticker = c.ticker`;
    let tickers: string[] = [];
    const prepare = async (conn: DuckDBConnection): Promise<void> => { tickers = await createTickerDictionary(conn, 'quote_contracts', scan, where); };
    for await (const chunk of this.chunks(streamedQuery(quotesSql, 'p.sip_timestamp, sequence, p.filename, p.file_row_number'), prepare)) {
      yield quoteColumns(chunk, tickers);
    }
  }

  /**
   * The symbol's option quotes of one day in the partition's own order: flat files, hence
   * partitions, are sorted by ticker, then time, so each contract's quotes come in time order and
   * no sort is needed (a full day of quotes is the largest table; sorting it by time is what an
   * ASOF JOIN pays). Consumers that rely on the per-contract order must check it (the partition
   * may come from a source that breaks it); {@link optionQuotes} gives the global time order.
   */
  async *optionQuotesInFileOrder(date: string, selection: OptionSelection): AsyncGenerator<OptionQuoteColumns> {
    const files = await this.partitionFiles('options-quotes', date);
    const scan = `read_parquet([${files.map(lit).join(', ')}], hive_partitioning = false)`;
    // The contract id comes from an ENUM cast, a projection: DuckDB keeps insertion order
    // (preserve_insertion_order) through filters and projections, not through a hash join.
    const type = `quote_contract_${++typeCounter}`;
    const quotesSql = `SELECT sip_timestamp, CAST(coalesce(sequence_number, 0) AS DOUBLE) AS sequence,
        CAST(enum_code(CAST(ticker AS ${type})) AS DOUBLE) AS id,
        coalesce(bid_price, 0) AS bid_price, coalesce(bid_size, 0) AS bid_size,
        coalesce(ask_price, 0) AS ask_price, coalesce(ask_size, 0) AS ask_size
      FROM ${scan} WHERE ${optionWhere(selection)}`;
    let tickers: string[] = [];
    const prepare = async (conn: DuckDBConnection): Promise<void> => {
      await conn.run('SET preserve_insertion_order = true');
      await conn.run(`CREATE TYPE ${type} AS ENUM (SELECT DISTINCT ticker FROM ${scan} WHERE (${optionWhere(selection)}) AND ticker IS NOT NULL ORDER BY ticker)`);
      const reader = await conn.runAndReadAll(`SELECT unnest(enum_range(NULL::${type})) AS ticker`);
      tickers = reader.getRows().map(([ticker]) => String(ticker));
    };
    try {
      for await (const chunk of this.chunks(streamedQuery(quotesSql), prepare)) yield quoteColumns(chunk, tickers);
    } finally {
      const conn = await this.instance.connect();
      try { await conn.run(`DROP TYPE IF EXISTS ${type}`); } finally { conn.closeSync(); }
    }
  }

  /**
   * The symbol's option trades of one day reduced to what classification needs (ticker, time,
   * price, partition row index), in partition row order: each contract's trades in time order
   * when the partition keeps the flat file's (ticker, time) order.
   */
  async *optionTradeKeys(date: string, selection: OptionSelection): AsyncGenerator<OptionTradeKeyColumns> {
    const files = await this.partitionFiles('options-trades', date);
    const offsets = await this.rowOffsets(files);
    const scan = rowNumberedScan(files);
    const tradesSql = `SELECT p.sip_timestamp, p.file_row_number + f.row_offset AS row_index, c.id, p.price
      FROM ${scan} AS p
      JOIN (VALUES ${offsets.join(', ')}) AS f(filename, row_offset) ON p.filename = f.filename
      JOIN trade_contracts AS c ON p.ticker = c.ticker`;
    let tickers: string[] = [];
    const prepare = async (conn: DuckDBConnection): Promise<void> => {
      tickers = await createTickerDictionary(conn, 'trade_contracts', scan, optionWhere(selection));
    };
    for await (const chunk of this.chunks(streamedQuery(tradesSql, 'row_index'), prepare)) yield tradeKeyColumns(chunk, tickers);
  }

  /** Row count of each Parquet file (from the footers). */
  /**
   * `(filename, first row index)` VALUES rows: a row's index in the whole partition is its
   * file_row_number plus its file's offset (the tie-break the greeks job and the replay share).
   */
  private async rowOffsets(files: readonly string[]): Promise<string[]> {
    const counts = await this.rowCounts(files);
    let offset = 0;
    return files.map((f, i) => {
      const row = `(${lit(f)}, ${offset})`;
      offset += counts[i]!;
      return row;
    });
  }

  private async rowCounts(files: readonly string[]): Promise<number[]> {
    const conn = await this.instance.connect();
    try {
      const reader = await conn.runAndReadAll(
        `SELECT file_name, num_rows FROM parquet_file_metadata([${files.map(lit).join(', ')}])`);
      const byFile = new Map<string, number>();
      for (const [name, rows] of reader.getRows()) byFile.set(String(name), Number(rows));
      return files.map((f) => byFile.get(f) ?? 0);
    } finally {
      conn.closeSync();
    }
  }

  /** Streams a query's chunks; the connection closes when the consumer stops (even early). */
  private chunks(query: StreamedQuery, prepare?: (conn: DuckDBConnection) => Promise<void>): AsyncGenerator<DuckDBDataChunk> {
    return streamChunks(this.instance, this.lake, query, prepare);
  }

  close(): void {
    this.instance.closeSync();
  }
}

function underlyingRecords(chunk: DuckDBDataChunk): UnderlyingTrade[] {
  const n = chunk.rowCount;
  const ts = chunk.getColumnVector(0) as DuckDBVector<bigint>;
  const seq = chunk.getColumnVector(1) as DuckDBVector<bigint>;
  const price = chunk.getColumnVector(2) as DuckDBVector<number>;
  const size = chunk.getColumnVector(3) as DuckDBVector<number>;
  const conditions = chunk.getColumnVector(4) as DuckDBListVector;
  const correction = chunk.getColumnVector(5) as DuckDBVector<number>;
  const out = new Array<UnderlyingTrade>(n);
  for (let i = 0; i < n; i++) {
    out[i] = {
      sipTimestampNs: ts.getItem(i)!,
      sequence: Number(seq.getItem(i)!),
      price: price.getItem(i)!,
      size: size.getItem(i)!,
      conditions: intList(conditions, i),
      correction: correction.getItem(i)!,
    };
  }
  return out;
}

/** An underlying trade with the ticker it was read for (underlyingTradesOf). */
export type TickerUnderlyingTrade = UnderlyingTrade & { readonly ticker: string };

/** The decoded contract columns shared by every trade of one contract. */
type ContractColumns = Pick<LakeOptionTrade, 'ticker' | 'underlying' | 'root' | 'right' | 'strike' | 'expiryDays' | 'adjusted'>;

function optionRecords(chunk: DuckDBDataChunk, contracts: readonly ContractColumns[]): LakeOptionTrade[] {
  const n = chunk.rowCount;
  const v = (c: number) => chunk.getColumnVector(c);
  const ts = v(0) as DuckDBVector<bigint>, rowIndex = v(1) as DuckDBVector<bigint>, contractId = v(2) as DuckDBVector<bigint>;
  const price = v(3) as DuckDBVector<number>, size = v(4) as DuckDBVector<number>;
  const conditions = v(5) as DuckDBListVector, correction = v(6) as DuckDBVector<number>;
  const exchange = v(7) as DuckDBVector<number>, participant = v(8) as DuckDBVector<bigint>;
  const out = new Array<LakeOptionTrade>(n);
  for (let i = 0; i < n; i++) {
    const c = contracts[Number(contractId.getItem(i)!)]!;
    out[i] = {
      sipTimestampNs: ts.getItem(i)!,
      sequence: Number(rowIndex.getItem(i)!),
      ticker: c.ticker,
      underlying: c.underlying,
      root: c.root,
      right: c.right,
      strike: c.strike,
      expiryDays: c.expiryDays,
      adjusted: c.adjusted,
      price: price.getItem(i)!,
      size: size.getItem(i)!,
      conditions: intList(conditions, i),
      correction: correction.getItem(i)!,
      exchange: exchange.getItem(i)!,
      participantTimestampNs: participant.getItem(i),
    };
  }
  return out;
}

/** Columns: sip_timestamp BIGINT, sequence DOUBLE, contract id DOUBLE, bid, bid size, ask, ask size DOUBLE (all NOT NULL). */
function quoteColumns(chunk: DuckDBDataChunk, tickers: readonly string[]): OptionQuoteColumns {
  const n = chunk.rowCount;
  const v = (c: number) => chunk.getColumnVector(c);
  const out = {
    length: n, ticker: new Array<string>(n), contracts: tickers, contract: new Int32Array(n), sipTimestampNs: new BigInt64Array(n),
    sequence: new Float64Array(n), bidPrice: new Float64Array(n), bidSize: new Float64Array(n), askPrice: new Float64Array(n),
    askSize: new Float64Array(n),
  };
  copyValues(v(0), n, out.sipTimestampNs);
  copyValues(v(1), n, out.sequence);
  copyValues(v(3), n, out.bidPrice);
  copyValues(v(4), n, out.bidSize);
  copyValues(v(5), n, out.askPrice);
  copyValues(v(6), n, out.askSize);
  const ids = new Float64Array(n);
  copyValues(v(2), n, ids);
  for (let i = 0; i < n; i++) {
    const id = ids[i]!;
    out.contract[i] = id;
    out.ticker[i] = tickers[id]!;
  }
  return out;
}

function tradeKeyColumns(chunk: DuckDBDataChunk, tickers: readonly string[]): OptionTradeKeyColumns {
  const n = chunk.rowCount;
  const ts = chunk.getColumnVector(0) as DuckDBVector<bigint>, row = chunk.getColumnVector(1) as DuckDBVector<bigint>;
  const contractId = chunk.getColumnVector(2) as DuckDBVector<bigint>, price = chunk.getColumnVector(3) as DuckDBVector<number>;
  const out = { length: n, ticker: new Array<string>(n), sipTimestampNs: new BigInt64Array(n), price: new Float64Array(n), rowIndex: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    out.ticker[i] = tickers[Number(contractId.getItem(i)!)]!;
    out.sipTimestampNs[i] = ts.getItem(i)!;
    out.price[i] = price.getItem(i)!;
    out.rowIndex[i] = Number(row.getItem(i)!);
  }
  return out;
}
