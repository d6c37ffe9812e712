/**
 * Everything a long-running command shows and serves while it works, wired in
 * one place: the ink dashboard on a TTY (or plain / JSON progress lines
 * without one), the Prometheus endpoint, and config hot reload. The command's
 * work receives an AbortSignal that fires when the user presses `q`/Ctrl-C.
 */
import type { Config } from '../config/schema.js';
import { watchConfig } from '../config/index.js';
import { ProgressTracker } from '../observe/progress.js';
import { startPlainProgress } from '../observe/plain.js';
import { attachSnapshotRoutes } from '../observe/snapshot-routes.js';
import { disabledMetricsServer, parseListen, startMetricsServer, type MetricsServer } from '../observe/server.js';
import type { Registry } from 'prom-client';
import { createRequire } from 'node:module';
import { GammaflowError } from '../util/errors.js';
import { renderJsonSummary, renderSummary } from '../observe/format.js';
import { setLogLevel, log } from '../util/log.js';
import { onLockInfo } from '../lake/lock.js';

export interface RunUiOptions {
  readonly config: Config;
  readonly configPath: string | undefined;
  readonly noTui: boolean;
  readonly json: boolean;
  /** Logged when the user stops the run (`q`, Ctrl-C); the default speaks of ingest-style resumable work. */
  readonly stopMessage?: string;
  readonly stdout?: NodeJS.WriteStream;
  readonly stderr?: NodeJS.WritableStream;
}

export interface RunUiContext {
  readonly tracker: ProgressTracker;
  readonly signal: AbortSignal;
  readonly registry: Registry;
  readonly metrics: MetricsServer;
  /** The config as hot-reloaded so far. */
  config(): Config;
}

/** How progress is shown: the dashboard, or plain lines (and why, when a terminal was there). */
export type ProgressMode = { readonly kind: 'dashboard' } | { readonly kind: 'plain'; readonly note?: string };

/**
 * The dashboard needs a terminal on stdout and stdin and no --no-tui/--json. Under a CI
 * environment (CI or CONTINUOUS_INTEGRATION set and not "0"/"false") ink draws nothing until
 * the run ends, so progress goes to plain lines there, with a note saying how to get the
 * dashboard back.
 */
export function progressMode(options: { noTui: boolean; json: boolean; stdoutTty: boolean; stdinTty: boolean },
  env: Readonly<Record<string, string | undefined>>): ProgressMode {
  if (options.noTui || options.json || !options.stdoutTty || !options.stdinTty) return { kind: 'plain' };
  const set = (name: string): boolean => env[name] !== undefined && env[name] !== '0' && env[name] !== 'false';
  const ci = ['CI', 'CONTINUOUS_INTEGRATION'].find(set);
  if (ci !== undefined) {
    return { kind: 'plain', note: `${ci} is set: plain progress lines instead of the dashboard (which would draw nothing until the end under CI); set ${ci}=0 for the dashboard` };
  }
  return { kind: 'dashboard' };
}

