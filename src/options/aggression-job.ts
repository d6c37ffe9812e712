/**
 * Aggression in the historical greeks job: every option trade of a symbol-day is
 * classified against its contract's prevailing quote (aggression.ts), the day's option quotes
 * being fed into an {@link OptionQuoteBook} up to each trade's time (quotes before trades at equal
 * time), so the book answers with the as-of quote. Two drivers:
 * - {@link TradeSides} (the greeks job): contract by contract in the lake's (ticker, time) order,
 *   no time sort of the quotes; verdicts kept per trade for the job's time-ordered pass;
 * - {@link QuoteStreamClassifier}: quotes and trades in global event-time order (realtime-like).
 * Both give the same verdicts. Also here: the per-day counts (diagnostics) and the builder of the
 * persisted {@link AGGRESSION_COLUMNS}. No I/O (the streams are handed in).
 */
import type { AggregationsConfig } from '../config/schema.js';
import type { ColumnBatch } from '../formats/columns.js';
import type { OptionQuoteColumns, OptionTradeKeyColumns } from '../lake/reader.js';
import { LakeError } from '../util/errors.js';
import {
  AGGRESSION_COLUMNS, Classification, Side, SideMethod, SIDE_METHOD_NAMES, SIDE_REASON_NAMES, TickTest,
  aggressionParamsFromConfig, classify, type AggressionParams, type ClassifiableTrade, type SideReason,
} from './aggression.js';
import { OptionQuoteBook, quoteBookOptionsFromConfig, type QuoteState } from './quote-book.js';

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
  /**
   * Quotes fed to the book: with {@link TradeSides} every quote of a contract that trades that day
   * (contracts without trades are skipped); with {@link QuoteStreamClassifier} the quotes up to
   * the day's last option trade.
   */
  readonly quotesFed: number;
  /** Of those, quotes older than the contract's held one (ignored by the book). */
  readonly quotesIgnored: number;
  /** Distinct contracts in the book. */
  readonly contractsQuoted: number;
}

/**
 * Iterates `source` while keeping up to `depth` further items requested ahead (at most that many
 * buffered): the producer's asynchronous work overlaps the consumer's. Stopping early (return)
 * closes the source once the pending requests settle. The first request is made at once.
 */
export function readAhead<T>(source: AsyncIterable<T>, depth: number): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  const pending: Promise<IteratorResult<T>>[] = [];
  let ended = false;
  const fill = (): void => {
    while (!ended && pending.length < depth) {
      const p = it.next();
      pending.push(p);
      p.then((r) => { if (r.done === true) ended = true; }, () => { ended = true; });
    }
  };
  fill();
  return (async function* () {
    try {
      for (;;) {
        if (pending.length === 0) fill();
        const next = pending.shift();
        if (next === undefined) return;
        const r = await next;
        if (r.done === true) return;
        fill();
        yield r.value;
      }
    } finally {
      await Promise.allSettled(pending);
      await it.return?.(undefined);
    }
  })();
}

/** Counts of side, reason and method codes, turned into an {@link AggressionSummary}. */
class VerdictCounts {
  readonly sides = [0, 0, 0]; // sell, unclassified, buy (index side + 1)
  readonly reasons = new Array<number>(SIDE_REASON_NAMES.length).fill(0);
  readonly methods = new Array<number>(SIDE_METHOD_NAMES.length).fill(0);

  add(v: Classification): void {
    this.sides[v.side + 1]!++;
    if (v.side === Side.Unclassified) this.reasons[v.reason]!++;
    else this.methods[v.method]!++;
  }

  summary(book: OptionQuoteBook, quotesFed: number): AggressionSummary {
    const [sells, unclassified, buys] = this.sides as [number, number, number];
    const trades = sells + unclassified + buys;
    const named = (counts: readonly number[], names: readonly string[]) =>
      Object.fromEntries(counts.flatMap((n, code) => (n > 0 ? [[names[code]!, n]] : [])));
    return {
      trades, buys, sells, unclassified, classifiedPct: trades === 0 ? NaN : (100 * (buys + sells)) / trades,
      unclassifiedByReason: named(this.reasons, SIDE_REASON_NAMES), byMethod: named(this.methods, SIDE_METHOD_NAMES),
      quotesFed, quotesIgnored: book.counters.quotesIgnored, contractsQuoted: book.contracts,
    };
  }
}

/**
 * The time-ordered variant: feeds a stream of quote chunks in event-time order (LakeReader
 * .optionQuotes, or a replay) into a book as trade time advances, and classifies trades given in
 * time order, as the realtime path does. The greeks job uses {@link TradeSides} instead (no time
 * sort of the quotes); bench/aggression.ts measures both. One instance per day (the book starts
 * empty: no quote carries over a night).
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
  private readonly counts = new VerdictCounts();

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
    this.counts.add(v);
    return v;
  }

  summary(): AggressionSummary {
    return this.counts.summary(this.book, this.fed);
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

/** No quote was judged (state column). */
const NO_QUOTE = 255;

