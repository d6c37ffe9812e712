/**
 * The realtime pipeline of one symbol: feed events → event-time merge behind a watermark
 * (merger.ts) → as-of underlying price and greeks (the SAME OptionEnricher the historical greeks
 * job uses) → aggressor side against the option quote book (when enabled) → the SAME
 * FeatureEngine the historical features job uses → each window's row when it closes. Pure apart
 * from the callbacks: no sockets, no files, no clock (wall time is passed in), so it is driven
 * the same way by the `gammaflow live` command, tests and benchmarks.
 *
 * Public API (stable; the replay / parity code drives it too):
 *
 *   const p = new LivePipeline({ symbol, aggregations, calendar, aggression, startMs: Date.now(),
 *                                onRow: (row, { revision }) => ... });
 *   p.push('stocks', event, Date.now());     // every FeedDataEvent of each cluster, in arrival order
 *   p.tick(Date.now());                      // periodically (quiet timer: closes windows of a quiet feed)
 *   p.endCluster('options', Date.now());     // a cluster's stream ended (exitOnClose)
 *   p.finish();                              // end of stream: every remaining window is emitted
 *   p.stats();                               // counters for dashboards and metrics
 *
 * Parity with the historical path (FEATURES.md "Output rows"): events are processed in the
 * merger's total order (time; quote, underlying trade, option trade; sequence), which is the
 * order of src/options/greeks-job.ts (enrichment, quotes first) and src/features/job.ts (engine,
 * underlying first). The as-of state of the enricher, the quote book and the tick test start
 * afresh at each New York date, as the historical jobs start each day afresh. The engine
 * registers a day's grid at its first event, so a day with any row of the symbol emits every
 * window of its grid (empty ones included), and `finish()` closes them all. Only the symbol's
 * events are used: stock trades of `symbol`; option trades and quotes whose root maps to
 * `symbol` (underlyingOfRoot) or is one of `[aggregations] option_roots`, the historical filter.
 *
 * Late events (time ≤ the released watermark; counted in `stats().late`):
 * - `late_policy = "drop"` (default): discarded.
 * - `late_policy = "revise"`: the event goes to the live engine (window sizes whose window is
 *   still open take it as usual) and every window that already closed is recomputed and
 *   re-emitted with `revision` ≥ 1. Recomputation replays a bounded log of released events
 *   (underlying trades and enriched option trades with their sides) through a fresh FeatureEngine
 *   holding only the affected sizes. The log keeps `reviseHorizonNs` (default: the longest
 *   window) plus max(longest window, max_underlying_staleness) of event time behind the
 *   watermark; a late event older than `watermark − reviseHorizonNs` cannot be revised (counted
 *   in `lateTooOld`, dropped). Approximations, documented: a late option trade is enriched from
 *   the logged underlying trades (exact as-of S) but is left unclassified (the quote book has moved
 *   on); a late underlying trade revises OHLC and dollar-value features, not the greeks of option
 *   trades already enriched; late quotes are only counted.
 */
import type { NyseCalendar, SessionKind } from '../calendar/index.js';
import { NS_PER_MS, addDays, nyDateOfNs, nyWallClockToUtcNs, parseDurationMs } from '../calendar/index.js';
import type { AggregationsConfig } from '../config/schema.js';
import { FeatureEngine, featureEngineOptions, type FeatureEngineOptions, type FeatureOptionTrade } from '../features/engine.js';
import { FeatureFeeder } from '../features/feeder.js';
import type { FeatureRow } from '../features/row.js';
import type { TradeSide } from '../features/value-sets.js';
import { windowStartOf } from '../features/windows.js';
import { decodeOpra, underlyingOfRoot } from '../formats/opra.js';
import { Classification, TickTest, aggressionParamsFromConfig, classify, sideName, type AggressionParams } from '../options/aggression.js';
import { curveOn, type TreasuryYields } from '../options/rates/treasury-curve.js';
import { ConfigError } from '../util/errors.js';
import { OptionEnricher, emptyOptionGreeks, enrichmentParamsFromConfig, type EnrichmentParams, type OptionGreeks } from '../options/enrich.js';
import { OptionQuoteBook, quoteBookOptionsFromConfig, type QuoteBookOptions } from '../options/quote-book.js';
import type { OptionTrade, UnderlyingTrade } from '../formats/records.js';
import { EventMerger, KIND_RANK, eventTimeNs } from './merger.js';
import type { FeedCluster, FeedDataEvent } from '../formats/massive-ws/types.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A record for #enrich to fill in (every field present, so all records share one shape). */
function emptyFeatureOptionTrade(): Mutable<FeatureOptionTrade> {
  return {
    sipTimestampNs: 0n, sequence: 0, right: 'C', price: 0, size: 0, eligible: false, underlyingPrice: Number.NaN,
    intrinsic: Number.NaN, dadvv: Number.NaN, gadvv: Number.NaN, greeksFlag: 0,
  };
}

