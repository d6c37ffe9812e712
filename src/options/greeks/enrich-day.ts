/**
 * One day's enrichment without the writer: the day's underlying trades and option trades, merged
 * into the event order of events/order.ts (an underlying trade at the same time as an option trade
 * comes first: it is "at or before" it), fed to one OptionEnricher, and handed out as batches of
 * greeksColumns. Used by the greeks job and its benchmark.
 */
import type { AggregationsConfig } from '../../config/schema.js';
import { mergeSorted } from '../../events/merge-sorted.js';
import { EventRank } from '../../events/order.js';
import type { ColumnBatch } from '../../formats/columns.js';
import type { LakeReader } from '../../lake/reader.js';
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
