/**
 * Aggression while the flat files stream: the greeks job's contract-by-contract
 * classification ({@link TradeSides}) fed from the ingest's own batches, so that `gammaflow run`
 * does not read the day's option quotes back from the lake.
 *
 * Both flat files are sorted by ticker then time, so the quotes of each contract arrive as one
 * time-ordered run while the file streams: the per-contract as-of merge needs no more than the
 * symbol's trade keys (held in memory, as the lake pass holds them) and the quote in flight.
 * One {@link IngestDaySides} per day taps the options-trades and options-quotes files of that
 * day (ingest-file.ts calls the taps with every batch it writes, in partition order): the trades
 * tap keeps each selected trade's ticker, time, price and partition row index; the quotes tap
 * hands each batch's selected rows to the running merge. The verdicts equal the lake pass's
 * (ingest-sides.test.ts compares them trade by trade): same rows, same order, same code.
 *
 * The verdicts are only offered with the two manifest entries they were computed from (both
 * files published in this run, row counts equal to what the taps saw); the greeks job uses them
 * only when those are the entries it reads, and otherwise classifies from the lake as before.
 * A file that fails, is skipped (already in the lake) or is stopped makes the day fall back.
 *
 * Memory: the trade keys (≈ 40 B per selected trade) and, while the trades file is still
 * streaming, the selected quotes that arrive before it ends (the merge needs every trade first).
 * Those are capped (`maxQueuedQuotes`): past the cap the day falls back to the lake pass rather
 * than hold an unbounded queue. With the files in Massive's order the symbol's quotes rarely
 * arrive that early (the trades file is far smaller and starts no later).
 */
import type { AggregationsConfig } from '../config/schema.js';
import { utf8At, type ColumnBatch, type Float64Column, type Int64Column, type Utf8Column } from '../formats/columns.js';
import { LastBytes } from '../formats/bytes.js';
import { DATASETS, type DatasetSpec } from '../formats/datasets.js';
import type { BatchTap } from '../ingest/ingest-file.js';
import type { ManifestEntry } from '../lake/manifest.js';
import type { OptionQuoteColumns, OptionSelection, OptionTradeKeyColumns } from '../lake/reader.js';
import { TradeSides } from './aggression-job.js';
import { OPTION_CONTRACT_COLUMNS } from './contract-columns.js';

/** Verdicts computed during the ingest, with the partitions they belong to. */
export interface IngestedSides {
  readonly sides: TradeSides;
  /** The options-trades and options-quotes manifest entries the taps saw being published. */
  readonly trades: ManifestEntry;
  readonly quotes: ManifestEntry;
  readonly selection: OptionSelection;
  readonly aggregations: AggregationsConfig;
}

/** Default cap on selected quotes held while the trades file is still streaming (≈ 68 B each). */
export const DEFAULT_MAX_QUEUED_QUOTES = 4_000_000;

/**
 * Verdicts wait in memory from the ingest to the greeks step (≈ 70 B per trade, ≈ 90 B while
 * computed), so a run shares one budget across its days: once the days ingested so far hold this
 * many of the symbol's trades, later days fall back to the lake pass. 3 M covers one or two busy
 * SPY days in ≈ 270 MB.
 */
export const DEFAULT_TRADES_BUDGET = 3_000_000;

/** The trades a run may still hold verdicts for (shared by its {@link IngestDaySides}). */
export class SidesBudget {
  remainingTrades: number;
  constructor(readonly totalTrades: number = DEFAULT_TRADES_BUDGET) {
    this.remainingTrades = totalTrades;
  }
}

/** An async queue: push from the taps, iterate from the merge. */
class Channel<T> implements AsyncIterable<T> {
  private items: T[] = [];
  private head = 0;
  private closed = false;
  private failure: { reason: unknown } | undefined;
  private wake: (() => void) | undefined;

  get ended(): boolean {
    return this.closed || this.failure !== undefined;
  }

  push(item: T): void {
    if (this.ended) return;
    this.items.push(item);
    this.signal();
  }

  close(): void {
    if (this.ended) return;
    this.closed = true;
    this.signal();
  }

