/**
 * The greeks enrichment job: for each day, one symbol's option trades joined as-of with its
 * underlying trades and priced (enrich.ts), written to LAKE/options-greeks/symbol=S/date=D/ through the
 * DayWriter (staged, published atomically with a manifest entry).
 *
 *   stocks-trades/date=D ──(DuckDB: ticker = SYMBOL, sorted)──┐
 *                                                            ├─ event order (events/, underlying
 *   options-trades/date=D ─(DuckDB: underlying/roots, sorted)─┘   first, sequence) ─ OptionEnricher
 *                                                                  ─ columns ─ DayWriter (worker)
 *
 * Aggression: when `[aggregations] aggression` is true and the day's options-quotes
 * partition holds the symbol's contracts, every option trade (priced or not) is classified against
 * its contract's as-of quote (a quote at the same nanosecond as a trade counts) before the merge,
 * contract by contract in the lake's order (aggression-job.ts TradeSides: no time sort of the
 * quotes, O(trades) memory); the table then carries AGGRESSION_COLUMNS
 * after GREEKS_COLUMNS. Without that partition the day is computed without them (logged): the
 * features job then emits the 81 columns only for it.
 *
 * Memory is bounded: DuckDB sorts under its memory_limit (spilling beyond it), JS holds one chunk
 * of each stream and one output batch, the Parquet writer one row group.
 *
 * A day is skipped when its latest options-greeks manifest entry was computed from the same
 * inputs (the options-trades, stocks-trades and, when used, options-quotes partitions' file
 * checksums; the absence of quotes counts too, so ingesting them later recomputes), with the same
 * symbol, roots, enrichment and aggression parameters, and its files are all there; `force` redoes it.
 * The inputs must be in the lake: a missing partition fails that day with the ingest command
 * that fills it.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { AggregationsConfig, Config } from '../config/schema.js';
import { DayWriter } from '../lake/day-writer.js';
import { readManifest, partitionMatches, type ManifestEntry } from '../lake/manifest.js';
import { stagingRoot } from '../lake/layout.js';
import { LakeReader } from '../lake/reader.js';
import { describeAggression, type AggressionSummary, type TradeSides } from './aggression-job.js';
import type { IngestedSides } from './ingest-sides.js';
import { readTreasuryYields, treasuryCurveFor } from './rates/treasury-store.js';
import { enrichmentParamsFromConfig, type EnrichmentParams } from './enrich.js';
import { GreeksFlag, greeksDataset } from '../formats/records.js';
import type { ProgressTracker } from '../observe/progress.js';
import { withDayRun, type DayContext, type DayRunOptions, type WorkKey } from '../jobs/day-runner.js';
import { enrichDay } from './greeks/enrich-day.js';
import { aggressionKey, greeksSource, legacyGreeksDays, missingInput, quotesFor, sidesApply } from './greeks/inputs.js';
import { GREEKS_FLAG_NAMES, GREEKS_SCHEMA_VERSION, greeksColumns } from './greeks/schema.js';

export { GREEKS_COLUMNS, GREEKS_FLAG_NAMES, GREEKS_SCHEMA_VERSION, greeksColumns } from './greeks/schema.js';
export { GreeksBatchBuilder } from './greeks/batch-builder.js';
export { enrichDay, type EnrichDayCounts, type EnrichDaySinks } from './greeks/enrich-day.js';
export { greeksSource } from './greeks/inputs.js';

export type GreeksDayState = 'computed' | 'skipped' | 'missing_input' | 'failed' | 'abandoned';

export interface GreeksDayOutcome {
  readonly date: string;
  readonly state: GreeksDayState;
  readonly message?: string;
  /** Option trades written (computed days). */
  readonly rows?: number;
  /** Underlying trades of the symbol fed to the as-of join, up to the day's last option trade (computed days). */
  readonly underlyingRows?: number;
  /** Option trades per greeks flag name (computed days). */
  readonly flags?: Record<string, number>;
  /** Classification counts (computed days with quotes); undefined when aggression was off for the day. */
  readonly aggression?: AggressionSummary;
  /** Why aggression was off for a computed day (disabled, or no usable options-quotes partition). */
  readonly aggressionOff?: string;
  readonly entry?: ManifestEntry;
}

export interface GreeksRequest {
  readonly lake: string;
  /** Underlying symbol, e.g. SPY. Its option trades are those whose root maps to it, plus `config.aggregations.option_roots`. */
  readonly symbol: string;
  /** Trading days, ascending. */
  readonly days: readonly string[];
  readonly config: Config;
  readonly tracker: ProgressTracker;
  readonly signal?: AbortSignal;
  readonly force?: boolean;
  /** Encode Parquet on a worker thread (default true). */
  readonly useWorkerWriter?: boolean;
  /** DuckDB memory_limit for the sorted reads (default `[storage] duckdb_memory_limit`). */
  readonly duckdbMemoryLimit?: string;
  readonly version?: string;
  /**
   * Verdicts computed while `gammaflow run` ingested the day's option files (ingest-sides.ts), by
   * date. A day uses them only when they belong to exactly the partitions and settings it reads;
   * otherwise it classifies from the lake.
   */
  readonly ingestedSides?: ReadonlyMap<string, IngestedSides>;
  /** Keeps only some (symbol, day) units of work (a shard's share); default all. */
  readonly selectWork?: (key: WorkKey) => boolean;
}

