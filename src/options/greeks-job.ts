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
import { enrichDay, enrichDaySymbols, type EnrichDayCounts } from './greeks/enrich-day.js';
import { aggressionKey, greeksSource, legacyGreeksDays, missingInput, quotesFor, sidesApply } from './greeks/inputs.js';
import { GREEKS_FLAG_NAMES, GREEKS_SCHEMA_VERSION, greeksColumns } from './greeks/schema.js';

export { GREEKS_COLUMNS, GREEKS_FLAG_NAMES, GREEKS_SCHEMA_VERSION, greeksColumns } from './greeks/schema.js';
export { GreeksBatchBuilder } from './greeks/batch-builder.js';
export { enrichDay, type EnrichDayCounts, type EnrichDaySinks } from './greeks/enrich-day.js';
export { greeksSource } from './greeks/inputs.js';

export type GreeksDayState = 'computed' | 'skipped' | 'missing_input' | 'failed' | 'abandoned';

export interface GreeksDayOutcome {
  readonly date: string;
  /** The underlying whose partition this is. */
  readonly symbol?: string;
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
  /**
   * Several underlyings in one run (default `[symbol]`): each day's options-trades partition is
   * read once for all of them, and each symbol's partition is the one a run of it alone writes.
   */
  readonly symbols?: readonly string[];
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
  const { lake, tracker } = req;
  const symbols = [...new Set(req.symbols ?? [req.symbol])];
  return withDayRun(dayRunOptions(req), async (run) => {
    const tempDirectory = join(stagingRoot(lake), '_duckdb', run.runId);
    let reader: LakeReader | undefined;
    const unpublished = new Set<DayWriter>();
    try {
      const agg = req.config.aggregations;
      const yields = enrichmentParamsFromConfig(agg, symbols[0]!).riskFreeSource === 'treasury' ? await readTreasuryYields(lake) : [];
      const roots = [...agg.option_roots].sort();
      const [stocksManifest, optionsManifest, quotesManifest] = await Promise.all(
        ['stocks-trades', 'options-trades', 'options-quotes'].map((d) => readManifest(lake, d)));
      const plans = new Map<string, SymbolPlan>();
      for (const symbol of symbols) {
        const params = enrichmentParamsFromConfig(agg, symbol);
        const filter = `symbol=${symbol}` + (roots.length > 0 ? `;option_roots=${roots.join(',')}` : '');
        const paramsKey = JSON.stringify({
          filter, schema: GREEKS_SCHEMA_VERSION, params: { ...params, maxUnderlyingStalenessNs: String(params.maxUnderlyingStalenessNs) },
          ...(agg.aggression ? { aggression: aggressionKey(agg) } : {}),
        });
        plans.set(symbol, { symbol, params, filter, paramsKey, greeksManifest: await readManifest(lake, greeksDataset(symbol)) });
      }
      await mkdir(tempDirectory, { recursive: true }); // DuckDB creates only the last level when it spills
      reader = await LakeReader.open(lake, { memoryLimit: req.duckdbMemoryLimit ?? req.config.storage.duckdb_memory_limit, threads: 2, tempDirectory });
      const legacy = await legacyGreeksDays(lake);
      if (legacy.length > 0) {
        tracker.log('warn', `${join(lake, 'options-greeks')} holds ${legacy.length} day(s) in the layout of gammaflow 0.1 (date=D, one symbol per day; `
          + `e.g. ${legacy[0]}): greeks now go to options-greeks/symbol=S/date=D, and readers globbing options-greeks/*/*/*.parquet would mix the two. `
          + `Remove them: rm -r ${join(lake, 'options-greeks', 'date=*')} ${join(lake, '_manifest', 'options-greeks.jsonl')}`);
      }
      const workId = (symbol: string, date: string) => `${greeksDataset(symbol)}/${date}`;
      const works = req.days.flatMap((date) => symbols.map((symbol) => ({
        key: { dataset: 'options-greeks', day: date, symbol }, id: workId(symbol, date), label: `${greeksDataset(symbol)}/date=${date}`,
      })));
      const dayReader = reader;

      /** What (symbol, date) needs: an input is missing, it is up to date, or it is computed with this task. */
      const prepare = async (plan: SymbolPlan, date: string): Promise<DayPrep> => {
        const { symbol, params } = plan;
        const stocks = stocksManifest.get(date), options = optionsManifest.get(date);
        const missing = await missingInput(lake, date, symbol, roots, stocks, options);
        if (missing !== undefined) return { kind: 'missing', message: missing };
        const rate = params.riskFreeSource === 'treasury' ? treasuryCurveFor(date, yields, lake) : undefined;
        if (rate !== undefined && 'missing' in rate) return { kind: 'missing', message: rate.missing };
        const dayParams = rate !== undefined ? { ...params, rateCurve: rate.curve } : params;
        const quoteInput = await quotesFor(lake, date, symbol, roots, agg, quotesManifest.get(date));
        const quotes = 'quotes' in quoteInput ? quoteInput.quotes : undefined;
        const source = greeksSource(date, options!, stocks!, rate !== undefined ? `${plan.paramsKey};curve=${rate.curve.id}` : plan.paramsKey, quotes);
        const previous = plan.greeksManifest.get(date);
        if (!req.force && previous !== undefined && previous.source.etag === source.etag && previous.filter === plan.filter
          && previous.schemaVersion === GREEKS_SCHEMA_VERSION && (await partitionMatches(lake, previous))) {
          return { kind: 'skipped', entry: previous };
        }
        if ('off' in quoteInput && agg.aggression) tracker.log('warn', quoteInput.off);
        const ingested = req.ingestedSides?.get(date);
        const sides = quotes !== undefined && ingested !== undefined && sidesApply(ingested, options!, quotes, symbol, roots, agg)
          ? ingested.sides : undefined;
        return {
          kind: 'compute', task: {
            date, params: dayParams, roots, filter: plan.filter, source, aggression: quotes !== undefined ? agg : undefined,
            ...('off' in quoteInput ? { aggressionOff: quoteInput.off } : {}), ...(sides !== undefined ? { sides } : {}),
          },
        };
      };
      /** Reports a day that is not computed; undefined when it is. */
      const settle = (prep: DayPrep, date: string, day: DayContext): GreeksDayOutcome | undefined => {
        if (prep.kind === 'missing') {
          day.missingInput(prep.message);
          return { date, state: 'missing_input', message: prep.message };
        }
        if (prep.kind === 'skipped') {
          day.skipped('up to date (same inputs and parameters)');
          return { date, state: 'skipped', message: 'up to date', entry: prep.entry };
        }
        return undefined;
      };

      // Several symbols: the first of a day's units to run computes all the day's selected symbols
      // that need it in one pass (one read of options-trades); each unit then publishes its own.
      const passes = new Map<string, Promise<Map<string, SharedDay>>>();
      const sharedPass = async (date: string, runId: string): Promise<Map<string, SharedDay>> => {
        const out = new Map<string, SharedDay>();
        const computing: { symbol: string; task: DayTask; writer: DayWriter }[] = [];
        for (const symbol of symbols) {
          if (!run.selects({ dataset: 'options-greeks', day: date, symbol })) continue;
          const prep = await prepare(plans.get(symbol)!, date);
          out.set(symbol, { prep });
          if (prep.kind === 'compute') {
            const writer = await createGreeksWriter(req, symbol, prep.task, runId);
            unpublished.add(writer);
            computing.push({ symbol, task: prep.task, writer });
          }
        }
        if (computing.length === 0) return out;
        try {
          const counts = await enrichDaySymbols(dayReader, date, computing.map(({ symbol, task, writer }) => ({
            symbol, params: task.params,
            sinks: { batch: (batch) => writer.append(batch), progress: (rows) => tracker.fileRows(workId(symbol, date), { parsed: rows, written: rows }) },
            ...(task.aggression !== undefined ? { aggression: task.aggression } : {}), ...(task.sides !== undefined ? { precomputed: task.sides } : {}),
          })), roots, req.config.ingest.batch_rows, () => req.signal?.aborted === true);
          for (const { writer } of computing) await writer.finish();
          tracker.log('info', `greeks ${date}: read options-trades once for ${computing.length} symbols (${computing.map((c) => c.symbol).join(', ')})`);
          computing.forEach((c, i) => out.set(c.symbol, { prep: out.get(c.symbol)!.prep, writer: c.writer, counts: counts[i]! }));
        } catch (e) {
          for (const { symbol } of computing) out.set(symbol, { prep: out.get(symbol)!.prep, error: e });
        }
        return out;
      };

      const outcomes = await run.days(works, {
        command: 'greeks',
        notRun: (w, message): GreeksDayOutcome => ({ date: w.key.day, symbol: w.key.symbol, state: 'abandoned', message }),
        threw: (w, failure): GreeksDayOutcome => ({ date: w.key.day, symbol: w.key.symbol, state: failure.stopped ? 'abandoned' : 'failed', message: failure.message }),
        run: async (w, day): Promise<GreeksDayOutcome> => {
          const date = w.key.day, symbol = w.key.symbol!;
          if (symbols.length === 1) {
            const prep = await prepare(plans.get(symbol)!, date);
            const settled = settle(prep, date, day);
            if (settled !== undefined || prep.kind !== 'compute') return { symbol, ...settled! };
            return { symbol, ...(await greeksDay(req, symbol, dayReader, day, prep.task)) };
          }
          let pass = passes.get(date);
          if (pass === undefined) { pass = sharedPass(date, day.runId); passes.set(date, pass); }
          const shared = (await pass).get(symbol)!;
          const settled = settle(shared.prep, date, day);
          if (settled !== undefined || shared.prep.kind !== 'compute') return { symbol, ...settled! };
          day.started();
          if ('error' in shared) throw shared.error;
          if (!('writer' in shared)) throw new Error(`greeks ${date}: ${symbol} was not computed by the day's pass`);
          unpublished.delete(shared.writer);
          return { symbol, ...(await publishGreeksDay(req, symbol, day, shared.prep.task, shared.writer, shared.counts)) };
        },
      });
      const ok = outcomes.every((o) => o.state === 'computed' || o.state === 'skipped');
      return { outcomes, exitCode: ok ? 0 : 1 };
    } finally {
      for (const writer of unpublished) await writer.abort().catch(() => undefined);
      reader?.close();
      await rm(tempDirectory, { recursive: true, force: true });
    }
  });
}

