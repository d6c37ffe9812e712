/**
 * `gammaflow serve`: the web dashboard over a lake, on its own HTTP server (@hono/node-server).
 * Loopback only unless `[web] allow_remote`; a non-loopback address logs what it exposes.
 */
import { recoverIfIdle } from '../lake/recover-on-open.js';
import { stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { Config } from '../config/schema.js';
import { isLoopbackHost } from '../config/listen.js';
import { WebLakeReader } from '../lake/web-queries.js';
import { ConfigError, GammaflowError, LakeError } from '../util/errors.js';
import { createWebApp } from './app.js';
import { loadAssets } from './assets.js';
import { remoteJobs } from './jobs.js';
import { LiveSources } from './live-discovery.js';

export interface ServeRequest {
  readonly config: Config;
  readonly lake: string;
  readonly host: string;
  readonly port: number;
  /** `gammaflow live` processes whose sessions the Live page shows (else `[web] live_urls`); those announced in the lake are found anyway. */
  readonly liveUrls?: readonly string[];
  /** Warnings and notes (stderr). */
  readonly log: (level: 'info' | 'warn', message: string) => void;
}

export interface WebServer {
  /** `http://host:port` actually bound. */
  readonly url: string;
  close(): Promise<void>;
}

/** What a non-loopback listener hands to the network. */
export const REMOTE_EXPOSURE = 'the lake\'s feature rows, option greeks, underlying prices, CSV/Parquet downloads and the progress of runs';

export async function startWebServer(req: ServeRequest): Promise<WebServer> {
  const { config } = req;
  for (const action of (await recoverIfIdle(req.lake))?.actions ?? []) req.log('warn', action);
  if (!isLoopbackHost(req.host)) {
    if (!config.web.allow_remote) {
      throw new ConfigError(`${req.host} is not a loopback address: set [web] allow_remote = true in config.toml to serve the dashboard to other machines`, { host: req.host });
    }
    req.log('warn', `serving on ${req.host}, reachable from other machines: anyone who reaches it can read ${REMOTE_EXPOSURE} (there is no authentication)`);
  }
  try {
    if (!(await stat(req.lake)).isDirectory()) throw new Error('not a directory');
  } catch {
    throw new LakeError(`no lake at ${req.lake} (run gammaflow demo or gammaflow run first, or pass --lake DIR)`, { path: req.lake });
  }
  const assets = await loadAssets();
  const lake = await WebLakeReader.open(req.lake, { memoryLimit: config.storage.duckdb_memory_limit });
  const endpoints = config.web.job_endpoints.length > 0 ? config.web.job_endpoints : config.metrics.listen !== '0' ? [config.metrics.listen] : [];
  // Live processes announce themselves in a local lake only (a URL lake has no LAKE/_live to look in).
  const liveSources = new LiveSources({ urls: req.liveUrls ?? config.web.live_urls, lake: /^[a-z][a-z0-9+.-]*:\/\//i.test(req.lake) ? undefined : req.lake });
  const app = createWebApp({ lake, assets, jobs: remoteJobs(endpoints), maxPoints: config.web.max_points, liveSources });
  const server = createAdaptorServer({ fetch: app.fetch });
  try {
    await new Promise<void>((resolve, reject) => {
      const onError = (e: Error): void => reject(new GammaflowError('web', `cannot listen on ${req.host}:${req.port}: ${e.message}`, { host: req.host, port: req.port }, { cause: e }));
      server.once('error', onError);
      server.listen(req.port, req.host, () => { server.off('error', onError); resolve(); });
    });
  } catch (e) {
    lake.close();
    throw e;
  }
  const bound = server.address() as AddressInfo;
  const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  return {
    url: `http://${host}:${bound.port}`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => { lake.close(); resolve(); });
      if ('closeAllConnections' in server) server.closeAllConnections();
    }),
  };
}
