/**
 * `gammaflow run`: features from flat files in one command: ingest only what
 * the features need (the symbol's stock trades, its option trades, and its
 * option quotes when aggression is on, all filtered while streaming) →
 * greeks → features, under one dashboard.
 */
import { parseCommand, csvList, requireDateRange, symbolOption } from './args.js';
import { UsageError, EXIT_OK } from './report.js';
import { lakeOption, loadCliConfig } from './common.js';
import { withRunUi, type RunUiContext } from './run-ui.js';
import { ingestDaysWithin } from './ingest.js';
import { checkSourceSpec } from './source.js';
import { DATASETS, type DatasetSpec } from '../formats/datasets.js';
import { IngestDaySides, SidesBudget, type IngestedSides } from '../options/ingest-sides.js';
import { runGreeks } from '../options/greeks-job.js';
import { runFeatures } from '../features/job.js';
import type { SessionKind } from '../calendar/index.js';
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

export interface PipelineOptions {
  readonly config: import('../config/schema.js').Config;
  readonly configPath: string | undefined;
  readonly symbol: string;
  readonly from: string;
  readonly to: string;
  readonly lake: string;
  readonly sourceSpec: string;
  readonly force: boolean;
  /** A trading day without a file fails the run (exit 1). */
  readonly requireAll?: boolean;
  readonly noTui: boolean;
  readonly json: boolean;
  readonly windows?: readonly string[];
  readonly session?: SessionKind;
  readonly out?: string;
  /** Only these days (a shard's days: `finalize --shard`). */
  readonly selectDay?: (date: string) => boolean;
}

/** ingest → greeks → features; each step only for the days the previous one delivered. Returns the exit code. */
export async function runPipeline(o: PipelineOptions): Promise<number> {
  return withRunUi({ config: o.config, configPath: o.configPath, noTui: o.noTui, json: o.json }, (ctx) => runPipelineSteps(ctx, o));
}

/** The steps of runPipeline under a dashboard the caller owns. */
export async function runPipelineSteps({ tracker, signal }: Pick<RunUiContext, 'tracker' | 'signal'>, o: PipelineOptions): Promise<number> {
  const { config, symbol } = o;
  {
    const datasets = [DATASETS['stocks-trades'], DATASETS['options-trades']];
    if (config.aggregations.aggression) datasets.push(DATASETS['options-quotes']);
    // With aggression, the option trades are classified while both option files stream
    // (options/ingest-sides.ts); the greeks step then does not read the quotes back.
    const selection = { underlying: symbol, extraRoots: [...config.aggregations.option_roots].sort() };
    const sidesByDay = new Map<string, IngestDaySides>();
    const budget = new SidesBudget();
    const daySides = (date: string): IngestDaySides => {
      let day = sidesByDay.get(date);
      if (day === undefined) sidesByDay.set(date, day = new IngestDaySides(date, selection, config.aggregations, { budget }));
      return day;
    };
    tracker.nextStage('run');
    const ingest = await ingestDaysWithin(tracker, signal, {
      config, configPath: o.configPath, datasets, from: o.from, to: o.to, lake: o.lake, sourceSpec: o.sourceSpec,
      force: o.force, noTui: o.noTui, json: o.json, ...(o.requireAll ? { requireAll: true } : {}),
      ...(o.selectDay ? { selectDay: o.selectDay } : {}),
      tickers: [symbol], underlyings: [symbol, ...config.aggregations.option_roots],
      ...(config.aggregations.aggression ? {
        tapFor: (dataset: DatasetSpec, date: string) => dataset.name === 'options-trades' ? daySides(date).tradesTap
          : dataset.name === 'options-quotes' ? daySides(date).quotesTap : undefined,
      } : {}),
    });
    const ingestedSides = new Map<string, IngestedSides>();
    for (const [date, day] of sidesByDay) {
      const r = await day.result();
      if ('sides' in r) ingestedSides.set(date, r);
      else if (day.ingestedAny) tracker.log('info', `aggression ${date}: the greeks step classifies from the lake (${r.off})`);
    }
    const usable = new Set(['ingested', 'skipped']);
    const byDate = new Map<string, boolean>();
    for (const d of ingest.outcomes) {
      // options-quotes are optional input (aggression is simply off for a day without them)
      if (d.dataset === 'options-quotes') continue;
      byDate.set(d.date, (byDate.get(d.date) ?? true) && usable.has(d.state));
    }
    const days = [...byDate].filter(([, ok]) => ok).map(([date]) => date).sort();
    if (signal.aborted || days.length === 0) return ingest.exitCode || (days.length === 0 && byDate.size > 0 ? 1 : 0);

    tracker.nextStage('run');
    const greeks = await runGreeks({ lake: o.lake, symbol, days, config, tracker, signal, force: o.force, version: VERSION, ingestedSides });
    const greeksDays = greeks.outcomes.filter((g) => g.state === 'computed' || g.state === 'skipped').map((g) => g.date);
    if (signal.aborted || greeksDays.length === 0) return Math.max(ingest.exitCode, greeks.exitCode, 1);

    tracker.nextStage('run');
    const features = await runFeatures({
      lake: o.lake, symbol, days: greeksDays, config, tracker, signal, force: o.force,
      ...(o.windows ? { windows: o.windows } : {}), ...(o.session ? { session: o.session } : {}), ...(o.out ? { out: o.out } : {}),
    });
    tracker.log('info', `features: ${features.rowsWritten.toLocaleString('en-US')} row(s) for ${symbol}${o.out ? ` in ${o.out}` : ''}`);
    return Math.max(ingest.exitCode, greeks.exitCode, features.exitCode);
  }
}