  fail(reason: unknown): void {
    if (this.ended) return;
    this.failure = { reason };
    this.items = [];
    this.head = 0;
    this.signal();
  }

  private signal(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for (;;) {
      if (this.failure !== undefined) throw this.failure.reason;
      if (this.head < this.items.length) {
        const item = this.items[this.head]!;
        this.items[this.head++] = undefined as T; // let it be collected
        if (this.head > 1024 && this.head * 2 > this.items.length) {
          this.items = this.items.slice(this.head);
          this.head = 0;
        }
        yield item;
        continue;
      }
      if (this.closed) return;
      await new Promise<void>((resolve) => { this.wake = resolve; });
    }
  }
}

function columnIndex(dataset: DatasetSpec, name: string): number {
  const own = dataset.columns.findIndex((c) => c.name === name);
  if (own >= 0) return own;
  const derived = OPTION_CONTRACT_COLUMNS.findIndex((c) => c.name === name);
  if (derived < 0) throw new Error(`no column ${name} in ${dataset.name}`);
  return dataset.columns.length + derived;
}

/** The runs of a batch's rows that belong to selected contracts: [first, end) per run and its ticker. */
interface SelectedRuns {
  readonly names: string[];
  readonly bounds: number[];
  readonly rows: number;
}

/**
 * Walks a batch's rows by runs of equal ticker (the files are ticker-sorted, so a run is usually
 * long) and keeps the runs of selected contracts (underlying = the symbol, or an extra root).
 */
function selectedRuns(batch: ColumnBatch, tickerAt: number, underlyingAt: number, rootAt: number,
  selection: OptionSelection): SelectedRuns {
  const tickers = batch.columns[tickerAt] as Utf8Column;
  const underlyings = batch.columns[underlyingAt] as Utf8Column;
  const roots = batch.columns[rootAt] as Utf8Column;
  const extra = selection.extraRoots ?? [];
  const { offsets, bytes } = tickers;
  const names: string[] = [], bounds: number[] = [];
  const run = new LastBytes();
  let rows = 0;
  let first = 0;
  while (first < batch.rows) {
    run.remember(bytes, offsets[first]!, offsets[first + 1]!);
    let end = first + 1;
    while (end < batch.rows && run.matches(bytes, offsets[end]!, offsets[end + 1]!)) end++;
    if (utf8At(underlyings, first) === selection.underlying || (extra.length > 0 && extra.includes(utf8At(roots, first)))) {
      names.push(utf8At(tickers, first));
      bounds.push(first, end);
      rows += end - first;
    }
    first = end;
  }
  return { names, bounds, rows };
}

/** Rows [first, end) of a float64 column into `out` at `at`, a null as 0 (the lake reader's coalesce). */
function copyFloat64(col: Float64Column, first: number, end: number, out: Float64Array, at: number): void {
  out.set(col.values.subarray(first, end), at);
  const valid = col.valid;
  if (valid !== undefined) for (let i = first; i < end; i++) if (valid[i] === 0) out[at + i - first] = 0;
}

/**
 * Rows [first, end) of an int64 column as doubles (exact below 2^53, as the reader's DOUBLE cast),
 * a null as 0, read through 32-bit words: a BigInt64Array read would allocate a BigInt per row.
 */
function int64AsFloat64(col: Int64Column, first: number, end: number, out: Float64Array, at: number): void {
  const v = col.values, valid = col.valid;
  const words = new Uint32Array(v.buffer, v.byteOffset + 8 * first, 2 * (end - first));
  for (let i = 0; i < end - first; i++) {
    const hi = words[2 * i + 1]! | 0; // little-endian: low word first
    out[at + i] = valid !== undefined && valid[first + i] === 0 ? 0 : hi * 4294967296 + words[2 * i]!;
  }
}

/**
 * The ingest taps of one day and the merge they feed. Create it before the day's files are
 * ingested, pass {@link tradesTap} and {@link quotesTap} to the ingest, then call {@link result}
 * once the ingest is over.
 */
