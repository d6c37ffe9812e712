/**
 * `gammaflow live`: the realtime pipeline of one symbol on Massive's WebSocket feed (or a replay
 * of the lake speaking the same protocol). Two connections, one per cluster:
 *
 *   BASE/stocks   `T.<SYMBOL>`                       stock trades of the symbol
 *   BASE/options  `T.*`                              every option trade, kept when its root maps
 *                                                    to the symbol (Massive has no per-root topic)
 *                 `Q.<contract>` × ≤ 1000, rolling   quotes for aggression (contracts.ts), or
 *                 `Q.*` with --all-quotes            (replays only: Massive refuses quote wildcards)
 *
 * Events → LivePipeline (merger, enrichment, quote book, feature engine) → rows → the lake
 * (src/sinks/lake.ts), `--jsonl` stdout lines, and /features/latest + /features/stream
 * on the metrics server. The dashboard's extras show connection state, msgs/s, lag (now − event
 * time), the last window emitted per size, late and dropped counts; the same numbers are
 * Prometheus gauges (gammaflow_live_*).
 *
 * Ending: `q`/Ctrl-C stops the run (open windows are not emitted, rows so far are in the lake's
 * live files; exit 0, also while the feed is still connecting or reconnecting). With --exit-on-close a clean close of both streams by the server (the end
 * of a replay) emits every remaining window, publishes the closed days and exits 0. A fatal feed
 * error (max_connections, reconnects exhausted) exits 1; a rejected API key exits 2.
 */
import { randomBytes } from 'node:crypto';
import { csvList, parseCommand, symbolOption } from './args.js';
import { EXIT_OK, UsageError } from './report.js';
import { localLakeOption, loadCliConfig } from './common.js';
import { withRunUi, type RunUiContext } from './run-ui.js';
import { NyseCalendar, parseWindow, nyDateOfNs, utcMsToNyClock } from '../calendar/index.js';
import { epochDayOf } from '../calendar/civilDate.js';
import { calendarOverrides } from '../config/index.js';
import type { Config } from '../config/schema.js';
import type { FeatureRow } from '../features/row.js';
import { featurePolicy } from '../features/policy.js';
import { underlyingOfRoot } from '../formats/opra.js';
import { MassiveFeedClient } from '../sources/massive-ws/client.js';
import type { FeedGap, FeedStats } from '../sources/massive-ws/feed-types.js';
import { LiveGapFiller } from '../live/gap-filler.js';
import { eventTimeNs } from '../live/merger.js';
import { restClientFromConfig } from '../sources/rest/from-config.js';
import { RollingContractSet } from '../live/contracts.js';
import { JsonlSink } from '../sinks/jsonl.js';
import { LakeFeatureSink } from '../sinks/lake.js';
import { FeatureStreamHub } from '../sinks/sse.js';
import { LivePipeline, type RowEmission } from '../live/pipeline.js';
import type { FeedCluster } from '../formats/massive-ws/types.js';
import { registerPullGauge } from '../observe/metrics.js';
import { attachWebApp } from '../web/live.js';
import { recoverIfIdle } from '../lake/recover-on-open.js';
import { LiveRecorder, type RecorderCounters } from '../live/recorder.js';
import { AutoFinalize } from '../live/auto-finalize.js';
import { FinalizeSchedule } from '../live/finalize-schedule.js';
import { publishedFeaturePartition } from '../features/output.js';
import { parseDuration } from '../calendar/durations.js';
import { VERSION } from './version.js';
import { ConfigError, FeedError, errorMessage } from '../util/errors.js';
import { readTreasuryYields } from '../options/rates/treasury-store.js';

