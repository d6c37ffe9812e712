/**
 * The live run: the realtime pipelines of one or several symbols on Massive's WebSocket feed (or
 * a replay of the lake speaking the same protocol), wired to its sources, sinks and the run
 * snapshot. Two connections, one per cluster, whatever the number of symbols:
 *
 *   BASE/stocks   `T.<SYMBOL>` per symbol            stock trades of the symbols
 *   BASE/options  `T.*`                              every option trade, kept when its root maps
 *                                                    to a symbol (Massive has no per-root topic)
 *                 `Q.<contract>` × ≤ 1000, rolling   quotes for aggression (contracts.ts; the 1000
 *                                                    shared evenly by the symbols), or
 *                 `Q.*` with allQuotes               (replays only: Massive refuses quote wildcards)
 *
 * Each event goes to the pipeline of its symbol (symbol-dispatch.ts). Per symbol: its
 * LivePipeline, lake sink, rolling quote set, gap filler and automatic finalize; shared: the
 * clients, the events kept (recorder), the SSE hub, JSONL and the web app.
 *
 * Events → LivePipeline (merger, enrichment, quote book, feature engine) → rows → the lake
 * (src/sinks/lake.ts), JSONL stdout lines (src/sinks/jsonl.ts), and /features/latest +
 * /features/stream on the metrics server (src/sinks/sse.ts). Once a second the run's state goes
 * into the live section of the run snapshot (status.ts): connection state per cluster, msgs/s,
 * lag, the last closed window per size with its key values, late and dropped counts; the
 * dashboard, the progress lines and the Prometheus gauges (gammaflow_live_*) all read it.
 *
 * Ending: a stop (the signal) ends the run with open windows not emitted and rows so far in the
 * lake's live files (exit 0, also while the feed is still connecting or reconnecting). With
 * exitOnClose a clean close of both streams by the server (the end of a replay) emits every
 * remaining window, publishes the closed days and ends. A fatal feed error (max_connections,
 * reconnects exhausted) is thrown; a rejected API key is thrown as a ConfigError.
 */
import { randomBytes } from 'node:crypto';
import { NyseCalendar, nyDateOfNs } from '../calendar/index.js';
import { epochDayOf } from '../calendar/civilDate.js';
import { parseDurationMs } from '../calendar/durations.js';
import { calendarOverrides } from '../config/index.js';
import type { Config } from '../config/schema.js';
import { publishedFeaturePartition } from '../features/output.js';
import { featurePolicy } from '../features/policy.js';
import type { FeatureRow } from '../features/row.js';
import { MAX_OPTION_QUOTE_CONTRACTS, type FeedCluster, type FeedDataEvent } from '../formats/massive-ws/types.js';
import { recoverIfIdle } from '../lake/recover-on-open.js';
import { formatLag } from '../observe/live-format.js';
import { registerLiveMetrics } from '../observe/live-metrics.js';
import type { MetricsServer, Registry } from '../observe/metrics.js';
import type { ProgressTracker } from '../observe/progress.js';
import { readTreasuryYields } from '../options/rates/treasury-store.js';
import { JsonlSink } from '../sinks/jsonl.js';
import { LakeFeatureSink } from '../sinks/lake.js';
import { FeatureStreamHub } from '../sinks/sse.js';
import { MassiveFeedClient } from '../sources/massive-ws/client.js';
import type { FeedGap } from '../sources/massive-ws/feed-types.js';
import { restClientFromConfig } from '../sources/rest/from-config.js';
import { ConfigError, FeedError, errorMessage } from '../util/errors.js';
import { attachWebApp } from '../web/live.js';
import { AutoFinalize } from './auto-finalize.js';
import { RollingContractSet } from './contracts.js';
import { FinalizeSchedule } from './finalize-schedule.js';
import { LiveGapFiller } from './gap-filler.js';
import { eventTimeNs } from './merger.js';
import { LivePipeline, type RowEmission } from './pipeline.js';
import { SymbolDispatch, mergePipelineStats } from './symbol-dispatch.js';
import { LiveRecorder, type RecorderCounters } from './recorder.js';
import { LastWindows, liveStatus } from './status.js';

/** What the run reports to and listens on (the command's run UI). */
export interface LiveRunContext {
  readonly tracker: ProgressTracker;
  readonly registry: Registry;
  /** Serves the feature routes and the web dashboard when enabled. */
  readonly metrics: MetricsServer;
  /** Aborted when the user stops the run. */
  readonly signal: AbortSignal;
}

