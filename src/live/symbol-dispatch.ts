/**
 * Several symbols in one live run: one feed (stock trades of each symbol, every option trade on
 * the one `T.*` stream, option quotes), one LivePipeline per symbol. Each event goes to the
 * pipeline of its symbol only: a stock trade by its ticker, an option trade by its root, a quote
 * by the root of its OPRA ticker (underlyingOfRoot, plus the symbol's extra roots); events of no
 * followed symbol are counted and dropped. Each pipeline then sees exactly the events a run of
 * its symbol alone would use, in the same order, so its rows are the same. Pure: no I/O.
 */
import { decodeOpra, underlyingOfRoot } from '../formats/opra.js';
import type { FeedCluster, FeedDataEvent } from '../formats/massive-ws/types.js';
import type { LivePipeline, LivePipelineStats } from './pipeline.js';

export interface SymbolDispatchOptions {
  /** The pipelines, by symbol, in the order given on the command line. */
  readonly pipelines: ReadonlyMap<string, LivePipeline>;
  /** Extra option roots per symbol (`[aggregations] option_roots` belong to `aggregations.symbol`). */
  readonly extraRoots?: ReadonlyMap<string, readonly string[]>;
}

/** Bound of the quote ticker → symbol memo (a full options day has ~1 M contracts). */
const MAX_MEMO = 1_000_000;

export class SymbolDispatch {
  readonly pipelines: ReadonlyMap<string, LivePipeline>;
  readonly #rootSymbol = new Map<string, string | null>();
  readonly #tickerSymbol = new Map<string, string | null>();
  readonly #extraRoot = new Map<string, string>();
  #ignored = 0;

  constructor(o: SymbolDispatchOptions) {
    if (o.pipelines.size === 0) throw new RangeError('no symbol to follow');
    this.pipelines = o.pipelines;
    for (const [symbol, roots] of o.extraRoots ?? []) for (const root of roots) this.#extraRoot.set(root, symbol);
  }

  /** Events of no followed symbol. */
  get ignored(): number { return this.#ignored; }

  /** The followed symbol an option root belongs to, or undefined. */
  symbolOfRoot(root: string): string | undefined {
    let s = this.#rootSymbol.get(root);
    if (s === undefined) {
      const underlying = underlyingOfRoot(root);
      s = this.pipelines.has(underlying) ? underlying : (this.#extraRoot.get(root) ?? null);
      this.#rootSymbol.set(root, s);
    }
    return s ?? undefined;
  }

  /** The followed symbol of an event, or undefined. */
  symbolOf(e: FeedDataEvent): string | undefined {
    if (e.kind === 'stockTrade') return this.pipelines.has(e.trade.sym) ? e.trade.sym : undefined;
    if (e.kind === 'optionTrade') return this.symbolOfRoot(e.trade.root);
    const ticker = e.quote.ticker;
    let s = this.#tickerSymbol.get(ticker);
    if (s === undefined) {
      const decoded = decodeOpra(ticker);
      s = decoded.ok ? (this.symbolOfRoot(decoded.contract.root) ?? null) : null;
      if (this.#tickerSymbol.size < MAX_MEMO) this.#tickerSymbol.set(ticker, s);
    }
    return s ?? undefined;
  }

  /** Hands the event to its symbol's pipeline; returns that symbol (undefined: ignored). */
  push(cluster: FeedCluster, event: FeedDataEvent, nowMs: number): string | undefined {
    const symbol = this.symbolOf(event);
    if (symbol === undefined) {
      this.#ignored++;
      return undefined;
    }
    this.pipelines.get(symbol)!.push(cluster, event, nowMs);
    return symbol;
  }

  tick(nowMs: number): void {
    for (const p of this.pipelines.values()) p.tick(nowMs);
  }

  endCluster(cluster: FeedCluster, nowMs: number): void {
    for (const p of this.pipelines.values()) p.endCluster(cluster, nowMs);
  }

  finish(): void {
    for (const p of this.pipelines.values()) p.finish();
  }
}

/**
 * The counters of several pipelines as one (the run's dashboard): sums; the watermark of the
 * slowest symbol; the latest event time; per window size the latest window emitted by any.
 */
export function mergePipelineStats(all: readonly LivePipelineStats[]): LivePipelineStats {
  if (all.length === 1) return all[0]!;
  const sum = (f: (s: LivePipelineStats) => number): number => all.reduce((n, s) => n + f(s), 0);
  let watermarkNs: bigint | undefined, maxEventTimeNs: bigint | undefined;
  const last = new Map<string, bigint>();
  for (const s of all) {
    if (s.watermarkNs !== undefined && (watermarkNs === undefined || s.watermarkNs < watermarkNs)) watermarkNs = s.watermarkNs;
    if (s.maxEventTimeNs !== undefined && (maxEventTimeNs === undefined || s.maxEventTimeNs > maxEventTimeNs)) maxEventTimeNs = s.maxEventTimeNs;
    for (const [w, start] of s.lastWindowStartNs) if ((last.get(w) ?? start - 1n) < start) last.set(w, start);
  }
  return {
    received: sum((s) => s.received), processed: sum((s) => s.processed), ignored: sum((s) => s.ignored),
    late: sum((s) => s.late), lateDropped: sum((s) => s.lateDropped), lateRevised: sum((s) => s.lateRevised), lateTooOld: sum((s) => s.lateTooOld),
    rowsEmitted: sum((s) => s.rowsEmitted), rowsRevised: sum((s) => s.rowsRevised),
    bufferedEvents: sum((s) => s.bufferedEvents), bufferedHighWater: sum((s) => s.bufferedHighWater), forcedReleases: sum((s) => s.forcedReleases),
    watermarkNs, maxEventTimeNs, lastWindowStartNs: last,
  };
}
