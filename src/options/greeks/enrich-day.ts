/**
 * One day's enrichment without the writer: the day's underlying trades and option trades, merged
 * into the event order of events/order.ts (an underlying trade at the same time as an option trade
 * comes first: it is "at or before" it), fed to one OptionEnricher, and handed out as batches of
 * greeksColumns. Used by the greeks job and its benchmark.
 */
import type { AggregationsConfig } from '../../config/schema.js';
import { mergeSorted, type SortedSource } from '../../events/merge-sorted.js';
import { EventRank, type TimedEvent } from '../../events/order.js';
import type { ColumnBatch } from '../../formats/columns.js';
import type { LakeOptionTrade, LakeReader, TickerUnderlyingTrade } from '../../lake/reader.js';
import { LakeError } from '../../util/errors.js';
import { Classification } from '../aggression.js';
import { TradeSides, type AggressionSummary } from '../aggression-job.js';
import { OptionEnricher, emptyOptionGreeks, type EnrichmentParams } from '../enrich.js';
import { GreeksBatchBuilder } from './batch-builder.js';
import { GREEKS_FLAG_NAMES } from './schema.js';

export interface EnrichDaySinks {
  /** Receives each full (and the last partial) batch of GREEKS_COLUMNS. */
  batch(batch: ColumnBatch): void | Promise<void>;
  /** Option trades enriched since the previous call. */
  progress?(rows: number): void;
  /** Polled between chunks; true stops the day with an error. */
  aborted?(): boolean;
}

export interface EnrichDayCounts {
  readonly optionRows: number;
  /** Underlying trades fed to the as-of join (those after the last option trade are not read). */
  readonly underlyingRows: number;
  /** Option trades per greeks flag code. */
  readonly flags: readonly number[];
  /** Classification counts when the day was classified against quotes. */
  readonly aggression?: AggressionSummary;
}

/**
 * Streams the inputs from the lake and enriches every option trade of the symbol (its roots and
 * `roots`). With `aggression` (the [aggregations] settings) every trade is first classified
 * against the day's option quotes, contract by contract in the lake's order (TradeSides: quotes
 * first at equal timestamps), or `precomputed` holds those verdicts already (ingest-sides.ts);
 * the batches then carry AGGRESSION_COLUMNS.
 */
export async function enrichDay(reader: LakeReader, date: string, symbol: string, roots: readonly string[],
  params: EnrichmentParams, batchRows: number, sinks: EnrichDaySinks, aggression?: AggregationsConfig,
  precomputed?: TradeSides): Promise<EnrichDayCounts> {
  const enricher = new OptionEnricher(params);
  const builder = new GreeksBatchBuilder(batchRows, aggression !== undefined);
  const selection = { underlying: symbol, extraRoots: roots };
  const sides = aggression === undefined ? undefined
    : precomputed ?? await TradeSides.compute(reader.optionTradeKeys(date, selection), reader.optionQuotesInFileOrder(date, selection), aggression);
  const verdict = new Classification();
  const greeks = emptyOptionGreeks();
  const flags = new Array<number>(GREEKS_FLAG_NAMES.length).fill(0);
  let underlyingRows = 0, optionRows = 0;
  await mergeSorted([
    {
      rank: EventRank.underlyingTrade, chunks: reader.underlyingTrades(date, symbol),
      onEvent: (u) => { enricher.onUnderlyingTrade(u); underlyingRows++; },
    },
    {
      rank: EventRank.optionTrade, chunks: reader.optionTrades(date, selection),
      onEvent: (o) => {
        enricher.compute(o, greeks);
        flags[greeks.greeksFlag]!++;
        builder.add(o, greeks, sides?.get(o.sequence, verdict));
        return builder.full ? sinks.batch(builder.take()) : undefined;
      },
      onChunkDone: (rows) => {
        optionRows += rows;
        sinks.progress?.(rows);
        if (sinks.aborted?.()) throw new LakeError(`greeks ${date}: stopped`, { date });
      },
    },
  ], { endWith: 1 });
  if (builder.rows > 0) await sinks.batch(builder.take());
  return { optionRows, underlyingRows, flags, ...(sides !== undefined ? { aggression: sides.summary() } : {}) };
}

/** One symbol of a shared pass: its parameters, its sinks and, optionally, its trade sides settings. */
export interface SymbolEnrichment {
  readonly symbol: string;
  readonly params: EnrichmentParams;
  readonly sinks: EnrichDaySinks;
  /** Classify this symbol's trades against the day's option quotes with these settings. */
  readonly aggression?: AggregationsConfig;
  /** This symbol's verdicts, already computed during the ingest. */
  readonly precomputed?: TradeSides;
}

