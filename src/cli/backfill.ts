/** `gammaflow backfill`: one symbol's ticks from Massive's REST API → the Parquet lake. Argument handling only. */
import { parseCommand, csvList, requireDateRange, symbolOption } from './args.js';
import { UsageError, EXIT_OK } from './report.js';
import { lakeOption, loadCliConfig } from './common.js';
import { withRunUi } from './run-ui.js';
import { datasetByName, type DatasetSpec } from '../formats/datasets.js';
import { NyseCalendar } from '../calendar/index.js';
import { calendarOverrides } from '../config/index.js';
import { backfillWithConfig } from '../backfill/from-config.js';
import { VERSION } from './version.js';
import { SHARD_HELP, SHARD_OPTIONS, shardOption } from './shard-args.js';
import { planShard, type WorkKey } from '../jobs/shard.js';
import { announceShard } from '../jobs/shard-progress.js';

const BACKFILL_DATASETS = ['stocks-trades', 'options-trades', 'options-quotes'];

export const BACKFILL_HELP = `gammaflow backfill --symbol SYMBOL --from YYYY-MM-DD --to YYYY-MM-DD [options]

Fetches SYMBOL's ticks of those days from Massive's REST API into the lake, with the same datasets and
columns as gammaflow ingest (manifest source "rest"): stock trades of SYMBOL, and the trades (and quotes)
of every option contract of SYMBOL listed that day. For days whose flat files are not published yet
(before ~11:00 ET the next trading day); gammaflow ingest replaces them once they are. Resumable: rerun
after a stop or a crash fetches only what is missing.

  --symbol SYMBOL        underlying (default: aggregations.symbol, SPY)
  --from, --to DATE      trading days in this range (NYSE calendar; holidays are skipped)
  --datasets LIST        ${BACKFILL_DATASETS.join(', ')} (default: stocks-trades,options-trades)
  --lake DIR             lake directory (default: storage.lake, ./lake)
  --force                fetch again, and replace days already in the lake from flat files
${SHARD_HELP}
  --config FILE          config file (default ./config.toml)
  --no-tui               plain progress lines instead of the dashboard
  --json                 machine-readable progress and results (JSON lines on stdout)

API key: MASSIVE_API_KEY or [massive] api_key (never logged). Limits: [massive] rest_requests_per_second,
rest_concurrency. Exit code 0 when every day was backfilled or already there.`;

export async function backfillCommand(argv: string[]): Promise<number> {
  const { values } = parseCommand('backfill', argv, {
    symbol: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, datasets: { type: 'string' },
    lake: { type: 'string' }, config: { type: 'string' },
    force: { type: 'boolean', default: false }, 'no-tui': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' }, ...SHARD_OPTIONS,
  });
  if (values.help) { process.stdout.write(BACKFILL_HELP + '\n'); return EXIT_OK; }
  const shard = shardOption(values);
  const names = csvList(values.datasets) ?? ['stocks-trades', 'options-trades'];
  const datasets: DatasetSpec[] = names.map((n) => {
    const d = datasetByName(n);
    if (!d || !BACKFILL_DATASETS.includes(n)) throw new UsageError(`backfill: unknown dataset "${n}"; known: ${BACKFILL_DATASETS.join(', ')}`);
    return d;
  });
  const { from, to } = requireDateRange(values);
  const { config, path: configPath } = await loadCliConfig(values.config, values.json);
  const symbol = symbolOption(values.symbol, config.aggregations.symbol);
  const lake = lakeOption(values.lake, config);
  const days = new NyseCalendar(calendarOverrides(config.calendar)).tradingDays(from, to);
  const result = await withRunUi({ config, configPath, noTui: values['no-tui'], json: values.json,
    stopMessage: 'stopping: nothing half-published; the pages fetched so far are kept, rerun to resume' }, async ({ tracker, signal }) => {
    if (days.length === 0) tracker.log('warn', `no NYSE trading day between ${from} and ${to}`);
    // The backfill's units of work are (dataset, day) of one symbol (backfill/run.ts): the same keys here.
    const plan = shard === undefined ? undefined : planShard(shard, datasets.flatMap((d) => days.map((day) => ({ dataset: d.name, day, symbol }))));
    if (plan !== undefined) announceShard(tracker, plan, '(dataset, day) items');
    const r = await backfillWithConfig({
      config, symbol, days, datasets, lake, force: values.force, tracker, signal, version: VERSION,
      ...(plan !== undefined ? { selectWork: (key: WorkKey) => plan.select(key) } : {}),
    });
    const totals = r.progress.totals;
    for (const o of r.outcomes) {
      if (values.json) process.stdout.write(JSON.stringify({ type: 'day', dataset: o.dataset, date: o.date, state: o.state, message: o.message, rows: o.entry?.rows, files: o.entry?.files.length, source: 'rest' }) + '\n');
      else if (o.state !== 'failed') tracker.log('info', `${o.dataset} ${o.date}: ${o.state}: ${o.message}`);
    }
    const line = `REST: ${totals.requests} request(s), ${totals.pages} page(s), ${totals.rows} row(s) fetched, ${totals.rateLimited} answered 429, ${totals.retries} retried`;
    if (values.json) process.stdout.write(JSON.stringify({ type: 'rest', ...totals }) + '\n');
    else tracker.log('info', line);
    return r;
  });
  return result.exitCode;
}
