/**
 * The web dashboard under `gammaflow live`: the same app as `gammaflow serve`, on the live run's
 * metrics server (next to /metrics, /features/latest and /features/stream), with the run's own
 * progress as the Jobs page, and per symbol the rows emitted so far and the priced option trades
 * for the Live page. The process announces its app in LAKE/_live/<pid>.json (live-discovery.ts)
 * for `gammaflow serve` over the same lake, until closed.
 */
import { getRequestListener } from '@hono/node-server';
import type { Config } from '../config/schema.js';
import { WebLakeReader } from '../lake/web-queries.js';
import type { MetricsServer } from '../observe/server.js';
import type { ProgressTracker } from '../observe/progress.js';
import { createWebApp } from './app.js';
import { loadAssets } from './assets.js';
import { localJobs } from './jobs.js';
import { LiveSession } from './live-session.js';
import { announceLive } from './live-discovery.js';
import { errorMessage } from '../util/errors.js';

export interface LiveWebOptions {
  readonly config: Config;
  readonly lake: string;
  readonly symbols: readonly string[];
  readonly windows: readonly string[];
  readonly aggression: boolean;
  readonly tracker: ProgressTracker;
}

export interface LiveWeb {
  readonly session: LiveSession;
  /** Stops answering for the lake and removes the announcement. */
  close(): Promise<void>;
}

/**
 * Serves the app on `server` for every path its routes do not take. When the app cannot be served
 * (not built), the run goes on without it: a warning says why, and undefined is returned.
 */
export async function attachWebApp(server: MetricsServer, o: LiveWebOptions): Promise<LiveWeb | undefined> {
  const session = new LiveSession(o.symbols, o.windows, o.aggression);
  let assets;
  try {
    assets = await loadAssets();
  } catch (e) {
    o.tracker.log('warn', `web dashboard disabled: ${(e as Error).message}`);
    return undefined;
  }
  const lake = await WebLakeReader.open(o.lake, { memoryLimit: o.config.storage.duckdb_memory_limit });
  const app = createWebApp({ lake, assets, jobs: localJobs(o.tracker), maxPoints: o.config.web.max_points, live: session });
  server.fallback(getRequestListener(app.fetch));
  let announcement: { remove(): Promise<void> } | undefined;
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(o.lake)) {
    try {
      announcement = await announceLive(o.lake, { url: server.url, symbols: o.symbols, windows: o.windows, started_at_ms: Date.now() });
    } catch (e) {
      o.tracker.log('warn', `gammaflow serve over ${o.lake} will not find this run by itself (pass --live ${server.url}): ${errorMessage(e)}`);
    }
  }
  return {
    session,
    close: async () => {
      lake.close();
      await announcement?.remove().catch(() => undefined);
    },
  };
}
