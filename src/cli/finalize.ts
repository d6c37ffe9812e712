/**
 * `gammaflow finalize`: a day's prelim (realtime) feature rows replaced by final ones from the
 * published flat files, with a report of what changed (src/features/finalize.ts).
 */
import { parseCommand, csvList, requireDateRange, symbolOption } from './args.js';
import { EXIT_OK, UsageError } from './report.js';
import { lakeOption, loadCliConfig } from './common.js';
import { withRunUi } from './run-ui.js';
import { runPipelineSteps } from '../jobs/run-pipeline.js';
import { NyseCalendar, parseWindow } from '../calendar/index.js';
import { calendarOverrides } from '../config/index.js';
import { runFinalize } from '../features/finalize.js';
import { VERSION } from './version.js';
import { SHARD_HELP, SHARD_OPTIONS, shardOption } from './shard-args.js';
import { shardDays } from '../jobs/shard-progress.js';

export const FINALIZE_HELP = `gammaflow finalize --symbol SYMBOL --from YYYY-MM-DD --to YYYY-MM-DD [options]

Once a day's flat files are published (stocks-trades, options-trades, and options-quotes when
[aggregations] aggression is on), ingests what the lake lacks (or what Massive replaced: another
ETag), recomputes greeks and features as gammaflow run does, and replaces the day's prelim rows
(written by gammaflow live) atomically with quality = final rows. Writes a report per day to
LAKE/finalize-reports/symbol=S/date=D/report.json and prints a summary line: rows compared and
changed, max abs/rel change per column, corrected/cancelled prints, trades in the flat files but
not received live and the reverse, gap intervals resolved. A second finalize of the same files
changes nothing.

  --symbol SYMBOL        underlying (default: aggregations.symbol, SPY)
  --from, --to DATE      trading days in this range
  --source SRC           s3 (default) or local:DIR (Massive's key layout)
  --windows LIST         window sizes (default: aggregations.windows)
  --lake DIR             lake directory (default: storage.lake, ./lake)
  --force                redo every step, and replace rows computed under another policy
${SHARD_HELP}
  --config FILE          config file (default ./config.toml)
  --no-tui, --json       as for ingest

Exit code 0 when every day is final; 1 when a day could not be finalized (files not published,
a step failed, rows of another policy without --force); 2 for usage or config errors.`;

export async function finalizeCommand(argv: string[]): Promise<number> {
  const { values } = parseCommand('finalize', argv, {
    symbol: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, source: { type: 'string' },
    windows: { type: 'string' }, lake: { type: 'string' }, config: { type: 'string' }, force: { type: 'boolean', default: false },
    'no-tui': { type: 'boolean', default: false }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' },
    ...SHARD_OPTIONS,
  });
  if (values.help) { process.stdout.write(FINALIZE_HELP + '\n'); return EXIT_OK; }
  const shard = shardOption(values);
  const { from, to } = requireDateRange(values);
  const windowList = csvList(values.windows);
  for (const w of windowList ?? []) {
    try { parseWindow(w); } catch (e) { throw new UsageError(`--windows: ${(e as Error).message}`); }
  }
  const { config, path: configPath } = await loadCliConfig(values.config, values.json);
  const symbol = symbolOption(values.symbol, config.aggregations.symbol);
  const lake = lakeOption(values.lake, config);
  const windows = windowList ?? config.aggregations.windows;
  const allDays = new NyseCalendar(calendarOverrides(config.calendar)).tradingDays(from, to);
  return withRunUi({ config, configPath, noTui: values['no-tui'], json: values.json }, async (ctx) => {
    // A shard finalizes whole days: each of its days goes through ingest, greeks and features here.
    const days = shardDays(ctx.tracker, shard, allDays, { dataset: 'finalize', symbol });
    const mine = new Set(days);
    const pipeline = {
      config, configPath, symbol, from, to, lake, sourceSpec: values.source ?? 's3', force: values.force,
      noTui: values['no-tui'], json: values.json, windows, ...(shard !== undefined ? { selectDay: (date: string) => mine.has(date) } : {}),
    };
    const result = await runFinalize({
      lake, symbol, days, windows, config, tracker: ctx.tracker, recompute: (hooks) => runPipelineSteps(ctx, { ...pipeline, onIngested: hooks.ingested, beforeFeatures: hooks.beforeFeatures }, VERSION), version: VERSION,
    });
    return result.exitCode;
  });
}