interface SymbolPlan {
  readonly symbol: string;
  readonly params: EnrichmentParams;
  readonly filter: string;
  readonly paramsKey: string;
  readonly greeksManifest: Map<string, ManifestEntry>;
}

type DayPrep =
  | { readonly kind: 'missing'; readonly message: string }
  | { readonly kind: 'skipped'; readonly entry: ManifestEntry }
  | { readonly kind: 'compute'; readonly task: DayTask };

/** A symbol's share of a shared pass: what it needed and, when computed, its staged writer or the pass's error. */
type SharedDay =
  | { readonly prep: DayPrep }
  | { readonly prep: DayPrep; readonly writer: DayWriter; readonly counts: EnrichDayCounts }
  | { readonly prep: DayPrep; readonly error: unknown };

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

/** Computes and publishes one symbol's day; throws on failure (the day runner reports it). */
async function greeksDay(req: GreeksRequest, symbol: string, reader: LakeReader, day: DayContext, task: DayTask): Promise<GreeksDayOutcome> {
  day.started();
  const writer = await createGreeksWriter(req, symbol, task, day.runId);
  try {
    const counts = await enrichDay(reader, task.date, symbol, task.roots, task.params, req.config.ingest.batch_rows, {
      batch: (batch) => writer.append(batch),
      progress: (rows) => req.tracker.fileRows(day.id, { parsed: rows, written: rows }),
      aborted: () => req.signal?.aborted === true,
    }, task.aggression, task.sides);
    await writer.finish();
    return await publishGreeksDay(req, symbol, day, task, writer, counts);
  } catch (e) {
    await writer.abort();
    throw e;
  }
}