/** How a row is emitted: 0 the first time its window closes, n ≥ 1 for its n-th correction (late_policy revise). */
export interface RowEmission {
  readonly revision: number;
}

export interface LivePipelineOptions {
  readonly symbol: string;
  /** `[aggregations]`: windows, session, rules, enrichment, allowed_lateness, late_policy, quiet_close_ms, option_roots. */
  readonly aggregations: AggregationsConfig;
  readonly calendar: NyseCalendar;
  /** Window size labels; default `aggregations.windows`. */
  readonly windows?: readonly string[];
  /** Default `aggregations.session`. */
  readonly session?: SessionKind;
  /** Classify option trades against option quotes and emit the 68 aggression columns. */
  readonly aggression: boolean;
  /** Clusters feeding the pipeline; default both. */
  readonly clusters?: readonly FeedCluster[];
  /** Wall clock at start, ms. */
  readonly startMs: number;
  /** Receives each row as soon as it is computed (shortest window first at equal end). */
  readonly onRow: (row: FeatureRow, emission: RowEmission) => void;
  /** How late (event time behind the watermark) an event may be and still revise rows; default the longest window. */
  readonly reviseHorizonNs?: bigint;
  /** Memory bound of the merger (EventMerger maxBufferedEvents); default 2 000 000 events. */
  readonly maxBufferedEvents?: number;
  /** The lake's Treasury yields, for `risk_free_rate = "treasury"` (the curve of each day is the latest on or before it). */
  readonly treasuryYields?: readonly TreasuryYields[];
  /**
   * Receives each option trade of the symbol processed in order, with its greeks and aggressor side (undefined when
   * unclassified or aggression is off). `greeks` is reused after the call returns: copy what is kept. Late trades
   * folded in by `late_policy = "revise"` are not passed.
   */
  readonly onOptionTrade?: (trade: OptionTrade, greeks: Readonly<OptionGreeks>, side: TradeSide | undefined) => void;
}

export interface LivePipelineStats {
  /** Events pushed (all clusters, before filtering). */
  readonly received: number;
  /** Events processed in order (released by the merger and of the symbol). */
  readonly processed: number;
  /** Events not of the symbol (other tickers, other roots). */
  readonly ignored: number;
  /** Events behind the watermark. */
  readonly late: number;
  /** Late events discarded (policy drop, late quotes, too old to revise). */
  readonly lateDropped: number;
  /** Late events folded in (policy revise). */
  readonly lateRevised: number;
  /** Late events older than the revise horizon. */
  readonly lateTooOld: number;
  readonly rowsEmitted: number;
  /** Corrected rows re-emitted (policy revise). */
  readonly rowsRevised: number;
  /** Events waiting in the merger for the watermark. */
  readonly bufferedEvents: number;
  readonly bufferedHighWater: number;
  /** Events released early because the merger was full (see merger.ts). */
  readonly forcedReleases: number;
  readonly watermarkNs: bigint | undefined;
  readonly maxEventTimeNs: bigint | undefined;
  /** Start of the last window emitted per window size label. */
  readonly lastWindowStartNs: ReadonlyMap<string, bigint>;
}

