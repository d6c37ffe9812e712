/**
 * `gammaflow replay`: serves one lake day of a symbol as Massive's realtime feed on a local
 * WebSocket server (src/sources/replay/replay-server.ts fed by src/sources/replay/lake-feed.ts), so that
 * `gammaflow live --url ws://127.0.0.1:PORT` runs against history. Argument handling only; the
 * replay itself, its output and shutdown are src/sources/replay/run.ts. Exit 0 when the whole day
 * was replayed, 1 when stopped (Ctrl-C, SIGTERM) before the end or when the lake could not be read.
 */
import { parseCommand, requireDate, symbolOption } from './args.js';
import { UsageError, EXIT_OK, EXIT_FAILED } from './report.js';
import { lakeOption, loadCliConfig } from './common.js';
import { nyWallClockToUtcNs } from '../calendar/index.js';
import { runReplay } from '../sources/replay/run.js';

export const REPLAY_HELP = `gammaflow replay --symbol SYMBOL --date YYYY-MM-DD [options]

Serves one lake day of SYMBOL as Massive's realtime WebSocket feed (auth, subscribe, batched
JSON array frames with millisecond t, status messages) on 127.0.0.1: stock trades on /stocks,
option trades (and option quotes when the lake has them) on /options. Point the live pipeline
at it: gammaflow live --symbol SYMBOL --url ws://127.0.0.1:PORT --exit-on-close

The lake must hold the day's stocks-trades and options-trades (gammaflow run or ingest).
The first line printed is the server URL; the server stops once the day has been sent.

  --symbol SYMBOL        underlying (default: aggregations.symbol, SPY)
  --date DATE            the lake day to replay
  --speed S              1x (real time), 10x, 60x, ... or max (as fast as the client reads); default 1x
  --port P               TCP port; 0 (default) picks a free one
  --start HH:MM[:SS]     New York time: events before it are not sent (demos; features then differ)
  --api-key-any          accept any API key (default: MASSIVE_API_KEY when set, otherwise any)
  --lake DIR             lake directory (default: storage.lake, ./lake)
  --config FILE          config file (default ./config.toml); aggregations.option_roots join the options
  --json                 machine-readable lines on stdout

Exit code 0 when the whole day was sent, 1 when stopped before the end.`;

/** `10x`, `10`, `0.5x` → 10, 10, 0.5; `max` → 'max'. */
export function parseSpeed(text: string): number | 'max' {
  const t = text.trim().toLowerCase();
  if (t === 'max') return 'max';
  const m = /^(\d+(?:\.\d+)?)x?$/.exec(t);
  const n = m ? Number(m[1]) : Number.NaN;
  if (!(n > 0) || !Number.isFinite(n)) throw new UsageError(`--speed: expected 1x, 10x, ... or max, got "${text}"`);
  return n;
}

/** `HH:MM` or `HH:MM:SS` (New York wall clock) on `date` → epoch ns. */
export function parseStartTime(date: string, text: string): bigint {
  const m = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(text.trim());
  const [h, min, s] = m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : [NaN, NaN, NaN];
  if (!(h <= 23 && min <= 59 && s <= 59)) throw new UsageError(`--start: expected HH:MM or HH:MM:SS (New York), got "${text}"`);
  return nyWallClockToUtcNs(date, h, min, s);
}

function parsePort(text: string | undefined): number {
  if (text === undefined) return 0;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--port: expected 0–65535, got "${text}"`);
  return n;
}

export async function replayCommand(argv: string[]): Promise<number> {
  const { values } = parseCommand('replay', argv, {
    symbol: { type: 'string' }, date: { type: 'string' }, speed: { type: 'string' }, port: { type: 'string' },
    start: { type: 'string' }, 'api-key-any': { type: 'boolean', default: false }, lake: { type: 'string' },
    config: { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help) { process.stdout.write(REPLAY_HELP + '\n'); return EXIT_OK; }
  const date = requireDate('date', values.date);
  const speed = parseSpeed(values.speed ?? '1x');
  const port = parsePort(values.port);
  const startNs = values.start === undefined ? undefined : parseStartTime(date, values.start);
  const json = values.json;
  const { config } = await loadCliConfig(values.config, json);
  const symbol = symbolOption(values.symbol, config.aggregations.symbol);
  const lake = lakeOption(values.lake, config);
  const envKey = process.env.MASSIVE_API_KEY;
  const apiKey = values['api-key-any'] || envKey === undefined || envKey === '' ? undefined : envKey;
  const complete = await runReplay({
    lake, symbol, date, speed, port, json, ...(startNs !== undefined ? { startNs } : {}), ...(apiKey !== undefined ? { apiKey } : {}),
    optionRoots: config.aggregations.option_roots, duckdbMemoryLimit: config.storage.duckdb_memory_limit,
    progressIntervalMs: config.tui.plain_progress_interval_s * 1000,
  });
  return complete ? EXIT_OK : EXIT_FAILED;
}