/** The staged partition options-greeks/symbol=SYMBOL/date=D of a day (its lock held). */
async function createGreeksWriter(req: GreeksRequest, symbol: string, task: DayTask, runId: string): Promise<DayWriter> {
  const { config, lake } = req;
  return DayWriter.create({
    lake, dataset: greeksDataset(symbol), date: task.date, runId, schema: greeksColumns(task.aggression !== undefined),
    rowGroupRows: config.storage.row_group_rows, fileSizeTargetBytes: config.storage.file_size_mb_target * 1024 * 1024,
    zstdLevel: config.storage.zstd_level, useWorker: req.useWorkerWriter ?? true,
    keyValueMetadata: {
      'gammaflow.schema_version': String(GREEKS_SCHEMA_VERSION),
      'gammaflow.dataset': greeksDataset(symbol),
      'gammaflow.date': task.date,
      'gammaflow.symbol': symbol,
      'gammaflow.source_key': task.source.key,
      'gammaflow.source_etag': task.source.etag,
      'gammaflow.greeks_params': JSON.stringify({ ...task.params, maxUnderlyingStalenessNs: String(task.params.maxUnderlyingStalenessNs) }),
      'gammaflow.aggression': task.aggression === undefined ? 'off' : JSON.stringify(aggressionKey(task.aggression)),
      ...(req.version ? { 'gammaflow.version': req.version } : {}),
    },
  });
}

/** Publishes a finished writer's partition and reports the day; aborts the writer when the publish throws. */
async function publishGreeksDay(req: GreeksRequest, symbol: string, day: DayContext, task: DayTask, writer: DayWriter,
  counts: EnrichDayCounts): Promise<GreeksDayOutcome> {
  const { tracker } = req;
  const { date } = task;
  try {
    tracker.filePublishing(day.id);
    const entry = await writer.publish({
      dataset: greeksDataset(symbol), date, source: task.source, filter: task.filter,
      schemaVersion: GREEKS_SCHEMA_VERSION, runId: day.runId, rowsFiltered: 0,
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