export interface LiveRequest {
  readonly config: Config;
  /** The symbols followed (one pipeline each), at least one. */
  readonly symbols: readonly string[];
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
  /** The gammaflow version, recorded with the events kept. */
  readonly version: string;
}

/** Wall-clock periods of the run's housekeeping, ms. */
const TICK_MS = 250;
const DASHBOARD_MS = 1_000;
const LAKE_FLUSH_MS = 60_000;

/** Runs until the feed ends (exitOnClose) or the signal stops it; throws on a fatal feed error. */
export async function runLive(ctx: LiveRunContext, req: LiveRequest): Promise<void> {
  const { tracker, metrics, signal } = ctx;
  const { config, symbols } = req;
  if (symbols.length === 0) throw new ConfigError('live: no symbol to follow');
  const label = symbols.join(',');
  const runId = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const calendar = new NyseCalendar(calendarOverrides(config.calendar));
  const aggression = config.aggregations.aggression;
  const log = (level: 'debug' | 'info' | 'warn' | 'error', message: string): void => { if (level !== 'debug') tracker.log(level, message); };
  tracker.startRun({ command: 'live', daysTotal: 0, filesTotal: 0 });
  for (const action of (await recoverIfIdle(req.lake))?.actions ?? []) log('warn', action);

  const windowLabels = req.windows ?? config.aggregations.windows;
  const policies = new Map(windowLabels.map((window) => [window, featurePolicy({ aggregations: config.aggregations, window, session: config.aggregations.session, aggression })]));
  const jsonl = req.jsonl ? new JsonlSink(process.stdout, { aggression, onLog: log }) : undefined;
  const treasuryYields = config.aggregations.risk_free_rate === 'treasury' ? await readTreasuryYields(req.lake) : undefined;
  if (treasuryYields !== undefined && treasuryYields.length === 0) {
    throw new ConfigError(`risk_free_rate = "treasury" but ${req.lake} holds no Treasury yields: run gammaflow rates --from <a week ago> --to <today> first`, { key: 'aggregations.risk_free_rate' });
  }
  // `[aggregations] option_roots` are extra roots of `aggregations.symbol`: with several symbols, of that one only.
  const rootsOf = (symbol: string): string[] => (symbols.length === 1 || symbol === config.aggregations.symbol ? config.aggregations.option_roots : []);
  const schedules = new Map<string, FinalizeSchedule>();
  const runs = new Map(symbols.map((symbol) => {
    const lake = new LakeFeatureSink({
      lake: req.lake, symbol, runId, aggression, policies, rowGroupRows: config.storage.row_group_rows, zstdLevel: config.storage.zstd_level, onLog: log,
    });
    const lastWindows = new LastWindows();
    const pipeline = new LivePipeline({
      symbol, aggregations: { ...config.aggregations, option_roots: rootsOf(symbol) }, calendar, aggression, startMs: Date.now(),
      ...(treasuryYields ? { treasuryYields } : {}),
      ...(req.windows ? { windows: req.windows } : {}),
      onRow: (row: FeatureRow, emission: RowEmission) => {
        lastWindows.add(row);
        lake.add(row, emission);
        jsonl?.add(row, emission);
        web?.session.addRow(row);
        hub.add(row, emission);
      },
      onOptionTrade: (trade, greeks, side) => web?.session.addTrade(symbol, trade, greeks, side),
    });
    return [symbol, { symbol, lake, lastWindows, pipeline }] as const;
  }));
  const first = runs.get(symbols[0]!)!;
  const dispatch = new SymbolDispatch({ pipelines: new Map([...runs].map(([s, r]) => [s, r.pipeline])), extraRoots: new Map(symbols.map((s) => [s, rootsOf(s)])) });
  const allStats = () => mergePipelineStats([...runs.values()].map((r) => r.pipeline.stats()));
  // A run started mid-session emits the day's earlier (empty) windows at once: ~5 kB per row, 2.5 MB for a day of
  // 1m/5m/15m/30m rows, written in one tick (per symbol). The per-client cap leaves room for that burst so a dashboard
  // that is already connected is not dropped as a slow reader.
  const hub = new FeatureStreamHub({ aggression, windows: first.pipeline.windowLabels, onLog: log, maxClientBufferedBytes: 8 * 1024 * 1024 * symbols.length });
  hub.attach(metrics);
  const web = metrics.enabled
    ? await attachWebApp(metrics, { config, lake: req.lake, symbols, windows: first.pipeline.windowLabels, aggression, tracker })
    : undefined;
  if (metrics.enabled) {
    tracker.log('info', `feature rows at ${metrics.url}/features/latest and ${metrics.url}/features/stream (SSE)${web ? `; dashboard at ${metrics.url}/#live` : ''}`);
  }

  const autoFinalizes = new Map<string, AutoFinalize>();
  for (const symbol of symbols) {
    const schedule = new FinalizeSchedule({
      calendar, publishHourEt: config.ingest.publish_hour_et,
      retryMinMs: parseDurationMs(config.live.finalize_retry_min), retryMaxMs: parseDurationMs(config.live.finalize_retry_max),
    });
    schedules.set(symbol, schedule);
    if (!req.autoFinalize) continue;
    autoFinalizes.set(symbol, new AutoFinalize({
      schedule, log,
      argsFor: (date) => ['finalize', '--symbol', symbol, '--from', date, '--to', date, '--lake', req.lake, '--source', req.finalizeSource,
        '--windows', windowLabels.join(','), '--no-tui', ...(req.configPath !== undefined ? ['--config', req.configPath] : [])],
    }));
    // The previous trading day may hold prelim rows of an earlier run.
    const previous = calendar.previousTradingDay(nyDateOfNs(BigInt(Date.now()) * 1_000_000n));
    if ((await publishedFeaturePartition(req.lake, symbol, windowLabels[0]!, previous))?.quality === 'prelim') schedule.noteDay(previous);
  }
  const recorder = await LiveRecorder.open({
    lake: req.lake, runId, symbol: label, zstdLevel: config.storage.zstd_level, version: req.version, onLog: log,
    compaction: { rowGroupRows: config.storage.row_group_rows, fileSizeTargetBytes: config.storage.file_size_mb_target * 1024 * 1024 },
  });
  if (recorder.restartGap !== undefined) {
    const g = recorder.restartGap;
    log('warn', `realtime ${g.date}: no events recorded for ${formatLag(g.toMs - g.fromMs)} before this run (${g.reason === 'process_restart' ? 'the previous run was killed' : 'live was not running'}); the gap is in the ledger, finalize fills it from the flat files`);
  }
  const quoteTopics = aggression && req.allQuotes ? ['Q.*'] : [];
  /** Per symbol: its rolling quote set (a share of the connection's 1000 quote topics), gap filler and last spot. */
  const feeds = new Map<string, { contracts: RollingContractSet | undefined; gapFiller: LiveGapFiller | undefined; spot: number }>(symbols.map((symbol) => {
    const contracts = aggression && !req.allQuotes ? new RollingContractSet({ maxContracts: Math.floor(MAX_OPTION_QUOTE_CONTRACTS / symbols.length) }) : undefined;
    // After a reconnect, the disconnected interval's trades come from REST (gap-filler.ts).
    const gapFiller = config.massive.gap_fill
      ? new LiveGapFiller({ client: restClientFromConfig(config), symbol, log, signal, ...(contracts ? { quotedTickers: () => contracts.current } : {}) })
      : undefined;
    return [symbol, { contracts, gapFiller, spot: Number.NaN }];
  }));
  const clientOptions = { apiKey: req.apiKey, exitOnClose: req.exitOnClose, onLog: log };
  const onGap = (cluster: FeedCluster) => (gap: FeedGap): void => {
    recorder.gap(cluster, gap);
    if (config.massive.gap_fill) for (const f of feeds.values()) f.gapFiller!.onGap(cluster, gap);
    else log('warn', `${cluster} feed gap of ${gap.toMs - gap.fromMs} ms (${gap.reason}): events in it are missing ([massive] gap_fill = false)`);
  };
  const clients: Record<FeedCluster, MassiveFeedClient> = {
    stocks: new MassiveFeedClient({ ...clientOptions, onGap: onGap('stocks'), url: `${req.base}/stocks`, topics: symbols.map((s) => `T.${s}`) }),
    options: new MassiveFeedClient({ ...clientOptions, onGap: onGap('options'), url: `${req.base}/options`, topics: ['T.*', ...quoteTopics] }),
  };
  const recorderCounters = (): RecorderCounters => {
    const s = allStats();
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
  /** Trades the feed marked with a correction (`e`): left out by the engine unless include_corrections. */
  let corrections = 0;

  registerLiveMetrics(ctx.registry, tracker);
  let forcedLogged = 0;
  const refreshDashboard = (): void => {
    const s = allStats();
    if (s.forcedReleases > forcedLogged) {
      forcedLogged = s.forcedReleases;
      log('warn', `merger full: ${s.forcedReleases} events released before the watermark reached them (one cluster runs far ahead); the slower cluster's older events will be late`);
    }
    const kept = recorder.stats();
    const quoted = aggression && !req.allQuotes ? [...feeds.values()].reduce((n, f) => n + f.contracts!.current.size, 0) : undefined;
    tracker.setLive(liveStatus({
      // With several symbols: the counters of all; the last windows of the first one (the Live page has each symbol's).
      symbol: label, feedUrl: req.base, feeds: clusters.map((c) => [c, clients[c].stats()] as const), pipeline: s,
      jsonlDropped: jsonl?.dropped ?? 0, sseClientsDropped: hub.stats().droppedClients, corrections,
      quotedContracts: quoted, keptEvents: Object.values(kept.kept).reduce((n, k) => n + k, 0),
      duplicatesSkipped: kept.duplicatesSkipped, finalize: req.autoFinalize ? [...autoFinalizes.values()].flatMap((a) => a.days()) : undefined,
      lastWindows: first.lastWindows.statuses(first.pipeline.windowLabels, aggression),
    }));
  };

  let publishing: Promise<void> = Promise.resolve();
  const publishClosed = (): void => {
    publishing = publishing.then(async () => {
      // Closed days first (their pending rows go straight into the published partition), then live files for the rest.
      for (const r of runs.values()) {
        for (const date of await r.lake.publishClosedDays(r.pipeline.openDates())) schedules.get(r.symbol)!.noteDay(date);
        await r.lake.flush();
      }
      for (const a of autoFinalizes.values()) a.check();
    }).catch((e: unknown) => log('error', `writing features to the lake failed: ${errorMessage(e)}`));
  };
  const rollContracts = (nowMs: number): void => {
    for (const [symbol, f] of feeds) {
      const contracts = f.contracts;
      if (contracts === undefined || !(f.spot > 0)) continue;
      const maxTime = runs.get(symbol)!.pipeline.stats().maxEventTimeNs;
      if (maxTime === undefined) continue;
      const change = contracts.update(f.spot, epochDayOf(nyDateOfNs(maxTime)), nowMs);
      if (change === undefined) continue;
      const options = clients.options;
      options.unsubscribe(change.unsubscribe.map((t) => `Q.${t}`));
      options.subscribe(change.subscribe.map((t) => `Q.${t}`)).catch((e: unknown) => log('warn', `quote subscription: ${errorMessage(e)}`));
      log('info', `quotes${symbols.length > 1 ? ` ${symbol}` : ''}: ${contracts.current.size} contracts near ${f.spot} (+${change.subscribe.length} −${change.unsubscribe.length})`);
    }
  };

  const tick = setInterval(() => {
    const now = Date.now();
    dispatch.tick(now);
    rollContracts(now);
  }, TICK_MS);
  const dashboard = setInterval(refreshDashboard, DASHBOARD_MS);
  const flusher = setInterval(publishClosed, LAKE_FLUSH_MS);
  const eventFlusher = setInterval(flushRecorder, Math.max(10, parseDurationMs(config.live.flush_interval)));
  const onAbort = (): void => closeClients();
  signal.addEventListener('abort', onAbort);

  /** Before a batch after a reconnect: each symbol's trades of the disconnected interval, from REST, in event order. */
  const fillGaps = async (cluster: FeedCluster, batch: readonly FeedDataEvent[]): Promise<void> => {
    for (const [symbol, { gapFiller }] of feeds) {
      if (gapFiller === undefined || !gapFiller.hasPending(cluster)) continue;
      // The gap ends at the first event after the reconnect (older ones may still sit in the queue).
      const lastMs = gapFiller.lastEventBeforeGapMs(cluster);
      const firstAfter = batch.find((e) => lastMs === undefined || eventTimeNs(e) / 1_000_000n > BigInt(lastMs));
      if (firstAfter === undefined) continue;
      const run = runs.get(symbol)!;
      // This cluster is not read meanwhile, which holds the watermark.
      const filled = await gapFiller.fill(cluster, Number(eventTimeNs(firstAfter) / 1_000_000n));
      const lateBefore = run.pipeline.stats().late;
      const filledAtNs = BigInt(Date.now()) * 1_000_000n;
      for (const event of filled) {
        run.pipeline.push(cluster, event, Date.now());
        // The filled trades are kept with the others: they are what live used.
        if (event.kind === 'stockTrade') recorder.add({ dataset: 'realtime-stocks-trades', event: event.trade, receivedAtNs: filledAtNs });
        else if (event.kind === 'optionTrade') recorder.add({ dataset: 'realtime-options-trades', event: event.trade, receivedAtNs: filledAtNs });
      }
      const late = run.pipeline.stats().late - lateBefore;
      const outcome = gapFiller.lastResult;
      if (outcome !== undefined) {
        recorder.gapFill(outcome, late);
        if (outcome.trades > 0) run.lake.noteRestFill(outcome.fromMs, outcome.toMs);
      }
      if (late > 0) log('warn', `${cluster} gap${symbols.length > 1 ? ` ${symbol}` : ''}: ${late} of ${filled.length} filled trade(s) were behind the watermark (windows already emitted; late_policy = ${config.aggregations.late_policy})`);
    }
  };

  const consume = async (cluster: FeedCluster): Promise<void> => {
    // Whatever has arrived, a batch at a time: one await and one clock read per batch.
    for await (const batch of clients[cluster].batches()) {
      await fillGaps(cluster, batch);
      const now = Date.now();
      const receivedAtNs = BigInt(now) * 1_000_000n;
      for (const event of batch) {
        const symbol = dispatch.symbolOf(event);
        if (event.kind === 'stockTrade') {
          if (symbol !== undefined) {
            if (event.trade.correction !== 0) corrections++;
            else feeds.get(symbol)!.spot = event.trade.price;
            recorder.add({ dataset: 'realtime-stocks-trades', event: event.trade, receivedAtNs });
          }
        } else if (event.kind === 'optionTrade') {
          const t = event.trade;
          if (symbol !== undefined) {
            if (t.correction !== 0) corrections++;
            const f = feeds.get(symbol)!;
            f.contracts?.addContract(t);
            f.gapFiller?.noteOptionTicker(t.ticker);
            recorder.add({ dataset: 'realtime-options-trades', event: t, receivedAtNs });
          }
        } else {
          recorder.add({ dataset: 'realtime-options-quotes', event: event.quote, receivedAtNs });
        }
        dispatch.push(cluster, event, now);
      }
    }
    dispatch.endCluster(cluster, Date.now());
  };

  try {
    try {
      await Promise.all(clusters.map((c) => clients[c].start()));
    } catch (e) {
      // q / Ctrl-C before both streams were up (e.g. while reconnecting to a feed that is down): a normal stop.
      if (signal.aborted) {
        tracker.log('warn', `stopped before the feed at ${req.base} was streaming; no row was emitted`);
        return;
      }
      if (e instanceof FeedError && e.code === 'auth_failed') {
        throw new ConfigError(`${e.message}: the feed at ${req.base} rejected the API key (MASSIVE_API_KEY / [massive] api_key)`, {}, { cause: e });
      }
      throw e;
    }
    tracker.log('info', `live ${label}: streaming from ${req.base} (stocks ${symbols.map((s) => `T.${s}`).join(', ')}; options T.*${quoteTopics.length > 0 ? ', Q.*' : aggression ? ', rolling quotes' : ''}); windows ${first.pipeline.windowLabels.join(', ')}`);
    const results = await Promise.allSettled(clusters.map((c) => consume(c)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) {
      closeClients();
      throw failed.reason;
    }
    if (signal.aborted) {
      tracker.log('warn', 'stopped: windows still open are not emitted; rows so far are in the lake\'s live files');
    } else {
      dispatch.finish();
      tracker.log('info', 'the feed closed the streams: every remaining window emitted');
      // The stream is over: its days are complete, their realtime tables are compacted.
      await recorder.flush(recorderCounters());
      await recorder.compactAll();
    }
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
    for (const a of autoFinalizes.values()) await a.close();
    refreshDashboard();
    hub.close();
    await web?.close();
    const s = allStats();
    const l = [...runs.values()].map((r) => r.lake.stats());
    const k = recorder.stats();
    tracker.log('info', `live ${label}: ${s.rowsEmitted} rows (${s.rowsRevised} revisions) from ${s.processed} events; late ${s.late}; `
      + `${l.reduce((n, x) => n + x.liveFiles, 0)} live files, ${l.reduce((n, x) => n + x.daysPublished, 0)} days published to ${req.lake}; events kept: `
      + `${k.kept['realtime-stocks-trades']} stock trades, ${k.kept['realtime-options-trades']} option trades, ${k.kept['realtime-options-quotes']} quotes`
      + ` (${k.duplicatesSkipped} already stored)`);
  }
}