/**
 * Every option trade of a symbol-day classified contract by contract, in the lake's own order
 * (no time sort of the quotes), kept by the trade's partition row index for the time-ordered pass
 * of the greeks job.
 *
 * Why: flat files, hence lake partitions, are sorted by ticker then time, and a contract's verdicts
 * depend only on that contract's quotes and trades (the book and the tick test are per contract;
 * adaptive staleness uses the contract's own quote lifetimes). So the as-of merge is a linear walk
 * per contract, with no global sort of the day's quotes (the largest table by far; sorting it is
 * what an ASOF JOIN pays). The verdicts equal those of a global time-ordered merge.
 *
 * How: the trades (ticker, time, price, row index; O(trades) memory) are grouped by contract
 * (stable counting sort: partition order within a contract, i.e. time, then row). The quotes are
 * then streamed in partition order; before a quote of contract c at time q is fed, c's pending
 * trades with time < q are classified (so a quote at a trade's nanosecond counts: quotes before
 * trades at equal time); after the last quote, every contract's remaining trades. A contract's
 * quotes or trades going back in time in partition order is an error (a LakeError naming it),
 * never a silently wrong verdict.
 *
 * Memory: ≈ 60 bytes per trade of the symbol (the persisted verdict), plus the book
 * (O(contracts)) and one quote chunk: independent of the number of quotes.
 */
export class TradeSides {
  private constructor(
    /** Partition row index of each slot, ascending. */
    private readonly rowIndex: Float64Array,
    private readonly tradeTimeNs: BigInt64Array,
    private readonly codes: Int8Array, // 4 per slot: side, method, reason, quote state (NO_QUOTE: none)
    private readonly quoteTimeNs: BigInt64Array,
    private readonly quote: Float64Array, // 5 per slot: bid, bid size, ask, ask size, mid offset bp
    private readonly stats: AggressionSummary,
  ) {}

  /**
   * Classifies every trade of `trades` (in ascending row index: LakeReader.optionTradeKeys)
   * against `quotes` (partition order: LakeReader.optionQuotesInFileOrder).
   */
  static async compute(trades: AsyncIterable<OptionTradeKeyColumns>, quotes: AsyncIterable<OptionQuoteColumns>,
    agg: AggregationsConfig): Promise<TradeSides> {
    // The quote stream starts now and reads ahead while the trades load and while each chunk is
    // processed (the source's fetches run off the JS thread).
    const quoteChunks = readAhead(quotes, 4);
    try {
      return await TradeSides.merge(trades, quoteChunks, agg);
    } finally {
      await quoteChunks.return(undefined);
    }
  }

