/** `gammaflow greeks`: per-trade BSM greeks of one symbol's option trades → LAKE/options-greeks. Argument handling only. */
import { csvList, parseCommand, requireDateRange, symbolOption } from './args.js';
import { EXIT_OK, UsageError } from './report.js';
import { lakeOption, loadCliConfig } from './common.js';
import { withRunUi } from './run-ui.js';
import { NyseCalendar } from '../calendar/index.js';
import { calendarOverrides } from '../config/index.js';
import { runGreeks, GREEKS_FLAG_NAMES } from '../options/greeks-job.js';
import { VERSION } from './version.js';
import { SHARD_HELP, SHARD_OPTIONS, shardOption } from './shard-args.js';
import { announceShard, shardDays } from '../jobs/shard-progress.js';
import { planShard, type WorkKey } from '../jobs/shard.js';

export const GREEKS_HELP = `gammaflow greeks --symbol SYMBOL | --symbols LIST --from YYYY-MM-DD --to YYYY-MM-DD [options]

Joins each option trade of SYMBOL (roots mapping to it, plus aggregations.option_roots) with the
latest eligible underlying trade at or before it, and writes per trade S, T, implied volatility,
delta, gamma, intrinsic value, dadvv, gadvv and a greeks_flag (why greeks are missing) to
LAKE/options-greeks/symbol=SYMBOL/date=YYYY-MM-DD/. Needs stocks-trades and options-trades of those days in
the lake (gammaflow ingest). Parameters: [aggregations] in the config (docs/greeks.md).

  --symbol SYMBOL        underlying (default: aggregations.symbol, SPY)
  --symbols LIST         several underlyings, e.g. SPY,QQQ,IWM: each day's options-trades partition is
                         read once for all of them; each symbol gets the partition a run of it alone writes
  --from, --to DATE      trading days in this range (NYSE calendar; holidays are skipped)
  --lake DIR             lake directory (default: storage.lake, ./lake)
  --force                recompute days whose inputs and parameters did not change
${SHARD_HELP}
  --config FILE          config file (default ./config.toml)
  --no-tui               plain progress lines instead of the dashboard
  --json                 machine-readable progress and results (JSON lines on stdout)

Greeks flags: ${GREEKS_FLAG_NAMES.map((n, i) => `${i} ${n}`).join(', ')}.
Exit code 0 when every day was computed or already up to date.`;

export async function greeksCommand(argv: string[]): Promise<number> {
  const { values } = parseCommand('greeks', argv, {
    symbol: { type: 'string' }, symbols: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' },
    lake: { type: 'string' }, config: { type: 'string' },
    force: { type: 'boolean', default: false }, 'no-tui': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' }, ...SHARD_OPTIONS,
  });
  if (values.help) { process.stdout.write(GREEKS_HELP + '\n'); return EXIT_OK; }
  const { from, to } = requireDateRange(values);
  const shard = shardOption(values);
  const { config, path: configPath } = await loadCliConfig(values.config, values.json);
  if (values.symbol !== undefined && values.symbols !== undefined) throw new UsageError('--symbol and --symbols: use one of them');
  const symbols = values.symbols !== undefined
    ? [...new Set((csvList(values.symbols) ?? []).map((s) => symbolOption(s, s)))]
    : [symbolOption(values.symbol, config.aggregations.symbol)];
  if (symbols.length === 0) throw new UsageError('--symbols: expected a comma-separated list of tickers, e.g. SPY,QQQ');
  const symbol = symbols[0]!;
  const lake = lakeOption(values.lake, config);
  const allDays = new NyseCalendar(calendarOverrides(config.calendar)).tradingDays(from, to);

  const result = await withRunUi({ config, configPath, noTui: values['no-tui'], json: values.json }, async ({ tracker, signal }) => {
    if (allDays.length === 0) tracker.log('warn', `no NYSE trading day between ${from} and ${to}`);
    if (symbols.length === 1) {
      const days = shardDays(tracker, shard, allDays, { dataset: 'options-greeks', symbol });
      return runGreeks({ lake, symbol, days, config, tracker, signal, force: values.force, version: VERSION });
    }
    // Sharded by (symbol, day): a shard reads a day's options-trades once for its symbols of that day.
    const plan = shard === undefined ? undefined
      : planShard(shard, allDays.flatMap((day) => symbols.map((s) => ({ dataset: 'options-greeks', day, symbol: s }))));
    if (plan !== undefined) announceShard(tracker, plan, 'symbol-days');
    return runGreeks({
      lake, symbol, symbols, days: allDays, config, tracker, signal, force: values.force, version: VERSION,
      ...(plan !== undefined ? { selectWork: (key: WorkKey) => plan.select(key) } : {}),
    });
  });
  for (const o of result.outcomes) {
    if (values.json) {
      process.stdout.write(JSON.stringify({ type: 'day', dataset: 'options-greeks', symbol: o.symbol ?? symbol, date: o.date, state: o.state, message: o.message, rows: o.rows, underlyingRows: o.underlyingRows, flags: o.flags, aggression: o.aggression, aggressionOff: o.aggressionOff }) + '\n');
    } else if (o.state === 'computed') {
      const flags = Object.entries(o.flags ?? {}).map(([name, n]) => `${name} ${n}`).join(', ');
      process.stderr.write(`${symbols.length > 1 ? `${o.symbol} ` : ''}${o.date}: ${o.message}; flags: ${flags}\n`);
    }
  }
  return result.exitCode;
}