export interface GreeksResult {
  readonly outcomes: GreeksDayOutcome[];
  /** 0 when every day was computed or already up to date. */
  readonly exitCode: number;
}

export async function runGreeks(req: GreeksRequest): Promise<GreeksResult> {
  const { lake, symbol, tracker } = req;
  return withDayRun(dayRunOptions(req), async (run) => {
    const tempDirectory = join(stagingRoot(lake), '_duckdb', run.runId);
    let reader: LakeReader | undefined;
    try {
      const agg = req.config.aggregations;
      const params = enrichmentParamsFromConfig(agg, symbol);
      const yields = params.riskFreeSource === 'treasury' ? await readTreasuryYields(lake) : [];
      const roots = [...agg.option_roots].sort();
      const filter = `symbol=${symbol}` + (roots.length > 0 ? `;option_roots=${roots.join(',')}` : '');
      const paramsKey = JSON.stringify({
        filter, schema: GREEKS_SCHEMA_VERSION, params: { ...params, maxUnderlyingStalenessNs: String(params.maxUnderlyingStalenessNs) },
        ...(agg.aggression ? { aggression: aggressionKey(agg) } : {}),
      });
      const [stocksManifest, optionsManifest, quotesManifest, greeksManifest] = await Promise.all(
        ['stocks-trades', 'options-trades', 'options-quotes', greeksDataset(symbol)].map((d) => readManifest(lake, d)));
      await mkdir(tempDirectory, { recursive: true }); // DuckDB creates only the last level when it spills
      reader = await LakeReader.open(lake, { memoryLimit: req.duckdbMemoryLimit ?? req.config.storage.duckdb_memory_limit, threads: 2, tempDirectory });
      const legacy = await legacyGreeksDays(lake);
      if (legacy.length > 0) {
        tracker.log('warn', `${join(lake, 'options-greeks')} holds ${legacy.length} day(s) in the layout of gammaflow 0.1 (date=D, one symbol per day; `
          + `e.g. ${legacy[0]}): greeks now go to options-greeks/symbol=S/date=D, and readers globbing options-greeks/*/*/*.parquet would mix the two. `
          + `Remove them: rm -r ${join(lake, 'options-greeks', 'date=*')} ${join(lake, '_manifest', 'options-greeks.jsonl')}`);
      }
      const dataset = greeksDataset(symbol);
      const works = req.days.map((date) => ({ key: { dataset: 'options-greeks', day: date, symbol }, id: `${dataset}/${date}`, label: `${dataset}/date=${date}` }));
      const dayReader = reader;
      const outcomes = await run.days(works, {
        command: 'greeks',
        notRun: (w, message): GreeksDayOutcome => ({ date: w.key.day, state: 'abandoned', message }),
        threw: (w, failure): GreeksDayOutcome => ({ date: w.key.day, state: failure.stopped ? 'abandoned' : 'failed', message: failure.message }),
        run: async (w, day): Promise<GreeksDayOutcome> => {
          const date = w.key.day;
          const stocks = stocksManifest.get(date), options = optionsManifest.get(date);
          const missing = await missingInput(lake, date, symbol, roots, stocks, options);
          if (missing !== undefined) {
            day.missingInput(missing);
            return { date, state: 'missing_input', message: missing };
          }
          const rate = params.riskFreeSource === 'treasury' ? treasuryCurveFor(date, yields, lake) : undefined;
          if (rate !== undefined && 'missing' in rate) {
            day.missingInput(rate.missing);
            return { date, state: 'missing_input', message: rate.missing };
          }
          const dayParams = rate !== undefined ? { ...params, rateCurve: rate.curve } : params;
          const quoteInput = await quotesFor(lake, date, symbol, roots, agg, quotesManifest.get(date));
          const quotes = 'quotes' in quoteInput ? quoteInput.quotes : undefined;
          const source = greeksSource(date, options!, stocks!, rate !== undefined ? `${paramsKey};curve=${rate.curve.id}` : paramsKey, quotes);
          const previous = greeksManifest.get(date);
          if (!req.force && previous !== undefined && previous.source.etag === source.etag && previous.filter === filter
            && previous.schemaVersion === GREEKS_SCHEMA_VERSION && (await partitionMatches(lake, previous))) {
            day.skipped('up to date (same inputs and parameters)');
            return { date, state: 'skipped', message: 'up to date', entry: previous };
          }
          if ('off' in quoteInput && agg.aggression) tracker.log('warn', quoteInput.off);
          const ingested = req.ingestedSides?.get(date);
          const sides = quotes !== undefined && ingested !== undefined && sidesApply(ingested, options!, quotes, symbol, roots, agg)
            ? ingested.sides : undefined;
          return greeksDay(req, dayReader, day, {
            date, params: dayParams, roots, filter, source, aggression: quotes !== undefined ? agg : undefined,
            ...('off' in quoteInput ? { aggressionOff: quoteInput.off } : {}), ...(sides !== undefined ? { sides } : {}),
          });
        },
      });
      const ok = outcomes.every((o) => o.state === 'computed' || o.state === 'skipped');
      return { outcomes, exitCode: ok ? 0 : 1 };
    } finally {
      reader?.close();
      await rm(tempDirectory, { recursive: true, force: true });
    }
  });
}