export const LIVE_HELP = `gammaflow live --symbol SYMBOL [options]

Streams SYMBOL's stock trades and its option trades (and quotes, for aggression) from Massive's
WebSocket feed, prices every option trade and emits each window's feature row when it closes
(watermark = latest event time − aggregations.allowed_lateness; a quiet feed closes windows on
the wall clock after aggregations.quiet_close_ms). Rows go to the lake
(LAKE/features/symbol=S/window=W/date=D/live-<run>-NNNNN.parquet, the day published as one
partition once all its windows closed), to /features/latest and /features/stream (SSE) on the
metrics server, and with --jsonl to stdout. The metrics server also serves the web dashboard
(METRICS_URL/#live: the charts filling in as windows close; docs/web.md).

  --symbol SYMBOL        underlying (default: aggregations.symbol, SPY)
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
    symbol: { type: 'string' }, windows: { type: 'string' }, url: { type: 'string' },
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
  const symbol = symbolOption(values.symbol, config.aggregations.symbol);
  const base = (values.url ?? config.massive.ws_url).replace(/\/+$/, '');
  if (!/^wss?:\/\//.test(base)) throw new UsageError(`--url: expected a ws:// or wss:// URL, got "${base}"`);
  const apiKey = config.massive.api_key;
  if (apiKey === undefined || apiKey === '') {
    throw new ConfigError('no Massive API key: set MASSIVE_API_KEY or [massive] api_key in the config file');
  }
  return withRunUi({ config, configPath, noTui: values['no-tui'] || values.jsonl, json: values.json, stopMessage: 'stopping: closing the feed; windows still open are not emitted, the day stays unpublished' }, (ctx) => runLive(ctx, {
    config, symbol, base, apiKey, lake: localLakeOption(values.lake, config, 'live'), exitOnClose: values['exit-on-close'],
    jsonl: values.jsonl, allQuotes: values['all-quotes'], ...(windows ? { windows } : {}),
    autoFinalize: config.live.finalize && !values['no-finalize'] && !values['exit-on-close'],
    finalizeSource: values['finalize-source'] ?? 's3', configPath,
  }));
}

interface LiveRequest {
  readonly config: Config;
  readonly symbol: string;
  readonly base: string;
  /** Never logged. */
  readonly apiKey: string;
  readonly lake: string;
  readonly exitOnClose: boolean;
  readonly jsonl: boolean;
  readonly allQuotes: boolean;
  readonly windows?: readonly string[];
  /** Finalize each day with prelim rows once its flat files are published (a long-running run). */
  readonly autoFinalize: boolean;
  readonly finalizeSource: string;
  readonly configPath: string | undefined;
}

/** Wall-clock periods of the run's housekeeping, ms. */
const TICK_MS = 250;
const DASHBOARD_MS = 1_000;
const LAKE_FLUSH_MS = 60_000;

