/** The backfill job set up from the config: REST client, limits, lake writer settings, progress. */
import { availableParallelism } from 'node:os';
import type { Config } from '../config/schema.js';
import type { DatasetSpec } from '../formats/datasets.js';
import type { ProgressTracker } from '../observe/progress.js';
import { restClientFromConfig } from '../sources/rest/from-config.js';
import { BackfillProgress } from './progress.js';
import { runBackfill, type BackfillResult } from './run.js';
import type { WorkKey } from '../jobs/shard.js';

export interface BackfillJob {
  readonly config: Config;
  readonly symbol: string;
  readonly days: readonly string[];
  readonly datasets: readonly DatasetSpec[];
  readonly lake: string;
  readonly force: boolean;
  /** Which (dataset, day) items this run does (a shard's share); default all. */
  readonly selectWork?: (key: WorkKey) => boolean;
  readonly tracker: ProgressTracker;
  readonly signal?: AbortSignal;
  readonly version: string;
}

export async function backfillWithConfig(job: BackfillJob): Promise<BackfillResult & { progress: BackfillProgress }> {
  const progress = new BackfillProgress(job.tracker);
  const client = restClientFromConfig(job.config, progress.onRest);
  const { config } = job;
  // More tickers in flight than requests: while some wait for their page's fsyncs, the others keep the
  // allowed requests busy (most contracts fit in one page). The limiter bounds the requests themselves.
  const tickerConcurrency = Math.max(1, config.massive.rest_concurrency * 4);
  const result = await runBackfill({
    symbol: job.symbol, days: job.days, datasets: job.datasets, lake: job.lake, client, force: job.force,
    tickerConcurrency, batchRows: config.ingest.batch_rows, rowGroupRows: config.storage.row_group_rows,
    fileSizeTargetBytes: config.storage.file_size_mb_target * 1024 * 1024, zstdLevel: config.storage.zstd_level,
    useWorkerWriter: availableParallelism() > 1,
    tracker: job.tracker, progress, ...(job.signal ? { signal: job.signal } : {}), version: job.version,
    ...(job.selectWork ? { selectWork: job.selectWork } : {}),
  });
  return { ...result, progress };
}
