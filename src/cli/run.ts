/**
 * `gammaflow run`: features from flat files in one command (src/jobs/run-pipeline.ts) under one
 * dashboard. Argument handling only.
 */
import { parseCommand, csvList, requireDateRange, symbolOption } from './args.js';
import { UsageError, EXIT_OK } from './report.js';
import { lakeOption, loadCliConfig } from './common.js';
import { withRunUi } from './run-ui.js';
import { checkSourceSpec } from './source.js';
import type { SessionKind } from '../calendar/index.js';
import { runPipelineSteps, type PipelineOptions } from '../jobs/run-pipeline.js';
import { VERSION } from './version.js';

export const RUN_HELP = `gammaflow run --symbol SYMBOL --from YYYY-MM-DD --to YYYY-MM-DD [options]

Flat files to features in one command: ingests SYMBOL's stock trades and option trades (and option
quotes when [aggregations] aggression is on), filtered while streaming, computes the greeks of every
option trade, then the windowed features. Days already done at any step are skipped.

  --symbol SYMBOL        underlying (default: aggregations.symbol, SPY)
  --from, --to DATE      trading days in this range
  --source SRC           s3 (default) or local:DIR (Massive's key layout)
  --windows LIST         window sizes, e.g. 1m,5m (default: aggregations.windows)
  --session KIND         regular | extended | all (default: aggregations.session)
  --out PATH             one output file (.parquet, .csv, .jsonl) instead of the lake's features table
  --lake DIR             lake directory (default: storage.lake, ./lake)
  --force                redo every step
  --require-all          exit 1 when a trading day's file is missing (a day not yet published
                         is not missing); without it, such days are reported and left out
  --config FILE          config file (default ./config.toml)
  --no-tui, --json       as for ingest

Exit code 0 when every step of every day with files succeeded; 1 when a day failed at any step,
when no day of the range could be computed (no files), or with --require-all when a trading day
has no file; 2 for usage or config errors.`;

export async function runCommand(argv: string[]): Promise<number> {
  const { values } = parseCommand('run', argv, {
    symbol: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, source: { type: 'string' },
    windows: { type: 'string' }, session: { type: 'string' }, out: { type: 'string' }, lake: { type: 'string' },
    config: { type: 'string' }, force: { type: 'boolean', default: false },
    'require-all': { type: 'boolean', default: false }, 'no-tui': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help) { process.stdout.write(RUN_HELP + '\n'); return EXIT_OK; }
  const { from, to } = requireDateRange(values);
  const session = values.session as SessionKind | undefined;
  if (session !== undefined && !['regular', 'extended', 'all'].includes(session)) throw new UsageError(`--session must be regular, extended or all, got "${session}"`);
  const sourceSpec = values.source ?? 's3';
  checkSourceSpec(sourceSpec);
  const { config, path: configPath } = await loadCliConfig(values.config, values.json);
  const symbol = symbolOption(values.symbol, config.aggregations.symbol);
  const lake = lakeOption(values.lake, config);
  const windows = csvList(values.windows);
  return runPipeline({
    config, configPath, symbol, from, to, lake, sourceSpec, force: values.force, requireAll: values['require-all'],
    noTui: values['no-tui'], json: values.json,
    ...(windows ? { windows } : {}), ...(session ? { session } : {}), ...(values.out ? { out: values.out } : {}),
  });
}

/** ingest → greeks → features; each step only for the days the previous one delivered. Returns the exit code. */
export async function runPipeline(o: PipelineOptions): Promise<number> {
  return withRunUi({ config: o.config, configPath: o.configPath, noTui: o.noTui, json: o.json }, (ctx) => runPipelineSteps(ctx, o, VERSION));
}
