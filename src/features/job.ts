/**
 * The historical features run: for each day, the symbol's underlying trades
 * (LAKE/stocks-trades, ticker = symbol) and its enriched option trades
 * (LAKE/options-greeks, written by `gammaflow greeks`) are streamed in event
 * order (time; underlying before option at equal time; then sequence), merged,
 * fed to one FeatureEngine, and the closed windows are written either into
 * the lake (one partition per symbol, window size and day, see output.ts) or
 * into one file (--out, format by extension).
 *
 * One engine serves the whole run, so a window that spans two sessions
 * (session 'all' with a size that does not divide the New York day) gets the
 * trades of both days. A day's rows are written as soon as none of its windows
 * is open any more.
 *
 * Aggression: when the options-greeks partitions carry the side
 * columns (the greeks job classified the trades against quotes) and
 * `[aggregations] aggression` is true, each option trade's side goes to the
 * engine and the rows carry the 68 aggression columns after the 81, plus
 * diag_aggressive_buys/sells and diag_unclassified. Every day of one run must
 * agree (all with sides or all without), else the run fails before computing
 * anything, naming the days of each kind. Per day, the outcome and the log
 * give the classified share and the unclassified trades by reason.
 *
 * Inputs are required, not recomputed: a missing options-greeks partition (or
 * one computed for another symbol) is a clear error telling to run
 * `gammaflow greeks` first. Lake output skips a day whose inputs and settings
 * did not change since the last run (manifest `source` + `filter`), unless
 * `force`.
 */
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { addDays, NyseCalendar, nyWallClockToUtcNs, type SessionKind } from '../calendar/index.js';
import { calendarOverrides } from '../config/index.js';
import type { Config } from '../config/schema.js';
import { stagingRoot } from '../lake/layout.js';
import { partitionMatches, readManifest, type ManifestEntry } from '../lake/manifest.js';
import { LakeReader } from '../lake/reader.js';
import { enrichedOptionTrades } from '../lake/queries/options-greeks.js';
import type { ProgressTracker } from '../observe/progress.js';
import { greeksDataset } from '../formats/records.js';
import { EventRank } from '../events/order.js';
import { mergeSorted } from '../events/merge-sorted.js';
import { FeatureFeeder, type DayAggression, type FeedTally } from './feeder.js';
export type { DayAggression } from './feeder.js';
import { LakeError } from '../util/errors.js';
import { withDayRun, type WorkKey } from '../jobs/day-runner.js';
import { FeatureEngine, featureEngineOptions, type FeatureEngineOptions } from './engine.js';
import { FeatureFileWriter, featureDataset, policyConflict, publishFeatureDay, publishedFeaturePartition, FEATURES_SCHEMA_VERSION } from './output.js';
import { featurePolicy, type FeaturePolicy } from './policy.js';
import { FINAL_FLATFILE, partitionFilter } from './provenance.js';
import { aggressionMode, describeSides } from './aggression-mode.js';
import type { FeatureRow } from './row.js';

const STOCKS_DATASET = 'stocks-trades';

export interface FeaturesRequest {
  readonly lake: string;
  readonly symbol: string;
  /** New York dates to compute, ascending (trading days for regular/extended sessions). */
  readonly days: readonly string[];
  readonly config: Config;
  /** Window size labels; default `[aggregations] windows`. */
  readonly windows?: readonly string[];
  /** Default `[aggregations] session`. */
  readonly session?: SessionKind;
  /** One output file (.parquet, .csv, .jsonl); undefined = lake partitions. */
  readonly out?: string;
  readonly tracker: ProgressTracker;
  readonly signal?: AbortSignal;
  /** Recompute lake partitions whose inputs did not change. */
  readonly force?: boolean;
  /** DuckDB memory_limit for the sorted reads (default `[storage] duckdb_memory_limit`). */
  readonly duckdbMemoryLimit?: string;
  /** Keeps only some (symbol, day) units of work (a shard's share); default all. */
  readonly selectWork?: (key: WorkKey) => boolean;
}

export type FeaturesDayState = 'computed' | 'skipped' | 'missing_input' | 'failed' | 'abandoned';

export interface FeaturesDayOutcome {
  readonly date: string;
  readonly state: FeaturesDayState;
  readonly message?: string;
  /** Feature rows of this day (all window sizes). */
  readonly rows?: number;
  readonly underlyingTrades?: number;
  readonly optionTrades?: number;
  /** Sides of the day's option trades (all of them, eligible or not) when the run has aggression. */
  readonly aggression?: DayAggression;
}

