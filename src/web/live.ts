/**
 * The web dashboard under `gammaflow live`: the same app as `gammaflow serve`, on the live run's
 * metrics server (next to /metrics, /features/latest and /features/stream), with the run's own
 * progress as the Jobs page and the rows emitted so far for the Live page's first paint.
 */
import { getRequestListener } from '@hono/node-server';
import type { Config } from '../config/schema.js';
import { WebLakeReader } from '../lake/web-queries.js';
import type { MetricsServer } from '../observe/server.js';
import type { ProgressTracker } from '../observe/progress.js';
import { createWebApp } from './app.js';
import { loadAssets } from './assets.js';
import { localJobs } from './jobs.js';
import { LiveRowBuffer } from './live-rows.js';

export interface LiveWebOptions {
  readonly config: Config;
  readonly lake: string;
  readonly symbol: string;
  readonly windows: readonly string[];
  readonly aggression: boolean;
  readonly tracker: ProgressTracker;
}

export interface LiveWeb {
  readonly rows: LiveRowBuffer;
  close(): void;
}

/**
 * Serves the app on `server` for every path its routes do not take. When the app cannot be served
 * (not built), the run goes on without it: a warning says why, and undefined is returned.
 */
export async function attachWebApp(server: MetricsServer, o: LiveWebOptions): Promise<LiveWeb | undefined> {
  const rows = new LiveRowBuffer(o.symbol, o.windows, o.aggression);
  let assets;
  try {
    assets = await loadAssets();
  } catch (e) {
    o.tracker.log('warn', `web dashboard disabled: ${(e as Error).message}`);
    return undefined;
  }
  const lake = await WebLakeReader.open(o.lake, { memoryLimit: o.config.storage.duckdb_memory_limit });
  const app = createWebApp({ lake, assets, jobs: localJobs(o.tracker), maxPoints: o.config.web.max_points, live: rows });
  server.fallback(getRequestListener(app.fetch));
  return { rows, close: () => lake.close() };
}