export async function withRunUi<T>(options: RunUiOptions, work: (ctx: RunUiContext) => Promise<T>): Promise<T> {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  let config = options.config;
  setLogLevel(config.log.level);
  const tracker = new ProgressTracker();
  const controller = new AbortController();
  const quit = (): void => {
    if (controller.signal.aborted) return;
    tracker.log('warn', options.stopMessage ?? 'stopping: in-flight files are abandoned (nothing half-published); rerun to resume');
    controller.abort();
  };

  // The dashboard (ink + react, ~0.2 s to load) is imported only when it is shown.
  const mode = progressMode({ noTui: options.noTui, json: options.json, stdoutTty: stdout.isTTY === true, stdinTty: process.stdin.isTTY === true }, process.env);
  const useTui = mode.kind === 'dashboard';
  const ui = useTui
    ? (await import('../observe/dashboard.js')).startDashboard(tracker, { refreshMs: config.tui.progress_update_ms, onQuit: quit, stdout })
    : startPlainProgress(tracker, { out: options.json ? stdout : stderr, intervalMs: config.tui.plain_progress_interval_s * 1000, json: options.json });
  const setRate = (c: Config): void => {
    if ('setRefreshMs' in ui) ui.setRefreshMs(c.tui.progress_update_ms);
    else ui.setIntervalMs(c.tui.plain_progress_interval_s * 1000);
  };
  if (mode.kind === 'plain' && mode.note !== undefined) tracker.log('info', mode.note);
  // prom-client (and the OpenTelemetry API it requires: ~0.1 s of start-up) is loaded only when the
  // endpoint listens, or when the command asks for the registry (live's own gauges).
  let registry: Registry | undefined;
  let metrics: MetricsServer;
  if (parseListen(config.metrics.listen) === undefined) metrics = disabledMetricsServer();
  else {
    const { createMetricsRegistry, registerTrackerMetrics } = await import('../observe/metrics.js');
    registry = createMetricsRegistry();
    registerTrackerMetrics(registry, tracker);
    try {
      metrics = await startMetricsServer(config.metrics.listen, registry, { onWarn: (m) => tracker.log('warn', m) });
    } catch (e) {
      // A busy port (another run, or Prometheus itself on 9090) must not stop the work.
      if (!(e instanceof GammaflowError) || e.code !== 'metrics') throw e;
      tracker.log('warn', `metrics endpoint disabled: ${e.message} (set [metrics] listen to another address, or "0")`);
      metrics = disabledMetricsServer();
    }
  }
  /** Metrics nobody scrapes (the endpoint is off) still need a registry to go into. */
  const registryOf = (): Registry => {
    registry ??= new (createRequire(import.meta.url)('prom-client') as typeof import('prom-client')).Registry();
    return registry;
  };
  const snapshotRoutes = attachSnapshotRoutes(metrics, tracker);
  if (metrics.enabled) {
    tracker.setInfo({ metricsAddress: metrics.url + '/metrics' });
    // The dashboard shows it in its header; plain and JSON output get a log line.
    if (!useTui) tracker.log('info', `metrics at ${metrics.url}/metrics`);
  }
  if (options.configPath) tracker.setInfo({ configPath: options.configPath });

  const onSignal = (): void => quit();
  if (!useTui) process.on('SIGINT', onSignal);

  const stopWatching = options.configPath
    ? watchConfig(options.configPath, config, (next, _changed, applied, deferred) => {
        const parts: string[] = [];
        if (applied.length > 0) parts.push(`applied ${applied.join(', ')}`);
        if (deferred.length > 0) parts.push(`${deferred.join(', ')} apply to the next run`);
        config = { ...config, tui: next.tui, log: next.log };
        setLogLevel(config.log.level);
        setRate(config);
        const message = `config reloaded: ${parts.join('; ') || 'no change'}`;
        tracker.setInfo({ lastConfigReloadMs: Date.now(), lastConfigReloadMessage: message });
        tracker.log('info', message);
      }, (e) => tracker.log('error', `config reload failed, keeping the previous config: ${e instanceof Error ? e.message : String(e)}`))
    : () => {};

  // A stale partition lock taken over deep inside a writer is said in the run's log.
  const stopLockInfo = onLockInfo((m) => tracker.log('info', m));
  try {
    return await work({ tracker, signal: controller.signal, get registry() { return registryOf(); }, metrics, config: () => config });
  } finally {
    stopLockInfo();
    stopWatching();
    process.off('SIGINT', onSignal);
    ui.stop();
    snapshotRoutes.close();
    await metrics.close();
    // --json ends with one `summary` object on stdout (the documented contract of renderJsonSummary).
    if (options.json) stdout.write(renderJsonSummary(tracker.snapshot()) + '\n');
    else for (const line of renderSummary(tracker.snapshot())) log.raw(line, stderr);
  }
}