export class IngestDaySides {
  readonly tradesTap: BatchTap;
  readonly quotesTap: BatchTap;
  private readonly trades = new Channel<OptionTradeKeyColumns>();
  private readonly quotes = new Channel<OptionQuoteColumns>();
  private readonly computation: Promise<TradeSides>;
  private tradesEntry: ManifestEntry | undefined;
  private quotesEntry: ManifestEntry | undefined;
  private tradeRows = 0;
  private quoteRows = 0;
  private queuedQuotes = 0;
  private off: string | undefined;

  constructor(readonly date: string, readonly selection: OptionSelection, readonly aggregations: AggregationsConfig,
    opts: { readonly maxQueuedQuotes?: number; readonly budget?: SidesBudget } = {}) {
    const maxQueued = opts.maxQueuedQuotes ?? DEFAULT_MAX_QUEUED_QUOTES;
    const budget = opts.budget ?? new SidesBudget();
    const t = DATASETS['options-trades'], q = DATASETS['options-quotes'];
    const tradeWidth = t.columns.length + OPTION_CONTRACT_COLUMNS.length, quoteWidth = q.columns.length + OPTION_CONTRACT_COLUMNS.length;
    const tradeCols = { ticker: columnIndex(t, 'ticker'), time: columnIndex(t, 'sip_timestamp'), price: columnIndex(t, 'price'),
      underlying: columnIndex(t, 'underlying'), root: columnIndex(t, 'root') };
    const quoteCols = { ticker: columnIndex(q, 'ticker'), time: columnIndex(q, 'sip_timestamp'), sequence: columnIndex(q, 'sequence_number'),
      bidPrice: columnIndex(q, 'bid_price'), bidSize: columnIndex(q, 'bid_size'), askPrice: columnIndex(q, 'ask_price'),
      askSize: columnIndex(q, 'ask_size'), underlying: columnIndex(q, 'underlying'), root: columnIndex(q, 'root') };

    this.tradesTap = {
      batch: (batch) => this.guard(() => {
        if (this.trades.ended) return;
        if (batch.columns.length !== tradeWidth) throw new Error(`options-trades batch of ${batch.columns.length} columns, expected ${tradeWidth} (with the contract columns)`);
        const runs = selectedRuns(batch, tradeCols.ticker, tradeCols.underlying, tradeCols.root, selection);
        const n = runs.rows;
        budget.remainingTrades -= n;
        if (budget.remainingTrades < 0) {
          this.stop(`the run's verdicts in memory reached the budget of ${budget.totalTrades.toLocaleString('en-US')} trades`);
          return;
        }
        if (n > 0) {
          const times = (batch.columns[tradeCols.time] as Int64Column).values;
          const prices = (batch.columns[tradeCols.price] as Float64Column).values; // not nullable
          const chunk = { length: n, ticker: new Array<string>(n), sipTimestampNs: new BigInt64Array(n), price: new Float64Array(n), rowIndex: new Float64Array(n) };
          let k = 0;
          for (let r = 0; r < runs.names.length; r++) {
            const first = runs.bounds[2 * r]!, end = runs.bounds[2 * r + 1]!;
            // Block copies: reading a BigInt64Array element would allocate a BigInt per row.
            chunk.sipTimestampNs.set(times.subarray(first, end), k);
            chunk.price.set(prices.subarray(first, end), k);
            chunk.ticker.fill(runs.names[r]!, k, k + end - first);
            for (let i = first; i < end; i++) chunk.rowIndex[k++] = this.tradeRows + i;
          }
          this.trades.push(chunk);
        }
        this.tradeRows += batch.rows;
      }),
      end: (entry) => {
        if (entry.rows !== this.tradeRows) this.stop(`options-trades ${date}: ${entry.rows} rows published, ${this.tradeRows} seen`);
        this.tradesEntry = entry;
        this.queuedQuotes = 0; // from now on the merge drains the quotes as they come
        this.trades.close();
      },
      fail: (reason) => this.stop(`options-trades ${date} not ingested in this run: ${describe(reason)}`),
    };

    this.quotesTap = {
      batch: (batch) => this.guard(() => {
        if (this.quotes.ended) return;
        if (batch.columns.length !== quoteWidth) throw new Error(`options-quotes batch of ${batch.columns.length} columns, expected ${quoteWidth} (with the contract columns)`);
        const runs = selectedRuns(batch, quoteCols.ticker, quoteCols.underlying, quoteCols.root, selection);
        const n = runs.rows;
        if (n > 0) {
          const cols = batch.columns;
          const chunk = {
            length: n, ticker: new Array<string>(n), contracts: runs.names, contract: new Int32Array(n), sipTimestampNs: new BigInt64Array(n),
            sequence: new Float64Array(n), bidPrice: new Float64Array(n), bidSize: new Float64Array(n), askPrice: new Float64Array(n),
            askSize: new Float64Array(n),
          };
          const times = (cols[quoteCols.time] as Int64Column).values;
          let k = 0;
          for (let r = 0; r < runs.names.length; r++) {
            const first = runs.bounds[2 * r]!, end = runs.bounds[2 * r + 1]!;
            chunk.ticker.fill(runs.names[r]!, k, k + end - first);
            chunk.contract.fill(r, k, k + end - first);
            chunk.sipTimestampNs.set(times.subarray(first, end), k);
            int64AsFloat64(cols[quoteCols.sequence] as Int64Column, first, end, chunk.sequence, k);
            copyFloat64(cols[quoteCols.bidPrice] as Float64Column, first, end, chunk.bidPrice, k);
            copyFloat64(cols[quoteCols.bidSize] as Float64Column, first, end, chunk.bidSize, k);
            copyFloat64(cols[quoteCols.askPrice] as Float64Column, first, end, chunk.askPrice, k);
            copyFloat64(cols[quoteCols.askSize] as Float64Column, first, end, chunk.askSize, k);
            k += end - first;
          }
          if (this.tradesEntry === undefined) {
            this.queuedQuotes += n;
            if (this.queuedQuotes > maxQueued) {
              this.stop(`options-quotes ${date}: more than ${maxQueued.toLocaleString('en-US')} of the symbol's quotes arrived before the options-trades file ended`);
              return;
            }
          }
          this.quotes.push(chunk);
        }
        this.quoteRows += batch.rows;
      }),
      end: (entry) => {
        if (entry.rows !== this.quoteRows) this.stop(`options-quotes ${date}: ${entry.rows} rows published, ${this.quoteRows} seen`);
        this.quotesEntry = entry;
        this.quotes.close();
      },
      fail: (reason) => this.stop(`options-quotes ${date} not ingested in this run: ${describe(reason)}`),
    };

    this.computation = TradeSides.compute(this.trades, this.quotes, aggregations);
    this.computation.catch(() => { /* reported by result() */ });
  }

