/**
 * `gammaflow replay`: serves one lake day of a symbol as Massive's realtime feed on a local
 * WebSocket server (src/sources/replay/replay-server.ts fed by src/sources/replay/lake-feed.ts), so that
 * `gammaflow live --url ws://127.0.0.1:PORT` runs against history. Argument handling, progress
 * lines and shutdown only.
 *
 * Output contract (scripts and tests rely on it): the first stdout line is the server URL
 * (`ws://127.0.0.1:PORT`, the real port when `--port 0`), or with `--json` a
 * `{"type":"listening","url":...}` line; progress goes to stderr (JSON lines on stdout with
 * `--json`); a summary ends the run. Exit 0 when the whole day was replayed, 1 when stopped
 * (Ctrl-C, SIGTERM) before the end or when the lake could not be read.
 */
import { parseCommand, requireDate, symbolOption } from './args.js';
import { UsageError, EXIT_OK, EXIT_FAILED } from './report.js';
import { lakeOption, loadCliConfig } from './common.js';
import { nyWallClockToUtcNs, utcMsToNyClock } from '../calendar/index.js';
import { LakeFeed } from '../sources/replay/lake-feed.js';
import { recoverIfIdle } from '../lake/recover-on-open.js';
import { startReplayServer, type ReplayClusterSummary, type ReplaySummary } from '../sources/replay/replay-server.js';
import { msOfNs } from '../formats/massive-ws/types.js';
import { LakeError, errorMessage } from '../util/errors.js';

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

/** Frame batching window at `--speed max`, ms of event time. */
const MAX_SPEED_BATCH_WINDOW_MS = 60_000;

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

/** Passes (chunks of) records at or after `fromNs` (all when undefined); remembers the latest event time read. */
async function* fromTime<T extends { readonly sipTimestampNs: bigint }>(chunks: AsyncIterable<readonly T[]>, fromNs: bigint | undefined,
  seen: { lastEventNs: bigint | undefined }): AsyncGenerator<readonly T[]> {
  for await (const chunk of chunks) {
    const kept = fromNs === undefined ? chunk : chunk.filter((r) => r.sipTimestampNs >= fromNs);
    for (const r of kept) if (seen.lastEventNs === undefined || r.sipTimestampNs > seen.lastEventNs) seen.lastEventNs = r.sipTimestampNs;
    if (kept.length > 0) yield kept;
  }
}

function nyClock(ns: bigint | undefined): string {
  if (ns === undefined) return '--:--:--';
  return utcMsToNyClock(msOfNs(ns));
}


const count = (n: number): string => n.toLocaleString('en-US');
const clusterLine = (c: ReplayClusterSummary): string => `${count(c.sent)} sent of ${count(c.read)} read, ${count(c.frames)} frames`;

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

  const say = (type: string, message: string, extra: Record<string, unknown> = {}): void => {
    if (json) process.stdout.write(JSON.stringify({ type, message, ...extra }) + '\n');
    else process.stderr.write(`${message}\n`);
  };

  for (const action of (await recoverIfIdle(lake))?.actions ?? []) say('log', action);
  const feed = await LakeFeed.open(lake, { threads: 2, memoryLimit: config.storage.duckdb_memory_limit });
  try {
    const contents = await feed.contents(date);
    const absent = [contents.stocksTrades ? '' : 'stocks-trades', contents.optionsTrades ? '' : 'options-trades'].filter((d) => d !== '');
    if (absent.length > 0) {
      throw new LakeError(`no ${absent.join(' or ')} partition for ${date} in ${lake}; run gammaflow run --symbol ${symbol} --from ${date} --to ${date} first`,
        { lake, date });
    }
    const seen = { lastEventNs: undefined as bigint | undefined };
    const selection = { underlying: symbol, extraRoots: config.aggregations.option_roots };
    const server = await startReplayServer({
      // Real-time replays batch per millisecond as the feed does; a max-speed replay fills frames
      // (up to 1000 events within one minute of event time) since no pacing is kept anyway.
      port, speed, batchWindowMs: speed === 'max' ? MAX_SPEED_BATCH_WINDOW_MS : 0, ...(apiKey !== undefined ? { apiKey } : {}),
      stocks: fromTime(feed.stockTradeChunks(date, symbol), startNs, seen),
      options: fromTime(feed.optionRecordChunks(date, selection), startNs, seen),
      onLog: (level, message) => say('log', message, { level }),
    });
    if (json) process.stdout.write(JSON.stringify({ type: 'listening', url: server.url, symbol, date, speed }) + '\n');
    else process.stdout.write(server.url + '\n');
    say('info', `replay ${symbol} ${date} at ${speed === 'max' ? 'max speed' : `${speed}x`}: stocks trades on ${server.url}/stocks, `
      + `option trades${contents.optionsQuotes ? ' and quotes' : ''} on ${server.url}/options`
      + `${apiKey !== undefined ? ' (key: MASSIVE_API_KEY)' : ' (any API key)'}; waiting for subscriptions`);

    let stopped = false;
    const stop = (): void => {
      if (stopped) return;
      stopped = true;
      say('info', 'stopping: closing every connection');
      void server.close();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    const started = Date.now();
    const intervalMs = config.tui.plain_progress_interval_s * 1000;
    const ticker = setInterval(() => {
      const p = server.progress();
      say('progress', `replay ${nyClock(seen.lastEventNs)} New York: stocks ${clusterLine(p.stocks)}; options ${clusterLine(p.options)}`,
        { eventTimeNs: seen.lastEventNs?.toString() ?? null, stocks: p.stocks, options: p.options });
    }, intervalMs);
    ticker.unref();

    let summary: ReplaySummary;
    let failed: unknown;
    try {
      summary = await server.finished;
      // Let every client read what was sent before the server goes: a client reading behind
      // still has the end of the day in flight, and closing now would cut it off.
      if (!stopped) await server.idle(() => stopped);
    } catch (e) {
      failed = e;
      summary = server.progress();
    } finally {
      clearInterval(ticker);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      await server.close();
    }
    const seconds = (Date.now() - started) / 1000;
    const complete = failed === undefined && !stopped;
    const verdict = failed !== undefined ? `failed: ${errorMessage(failed)}` : stopped ? 'stopped before the end of the day' : 'day replayed';
    if (json) {
      process.stdout.write(JSON.stringify({ type: 'summary', complete, verdict, seconds, stocks: summary.stocks, options: summary.options }) + '\n');
    } else {
      process.stderr.write(`replay ${symbol} ${date}: ${verdict} in ${seconds.toFixed(1)} s; stocks ${clusterLine(summary.stocks)}; `
        + `options ${clusterLine(summary.options)}\n`);
    }
    return complete ? EXIT_OK : EXIT_FAILED;
  } finally {
    feed.close();
  }
}
