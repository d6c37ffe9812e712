/**
 * The ingest job of the `ingest` command (and of `gammaflow run`, which chains it with greeks and
 * features under one run UI): the trading days of a range, the source opened from its spec, the
 * config's sizes, filters and inflater, then runIngest (run.ts). With `json`, one `day` line per
 * outcome on stdout.
 */
import { availableParallelism } from 'node:os';
import { NyseCalendar } from '../calendar/index.js';
import { calendarOverrides } from '../config/index.js';
import type { Config } from '../config/schema.js';
import type { DatasetSpec } from '../formats/datasets.js';
import { tickerFilter, underlyingFilter } from '../formats/filters.js';
import type { ProgressTracker } from '../observe/progress.js';
import { optionDerivedColumns, optionTickerNames } from '../options/contract-columns.js';
import { announceShard } from '../jobs/shard-progress.js';
import { planShard, type ShardSpec } from '../jobs/shard.js';
import { openSource } from '../sources/from-spec.js';
import { chooseInflater } from './inflate.js';
import { runIngest, type DayOutcome, type IngestRequest } from './run.js';

export interface IngestDaysOptions {
  readonly config: Config;
  readonly configPath: string | undefined;
  readonly datasets: readonly DatasetSpec[];
  readonly from: string;
  readonly to: string;
  readonly lake: string;
  readonly sourceSpec: string;
  readonly force: boolean;
  readonly verify?: boolean;
  /** A trading day without a file fails the run (exit 1). */
  readonly requireAll?: boolean;
  readonly noTui: boolean;
  readonly json: boolean;
  readonly tickers?: readonly string[];
  readonly underlyings?: readonly string[];
  /** Do this shard's (dataset, day) items only (src/jobs/shard.ts). */
  readonly shard?: ShardSpec;
  /** Only these days (a sharded pipeline's days: `finalize --shard`). */
  readonly selectDay?: (date: string) => boolean;
  /** A reader of each ingested file's batches (`gammaflow run` classifies option trades on the way). */
  readonly tapFor?: IngestRequest['tapFor'];
}

/** The ingest run inside a UI that the caller runs (`gammaflow run` chains ingest → greeks → features in one). */
export async function ingestDaysWithin(tracker: ProgressTracker, signal: AbortSignal, o: IngestDaysOptions, version: string): Promise<{ exitCode: number; outcomes: DayOutcome[] }> {
  const { config } = o;
  const calendar = new NyseCalendar(calendarOverrides(config.calendar));
  const days = calendar.tradingDays(o.from, o.to).filter((date) => o.selectDay?.(date) ?? true);
  const plan = o.shard === undefined ? undefined : planShard(o.shard, o.datasets.flatMap((d) => days.map((day) => ({ dataset: d.name, day }))));
  if (plan !== undefined) announceShard(tracker, plan, '(dataset, day) items');
  const inflater = chooseInflater(config.ingest.inflate);
  tracker.setExtra('inflate', inflater.description);
  const source = await openSource(o.sourceSpec, config);
  try {
    if (days.length === 0) tracker.log('warn', `no NYSE trading day between ${o.from} and ${o.to}`);
    const result = await runIngest({
      datasets: o.datasets, days, lake: o.lake, source, force: o.force, verify: o.verify === true,
      concurrentFiles: Math.max(1, Math.min(config.ingest.concurrent_files, o.sourceSpec === 's3' ? config.ingest.s3_concurrency : availableParallelism() * 4)),
      batchRows: config.ingest.batch_rows, rowGroupRows: config.storage.row_group_rows,
      fileSizeTargetBytes: config.storage.file_size_mb_target * 1024 * 1024, zstdLevel: config.storage.zstd_level,
      useWorkerWriter: true, inflater,
      filterFor: (d) => {
        if (d.filterKind === 'tickers') return o.tickers ? tickerFilter(o.tickers) : undefined;
        return o.underlyings ? underlyingFilter(o.underlyings, optionTickerNames) : undefined;
      },
      derivedFor: (d) => (d.filterKind === 'underlyings' ? optionDerivedColumns() : undefined),
      ...(o.tapFor ? { tapFor: o.tapFor } : {}),
      expectedPublishMs: (date) => calendar.expectedPublishMs(date, config.ingest.publish_hour_et),
      ...(o.requireAll ? { requireAll: true } : {}),
      ...(plan !== undefined ? { selectWork: (key: { dataset: string; day: string }) => plan.select(key) } : {}),
      tracker, signal, version,
    });
    if (o.json) for (const outcome of result.outcomes) process.stdout.write(JSON.stringify({ type: 'day', ...outcome, entry: undefined, files: outcome.entry?.files.length, rows: outcome.entry?.rows }) + '\n');
    return result;
  } finally {
    await source.close?.();
  }
}