export interface FeaturesResult {
  readonly outcomes: FeaturesDayOutcome[];
  /** Whether the rows carry the 68 aggression columns (decided from the days' options-greeks). */
  readonly aggression: boolean;
  /** Rows written (file or lake). */
  readonly rowsWritten: number;
  /** 0 when every day was computed or up to date. */
  readonly exitCode: number;
}

/** The policy of each window size's partitions (settings that change the rows, policy.ts). */
function policiesOf(config: Config, options: FeatureEngineOptions): Map<string, FeaturePolicy> {
  return new Map(options.windows.map((w) => [w.label, featurePolicy({
    aggregations: config.aggregations, window: w.label, session: options.session, aggression: options.aggression === true,
  })]));
}

/** Identity of a day's inputs: the partitions' file checksums (a re-ingest or a greeks rerun changes it). */
function featuresSource(date: string, stocks: ManifestEntry, greeks: ManifestEntry, settings: string): ManifestEntry['source'] {
  const hash = createHash('sha256');
  for (const e of [stocks, greeks]) {
    hash.update(`${e.dataset}/date=${date}:`);
    for (const f of e.files) hash.update(`${f.name}=${f.sha256};`);
  }
  hash.update(settings);
  return {
    description: `stocks-trades (run ${stocks.runId}) + options-greeks (run ${greeks.runId})`,
    key: `stocks-trades/date=${date} + ${greeks.dataset}/date=${date}`,
    size: [...stocks.files, ...greeks.files].reduce((n, f) => n + f.bytes, 0),
    etag: hash.digest('hex'),
  };
}

function greeksHint(symbol: string, date: string): string {
  return `run gammaflow greeks --symbol ${symbol} --from ${date} --to ${date} first`;
}

/** Why a day cannot be computed, or undefined when its inputs are in the lake. */
async function missingInput(lake: string, symbol: string, date: string, stocks: ManifestEntry | undefined, greeks: ManifestEntry | undefined): Promise<string | undefined> {
  if (stocks === undefined || !(await partitionMatches(lake, stocks))) {
    return `features ${date}: no stocks-trades partition for ${date} in ${lake}; run gammaflow ingest --dataset stocks-trades,options-trades --from ${date} --to ${date} first`;
  }
  if (greeks === undefined || !(await partitionMatches(lake, greeks))) {
    return `features ${date}: no options-greeks partition for ${date} in ${lake}; ${greeksHint(symbol, date)}`;
  }
  const greeksSymbol = /^symbol=([^;]*)/.exec(greeks.filter ?? '')?.[1];
  if (greeksSymbol !== symbol) {
    return `features ${date}: the options-greeks partition of ${date} was computed for ${greeksSymbol ?? 'an unknown symbol'}, not ${symbol}; ${greeksHint(symbol, date)}`;
  }
  return undefined;
}

