/**
 * Prometheus gauges of a live run, read at scrape time from the live section of the run
 * snapshot (live-snapshot.ts), like every other view of the run:
 *
 *   gammaflow_live_events_per_second{cluster}        feed events received per second (last 5 s)
 *   gammaflow_live_lag_seconds{cluster}              wall clock − event time of the last event
 *   gammaflow_live_queue_depth{queue}                queue = stocks|options|merger
 *   gammaflow_live_reconnects{cluster}               connections re-established after a loss
 *   gammaflow_live_failed_connect_attempts{cluster}  consecutive failed attempts (0 while connected)
 *   gammaflow_live_late_events{outcome}              outcome = dropped|revised
 *   gammaflow_live_dropped{where}                    where = feed|jsonl|sse_clients|merger_released_early
 *   gammaflow_live_rows_emitted                      feature rows emitted, revisions included
 *   gammaflow_live_watermark_seconds                 event-time watermark, Unix seconds
 *
 * Before the first live section is set, the labelled gauges have no series and the others read 0.
 */
import type { Registry } from 'prom-client';
import type { LiveConnectionStatus, LiveStatus } from './live-snapshot.js';
import { registerPullGauge, snapshotPerScrape } from './metrics.js';
import type { ProgressTracker } from './progress.js';

export function registerLiveMetrics(registry: Registry, tracker: ProgressTracker): void {
  const snap = snapshotPerScrape(tracker);
  const live = (): LiveStatus | undefined => snap().live;
  const perCluster = (read: (c: LiveConnectionStatus) => number) => () =>
    (live()?.connections ?? []).map((c) => ({ labels: { cluster: c.cluster }, value: read(c) }));
  registerPullGauge(registry, { name: 'gammaflow_live_events_per_second', help: 'Feed events received per second (last 5 s).', labelNames: ['cluster'], read: perCluster((c) => c.eventsPerSecond) });
  registerPullGauge(registry, { name: 'gammaflow_live_lag_seconds', help: 'Wall clock minus the event time of the last event received.', labelNames: ['cluster'], read: perCluster((c) => (c.lagMs ?? 0) / 1000) });
  registerPullGauge(registry, { name: 'gammaflow_live_queue_depth', help: 'Events waiting: in each feed queue, and in the merger behind the watermark.', labelNames: ['queue'],
    read: () => {
      const l = live();
      if (l === undefined) return [];
      return [...l.connections.map((c) => ({ labels: { queue: c.cluster }, value: c.queueDepth })), { labels: { queue: 'merger' }, value: l.mergerDepth }];
    } });
  registerPullGauge(registry, { name: 'gammaflow_live_reconnects', help: 'Connections re-established after a loss.', labelNames: ['cluster'], read: perCluster((c) => c.reconnects) });
  registerPullGauge(registry, { name: 'gammaflow_live_failed_connect_attempts', help: 'Consecutive failed connection attempts (0 while connected).', labelNames: ['cluster'], read: perCluster((c) => c.failedAttempts) });
  registerPullGauge(registry, { name: 'gammaflow_live_late_events', help: 'Events behind the watermark, by outcome.', labelNames: ['outcome'],
    read: () => {
      const l = live();
      return l === undefined ? [] : [{ labels: { outcome: 'dropped' }, value: l.late.dropped }, { labels: { outcome: 'revised' }, value: l.late.revised }];
    } });
  registerPullGauge(registry, { name: 'gammaflow_live_dropped', help: 'Items dropped for slow consumers: feed events, JSONL rows, SSE clients.', labelNames: ['where'],
    read: () => {
      const d = live()?.dropped;
      return d === undefined ? [] : [
        { labels: { where: 'feed' }, value: d.feed },
        { labels: { where: 'jsonl' }, value: d.jsonl },
        { labels: { where: 'sse_clients' }, value: d.sseClients },
        { labels: { where: 'merger_released_early' }, value: d.mergerReleasedEarly },
      ];
    } });
  registerPullGauge(registry, { name: 'gammaflow_live_rows_emitted', help: 'Feature rows emitted (revisions included).', read: () => live()?.rows ?? 0 });
  registerPullGauge(registry, { name: 'gammaflow_live_watermark_seconds', help: 'Event-time watermark, Unix seconds.', read: () => (live()?.watermarkMs ?? 0) / 1000 });
}