  private static async merge(trades: AsyncIterable<OptionTradeKeyColumns>, quotes: AsyncIterable<OptionQuoteColumns>,
    agg: AggregationsConfig): Promise<TradeSides> {
    // 1. The trades, by slot (= position in row order), with a contract id per ticker.
    const chunks: OptionTradeKeyColumns[] = [];
    let n = 0;
    for await (const c of trades) { chunks.push(c); n += c.length; }
    const rowIndex = new Float64Array(n), tradeTimeNs = new BigInt64Array(n), price = new Float64Array(n);
    const contractOf = new Int32Array(n);
    const idOf = new Map<string, number>();
    const tickers: string[] = [];
    let slot = 0;
    for (const c of chunks) {
      rowIndex.set(c.rowIndex, slot); tradeTimeNs.set(c.sipTimestampNs, slot); price.set(c.price, slot);
      for (let i = 0; i < c.length; i++, slot++) {
        const ticker = c.ticker[i]!;
        let id = idOf.get(ticker);
        if (id === undefined) { id = tickers.length; idOf.set(ticker, id); tickers.push(ticker); }
        contractOf[slot] = id;
        if (slot > 0 && rowIndex[slot]! <= rowIndex[slot - 1]!) throw new LakeError('option trades for classification must come in ascending row index', {});
      }
    }
    chunks.length = 0;
    // 2. Group slots by contract (stable), check each contract's time order.
    const contracts = tickers.length;
    const start = new Int32Array(contracts + 1);
    for (let s = 0; s < n; s++) start[contractOf[s]! + 1]!++;
    for (let c = 0; c < contracts; c++) start[c + 1]! += start[c]!;
    const bySlot = new Int32Array(n);
    const fill = start.slice(0, contracts);
    for (let s = 0; s < n; s++) bySlot[fill[contractOf[s]!]!++] = s;
    for (let c = 0; c < contracts; c++) {
      for (let k = start[c]! + 1; k < start[c + 1]!; k++) {
        if (tradeTimeNs[bySlot[k]!]! < tradeTimeNs[bySlot[k - 1]!]!) {
          throw new LakeError(`options-trades partition out of (ticker, time) order at ${tickers[c]}: cannot classify contract by contract`, { ticker: tickers[c]! });
        }
      }
    }
    // 3. Stream the quotes; classify each contract's trades up to each of its quotes.
    const codes = new Int8Array(4 * n), quoteTimeNs = new BigInt64Array(n), quote = new Float64Array(5 * n);
    const book = new OptionQuoteBook(quoteBookOptionsFromConfig(agg));
    const params = aggressionParamsFromConfig(agg);
    const ticks = new TickTest();
    const verdict = new Classification();
    const counts = new VerdictCounts();
    const next = start.slice(0, contracts);
    const lastQuoteNs = new BigInt64Array(contracts).fill(-(1n << 63n));
    const trade = { ticker: '', sipTimestampNs: 0n, price: 0 };
    const classifyUpTo = (c: number, beforeNs: bigint | undefined): void => {
      const end = start[c + 1]!;
      let k = next[c]!;
      trade.ticker = tickers[c]!;
      for (; k < end; k++) {
        const s = bySlot[k]!;
        const t = tradeTimeNs[s]!;
        if (beforeNs !== undefined && t >= beforeNs) break;
        trade.sipTimestampNs = t; trade.price = price[s]!;
        const v = classify(trade, book, params, verdict, ticks);
        counts.add(v);
        codes[4 * s] = v.side; codes[4 * s + 1] = v.method; codes[4 * s + 2] = v.reason;
        codes[4 * s + 3] = v.quoteState ?? NO_QUOTE;
        quoteTimeNs[s] = v.quoteTimestampNs ?? 0n;
        quote[5 * s] = v.bidPrice; quote[5 * s + 1] = v.bidSize; quote[5 * s + 2] = v.askPrice; quote[5 * s + 3] = v.askSize;
        quote[5 * s + 4] = v.midOffsetBp;
      }
      next[c] = k;
    };
    let fed = 0;
    // The quote stream's contract codes → trade contract ids (-1: no trades, its quotes are skipped).
    let quoteDictionary: readonly string[] | undefined;
    let toTrade = new Int32Array(0);
    for await (const q of quotes) {
      if (q.contracts !== quoteDictionary) {
        quoteDictionary = q.contracts;
        toTrade = Int32Array.from(q.contracts, (t) => idOf.get(t) ?? -1);
      }
      const contractOfQuote = q.contract;
      for (let i = 0; i < q.length; i++) {
        const c = toTrade[contractOfQuote[i]!]!;
        if (c < 0) continue;
        const ts = q.sipTimestampNs[i]!;
        if (ts < lastQuoteNs[c]!) {
          throw new LakeError(`options-quotes partition out of (ticker, time) order at ${tickers[c]}: cannot classify contract by contract`, { ticker: tickers[c]! });
        }
        lastQuoteNs[c] = ts;
        if (next[c]! < start[c + 1]! && tradeTimeNs[bySlot[next[c]!]!]! < ts) classifyUpTo(c, ts);
        book.update(tickers[c]!, ts, q.sequence[i]!, q.bidPrice[i]!, q.bidSize[i]!, q.askPrice[i]!, q.askSize[i]!);
        fed++;
      }
    }
    for (let c = 0; c < contracts; c++) classifyUpTo(c, undefined);
    return new TradeSides(rowIndex, tradeTimeNs, codes, quoteTimeNs, quote, counts.summary(book, fed));
  }

  /** Trades classified. */
  get size(): number {
    return this.rowIndex.length;
  }

  summary(): AggressionSummary {
    return this.stats;
  }

  /**
   * The verdict of the trade at partition row `rowIndex` (the `sequence` of a LakeOptionTrade),
   * written into `out` (returned): the same fields classify() would have set.
   */
  get(rowIndex: number, out: Classification): Classification {
    const rows = this.rowIndex;
    let lo = 0, hi = rows.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (rows[mid]! < rowIndex) lo = mid + 1; else hi = mid;
    }
    if (rows.length === 0 || rows[lo] !== rowIndex) throw new RangeError(`no classified option trade at row ${rowIndex}`);
    const s = lo, c = this.codes, q = this.quote;
    out.side = c[4 * s]! as Side;
    out.method = c[4 * s + 1]! as SideMethod;
    out.reason = c[4 * s + 2]! as SideReason;
    const state = c[4 * s + 3]! & 0xff;
    const quoted = state !== NO_QUOTE;
    out.quoteState = quoted ? (state as QuoteState) : null;
    out.quoteTimestampNs = quoted ? this.quoteTimeNs[s]! : null;
    out.quoteAgeNs = quoted ? this.tradeTimeNs[s]! - this.quoteTimeNs[s]! : null;
    out.bidPrice = q[5 * s]!; out.bidSize = q[5 * s + 1]!; out.askPrice = q[5 * s + 2]!; out.askSize = q[5 * s + 3]!;
    out.midOffsetBp = q[5 * s + 4]!;
    return out;
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
