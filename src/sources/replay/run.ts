/**
 * A replay of one lake day of a symbol as Massive's realtime feed: the lake feed (lake-feed.ts)
 * read into the replay server (replay-server.ts) on 127.0.0.1, with progress lines and a summary,
 * until the day is sent and read or the process is stopped (SIGINT, SIGTERM).
 *
 * Output contract (scripts and tests rely on it): the first stdout line is the server URL
 * (`ws://127.0.0.1:PORT`, the real port when port 0), or with `json` a
 * `{"type":"listening","url":...}` line; progress goes to stderr (JSON lines on stdout with
 * `json`); a summary ends the run.
 */
import { utcMsToNyClock } from '../../calendar/index.js';
import { msOfNs } from '../../formats/massive-ws/types.js';
import { recoverIfIdle } from '../../lake/recover-on-open.js';
import { LakeError, errorMessage } from '../../util/errors.js';
import { LakeFeed } from './lake-feed.js';
import { startReplayServer, type ReplayClusterSummary, type ReplaySummary } from './replay-server.js';

/** Frame batching window at `--speed max`, ms of event time. */
const MAX_SPEED_BATCH_WINDOW_MS = 60_000;

export interface ReplayRequest {
  readonly lake: string;
  readonly symbol: string;
  readonly date: string;
  /** Event-time speed-up, or as fast as the clients read. */
  readonly speed: number | 'max';
  /** TCP port; 0 picks a free one. */
  readonly port: number;
  /** Events before this instant (epoch ns) are not sent. */
  readonly startNs?: bigint;
  /** The one key accepted; any key when undefined. */
  readonly apiKey?: string;
  /** Roots whose options join the symbol's. */
  readonly optionRoots: readonly string[];
  readonly duckdbMemoryLimit: string;
  readonly progressIntervalMs: number;
  readonly json: boolean;
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

/** Replays the day; true when all of it was sent and read, false when stopped or failed. */
export async function runReplay(r: ReplayRequest): Promise<boolean> {
  const { lake, symbol, date, speed, port, json, apiKey } = r;
  const startNs = r.startNs;
  const say = (type: string, message: string, extra: Record<string, unknown> = {}): void => {
    if (json) process.stdout.write(JSON.stringify({ type, message, ...extra }) + '\n');
    else process.stderr.write(`${message}\n`);
  };

  for (const action of (await recoverIfIdle(lake))?.actions ?? []) say('log', action);
  const feed = await LakeFeed.open(lake, { threads: 2, memoryLimit: r.duckdbMemoryLimit });
  try {
    const contents = await feed.contents(date);
    const absent = [contents.stocksTrades ? '' : 'stocks-trades', contents.optionsTrades ? '' : 'options-trades'].filter((d) => d !== '');
    if (absent.length > 0) {
      throw new LakeError(`no ${absent.join(' or ')} partition for ${date} in ${lake}; run gammaflow run --symbol ${symbol} --from ${date} --to ${date} first`,
        { lake, date });
    }
    const seen = { lastEventNs: undefined as bigint | undefined };
    const selection = { underlying: symbol, extraRoots: r.optionRoots };
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
    const intervalMs = r.progressIntervalMs;
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
    return complete;
  } finally {
    feed.close();
  }
}
