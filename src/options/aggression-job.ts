/**
 * Aggression in the historical greeks job (issue 7): the day's option quotes, streamed from the
 * lake in event-time order, are fed into an {@link OptionQuoteBook} up to each option trade's
 * time, and every trade is classified against its contract's prevailing quote (aggression.ts).
 * This module holds the streaming glue, the per-day counts (diagnostics) and the builder of the
 * persisted {@link AGGRESSION_COLUMNS}; it does no I/O itself (the quote stream is handed in).
 *
 * Order contract: trades must be classified in non-decreasing sip_timestamp; before a trade at
 * `t` every quote with sip_timestamp ≤ t is fed (quotes before trades at equal time) and none
 * after it, so the book answers with the as-of quote. Memory: one quote chunk plus the book
 * (O(contracts)); nothing grows with the number of quotes.
 */
import type { AggregationsConfig } from '../config/schema.js';
import type { ColumnBatch } from '../formats/columns.js';
import type { OptionQuoteColumns } from '../lake/reader.js';
import {
  AGGRESSION_COLUMNS, Classification, Side, SIDE_METHOD_NAMES, SIDE_REASON_NAMES, TickTest,
  aggressionParamsFromConfig, classify, type AggressionParams, type ClassifiableTrade,
} from './aggression.js';
import { OptionQuoteBook, quoteBookOptionsFromConfig } from './quote-book.js';

/** Per-day counts of a classification run (diagnostics, job outcome, logs). */
export interface AggressionSummary {
  /** Option trades classified (every option trade of the day, priced or not). */
  readonly trades: number;
  readonly buys: number;
  readonly sells: number;
  readonly unclassified: number;
  /** 100 · (buys + sells) / trades; NaN without trades. */
  readonly classifiedPct: number;
  /** Unclassified trades by `side_reason` name (only reasons that occurred). */
  readonly unclassifiedByReason: Readonly<Record<string, number>>;
  /** Classified trades by `side_method` name (touch, beyond, tick). */
  readonly byMethod: Readonly<Record<string, number>>;
  /** Quotes of the symbol's contracts fed to the book (up to the day's last option trade). */
  readonly quotesFed: number;
  /** Of those, quotes older than the contract's held one (ignored by the book). */
  readonly quotesIgnored: number;
  /** Distinct contracts quoted. */
  readonly contractsQuoted: number;
}

/**
 * Feeds a stream of quote chunks into a book as trade time advances and classifies trades.
 * One instance per day (the book starts empty: no quote carries over a night).
 */
export class QuoteStreamClassifier {
  readonly book: OptionQuoteBook;
  readonly params: AggressionParams;
  private readonly ticks = new TickTest();
  private readonly verdict = new Classification();
  private chunk: OptionQuoteColumns | undefined;
  private row = 0;
  private done = false;
  private fed = 0;
  private readonly sideCounts = [0, 0, 0]; // sell, unclassified, buy (index side + 1)
  private readonly reasonCounts = new Array<number>(SIDE_REASON_NAMES.length).fill(0);
  private readonly methodCounts = new Array<number>(SIDE_METHOD_NAMES.length).fill(0);

  constructor(private readonly quotes: AsyncIterator<OptionQuoteColumns>, agg: AggregationsConfig) {
    this.book = new OptionQuoteBook(quoteBookOptionsFromConfig(agg));
    this.params = aggressionParamsFromConfig(agg);
  }

  /**
   * Feeds every quote with sip_timestamp ≤ `tNs`. Returns undefined when the buffered chunk
   * sufficed (no await needed on the hot path), else a promise that completes the feed.
   */
  advanceTo(tNs: bigint): Promise<void> | undefined {
    if (this.feedBuffered(tNs)) return this.advanceAsync(tNs);
    return undefined;
  }

  /**
   * Classifies a trade against the book as it stands: call {@link advanceTo} with the trade's
   * time first. The returned object is reused by the next call.
   */
  classify(trade: ClassifiableTrade): Classification {
    const v = classify(trade, this.book, this.params, this.verdict, this.ticks);
    this.sideCounts[v.side + 1]!++;
    if (v.side === Side.Unclassified) this.reasonCounts[v.reason]!++;
    else this.methodCounts[v.method]!++;
    return v;
  }

  summary(): AggressionSummary {
    const [sells, unclassified, buys] = this.sideCounts as [number, number, number];
    const trades = sells + unclassified + buys;
    const named = (counts: readonly number[], names: readonly string[]) =>
      Object.fromEntries(counts.flatMap((n, code) => (n > 0 ? [[names[code]!, n]] : [])));
    const c = this.book.counters;
    return {
      trades, buys, sells, unclassified, classifiedPct: trades === 0 ? NaN : (100 * (buys + sells)) / trades,
      unclassifiedByReason: named(this.reasonCounts, SIDE_REASON_NAMES),
      byMethod: named(this.methodCounts, SIDE_METHOD_NAMES),
      quotesFed: this.fed, quotesIgnored: c.quotesIgnored, contractsQuoted: this.book.contracts,
    };
  }

  /** Stops the quote stream (releases its DuckDB connection). */
  async close(): Promise<void> {
    await this.quotes.return?.(undefined);
  }