function dayRunOptions(req: GreeksRequest): DayRunOptions {
  return { lake: req.lake, tracker: req.tracker, ...(req.signal ? { signal: req.signal } : {}), ...(req.selectWork ? { selectWork: req.selectWork } : {}) };
}

interface DayTask {
  readonly date: string;
  readonly params: EnrichmentParams;
  readonly roots: readonly string[];
  readonly filter: string;
  readonly source: ManifestEntry['source'];
  /** Classify against the day's options-quotes with these settings; undefined = aggression off. */
  readonly aggression: AggregationsConfig | undefined;
  readonly aggressionOff?: string;
  /** The day's verdicts, already computed during the ingest; absent = classify from the lake. */
  readonly sides?: TradeSides;
}

/** Computes and publishes one day; throws on failure (the day runner reports it). */
async function greeksDay(req: GreeksRequest, reader: LakeReader, day: DayContext, task: DayTask): Promise<GreeksDayOutcome> {
  const { tracker, config, lake, symbol } = req;
  const { date } = task;
  const { id, runId } = day;
  day.started();
  const writer = await DayWriter.create({
    lake, dataset: greeksDataset(req.symbol), date, runId, schema: greeksColumns(task.aggression !== undefined),
    rowGroupRows: config.storage.row_group_rows, fileSizeTargetBytes: config.storage.file_size_mb_target * 1024 * 1024,
    zstdLevel: config.storage.zstd_level, useWorker: req.useWorkerWriter ?? true,
    keyValueMetadata: {
      'gammaflow.schema_version': String(GREEKS_SCHEMA_VERSION),
      'gammaflow.dataset': greeksDataset(req.symbol),
      'gammaflow.date': date,
      'gammaflow.symbol': symbol,
      'gammaflow.source_key': task.source.key,
      'gammaflow.source_etag': task.source.etag,
      'gammaflow.greeks_params': JSON.stringify({ ...task.params, maxUnderlyingStalenessNs: String(task.params.maxUnderlyingStalenessNs) }),
      'gammaflow.aggression': task.aggression === undefined ? 'off' : JSON.stringify(aggressionKey(task.aggression)),
      ...(req.version ? { 'gammaflow.version': req.version } : {}),
    },
  });
  try {
    const counts = await enrichDay(reader, date, symbol, task.roots, task.params, config.ingest.batch_rows, {
      batch: (batch) => writer.append(batch),
      progress: (rows) => tracker.fileRows(id, { parsed: rows, written: rows }),
      aborted: () => req.signal?.aborted === true,
    }, task.aggression, task.sides);
    tracker.filePublishing(id);
    await writer.finish();
    const entry = await writer.publish({
      dataset: greeksDataset(req.symbol), date, source: task.source, filter: task.filter,
      schemaVersion: GREEKS_SCHEMA_VERSION, runId, rowsFiltered: 0,
    });
    const flags: Record<string, number> = {};
    counts.flags.forEach((n, code) => { if (n > 0) flags[GREEKS_FLAG_NAMES[code]!] = n; });
    const priced = counts.flags[GreeksFlag.Ok] ?? 0;
    const agg = counts.aggression;
    const message = `${counts.optionRows.toLocaleString('en-US')} option trades (${priced.toLocaleString('en-US')} priced) against ${counts.underlyingRows.toLocaleString('en-US')} ${symbol} trades`
      + `; ${agg === undefined ? 'aggression off' : describeAggression(agg)}`;
    if (agg !== undefined) {
      tracker.log('info', `greeks ${date}: ${describeAggression(agg)}`);
      tracker.setExtra('aggression_classified_pct', Number.isNaN(agg.classifiedPct) ? 0 : Number(agg.classifiedPct.toFixed(2)));
      tracker.setExtra('aggression_unclassified', agg.unclassified);
    }
    day.done(message);
    return {
      date, state: 'computed', message, rows: counts.optionRows, underlyingRows: counts.underlyingRows, flags,
      ...(agg !== undefined ? { aggression: agg } : { aggressionOff: task.aggressionOff ?? 'aggression off' }), entry,
    };
  } catch (e) {
    await writer.abort();
    throw e;
  }
}
