/** `gammaflow ingest`: flat files (S3 or a local folder) → Parquet lake. Argument handling only. */
import { parseCommand, csvList, requireDateRange } from './args.js';
import { UsageError, EXIT_OK } from './report.js';
import { lakeOption, loadCliConfig } from './common.js';
import { withRunUi } from './run-ui.js';
import { datasetByName, DATASETS } from '../formats/datasets.js';
import { ingestDaysWithin, type IngestDaysOptions } from '../ingest/command.js';
import type { DayOutcome } from '../ingest/run.js';
import { checkSourceSpec } from './source.js';
import { VERSION } from './version.js';
import { SHARD_HELP, SHARD_OPTIONS, shardOption } from './shard-args.js';

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

/** The ingest run with its own UI (the `ingest` command and the demo). */
export async function ingestDays(o: IngestDaysOptions): Promise<{ exitCode: number; outcomes: DayOutcome[] }> {
  return withRunUi({ config: o.config, configPath: o.configPath, noTui: o.noTui, json: o.json },
    ({ tracker, signal }) => ingestDaysWithin(tracker, signal, o, VERSION));
}
