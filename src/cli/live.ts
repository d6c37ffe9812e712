/**
 * `gammaflow live`: parses the arguments and runs the live pipelines of one or several symbols
 * (src/live/run.ts) under the run UI. Exit codes: 0 when stopped (q / Ctrl-C) or at the end of
 * the stream; 2 when the key is missing or rejected; 1 on a fatal feed error.
 */
import { csvList, parseCommand, symbolOption } from './args.js';
import { EXIT_OK, UsageError } from './report.js';
import { localLakeOption, loadCliConfig } from './common.js';
import { withRunUi } from './run-ui.js';
import { VERSION } from './version.js';
import { parseWindow } from '../calendar/index.js';
import { runLive } from '../live/run.js';
import { ConfigError } from '../util/errors.js';

export const LIVE_HELP = `gammaflow live --symbol SYMBOL | --symbols LIST [options]

Streams SYMBOL's stock trades and its option trades (and quotes, for aggression) from Massive's
WebSocket feed, prices every option trade and emits each window's feature row when it closes
(watermark = latest event time − aggregations.allowed_lateness; a quiet feed closes windows on
the wall clock after aggregations.quiet_close_ms). Rows go to the lake
(LAKE/features/symbol=S/window=W/date=D/live-<run>-NNNNN.parquet, the day published as one
partition once all its windows closed), to /features/latest and /features/stream (SSE) on the
metrics server, and with --jsonl to stdout. The metrics server also serves the web dashboard
(METRICS_URL/#live: the charts filling in as windows close; docs/web.md).

  --symbol SYMBOL        underlying (default: aggregations.symbol, SPY)
  --symbols LIST         several underlyings in one process, e.g. SPY,QQQ: one T.* options stream,
                         stock trades T.<SYMBOL> each, one pipeline per symbol (rows as a run per
                         symbol would give); aggregations.option_roots count for aggregations.symbol
  --windows LIST         window sizes, e.g. 1m,5m (default: aggregations.windows)
  --url BASE             feed base URL (default: massive.ws_url, wss://socket.massive.com);
                         the client connects to BASE/stocks and BASE/options
  --exit-on-close        end when the server closes both streams (a replay's end), after
                         emitting every remaining window
  --jsonl                one JSON line per row on stdout (as gammaflow features --out x.jsonl)
  --all-quotes           subscribe to every option quote (Q.*) instead of a rolling set of
                         ≤ 1000 near-the-money contracts (replays only: Massive refuses it)
  --lake DIR             lake directory (default: storage.lake, ./lake); the events used are kept in
                         LAKE/realtime-*, what was missed in LAKE/realtime-ledger
  --no-finalize          do not finalize days automatically (live.finalize; never with --exit-on-close)
  --finalize-source SRC  flat files for the automatic finalize: s3 (default) or local:DIR
  --config FILE          config file (default ./config.toml)
  --no-tui               plain progress lines instead of the dashboard
  --json                 machine-readable progress (JSON lines on stdout)

API key: MASSIVE_API_KEY or [massive] api_key (never logged).
A connection attempt that fails is logged with its cause (at most one line per cluster per 10 s).
Exit code 0 when stopped (q / Ctrl-C, also while connecting or reconnecting) or at the end of the
stream; 2 when the key is missing or rejected; 1 on a fatal feed error.`;

export async function liveCommand(argv: string[]): Promise<number> {
  const { values } = parseCommand('live', argv, {
    symbol: { type: 'string' }, symbols: { type: 'string' }, windows: { type: 'string' }, url: { type: 'string' },
    'exit-on-close': { type: 'boolean', default: false }, jsonl: { type: 'boolean', default: false },
    'all-quotes': { type: 'boolean', default: false }, 'no-finalize': { type: 'boolean', default: false }, 'finalize-source': { type: 'string' },
    lake: { type: 'string' }, config: { type: 'string' },
    'no-tui': { type: 'boolean', default: false }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help) { process.stdout.write(LIVE_HELP + '\n'); return EXIT_OK; }
  if (values.json && values.jsonl) throw new UsageError('--json and --jsonl both write to stdout: use one of them');
  const windows = csvList(values.windows);
  for (const w of windows ?? []) {
    try { parseWindow(w); } catch (e) { throw new UsageError(`--windows: ${(e as Error).message}`); }
  }
  if (windows && new Set(windows.map((w) => parseWindow(w))).size !== windows.length) throw new UsageError('--windows: each window size once');
  const { config, path: configPath } = await loadCliConfig(values.config, values.json);
  if (values.symbol !== undefined && values.symbols !== undefined) throw new UsageError('--symbol and --symbols: use one of them');
  const symbols = values.symbols !== undefined
    ? (csvList(values.symbols) ?? []).map((s) => symbolOption(s, s))
    : [symbolOption(values.symbol, config.aggregations.symbol)];
  if (symbols.length === 0) throw new UsageError('--symbols: expected a comma-separated list of tickers, e.g. SPY,QQQ');
  const base = (values.url ?? config.massive.ws_url).replace(/\/+$/, '');
  if (!/^wss?:\/\//.test(base)) throw new UsageError(`--url: expected a ws:// or wss:// URL, got "${base}"`);
  const apiKey = config.massive.api_key;
  if (apiKey === undefined || apiKey === '') {
    throw new ConfigError('no Massive API key: set MASSIVE_API_KEY or [massive] api_key in the config file');
  }
  await withRunUi({ config, configPath, noTui: values['no-tui'] || values.jsonl, json: values.json, stopMessage: 'stopping: closing the feed; windows still open are not emitted, the day stays unpublished' }, (ctx) => runLive(ctx, {
    config, symbols, base, apiKey, lake: localLakeOption(values.lake, config, 'live'), exitOnClose: values['exit-on-close'],
    jsonl: values.jsonl, allQuotes: values['all-quotes'], ...(windows ? { windows } : {}),
    autoFinalize: config.live.finalize && !values['no-finalize'] && !values['exit-on-close'],
    finalizeSource: values['finalize-source'] ?? 's3', configPath, version: VERSION,
  }));
  return EXIT_OK;
}