/** A released event kept for revisions. */
interface LoggedEvent {
  readonly timeNs: bigint;
  readonly rank: number;
  readonly sequence: number;
  readonly underlying?: UnderlyingTrade;
  readonly option?: FeatureOptionTrade;
  readonly side?: TradeSide;
}

function logBefore(a: LoggedEvent, b: LoggedEvent): boolean {
  if (a.timeNs !== b.timeNs) return a.timeNs < b.timeNs;
  if (a.rank !== b.rank) return a.rank < b.rank;
  return a.sequence <= b.sequence;
}

/** Per New York day state of the enrichment and classification (the historical jobs start each day afresh). */
class DayState {
  readonly enricher: OptionEnricher;
  readonly book: OptionQuoteBook | undefined;
  readonly ticks: TickTest | undefined;
  constructor(readonly startNs: bigint, readonly endNs: bigint, params: EnrichmentParams, bookOptions: QuoteBookOptions | undefined) {
    this.enricher = new OptionEnricher(params);
    this.book = bookOptions === undefined ? undefined : new OptionQuoteBook(bookOptions);
    this.ticks = bookOptions === undefined ? undefined : new TickTest();
  }
}

export class LivePipeline {
  readonly symbol: string;
  readonly aggression: boolean;
  readonly engineOptions: FeatureEngineOptions;
  readonly latePolicy: 'drop' | 'revise';
  readonly #merger: EventMerger;
  readonly #treasuryYields: readonly TreasuryYields[];
  /** The FeatureEngine's feeder: the same consumer the historical features job drives. */
  readonly #feeder: FeatureFeeder;
  readonly #enrichment: EnrichmentParams;
  readonly #bookOptions: QuoteBookOptions | undefined;
  readonly #aggressionParams: AggressionParams | undefined;
  readonly #verdict = new Classification();
  readonly #greeks = emptyOptionGreeks();
  /** The enriched record handed to the engine when nothing keeps it (late_policy drop). */
  readonly #scratchOption = emptyFeatureOptionTrade();
  readonly #roots: ReadonlySet<string>;
  /** OPRA ticker → belongs to the symbol. */
  readonly #tickerOfSymbol = new Map<string, boolean>();
  readonly #onRow: (row: FeatureRow, emission: RowEmission) => void;
  readonly #onOptionTrade: LivePipelineOptions['onOptionTrade'];
  readonly #reviseHorizonNs: bigint;
  /** Event time kept in the log behind watermark − reviseHorizon. */
  readonly #logLookbackNs: bigint;
  #day: DayState | undefined;
  #log: LoggedEvent[] = [];
  #logHead = 0;
  readonly #revisions = new Map<string, number>();
  readonly #lastWindowStartNs = new Map<string, bigint>();
  #received = 0;
  #processed = 0;
  #ignored = 0;
  #lateDropped = 0;
  #lateRevised = 0;
  #lateTooOld = 0;
  #rowsEmitted = 0;
  #rowsRevised = 0;
  #finished = false;
  /** Callbacks handed to the merger and the engine on every push (one closure each, not one per call). */
  readonly #processEvent = (e: FeedDataEvent): void => this.#process(e);
  readonly #emitRow = (row: FeatureRow): void => this.#emit(row, 0);

