import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WINDOW_0935_MS, sampleLiveStatus } from '../../test/support/live-status.js';
import { registerLiveMetrics } from './live-metrics.js';
import { createMetricsRegistry } from './metrics.js';
import { ProgressTracker } from './progress.js';

test('the gammaflow_live_* gauges read the live section of the snapshot; none has a series before it is set', async () => {
  const registry = createMetricsRegistry({ defaultMetrics: false });
  const tracker = new ProgressTracker({ now: () => WINDOW_0935_MS });
  tracker.startRun({ command: 'live', daysTotal: 0, filesTotal: 0 });
  registerLiveMetrics(registry, tracker);
  const before = await registry.metrics();
  assert.doesNotMatch(before, /^gammaflow_live_\w+\{/m, 'no labelled series yet');
  assert.match(before, /^gammaflow_live_rows_emitted 0$/m);

  tracker.setLive(sampleLiveStatus());
  const lines = (await registry.metrics()).split('\n').filter((l) => l.startsWith('gammaflow_live_'));
  assert.deepEqual(lines, [
    'gammaflow_live_events_per_second{cluster="stocks"} 1000',
    'gammaflow_live_events_per_second{cluster="options"} 234.5',
    'gammaflow_live_lag_seconds{cluster="stocks"} 0.012',
    'gammaflow_live_lag_seconds{cluster="options"} 20',
    'gammaflow_live_queue_depth{queue="stocks"} 4',
    'gammaflow_live_queue_depth{queue="options"} 0',
    'gammaflow_live_queue_depth{queue="merger"} 17',
    'gammaflow_live_reconnects{cluster="stocks"} 0',
    'gammaflow_live_reconnects{cluster="options"} 1',
    'gammaflow_live_failed_connect_attempts{cluster="stocks"} 0',
    'gammaflow_live_failed_connect_attempts{cluster="options"} 2',
    'gammaflow_live_late_events{outcome="dropped"} 3',
    'gammaflow_live_late_events{outcome="revised"} 2',
    'gammaflow_live_dropped{where="feed"} 7',
    'gammaflow_live_dropped{where="jsonl"} 1',
    'gammaflow_live_dropped{where="sse_clients"} 0',
    'gammaflow_live_dropped{where="merger_released_early"} 0',
    'gammaflow_live_rows_emitted 12345',
    `gammaflow_live_watermark_seconds ${(WINDOW_0935_MS + 61_000) / 1000}`,
  ]);
});