/** A lag for people: ms below 10 s, then s, min, h. */
function formatLag(ms: number | undefined): string {
  if (ms === undefined) return '–';
  if (Math.abs(ms) < 10_000) return `${ms} ms`;
  if (Math.abs(ms) < 600_000) return `${(ms / 1000).toFixed(1)} s`;
  if (Math.abs(ms) < 36_000_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

/**
 * One cluster's connection for the dashboard: `stocks streaming`, or while it is not streaming,
 * the failed attempts and the last cause: `options reconnecting (3 failed attempts; last: connection refused (ECONNREFUSED 127.0.0.1:9))`.
 */
export function connectionState(cluster: string, f: Pick<FeedStats, 'state' | 'failedAttempts' | 'lastError'>): string {
  if (f.state === 'streaming' || f.lastError === undefined) return `${cluster} ${f.state}`;
  const attempts = f.failedAttempts > 0 ? `${f.failedAttempts} failed attempt${f.failedAttempts === 1 ? '' : 's'}; ` : '';
  return `${cluster} ${f.state} (${attempts}last: ${f.lastError})`;
}

/** New York wall-clock time of an instant, `09:35:00` (windows are on the New York session grid). */
function clockOfNs(ns: bigint): string {
  return utcMsToNyClock(Number(ns / 1_000_000n));
}

async function runLive(ctx: RunUiContext, req: LiveRequest): Promise<number> {
  const { tracker, metrics, signal } = ctx;
  const { config, symbol } = req;
  const runId = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const calendar = new NyseCalendar(calendarOverrides(config.calendar));
  const aggression = config.aggregations.aggression;
  const log = (level: 'debug' | 'info' | 'warn' | 'error', message: string): void => { if (level !== 'debug') tracker.log(level, message); };
  tracker.startRun({ command: 'live', daysTotal: 0, filesTotal: 0 });
  for (const action of (await recoverIfIdle(req.lake))?.actions ?? []) log('warn', action);

  const windowLabels = req.windows ?? config.aggregations.windows;
  const policies = new Map(windowLabels.map((window) => [window, featurePolicy({ aggregations: config.aggregations, window, session: config.aggregations.session, aggression })]));
  const lake = new LakeFeatureSink({
    lake: req.lake, symbol, runId, aggression, policies, rowGroupRows: config.storage.row_group_rows, zstdLevel: config.storage.zstd_level, onLog: log,
  });
  const jsonl = req.jsonl ? new JsonlSink(process.stdout, { aggression, onLog: log }) : undefined;
  const treasuryYields = config.aggregations.risk_free_rate === 'treasury' ? await readTreasuryYields(req.lake) : undefined;
  if (treasuryYields !== undefined && treasuryYields.length === 0) {
    throw new ConfigError(`risk_free_rate = "treasury" but ${req.lake} holds no Treasury yields: run gammaflow rates --from <a week ago> --to <today> first`, { key: 'aggregations.risk_free_rate' });
  }
  const pipeline = new LivePipeline({
    symbol, aggregations: config.aggregations, calendar, aggression, startMs: Date.now(),
    ...(treasuryYields ? { treasuryYields } : {}),
    ...(req.windows ? { windows: req.windows } : {}),
    onRow: (row: FeatureRow, emission: RowEmission) => {
      lake.add(row, emission);
      jsonl?.add(row, emission);
      web?.session.addRow(row);
      hub.add(row, emission);
    },
    onOptionTrade: (trade, greeks, side) => web?.session.addTrade(symbol, trade, greeks, side),
  });
  // A run started mid-session emits the day's earlier (empty) windows at once: ~5 kB per row, 2.5 MB for a day of
  // 1m/5m/15m/30m rows, written in one tick. The per-client cap leaves room for that burst so a dashboard that is
  // already connected is not dropped as a slow reader.
  const hub = new FeatureStreamHub({ aggression, windows: pipeline.windowLabels, onLog: log, maxClientBufferedBytes: 8 * 1024 * 1024 });
  hub.attach(metrics);
  const web = metrics.enabled
    ? await attachWebApp(metrics, { config, lake: req.lake, symbols: [symbol], windows: pipeline.windowLabels, aggression, tracker })
    : undefined;
  if (metrics.enabled) {
    tracker.log('info', `feature rows at ${metrics.url}/features/latest and ${metrics.url}/features/stream (SSE)${web ? `; dashboard at ${metrics.url}/#live` : ''}`);
  }

  const schedule = new FinalizeSchedule({
    calendar, publishHourEt: config.ingest.publish_hour_et,
    retryMinMs: parseDuration(config.live.finalize_retry_min), retryMaxMs: parseDuration(config.live.finalize_retry_max),
  });
  const autoFinalize = req.autoFinalize ? new AutoFinalize({
    schedule, log,
    argsFor: (date) => ['finalize', '--symbol', symbol, '--from', date, '--to', date, '--lake', req.lake, '--source', req.finalizeSource,
      '--windows', windowLabels.join(','), '--no-tui', ...(req.configPath !== undefined ? ['--config', req.configPath] : [])],
  }) : undefined;
  if (autoFinalize !== undefined) {
    // The previous trading day may hold prelim rows of an earlier run.
    const previous = calendar.previousTradingDay(nyDateOfNs(BigInt(Date.now()) * 1_000_000n));
    if ((await publishedFeaturePartition(req.lake, symbol, windowLabels[0]!, previous))?.quality === 'prelim') schedule.noteDay(previous);
  }
  const recorder = await LiveRecorder.open({
    lake: req.lake, runId, symbol, zstdLevel: config.storage.zstd_level, version: VERSION, onLog: log,
    compaction: { rowGroupRows: config.storage.row_group_rows, fileSizeTargetBytes: config.storage.file_size_mb_target * 1024 * 1024 },
  });
  if (recorder.restartGap !== undefined) {
    const g = recorder.restartGap;
    log('warn', `realtime ${g.date}: no events recorded for ${formatLag(g.toMs - g.fromMs)} before this run (${g.reason === 'process_restart' ? 'the previous run was killed' : 'live was not running'}); the gap is in the ledger, finalize fills it from the flat files`);
  }
  const quoteTopics = aggression && req.allQuotes ? ['Q.*'] : [];
  const contracts = aggression && !req.allQuotes ? new RollingContractSet() : undefined;
  // After a reconnect, the disconnected interval's trades come from REST (gap-filler.ts).
  const gapFiller = config.massive.gap_fill
    ? new LiveGapFiller({ client: restClientFromConfig(config), symbol, log, signal, ...(contracts ? { quotedTickers: () => contracts.current } : {}) })
    : undefined;
  const clientOptions = { apiKey: req.apiKey, exitOnClose: req.exitOnClose, onLog: log };
  const onGap = (cluster: FeedCluster) => (gap: FeedGap): void => {
    recorder.gap(cluster, gap);
    if (gapFiller) gapFiller.onGap(cluster, gap);
    else log('warn', `${cluster} feed gap of ${gap.toMs - gap.fromMs} ms (${gap.reason}): events in it are missing ([massive] gap_fill = false)`);
  };
  const clients: Record<FeedCluster, MassiveFeedClient> = {
    stocks: new MassiveFeedClient({ ...clientOptions, onGap: onGap('stocks'), url: `${req.base}/stocks`, topics: [`T.${symbol}`] }),
    options: new MassiveFeedClient({ ...clientOptions, onGap: onGap('options'), url: `${req.base}/options`, topics: ['T.*', ...quoteTopics] }),
  };
  const recorderCounters = (): RecorderCounters => {
    const s = pipeline.stats();
    return {
      droppedByCluster: { stocks: clients.stocks.stats().dropped, options: clients.options.stats().dropped },
      late: s.late, lateDropped: s.lateDropped, lateRevised: s.lateRevised, maxEventTimeNs: s.maxEventTimeNs,
    };
  };
  const flushRecorder = (): void => {
    recorder.flush(recorderCounters()).catch((e: unknown) => log('error', `keeping realtime events in the lake failed: ${errorMessage(e)}`));
  };
  const clusters: FeedCluster[] = ['stocks', 'options'];
  const closeClients = (): void => { for (const c of clusters) clients[c].close(); };
  let spot = Number.NaN;
  /** Trades the feed marked with a correction (`e`): left out by the engine unless include_corrections. */
  let corrections = 0;

  registerLiveGauges(ctx, clients, pipeline, { jsonl, hub });
  let forcedLogged = 0;
  const refreshDashboard = (): void => {
    const s = pipeline.stats();
    if (s.forcedReleases > forcedLogged) {
      forcedLogged = s.forcedReleases;
      log('warn', `merger full: ${s.forcedReleases} events released before the watermark reached them (one cluster runs far ahead); the slower cluster's older events will be late`);
    }
    const feeds = clusters.map((c) => [c, clients[c].stats()] as const);
    tracker.setExtra('connection', feeds.map(([c, f]) => connectionState(c, f)).join(', '));
    tracker.setExtra('msgs/s', Math.round(feeds.reduce((n, [, f]) => n + f.eventsPerSecond, 0)));
    tracker.setExtra('lag', feeds.map(([c, f]) => `${c} ${formatLag(f.lagMs)}`).join(', '));
    for (const [window, start] of s.lastWindowStartNs) tracker.setExtra(`last ${window}`, clockOfNs(start));
    tracker.setExtra('late', `${s.late} (${s.lateDropped} dropped, ${s.lateRevised} revised)`);
    tracker.setExtra('dropped', `feed ${feeds.reduce((n, [, f]) => n + f.dropped, 0)}, jsonl ${jsonl?.dropped ?? 0}, sse clients ${hub.stats().droppedClients}`
      + (s.forcedReleases > 0 ? `, released early ${s.forcedReleases}` : ''));
    tracker.setExtra('rows', s.rowsEmitted);
    if (contracts !== undefined) tracker.setExtra('quoted contracts', contracts.current.size);
    const kept = recorder.stats();
    tracker.setExtra('corrections', corrections);
    if (autoFinalize !== undefined) tracker.setExtra('finalize', autoFinalize.status());
    tracker.setExtra('kept events', `${Object.values(kept.kept).reduce((n, k) => n + k, 0)} (${kept.duplicatesSkipped} duplicates skipped)`);
  };

  let publishing: Promise<void> = Promise.resolve();
  const publishClosed = (): void => {
    publishing = publishing.then(async () => {
      // Closed days first (their pending rows go straight into the published partition), then live files for the rest.
      for (const date of await lake.publishClosedDays(pipeline.openDates())) schedule.noteDay(date);
      await lake.flush();
      autoFinalize?.check();
    }).catch((e: unknown) => log('error', `writing features to the lake failed: ${errorMessage(e)}`));
  };
  const rollContracts = (nowMs: number): void => {
    if (contracts === undefined || !(spot > 0)) return;
    const maxTime = pipeline.stats().maxEventTimeNs;
    if (maxTime === undefined) return;
    const change = contracts.update(spot, epochDayOf(nyDateOfNs(maxTime)), nowMs);
    if (change === undefined) return;
    const options = clients.options;
    options.unsubscribe(change.unsubscribe.map((t) => `Q.${t}`));
    options.subscribe(change.subscribe.map((t) => `Q.${t}`)).catch((e: unknown) => log('warn', `quote subscription: ${errorMessage(e)}`));
    log('info', `quotes: ${contracts.current.size} contracts near ${spot} (+${change.subscribe.length} −${change.unsubscribe.length})`);
  };

  const tick = setInterval(() => {
    const now = Date.now();
    pipeline.tick(now);
    rollContracts(now);
  }, TICK_MS);
  const dashboard = setInterval(refreshDashboard, DASHBOARD_MS);
  const flusher = setInterval(publishClosed, LAKE_FLUSH_MS);
  const eventFlusher = setInterval(flushRecorder, Math.max(10, parseDuration(config.live.flush_interval)));
  const onAbort = (): void => closeClients();
  signal.addEventListener('abort', onAbort);

  const consume = async (cluster: FeedCluster): Promise<void> => {
    // Whatever has arrived, a batch at a time: one await and one clock read per batch.
    for await (const batch of clients[cluster].batches()) {
      // The gap ends at the first event after the reconnect (older ones may still sit in the queue).
      const lastMs = gapFiller?.hasPending(cluster) ? gapFiller.lastEventBeforeGapMs(cluster) : undefined;
      const firstAfter = gapFiller?.hasPending(cluster) ? batch.find((e) => lastMs === undefined || eventTimeNs(e) / 1_000_000n > BigInt(lastMs)) : undefined;
      if (gapFiller !== undefined && firstAfter !== undefined) {
        // The gap's trades first, in event order; this cluster is not read meanwhile, which holds the watermark.
        const filled = await gapFiller.fill(cluster, Number(eventTimeNs(firstAfter) / 1_000_000n));
        const lateBefore = pipeline.stats().late;
        const filledAtNs = BigInt(Date.now()) * 1_000_000n;
        for (const event of filled) {
          pipeline.push(cluster, event, Date.now());
          // The filled trades are kept with the others: they are what live used.
          if (event.kind === 'stockTrade') recorder.add({ dataset: 'realtime-stocks-trades', event: event.trade, receivedAtNs: filledAtNs });
          else if (event.kind === 'optionTrade') recorder.add({ dataset: 'realtime-options-trades', event: event.trade, receivedAtNs: filledAtNs });
        }
        const late = pipeline.stats().late - lateBefore;
        const outcome = gapFiller.lastResult;
        if (outcome !== undefined) {
          recorder.gapFill(outcome, late);
          if (outcome.trades > 0) lake.noteRestFill(outcome.fromMs, outcome.toMs);
        }
        if (late > 0) log('warn', `${cluster} gap: ${late} of ${filled.length} filled trade(s) were behind the watermark (windows already emitted; late_policy = ${config.aggregations.late_policy})`);
      }
      const now = Date.now();
      const receivedAtNs = BigInt(now) * 1_000_000n;
      for (const event of batch) {
        if (event.kind === 'stockTrade') {
          if (event.trade.sym === symbol) {
            if (event.trade.correction !== 0) corrections++;
            else spot = event.trade.price;
            recorder.add({ dataset: 'realtime-stocks-trades', event: event.trade, receivedAtNs });
          }
        } else if (event.kind === 'optionTrade') {
          const t = event.trade;
          if (underlyingOfRoot(t.root) === symbol || config.aggregations.option_roots.includes(t.root)) {
            if (t.correction !== 0) corrections++;
            contracts?.addContract(t);
            gapFiller?.noteOptionTicker(t.ticker);
            recorder.add({ dataset: 'realtime-options-trades', event: t, receivedAtNs });
          }
        } else {
          recorder.add({ dataset: 'realtime-options-quotes', event: event.quote, receivedAtNs });
        }
        pipeline.push(cluster, event, now);
      }
    }
    pipeline.endCluster(cluster, Date.now());
  };

  try {
    try {
      await Promise.all(clusters.map((c) => clients[c].start()));
    } catch (e) {
      // q / Ctrl-C before both streams were up (e.g. while reconnecting to a feed that is down): a normal stop.
      if (signal.aborted) {
        tracker.log('warn', `stopped before the feed at ${req.base} was streaming; no row was emitted`);
        return EXIT_OK;
      }
      if (e instanceof FeedError && e.code === 'auth_failed') {
        throw new ConfigError(`${e.message}: the feed at ${req.base} rejected the API key (MASSIVE_API_KEY / [massive] api_key)`, {}, { cause: e });
      }
      throw e;
    }
    tracker.log('info', `live ${symbol}: streaming from ${req.base} (stocks T.${symbol}; options T.*${quoteTopics.length > 0 ? ', Q.*' : contracts ? ', rolling quotes' : ''}); windows ${pipeline.windowLabels.join(', ')}`);
    const results = await Promise.allSettled(clusters.map((c) => consume(c)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) {
      closeClients();
      throw failed.reason;
    }
    if (signal.aborted) {
      tracker.log('warn', 'stopped: windows still open are not emitted; rows so far are in the lake\'s live files');
    } else {
      pipeline.finish();
      tracker.log('info', 'the feed closed the streams: every remaining window emitted');
      // The stream is over: its days are complete, their realtime tables are compacted.
      await recorder.flush(recorderCounters());
      await recorder.compactAll();
    }
    return EXIT_OK;
  } finally {
    clearInterval(tick);
    clearInterval(dashboard);
    clearInterval(flusher);
    clearInterval(eventFlusher);
    signal.removeEventListener('abort', onAbort);
    closeClients();
    await recorder.close(recorderCounters(), signal.aborted ? 'stopped' : 'stream_closed')
      .catch((e: unknown) => log('error', `keeping realtime events in the lake failed: ${errorMessage(e)}`));
    publishClosed();
    await publishing;
    await autoFinalize?.close();
    refreshDashboard();
    hub.close();
    await web?.close();
    const s = pipeline.stats();
    const l = lake.stats();
    const k = recorder.stats();
    tracker.log('info', `live ${symbol}: ${s.rowsEmitted} rows (${s.rowsRevised} revisions) from ${s.processed} events; late ${s.late}; `
      + `${l.liveFiles} live files, ${l.daysPublished} days published to ${req.lake}; events kept: `
      + `${k.kept['realtime-stocks-trades']} stock trades, ${k.kept['realtime-options-trades']} option trades, ${k.kept['realtime-options-quotes']} quotes`
      + ` (${k.duplicatesSkipped} already stored)`);
  }
}

/** Prometheus gauges of the run (read at scrape time). */
function registerLiveGauges(ctx: RunUiContext, clients: Record<FeedCluster, MassiveFeedClient>, pipeline: LivePipeline,
  sinks: { jsonl: JsonlSink | undefined; hub: FeatureStreamHub }): void {
  const { registry } = ctx;
  const perCluster = (read: (s: FeedStats) => number) => () =>
    (['stocks', 'options'] as const).map((cluster) => ({ labels: { cluster }, value: read(clients[cluster].stats()) }));
  registerPullGauge(registry, { name: 'gammaflow_live_events_per_second', help: 'Feed events received per second (last 5 s).', labelNames: ['cluster'], read: perCluster((s) => s.eventsPerSecond) });
  registerPullGauge(registry, { name: 'gammaflow_live_lag_seconds', help: 'Wall clock minus the event time of the last event received.', labelNames: ['cluster'], read: perCluster((s) => (s.lagMs ?? 0) / 1000) });
  registerPullGauge(registry, { name: 'gammaflow_live_queue_depth', help: 'Events waiting: in each feed queue, and in the merger behind the watermark.', labelNames: ['queue'],
    read: () => [
      ...(['stocks', 'options'] as const).map((c) => ({ labels: { queue: c }, value: clients[c].stats().queueDepth })),
      { labels: { queue: 'merger' }, value: pipeline.stats().bufferedEvents },
    ] });
  registerPullGauge(registry, { name: 'gammaflow_live_reconnects', help: 'Connections re-established after a loss.', labelNames: ['cluster'], read: perCluster((s) => s.reconnects) });
  registerPullGauge(registry, { name: 'gammaflow_live_failed_connect_attempts', help: 'Consecutive failed connection attempts (0 while connected).', labelNames: ['cluster'], read: perCluster((s) => s.failedAttempts) });
  registerPullGauge(registry, { name: 'gammaflow_live_late_events', help: 'Events behind the watermark, by outcome.', labelNames: ['outcome'],
    read: () => {
      const s = pipeline.stats();
      return [{ labels: { outcome: 'dropped' }, value: s.lateDropped }, { labels: { outcome: 'revised' }, value: s.lateRevised }];
    } });
  registerPullGauge(registry, { name: 'gammaflow_live_dropped', help: 'Items dropped for slow consumers: feed events, JSONL rows, SSE clients.', labelNames: ['where'],
    read: () => [
      { labels: { where: 'feed' }, value: clients.stocks.stats().dropped + clients.options.stats().dropped },
      { labels: { where: 'jsonl' }, value: sinks.jsonl?.dropped ?? 0 },
      { labels: { where: 'sse_clients' }, value: sinks.hub.stats().droppedClients },
      { labels: { where: 'merger_released_early' }, value: pipeline.stats().forcedReleases },
    ] });
  registerPullGauge(registry, { name: 'gammaflow_live_rows_emitted', help: 'Feature rows emitted (revisions included).', read: () => pipeline.stats().rowsEmitted });
  registerPullGauge(registry, { name: 'gammaflow_live_watermark_seconds', help: 'Event-time watermark, Unix seconds.',
    read: () => { const w = pipeline.stats().watermarkNs; return w === undefined ? 0 : Number(w / 1_000_000n) / 1000; } });
}
