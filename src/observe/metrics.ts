/**
 * Prometheus metrics: a registry with the Node process metrics, gammaflow
 * metrics derived from a ProgressTracker at scrape time, and pull-style gauges
 * later commands add for themselves (live feed msgs/s, lag...).
 *
 * Tracker metrics (all computed from one `snapshot()` per scrape):
 *
 *   gammaflow_bytes_read_total                  counter  compressed input bytes read (re-reads included)
 *   gammaflow_rows_parsed_total                 counter
 *   gammaflow_rows_written_total                counter
 *   gammaflow_rows_rejected_total               counter
 *   gammaflow_files_finished_total{dataset,state} counter state = done|failed|skipped|missing
 *   gammaflow_days_finished_total{result}       counter  result = done|failed|skipped|missing
 *   gammaflow_files_in_flight{state}            gauge    state = running|publishing
 *   gammaflow_files_planned                     gauge
 *   gammaflow_days_planned                      gauge
 *   gammaflow_throughput_bytes_per_second       gauge    compressed input, over the tracker's rate window
 *   gammaflow_throughput_rows_per_second        gauge    parsed rows, over the tracker's rate window
 *   gammaflow_s3_retries_total                  counter
 *   gammaflow_errors_total                      counter
 *   gammaflow_run_start_time_seconds            gauge    unix time the run started
 *
 * Throughput is exported in bytes (the Prometheus base unit); the dashboard's
 * MB/s is this value / 10^6.
 *
 * Other code adds metrics either with prom-client directly
 * (`new Counter({ name, help, registers: [registry] })`, then `inc()`), or
 * with `registerPullGauge` when the value is easier to read than to push.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { ProgressTracker } from './progress.js';
import type { FinishedFileState, RunSnapshot } from './run-snapshot.js';

export { Registry } from 'prom-client';

/** A registry that already holds the default process metrics (`process_*`, `nodejs_*`) unless disabled. */
export function createMetricsRegistry(options: { defaultMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * Returns the tracker's snapshot, computed once per scrape: prom-client calls
 * every metric's `collect` synchronously at the start of a scrape, so the
 * cached snapshot is dropped at the next microtask. Were that to change, each
 * metric would simply take its own (equally correct) snapshot.
 */
export function snapshotPerScrape(tracker: ProgressTracker): () => RunSnapshot {
  let cached: RunSnapshot | undefined;
  return () => {
    if (!cached) {
      cached = tracker.snapshot();
      queueMicrotask(() => {
        cached = undefined;
      });
    }
    return cached;
  };
}

type CounterSeries<L extends string> = { labels: Partial<Record<L, string>>; value: number }[];

/** A counter whose value is read at scrape time from a monotonic total kept elsewhere. */
function derivedCounter<L extends string>(registry: Registry, name: string, help: string, labelNames: readonly L[],
  read: () => CounterSeries<L>): void {
  new Counter<L>({
    name, help, labelNames, registers: [registry],
    collect() {
      this.reset();
      for (const { labels, value } of read()) this.inc(labels, Math.max(0, value));
    },
  });
}

/** Registers the gammaflow_* metrics listed at the top of this file. */
export function registerTrackerMetrics(registry: Registry, tracker: ProgressTracker): void {
  const snap = snapshotPerScrape(tracker);
  const total = (read: (s: RunSnapshot) => number) => () => [{ labels: {}, value: read(snap()) }];

  derivedCounter(registry, 'gammaflow_bytes_read_total', 'Compressed input bytes read, re-reads after retries included.', [],
    total((s) => s.totals.bytesRead));
  derivedCounter(registry, 'gammaflow_rows_parsed_total', 'Rows parsed from input files.', [], total((s) => s.totals.rowsParsed));
  derivedCounter(registry, 'gammaflow_rows_written_total', 'Rows written to the lake.', [], total((s) => s.totals.rowsWritten));
  derivedCounter(registry, 'gammaflow_rows_rejected_total', 'Rows rejected by the parser.', [], total((s) => s.totals.rowsRejected));
  derivedCounter(registry, 'gammaflow_s3_retries_total', 'S3 requests retried.', [], total((s) => s.totals.s3Retries));
  derivedCounter(registry, 'gammaflow_errors_total', 'Errors reported by the run.', [], total((s) => s.totals.errors));

  derivedCounter(registry, 'gammaflow_files_finished_total', 'Files that reached a final state, by dataset and state.',
    ['dataset', 'state'], () => {
      const series: CounterSeries<'dataset' | 'state'> = [];
      for (const [dataset, byState] of Object.entries(snap().finishedByDataset)) {
        for (const [state, count] of Object.entries(byState) as [FinishedFileState, number][]) {
          if (count > 0) series.push({ labels: { dataset, state }, value: count });
        }
      }
      return series;
    });
  derivedCounter(registry, 'gammaflow_days_finished_total', 'Trading days finished, by result.', ['result'], () => {
    const s = snap();
    return [
      { labels: { result: 'done' }, value: s.daysDone },
      { labels: { result: 'failed' }, value: s.daysFailed },
      { labels: { result: 'skipped' }, value: s.daysSkipped },
      { labels: { result: 'missing' }, value: s.daysMissing },
    ];
  });

  registerPullGauge(registry, {
    name: 'gammaflow_files_in_flight', help: 'Files being read or published.', labelNames: ['state'],
    read: () => {
      const inFlight = snap().inFlight;
      return (['running', 'publishing'] as const).map((state) => ({
        labels: { state }, value: inFlight.filter((file) => file.state === state).length,
      }));
    },
  });
  registerPullGauge(registry, { name: 'gammaflow_files_planned', help: 'Files planned for the run.', read: () => snap().filesTotal });
  registerPullGauge(registry, { name: 'gammaflow_days_planned', help: 'Trading days planned for the run.', read: () => snap().daysTotal });
  registerPullGauge(registry, {
    name: 'gammaflow_throughput_bytes_per_second', help: 'Compressed input bytes per second over the recent window.',
    read: () => snap().totals.mbPerSec * 1_000_000,
  });
  registerPullGauge(registry, {
    name: 'gammaflow_throughput_rows_per_second', help: 'Parsed rows per second over the recent window.',
    read: () => snap().totals.rowsPerSec,
  });
  registerPullGauge(registry, {
    name: 'gammaflow_run_start_time_seconds', help: 'Unix time the run started.',
    read: () => snap().startedAtMs / 1000,
  });
  registerPullGauge(registry, {
    name: 'gammaflow_run_value', labelNames: ['name'],
    help: 'Numeric values a command reports next to its progress (e.g. aggression_classified_pct), by name.',
    read: () => Object.entries(snap().extra)
      .filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1]))
      .map(([name, value]) => ({ labels: { name }, value })),
  });
}

export interface PullGaugeOptions<L extends string> {
  /** Prometheus metric name, e.g. `gammaflow_live_messages_per_second`. */
  name: string;
  help: string;
  labelNames?: readonly L[];
  /** Called at each scrape: one value, or one value per label set. */
  read: () => number | { labels: Partial<Record<L, string>>; value: number }[];
}

/**
 * A gauge whose value is read at scrape time, for code that already keeps the
 * number (a feed's msgs/s, its lag in ms...). Returns the prom-client Gauge.
 */
export function registerPullGauge<L extends string = never>(registry: Registry, options: PullGaugeOptions<L>): Gauge<L> {
  const { read } = options;
  return new Gauge<L>({
    name: options.name, help: options.help, labelNames: options.labelNames ?? [], registers: [registry],
    collect() {
      const value = read();
      this.reset();
      if (typeof value === 'number') {
        this.set(value);
      } else {
        for (const series of value) this.set(series.labels, series.value);
      }
    },
  });
}

export { startMetricsServer, parseListen, type MetricsServer, type RouteHandler } from './server.js';