  constructor(options: LivePipelineOptions) {
    const agg = options.aggregations;
    this.symbol = options.symbol;
    this.aggression = options.aggression;
    this.latePolicy = agg.late_policy;
    this.engineOptions = featureEngineOptions(agg, options.calendar, {
      symbol: options.symbol, aggression: options.aggression,
      ...(options.windows ? { windows: options.windows } : {}), ...(options.session ? { session: options.session } : {}),
    });
    this.#feeder = new FeatureFeeder(new FeatureEngine(this.engineOptions), this.#emitRow, options.aggression);
    this.#enrichment = enrichmentParamsFromConfig(agg, options.symbol);
    this.#treasuryYields = options.treasuryYields ?? [];
    this.#bookOptions = options.aggression ? quoteBookOptionsFromConfig(agg) : undefined;
    this.#aggressionParams = options.aggression ? aggressionParamsFromConfig(agg) : undefined;
    this.#roots = new Set(agg.option_roots);
    this.#onRow = options.onRow;
    this.#onOptionTrade = options.onOptionTrade;
    this.#merger = new EventMerger({
      clusters: options.clusters ?? ['stocks', 'options'],
      allowedLatenessNs: BigInt(parseDurationMs(agg.allowed_lateness)) * NS_PER_MS,
      quietCloseMs: agg.quiet_close_ms,
      startMs: options.startMs,
      ...(options.maxBufferedEvents !== undefined ? { maxBufferedEvents: options.maxBufferedEvents } : {}),
    });
    const longest = this.engineOptions.windows.reduce((m, w) => (w.sizeNs > m ? w.sizeNs : m), 0n);
    this.#reviseHorizonNs = options.reviseHorizonNs ?? longest;
    const staleness = this.#enrichment.maxUnderlyingStalenessNs;
    this.#logLookbackNs = this.#reviseHorizonNs + (longest > staleness ? longest : staleness);
  }

  /** The engine's window sizes, in output order. */
  get windowLabels(): string[] { return this.engineOptions.windows.map((w) => w.label); }

  /** Adds one event of `cluster` that arrived at wall time `nowMs`, then processes what the watermark releases. */
  push(cluster: FeedCluster, event: FeedDataEvent, nowMs: number): void {
    this.#received++;
    if (!this.#ofSymbol(event)) {
      this.#ignored++;
      return;
    }
    if (this.#merger.push(cluster, event, nowMs) === 'late') this.#onLate(event);
    else this.#release(nowMs);
  }

  /** Advances the watermark by the wall clock (quiet feed) and emits what closes. */
  tick(nowMs: number): void {
    this.#release(nowMs);
  }

  /** A cluster's stream ended: it no longer holds the watermark back. */
  endCluster(cluster: FeedCluster, nowMs: number): void {
    this.#merger.endCluster(cluster);
    this.#release(nowMs);
  }

  /** End of the stream: processes every buffered event and emits every remaining window. Idempotent. */
  finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#merger.drain((e) => this.#process(e));
    this.#feeder.finish();
  }

  /** New York dates with windows still open (their rows are not all emitted yet). */
  openDates(): string[] {
    return this.#feeder.openDates();
  }

  stats(): LivePipelineStats {
    return {
      received: this.#received, processed: this.#processed, ignored: this.#ignored,
      late: this.#merger.lateEvents, lateDropped: this.#lateDropped, lateRevised: this.#lateRevised, lateTooOld: this.#lateTooOld,
      rowsEmitted: this.#rowsEmitted, rowsRevised: this.#rowsRevised,
      bufferedEvents: this.#merger.depth, bufferedHighWater: this.#merger.highWaterDepth,
      forcedReleases: this.#merger.forcedReleases,
      watermarkNs: this.#merger.watermarkNs, maxEventTimeNs: this.#merger.maxEventTimeNs,
      lastWindowStartNs: new Map(this.#lastWindowStartNs),
    };
  }

  #release(nowMs: number): void {
    if (this.#finished) return;
    const w = this.#merger.release(nowMs, this.#processEvent);
    if (w === undefined) return;
    this.#feeder.advanceTo(w);
    if (this.latePolicy === 'revise') this.#trimLog(w);
  }

  #emit(row: FeatureRow, revision: number): void {
    this.#rowsEmitted++;
    if (revision > 0) this.#rowsRevised++;
    const last = this.#lastWindowStartNs.get(row.window);
    if (last === undefined || row.windowStartNs > last) this.#lastWindowStartNs.set(row.window, row.windowStartNs);
    this.#onRow(row, { revision });
  }

  #ofSymbol(e: FeedDataEvent): boolean {
    if (e.kind === 'stockTrade') return e.trade.sym === this.symbol;
    if (e.kind === 'optionTrade') return this.#rootOfSymbol(e.trade.root);
    const ticker = e.quote.ticker;
    let known = this.#tickerOfSymbol.get(ticker);
    if (known === undefined) {
      const decoded = decodeOpra(ticker);
      known = decoded.ok && this.#rootOfSymbol(decoded.contract.root);
      if (this.#tickerOfSymbol.size < 1_000_000) this.#tickerOfSymbol.set(ticker, known);
    }
    return known;
  }

  #rootOfSymbol(root: string): boolean {
    return underlyingOfRoot(root) === this.symbol || this.#roots.has(root);
  }

  /** The day state of an event time (a new New York date starts afresh). */
  #dayOf(timeNs: bigint): DayState {
    const d = this.#day;
    if (d !== undefined && timeNs >= d.startNs && timeNs < d.endNs) return d;
    const date = nyDateOfNs(timeNs);
    const day = new DayState(nyWallClockToUtcNs(date, 0, 0), nyWallClockToUtcNs(addDays(date, 1), 0, 0), this.#paramsOn(date), this.#bookOptions);
    this.#day = day;
    return day;
  }

  /** One event in order. */
  #process(e: FeedDataEvent): void {
    this.#processed++;
    const day = this.#dayOf(eventTimeNs(e));
    switch (e.kind) {
      case 'optionQuote':
        day.book?.onQuote(e.quote);
        return;
      case 'stockTrade': {
        const t = e.trade;
        day.enricher.onUnderlyingTrade(t);
        this.#feeder.underlyingTrade(t);
        if (this.latePolicy === 'revise') this.#log.push({ timeNs: t.sipTimestampNs, rank: KIND_RANK.stockTrade, sequence: t.sequence, underlying: t });
        return;
      }
      case 'optionTrade': {
        const t = e.trade;
        // The engine keeps numbers, not the record: one reused record unless the revise log keeps it.
        const record = this.#enrich(day.enricher, t, this.latePolicy === 'revise' ? undefined : this.#scratchOption);
        let side: TradeSide | undefined;
        if (day.book !== undefined) {
          const verdict = classify(t, day.book, this.#aggressionParams!, this.#verdict, day.ticks);
          side = sideName(verdict.side);
          this.#feeder.optionTrade(record, verdict.side, verdict.reason);
        } else {
          this.#feeder.optionTrade(record);
        }
        this.#onOptionTrade?.(t, this.#greeks, side);
        if (this.latePolicy === 'revise') {
          this.#log.push({ timeNs: t.sipTimestampNs, rank: KIND_RANK.optionTrade, sequence: t.sequence, option: record, ...(side ? { side } : {}) });
        }
        return;
      }
    }
  }

  /** `t` enriched, written into `into` (a new record unless given one to reuse). */
  #enrich(enricher: OptionEnricher, t: OptionTrade, into: Mutable<FeatureOptionTrade> = emptyFeatureOptionTrade()): FeatureOptionTrade {
    const g = enricher.compute(t, this.#greeks);
    into.sipTimestampNs = t.sipTimestampNs; into.sequence = t.sequence; into.right = t.right; into.price = t.price;
    into.size = t.size; into.eligible = g.eligible; into.underlyingPrice = g.underlyingPrice; into.intrinsic = g.intrinsic;
    into.dadvv = g.dadvv; into.gadvv = g.gadvv; into.greeksFlag = g.greeksFlag;
    return into;
  }

  #onLate(e: FeedDataEvent): void {
    if (this.latePolicy === 'drop' || e.kind === 'optionQuote' || this.#finished) {
      this.#lateDropped++;
      return;
    }
    const timeNs = eventTimeNs(e);
    const watermark = this.#merger.watermarkNs!;
    if (timeNs < watermark - this.#reviseHorizonNs) {
      this.#lateTooOld++;
      this.#lateDropped++;
      return;
    }
    this.#lateRevised++;
    let logged: LoggedEvent;
    if (e.kind === 'stockTrade') {
      logged = { timeNs, rank: KIND_RANK.stockTrade, sequence: e.trade.sequence, underlying: e.trade };
      this.#insertLog(logged);
      this.#feeder.underlyingTrade(e.trade);
    } else {
      const record = this.#enrichLate(e.trade);
      logged = { timeNs, rank: KIND_RANK.optionTrade, sequence: e.trade.sequence, option: record };
      this.#insertLog(logged);
      this.#feeder.optionTrade(record);
    }
    this.#revise(timeNs);
  }

  /** The enrichment parameters of a New York day: with `risk_free_rate = "treasury"`, that day's curve. */
  #paramsOn(date: string): EnrichmentParams {
    if (this.#enrichment.riskFreeSource !== 'treasury') return this.#enrichment;
    const curve = curveOn(date, this.#treasuryYields);
    if (curve === undefined) {
      throw new ConfigError(`risk_free_rate = "treasury" but the lake has no Treasury yields on or before ${date}: run gammaflow rates first`, { key: 'aggregations.risk_free_rate' });
    }
    return { ...this.#enrichment, rateCurve: curve };
  }

  /** A late option trade priced against the logged underlying trades of its day up to its time (fresh as-of state). */
  #enrichLate(t: OptionTrade): FeatureOptionTrade {
    const date = nyDateOfNs(t.sipTimestampNs);
    const dayStartNs = nyWallClockToUtcNs(date, 0, 0);
    const enricher = new OptionEnricher(this.#paramsOn(date));
    for (let i = this.#logHead; i < this.#log.length; i++) {
      const l = this.#log[i]!;
      if (l.timeNs > t.sipTimestampNs) break;
      if (l.underlying !== undefined && l.timeNs >= dayStartNs) enricher.onUnderlyingTrade(l.underlying);
    }
    return this.#enrich(enricher, t);
  }

  /** Recomputes and re-emits every closed window (of any size) holding `timeNs`. */
  #revise(timeNs: bigint): void {
    const closedBy = this.#feeder.engine.watermarkNs;
    const sizes = this.engineOptions.windows.filter((w) => windowStartOf(timeNs, w.sizeNs) + w.sizeNs <= closedBy);
    if (sizes.length === 0) return;
    const starts = new Map(sizes.map((w) => [w.label, windowStartOf(timeNs, w.sizeNs)]));
    let fromNs = timeNs, toNs = timeNs;
    for (const w of sizes) {
      const s = starts.get(w.label)!;
      if (s < fromNs) fromNs = s;
      if (s + w.sizeNs > toNs) toNs = s + w.sizeNs;
    }
    const engine = new FeatureEngine({ ...this.engineOptions, windows: sizes });
    for (let i = this.#logHead; i < this.#log.length; i++) {
      const l = this.#log[i]!;
      if (l.timeNs < fromNs) continue;
      if (l.timeNs >= toNs) break;
      if (l.underlying !== undefined) engine.onUnderlyingTrade(l.underlying);
      else engine.onOptionTrade(l.option!, l.side);
    }
    engine.advanceTo(toNs, (row) => {
      if (starts.get(row.window) !== row.windowStartNs) return;
      const key = `${row.window}@${row.windowStartNs}`;
      const revision = (this.#revisions.get(key) ?? 0) + 1;
      this.#revisions.set(key, revision);
      this.#emit(row, revision);
    });
  }

  #insertLog(entry: LoggedEvent): void {
    const log = this.#log;
    let lo = this.#logHead, hi = log.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (logBefore(log[mid]!, entry)) lo = mid + 1;
      else hi = mid;
    }
    log.splice(lo, 0, entry);
  }

  /** Forgets logged events no revision can need any more. */
  #trimLog(watermarkNs: bigint): void {
    const keepFromNs = watermarkNs - this.#logLookbackNs;
    const log = this.#log;
    while (this.#logHead < log.length && log[this.#logHead]!.timeNs < keepFromNs) this.#logHead++;
    if (this.#logHead > 4096 && this.#logHead * 2 > log.length) {
      this.#log = log.slice(this.#logHead);
      this.#logHead = 0;
    }
  }
}