export async function runFeatures(req: FeaturesRequest): Promise<FeaturesResult> {
  const { lake, symbol, tracker, config } = req;
  const toLake = req.out === undefined;
  return withDayRun({
    lake, tracker, recover: toLake, ...(req.signal ? { signal: req.signal } : {}), ...(req.selectWork ? { selectWork: req.selectWork } : {}),
  }, async (run) => {
    const calendar = new NyseCalendar(calendarOverrides(config.calendar));
    const runId = run.runId;
    const tempDirectory = join(stagingRoot(lake), '_duckdb', runId);
    const days = req.days.filter((day) => run.selects(workKey(symbol, day)));
    let reader: LakeReader | undefined;
    let duck: DuckDBInstance | undefined;
    let file: FeatureFileWriter | undefined;
    let fileClosed = false;
    try {
      const [stocksManifest, greeksManifest] = await Promise.all([readManifest(lake, STOCKS_DATASET), readManifest(lake, greeksDataset(symbol))]);
      const memoryLimit = req.duckdbMemoryLimit ?? config.storage.duckdb_memory_limit;
      reader = await LakeReader.open(lake, { memoryLimit, threads: 2, ...(toLake ? { tempDirectory } : {}) });
      duck = await DuckDBInstance.create(':memory:', { memory_limit: memoryLimit, threads: '2', ...(toLake ? { temp_directory: tempDirectory } : {}) });
      const mode = config.aggregations.aggression
        ? await aggressionMode(lake, duck, days, greeksDataset(symbol), greeksManifest)
        : { aggression: false as const };
      if ('conflict' in mode) {
        tracker.startRun({ command: 'features', daysTotal: days.length, filesTotal: 0 });
        tracker.error(mode.conflict);
        return { outcomes: days.map((date) => ({ date, state: 'failed', message: mode.conflict })), aggression: false, rowsWritten: 0, exitCode: 1 };
      }
      const aggression = mode.aggression;
      const options = featureEngineOptions(config.aggregations, calendar, {
        symbol, aggression, ...(req.windows ? { windows: req.windows } : {}), ...(req.session ? { session: req.session } : {}),
      });
      const policies = policiesOf(config, options);
      const settings = [...policies].map(([w, p]) => `${w}=${p.id}`).join(',');
      if (!toLake) file = new FeatureFileWriter(req.out!, { aggression, rowGroupRows: config.storage.row_group_rows, zstdLevel: config.storage.zstd_level });
      const outputManifests = new Map<string, Map<string, ManifestEntry>>();
      if (toLake) for (const w of options.windows) outputManifests.set(w.label, await readManifest(lake, featureDataset(symbol, w.label)));

      const feeder = new FeatureFeeder(new FeatureEngine(options), (row) => collect(row), aggression);
      /** Rows of dates not yet written, by date. */
      const pending = new Map<string, FeatureRow[]>();
      const sources = new Map<string, ManifestEntry['source']>();
      const rowsOfDay = new Map<string, number>();
      let rowsWritten = 0;

      function collect(row: FeatureRow): void {
        let list = pending.get(row.date);
        if (list === undefined) pending.set(row.date, (list = []));
        list.push(row);
      }
      /** Writes every buffered date none of whose windows is still open. */
      const flush = async (all: boolean): Promise<void> => {
        const open = new Set(all ? [] : feeder.openDates());
        for (const [date, rows] of [...pending].sort(([a], [b]) => (a < b ? -1 : 1))) {
          if (open.has(date)) continue;
          pending.delete(date);
          rows.sort((a, b) => windowOrder(options, a) - windowOrder(options, b) || (a.windowStartNs < b.windowStartNs ? -1 : a.windowStartNs > b.windowStartNs ? 1 : 0));
          rowsOfDay.set(date, rows.length);
          if (file !== undefined) {
            file.append(rows);
          } else {
            const source = sources.get(date);
            if (source === undefined) continue; // a window owned by a day that was skipped or not requested
            for (const w of options.windows) {
              await publishFeatureDay({
                lake, symbol, window: w.label, date, runId, rows: rows.filter((r) => r.window === w.label), aggression,
                source, policy: policies.get(w.label)!, provenance: FINAL_FLATFILE,
                rowGroupRows: config.storage.row_group_rows, zstdLevel: config.storage.zstd_level,
              });
            }
          }
          rowsWritten += rows.length;
        }
      };

      const works = days.map((date) => ({ key: workKey(symbol, date), id: `features/${date}`, label: `${symbol} ${date}` }));
      const dayReader = reader, dayDuck = duck;
      const outcomes = await run.days(works, {
        command: 'features',
        notRun: (w, message): FeaturesDayOutcome => ({ date: w.key.day, state: 'abandoned', message }),
        threw: (w, failure): FeaturesDayOutcome => ({ date: w.key.day, state: failure.stopped ? 'abandoned' : 'failed', message: failure.message }),
        // The engine holds a partial day after a day that threw: later days cannot be trusted.
        stopAfter: (o) => (o.state === 'failed' && sources.has(o.date) ? `features ${o.date} failed part-way` : undefined),
        run: async (w, day): Promise<FeaturesDayOutcome> => {
          const date = w.key.day;
          const stocks = stocksManifest.get(date), greeks = greeksManifest.get(date);
          const missing = await missingInput(lake, symbol, date, stocks, greeks);
          if (missing !== undefined) {
            day.missingInput(missing);
            return { date, state: 'missing_input', message: missing };
          }
          const source = featuresSource(date, stocks!, greeks!, settings);
          if (toLake && !req.force && await upToDate(lake, options, outputManifests, date, source, policies)) {
            day.skipped('up to date (same inputs and settings)');
            return { date, state: 'skipped', message: 'up to date' };
          }
          const conflict = toLake && !req.force ? await policyConflicts(lake, symbol, date, policies) : undefined;
          if (conflict !== undefined) {
            const message = `features ${date}: ${conflict}; rerun with --force to replace them`;
            day.failed(message);
            return { date, state: 'failed', message };
          }
          sources.set(date, source);
          day.started();
          const counts = await feedDay(feeder, dayReader, dayDuck, lake, date, symbol, config.aggregations.option_roots, aggression, {
            progress: (events) => tracker.fileRows(day.id, { parsed: events }),
            aborted: () => req.signal?.aborted === true,
          });
          // Every later event is on a later New York date: close what this day can close.
          feeder.advanceTo(nyWallClockToUtcNs(addDays(date, 1), 0, 0));
          tracker.filePublishing(day.id);
          await flush(false);
          const rows = rowsOfDay.get(date) ?? 0;
          tracker.fileRows(day.id, { written: rows });
          const sides = counts.aggression;
          const message = `${rows.toLocaleString('en-US')} rows from ${counts.underlyingTrades.toLocaleString('en-US')} ${symbol} trades and ${counts.optionTrades.toLocaleString('en-US')} option trades`
            + (sides === undefined ? '' : `; ${describeSides(sides)}`);
          if (sides !== undefined) {
            tracker.log('info', `features ${date}: ${describeSides(sides)}`);
            tracker.setExtra('aggression_classified_pct', Number.isNaN(sides.classifiedPct) ? 0 : Number(sides.classifiedPct.toFixed(2)));
          }
          day.done(message);
          return {
            date, state: 'computed', message, rows, underlyingTrades: counts.underlyingTrades, optionTrades: counts.optionTrades,
            ...(sides !== undefined ? { aggression: sides } : {}),
          };
        },
      });
      if (!req.signal?.aborted && outcomes.every((o) => o.state !== 'failed')) {
        feeder.finish();
        await flush(true);
      }
      if (file !== undefined) {
        if (outcomes.some((o) => o.state === 'failed' || o.state === 'abandoned')) file.abort();
        else file.close();
        fileClosed = true;
      }
      const ok = outcomes.length === days.length && outcomes.every((o) => o.state === 'computed' || o.state === 'skipped');
      return { outcomes, aggression, rowsWritten, exitCode: ok ? 0 : 1 };
    } finally {
      if (file !== undefined && !fileClosed) file.abort();
      reader?.close();
      duck?.closeSync();
      if (toLake) await rm(tempDirectory, { recursive: true, force: true });
    }
  });
}