  /** Feeds buffered quotes ≤ tNs; true when the buffer ran out before a later quote was seen. */
  private feedBuffered(tNs: bigint): boolean {
    if (this.done) return false;
    const q = this.chunk;
    if (q === undefined) return true;
    const book = this.book;
    let i = this.row;
    const n = q.length;
    const ts = q.sipTimestampNs;
    while (i < n && ts[i]! <= tNs) {
      book.update(q.ticker[i]!, ts[i]!, q.sequence[i]!, q.bidPrice[i]!, q.bidSize[i]!, q.askPrice[i]!, q.askSize[i]!);
      i++;
    }
    this.fed += i - this.row;
    this.row = i;
    return i === n;
  }

  private async advanceAsync(tNs: bigint): Promise<void> {
    do {
      const next = await this.quotes.next();
      if (next.done === true) { this.done = true; this.chunk = undefined; return; }
      this.chunk = next.value;
      this.row = 0;
    } while (this.feedBuffered(tNs));
  }
}

/** One-line description of a summary for logs and job messages. */
export function describeAggression(s: AggressionSummary): string {
  const reasons = Object.entries(s.unclassifiedByReason).map(([k, n]) => `${k} ${n.toLocaleString('en-US')}`).join(', ');
  const pct = Number.isNaN(s.classifiedPct) ? 'n/a' : `${s.classifiedPct.toFixed(1)} %`;
  return `aggression: ${pct} classified (${s.buys.toLocaleString('en-US')} buys, ${s.sells.toLocaleString('en-US')} sells), `
    + `${s.unclassified.toLocaleString('en-US')} unclassified${reasons ? ` (${reasons})` : ''}; ${s.quotesFed.toLocaleString('en-US')} quotes`;
}

/**
 * Accumulates classifications into the {@link AGGRESSION_COLUMNS} of a batch (typed arrays reused
 * across batches). Nulls: no quote → every quote column null; an absent side → null price, size 0;
 * mid_offset_bp null unless both sides are quoted.
 */
export class AggressionColumnsBuilder {
  rows = 0;
  private readonly codes: Int32Array[];
  private readonly quote: Float64Array[];
  private readonly quoteValid: Uint8Array[];
  private readonly times: BigInt64Array[];
  private readonly hasQuote: Uint8Array;
  private readonly state: Int32Array;
  private readonly mid: Float64Array;
  private readonly midValid: Uint8Array;

  constructor(readonly capacity: number) {
    this.codes = [0, 1, 2].map(() => new Int32Array(capacity)); // side, side_method, side_reason
    this.quote = [0, 1, 2, 3].map(() => new Float64Array(capacity)); // bid, bid size, ask, ask size
    this.quoteValid = [0, 1, 2, 3].map(() => new Uint8Array(capacity));
    this.times = [0, 1].map(() => new BigInt64Array(capacity)); // quote time, age
    this.hasQuote = new Uint8Array(capacity);
    this.state = new Int32Array(capacity);
    this.mid = new Float64Array(capacity);
    this.midValid = new Uint8Array(capacity);
  }

  add(c: Classification): void {
    const i = this.rows++;
    this.codes[0]![i] = c.side; this.codes[1]![i] = c.method; this.codes[2]![i] = c.reason;
    const quoted = c.quoteTimestampNs !== null ? 1 : 0;
    this.hasQuote[i] = quoted;
    this.times[0]![i] = c.quoteTimestampNs ?? 0n;
    this.times[1]![i] = c.quoteAgeNs ?? 0n;
    this.state[i] = c.quoteState ?? 0;
    const values = [c.bidPrice, c.bidSize, c.askPrice, c.askSize];
    for (let k = 0; k < 4; k++) {
      const v = values[k]!;
      const present = quoted === 1 && v === v; // sizes are 0 (not NaN) for an absent side: present
      this.quote[k]![i] = present ? v : 0;
      this.quoteValid[k]![i] = present ? 1 : 0;
    }
    const m = c.midOffsetBp;
    this.mid[i] = m === m ? m : 0;
    this.midValid[i] = m === m ? 1 : 0;
  }

  /** The rows added since the last call, in AGGRESSION_COLUMNS order; the builder starts over. */
  take(): ColumnBatch['columns'] {
    const n = this.rows;
    this.rows = 0;
    const quoted = this.hasQuote.slice(0, n);
    const f = (k: number) => ({ type: 'float64' as const, values: this.quote[k]!.slice(0, n), valid: this.quoteValid[k]!.slice(0, n) });
    const columns: ColumnBatch['columns'] = [
      { type: 'int32', values: this.codes[0]!.slice(0, n) },
      { type: 'int32', values: this.codes[1]!.slice(0, n) },
      { type: 'int32', values: this.codes[2]!.slice(0, n) },
      f(0), f(1), f(2), f(3),
      { type: 'int64', values: this.times[0]!.slice(0, n), valid: quoted },
      { type: 'int64', values: this.times[1]!.slice(0, n), valid: quoted.slice() },
      { type: 'int32', values: this.state.slice(0, n), valid: quoted.slice() },
      { type: 'float64', values: this.mid.slice(0, n), valid: this.midValid.slice(0, n) },
    ];
    if (columns.length !== AGGRESSION_COLUMNS.length) throw new Error('AggressionColumnsBuilder is out of step with AGGRESSION_COLUMNS');
    return columns;
  }
}
