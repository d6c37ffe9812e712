/** `gammaflow features`: windowed features of one symbol from the lake (historical path). Argument handling only. */
import { csvList, parseCommand, requireDateRange, symbolOption } from './args.js';
import { UsageError, EXIT_OK } from './report.js';
import { lakeOption, loadCliConfig } from './common.js';
import { withRunUi } from './run-ui.js';
import { NyseCalendar, parseWindow, type SessionKind } from '../calendar/index.js';
import { calendarOverrides } from '../config/index.js';
import { runFeatures } from '../features/job.js';
import { outputFormatOf } from '../features/output.js';
import { SHARD_HELP, SHARD_OPTIONS, shardOption } from './shard-args.js';
import { shardDays } from '../jobs/shard-progress.js';

export const FEATURES_HELP = `gammaflow features --symbol SYMBOL --from YYYY-MM-DD --to YYYY-MM-DD [options]

Computes the 81 window features (docs/features.md) of SYMBOL for every window of each day's
session grid, from the lake's stocks-trades and options-greeks (run gammaflow ingest and
gammaflow greeks first). Default output: the lake,
LAKE/features/symbol=SYMBOL/window=W/date=YYYY-MM-DD/part-00000.parquet (days whose inputs
did not change are skipped unless --force); --out writes one file instead.

  --symbol SYMBOL        underlying (default: aggregations.symbol, SPY)
  --from, --to DATE      trading days in this range (NYSE calendar; holidays are skipped)
  --windows LIST         window sizes, e.g. 1m,5m (default: aggregations.windows)
  --session KIND         regular | extended | all (default: aggregations.session)
  --out PATH             one file: .parquet, .csv or .jsonl (instead of lake partitions)
  --lake DIR             lake directory (default: storage.lake, ./lake)
  --force                recompute lake partitions whose inputs did not change
${SHARD_HELP}
  --config FILE          config file (default ./config.toml)
  --no-tui               plain progress lines instead of the dashboard
  --json                 machine-readable progress and results (JSON lines on stdout)

Exit code 0 when every day was computed or already up to date.`;

const SESSIONS: readonly SessionKind[] = ['regular', 'extended', 'all'];

export async function featuresCommand(argv: string[]): Promise<number> {
  const { values } = parseCommand('features', argv, {
    symbol: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' },
    windows: { type: 'string' }, session: { type: 'string' }, out: { type: 'string' },
    lake: { type: 'string' }, config: { type: 'string' },
    force: { type: 'boolean', default: false }, 'no-tui': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' }, ...SHARD_OPTIONS,
  });
  if (values.help) { process.stdout.write(FEATURES_HELP + '\n'); return EXIT_OK; }
  const { from, to } = requireDateRange(values);
  const shard = shardOption(values);
  if (shard !== undefined && values.out !== undefined) throw new UsageError('--out with --shard: every shard would write the same file; sharded runs write lake partitions');
  const windows = csvList(values.windows);
  for (const w of windows ?? []) {
    try { parseWindow(w); } catch (e) { throw new UsageError(`--windows: ${(e as Error).message}`); }
  }
  if (windows && new Set(windows.map((w) => parseWindow(w))).size !== windows.length) throw new UsageError('--windows: each window size once');
  const session = values.session as SessionKind | undefined;
  if (session !== undefined && !SESSIONS.includes(session)) throw new UsageError(`--session: expected one of ${SESSIONS.join(', ')}, got "${session}"`);
  if (values.out !== undefined) {
    try { outputFormatOf(values.out); } catch (e) { throw new UsageError(`--out: ${(e as Error).message}`); }
  }
  const { config, path: configPath } = await loadCliConfig(values.config, values.json);
  const symbol = symbolOption(values.symbol, config.aggregations.symbol);
  const lake = lakeOption(values.lake, config);
  const allDays = new NyseCalendar(calendarOverrides(config.calendar)).tradingDays(from, to);

  const result = await withRunUi({ config, configPath, noTui: values['no-tui'], json: values.json }, async ({ tracker, signal }) => {
    if (allDays.length === 0) tracker.log('warn', `no NYSE trading day between ${from} and ${to}`);
    const days = shardDays(tracker, shard, allDays, { dataset: 'features', symbol });
    return runFeatures({
      lake, symbol, days, config, tracker, signal, force: values.force,
      ...(windows ? { windows } : {}), ...(session ? { session } : {}), ...(values.out !== undefined ? { out: values.out } : {}),
    });
  });
  for (const o of result.outcomes) {
    if (values.json) {
      process.stdout.write(JSON.stringify({ type: 'day', dataset: 'features', symbol, date: o.date, state: o.state, message: o.message, rows: o.rows, underlyingTrades: o.underlyingTrades, optionTrades: o.optionTrades, aggression: o.aggression }) + '\n');
    } else if (o.state === 'computed') {
      process.stderr.write(`${o.date}: ${o.message}\n`);
    }
  }
  if (values.json) process.stdout.write(JSON.stringify({ type: 'result', rowsWritten: result.rowsWritten, out: values.out ?? null, exitCode: result.exitCode }) + '\n');
  else if (values.out !== undefined && result.exitCode === 0) process.stderr.write(`wrote ${result.rowsWritten.toLocaleString('en-US')} rows to ${values.out}\n`);
  return result.exitCode;
}