/** A features day of one symbol as a unit of work (selectWork). */
function workKey(symbol: string, day: string): WorkKey {
  return { dataset: 'features', day, symbol };
}

function windowOrder(options: FeatureEngineOptions, row: FeatureRow): number {
  return options.windows.findIndex((w) => w.label === row.window);
}

async function upToDate(lake: string, options: FeatureEngineOptions, manifests: Map<string, Map<string, ManifestEntry>>,
  date: string, source: ManifestEntry['source'], policies: Map<string, FeaturePolicy>): Promise<boolean> {
  for (const w of options.windows) {
    const previous = manifests.get(w.label)?.get(date);
    if (previous === undefined || previous.source.etag !== source.etag || previous.filter !== partitionFilter(policies.get(w.label)!, FINAL_FLATFILE)
      || previous.schemaVersion !== FEATURES_SCHEMA_VERSION || !(await partitionMatches(lake, previous))) return false;
  }
  return true;
}

/** The first window size whose published partition of the day was computed under another policy, described. */
async function policyConflicts(lake: string, symbol: string, date: string, policies: Map<string, FeaturePolicy>): Promise<string | undefined> {
  for (const [window, policy] of policies) {
    const conflict = policyConflict(await publishedFeaturePartition(lake, symbol, window, date), policy, `${featureDataset(symbol, window)}/date=${date}`);
    if (conflict !== undefined) return conflict;
  }
  return undefined;
}

interface FeedSinks {
  progress(events: number): void;
  aborted(): boolean;
}

/**
 * Streams one day's underlying and enriched option trades into the feeder in the order of
 * events/order.ts (the live pipeline feeds the same FeatureFeeder from the feed), closing windows
 * behind the stream after each chunk so memory stays bounded by the open windows.
 */
async function feedDay(feeder: FeatureFeeder, reader: LakeReader, duck: DuckDBInstance, lake: string, date: string, symbol: string,
  roots: readonly string[], aggression: boolean, sinks: FeedSinks): Promise<FeedTally> {
  const greeksFiles = await reader.partitionFiles(greeksDataset(symbol), date);
  await mergeSorted([
    {
      rank: EventRank.underlyingTrade, chunks: reader.underlyingTrades(date, symbol),
      onEvent: (u) => feeder.underlyingTrade(u),
      onChunkDone: (events, lastTimeNs) => { sinks.progress(events); feeder.advanceTo(lastTimeNs); },
    },
    {
      rank: EventRank.optionTrade, chunks: enrichedOptionTrades(duck, lake, greeksFiles, { underlying: symbol, extraRoots: roots }, aggression),
      onEvent: (o) => feeder.optionTrade(o, o.side, o.sideReason),
      onChunkDone: (events, lastTimeNs) => {
        if (sinks.aborted()) throw new LakeError(`features ${date}: stopped`, { date });
        sinks.progress(events);
        feeder.advanceTo(lastTimeNs);
      },
    },
  ]);
  return feeder.takeTally();
}