interface SymbolPassState {
  readonly s: SymbolEnrichment;
  readonly sides: TradeSides | undefined;
  readonly enricher: OptionEnricher;
  readonly builder: GreeksBatchBuilder;
  readonly flags: number[];
  /** Underlying trades fed so far, and as of the symbol's last option trade. */
  underlyingSeen: number;
  underlyingRows: number;
  optionRows: number;
  sinceProgress: number;
}

/**
 * Several symbols' days in one pass over the options-trades partition: one sorted read of every
 * selected symbol's option trades (`underlying IN (...)`, plus `roots`), merged with each
 * symbol's underlying trades, each option trade dispatched to the enricher of every symbol whose
 * selection holds it (its underlying; all of them for a root of `roots`, as a one-symbol day
 * does). Each symbol's batches are those enrichDay gives for it alone; its `underlyingRows`
 * counts its underlying trades up to its own last option trade, as there. The classification of
 * a symbol with `aggression` reads that symbol's trade keys and quotes as enrichDay does.
 */
export async function enrichDaySymbols(reader: LakeReader, date: string, symbols: readonly SymbolEnrichment[],
  roots: readonly string[], batchRows: number, aborted?: () => boolean): Promise<EnrichDayCounts[]> {
  if (symbols.length === 0) return [];
  const states: SymbolPassState[] = [];
  for (const s of symbols) {
    const selection = { underlying: s.symbol, extraRoots: roots };
    const sides = s.aggression === undefined ? undefined
      : s.precomputed ?? await TradeSides.compute(reader.optionTradeKeys(date, selection), reader.optionQuotesInFileOrder(date, selection), s.aggression);
    states.push({
      s, sides, enricher: new OptionEnricher(s.params), builder: new GreeksBatchBuilder(batchRows, s.aggression !== undefined),
      flags: new Array<number>(GREEKS_FLAG_NAMES.length).fill(0), underlyingSeen: 0, underlyingRows: 0, optionRows: 0, sinceProgress: 0,
    });
  }
  const bySymbol = new Map(states.map((st) => [st.s.symbol, st]));
  const rootSet = new Set(roots);
  const verdict = new Classification();
  const greeks = emptyOptionGreeks();
  const feed = async (st: SymbolPassState, o: LakeOptionTrade): Promise<void> => {
    st.enricher.compute(o, greeks);
    st.flags[greeks.greeksFlag]!++;
    st.optionRows++;
    st.sinceProgress++;
    st.underlyingRows = st.underlyingSeen;
    st.builder.add(o, greeks, st.sides?.get(o.sequence, verdict));
    if (st.builder.full) await st.s.sinks.batch(st.builder.take());
  };
  // One sorted read of every symbol's underlying trades (one open sort, not one per symbol: the
  // sorts of a pass share DuckDB's memory_limit), each trade handed to its symbol's enricher.
  const underlyingSource: SortedSource<TimedEvent> = {
    rank: EventRank.underlyingTrade, chunks: reader.underlyingTradesOf(date, states.map((st) => st.s.symbol)),
    onEvent: (u) => {
      const st = bySymbol.get((u as TickerUnderlyingTrade).ticker)!;
      st.enricher.onUnderlyingTrade(u as Parameters<OptionEnricher['onUnderlyingTrade']>[0]);
      st.underlyingSeen++;
    },
  };
  const selection = { underlying: symbols[0]!.symbol, moreUnderlyings: symbols.slice(1).map((s) => s.symbol), extraRoots: roots };
  const optionSource: SortedSource<TimedEvent> = {
    rank: EventRank.optionTrade, chunks: reader.optionTrades(date, selection),
    onEvent: async (event) => {
      const o = event as LakeOptionTrade;
      if (rootSet.has(o.root)) {
        for (const st of states) await feed(st, o);
      } else {
        const st = bySymbol.get(o.underlying);
        if (st !== undefined) await feed(st, o);
      }
    },
    onChunkDone: () => {
      for (const st of states) {
        if (st.sinceProgress > 0) st.s.sinks.progress?.(st.sinceProgress);
        st.sinceProgress = 0;
      }
      if (aborted?.()) throw new LakeError(`greeks ${date}: stopped`, { date });
    },
  };
  await mergeSorted([underlyingSource, optionSource], { endWith: 1 });
  const counts: EnrichDayCounts[] = [];
  for (const st of states) {
    if (st.builder.rows > 0) await st.s.sinks.batch(st.builder.take());
    counts.push({
      optionRows: st.optionRows, underlyingRows: st.underlyingRows, flags: st.flags,
      ...(st.sides !== undefined ? { aggression: st.sides.summary() } : {}),
    });
  }
  return counts;
}