  /** Whether either of the day's option files was (at least partly) ingested in this run: else a fallback is no news. */
  get ingestedAny(): boolean {
    return this.tradeRows > 0 || this.quoteRows > 0 || this.tradesEntry !== undefined || this.quotesEntry !== undefined;
  }

  /** A tap must never fail the ingest it watches: an error here only abandons the day's verdicts. */
  private guard(f: () => void): void {
    try {
      f();
    } catch (e) {
      this.stop(`classification during the ingest failed: ${describe(e)}`);
    }
  }

  /** Abandons the in-ingest classification of the day (the greeks job will classify from the lake). */
  private stop(why: string): void {
    if (this.off === undefined) this.off = why;
    const reason = new Error(why);
    this.trades.fail(reason);
    this.quotes.fail(reason);
  }

  /**
   * After the ingest: the day's verdicts with the entries they belong to, or why there are none
   * (a file not ingested in this run, a failure, the queue cap). Ends any tap still open.
   */
  async result(): Promise<IngestedSides | { readonly off: string }> {
    if (this.tradesEntry === undefined || this.quotesEntry === undefined) {
      this.stop(`${this.tradesEntry === undefined ? 'options-trades' : 'options-quotes'} ${this.date} not ingested in this run`);
    }
    try {
      const sides = await this.computation;
      if (this.off !== undefined) return { off: this.off };
      return { sides, trades: this.tradesEntry!, quotes: this.quotesEntry!, selection: this.selection, aggregations: this.aggregations };
    } catch (e) {
      return { off: this.off ?? describe(e) };
    }
  }
}

function describe(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}
