/** `gammaflow ingest`: flat files (S3 or a local folder) → Parquet lake. Argument handling only. */
import { availableParallelism } from 'node:os';
import { parseCommand, csvList, requireDateRange } from './args.js';
import { UsageError, EXIT_OK } from './report.js';
import { lakeOption, loadCliConfig } from './common.js';
import { withRunUi } from './run-ui.js';
import { datasetByName, DATASETS, type DatasetSpec } from '../formats/datasets.js';
import { runIngest, type DayOutcome, type IngestRequest } from '../ingest/run.js';
import { NyseCalendar } from '../calendar/index.js';
import { calendarOverrides } from '../config/index.js';
import { checkSourceSpec, openSource } from './source.js';
import { tickerFilter, underlyingFilter } from '../formats/filters.js';
import { optionDerivedColumns, optionTickerNames } from '../options/contract-columns.js';
import type { Config } from '../config/schema.js';
import { VERSION } from './version.js';
import type { ProgressTracker } from '../observe/progress.js';
import { chooseInflater } from '../ingest/inflate.js';
import { SHARD_HELP, SHARD_OPTIONS, shardOption } from './shard-args.js';
import { planShard, type ShardSpec } from '../jobs/shard.js';
import { announceShard } from '../jobs/shard-progress.js';

export const INGEST_HELP = `gammaflow ingest --dataset NAME[,NAME] --from YYYY-MM-DD --to YYYY-MM-DD [options]

Streams Massive flat files into the Parquet lake (LAKE/<dataset>/date=YYYY-MM-DD/part-NNNNN.parquet).

  --dataset NAMES        ${Object.keys(DATASETS).join(', ')} (comma-separated)
  --from, --to DATE      trading days in this range (NYSE calendar; holidays are skipped)
  --source SRC           s3 (default: Massive's S3 endpoint from config) or local:DIR (same key layout)
  --lake DIR             lake directory (default: storage.lake, ./lake)
  --tickers LIST         stock datasets: keep only these tickers while streaming
  --underlyings LIST     option datasets: keep only contracts on these underlyings while streaming
  --force                re-ingest days that are already in the lake
  --verify               checksum every published part before skipping its day (default: only parts
                         whose size or modification time changed since they were published)
  --require-all          exit 1 when a trading day's file is missing (a day not yet published
                         is not missing)
${SHARD_HELP}
  --config FILE          config file (default ./config.toml)
  --no-tui               plain progress lines instead of the dashboard
  --json                 machine-readable progress and results (JSON lines on stdout)

Exit code 0 when every requested day was ingested, was already there, is not yet published, or
has no file (reported as missing; with --require-all that is exit 1); 1 when a day failed;
2 for usage or config errors (e.g. a --source local: folder that does not exist).`;

export async function ingestCommand(argv: string[]): Promise<number> {
  const { values } = parseCommand('ingest', argv, {
    dataset: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' },
    source: { type: 'string' }, lake: { type: 'string' }, config: { type: 'string' },
    tickers: { type: 'string' }, underlyings: { type: 'string' },
    force: { type: 'boolean', default: false }, verify: { type: 'boolean', default: false }, 'require-all': { type: 'boolean', default: false }, 'no-tui': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' }, ...SHARD_OPTIONS,
  });
  if (values.help) { process.stdout.write(INGEST_HELP + '\n'); return EXIT_OK; }
  const shard = shardOption(values);
  const names = csvList(values.dataset);
  if (!names) throw new UsageError('--dataset is required (e.g. --dataset stocks-trades)');
  const datasets = names.map((n) => {
    const d = datasetByName(n);
    if (!d) throw new UsageError(`unknown dataset "${n}"; known: ${Object.keys(DATASETS).join(', ')}`);
    return d;
  });
  const { from, to } = requireDateRange(values);
  const sourceSpec = values.source ?? 's3';
  checkSourceSpec(sourceSpec);
  const { config, path: configPath } = await loadCliConfig(values.config, values.json);
  const lake = lakeOption(values.lake, config);
  const tickers = csvList(values.tickers);
  const underlyings = csvList(values.underlyings);
  const result = await ingestDays({
    config, configPath, datasets, from, to, lake, sourceSpec,
    force: values.force, verify: values.verify, requireAll: values['require-all'], noTui: values['no-tui'], json: values.json,
    ...(tickers ? { tickers } : {}), ...(underlyings ? { underlyings } : {}), ...(shard ? { shard } : {}),
  });
  return result.exitCode;
}

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

/** The ingest run with its own UI (the `ingest` command and the demo). */
export async function ingestDays(o: IngestDaysOptions): Promise<{ exitCode: number; outcomes: DayOutcome[] }> {
  return withRunUi({ config: o.config, configPath: o.configPath, noTui: o.noTui, json: o.json },
    ({ tracker, signal }) => ingestDaysWithin(tracker, signal, o));
}

/** The ingest run inside a UI that the caller runs (`gammaflow run` chains ingest → greeks → features in one). */
export async function ingestDaysWithin(tracker: ProgressTracker, signal: AbortSignal, o: IngestDaysOptions): Promise<{ exitCode: number; outcomes: DayOutcome[] }> {
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
      tracker, signal, version: VERSION,
    });
    if (o.json) for (const outcome of result.outcomes) process.stdout.write(JSON.stringify({ type: 'day', ...outcome, entry: undefined, files: outcome.entry?.files.length, rows: outcome.entry?.rows }) + '\n');
    return result;
  } finally {
    await source.close?.();
  }
}
