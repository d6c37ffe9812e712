/**
 * The web dashboard as a hono app: the browser app's files and the JSON API of docs/web.md.
 *
 *   GET /                                  the app (index.html); /assets/... its modules, uPlot, CSS
 *   GET /docs/features.md                  the feature definitions the table links to
 *   GET /api/inventory                     symbols, dates, window sizes the lake holds
 *   GET /api/features?symbol&date&window   a day's feature rows ({columns, rows})
 *   GET /api/features.csv|.parquet?...     the same rows as a download (lake columns)
 *   GET /api/underlying?symbol&date[&window][&from_ms&to_ms]  the underlying's trade prices (≤ max_points)
 *   GET /api/smile?symbol&date[&from_ms&to_ms][&expiry]           IV against strike (≤ max_points)
 *   GET /api/gadvv-by-strike?symbol&date[&from_ms&to_ms][&expiry] Σ gadvv per strike, calls and puts
 *   GET /api/jobs, /api/jobs/stream (SSE)  run snapshots (the terminal dashboard's model)
 *   GET /api/live[?symbol&window]          the live session (its symbols, window sizes; with window=, its rows so far)
 *   GET /api/live/smile?symbol[&from_ms&to_ms][&expiry]           IV against strike of its priced option trades
 *   GET /api/live/gadvv-by-strike?symbol[&from_ms&to_ms][&expiry] Σ gadvv per strike of them
 *   GET /api/live/option-trades?symbol[&from_ms&to_ms][&expiry]   the trades one by one with their greeks and side
 *   GET /api/live/run/stream (SSE)         the live run's snapshot (connection, msgs/s, lag, last windows)
 *
 * The same app runs under `gammaflow serve` and, on its metrics port, under `gammaflow live`
 * (which adds /features/latest and /features/stream itself). The /api/live routes are in
 * live-routes.ts: under serve they, and /features/stream, are forwarded to the live process that
 * follows the symbol (live-discovery.ts).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { GammaflowError, LakeError } from '../util/errors.js';
import { WebLakeReader, type FeatureExportFormat, type SmileQuery } from '../lake/web-queries.js';
import type { AssetMap } from './assets.js';
import type { JobsProvider } from './jobs.js';
import type { LiveSession } from './live-session.js';
import type { LiveSources } from './live-discovery.js';
import { registerLiveRoutes } from './live-routes.js';
import { BadRequest, NotFound, optionalMs, pointsLimit, required } from './params.js';

export interface WebAppOptions {
  readonly lake: WebLakeReader;
  readonly assets: AssetMap;
  readonly jobs: JobsProvider;
  /** Most points one chart receives ([web] max_points). */
  readonly maxPoints: number;
  /** The live session served by this process (gammaflow live), if any. */
  readonly live?: LiveSession;
  /** Under serve: the live processes whose sessions the Live page shows (forwarded). */
  readonly liveSources?: LiveSources;
  /** Period of /api/jobs/stream updates, ms; default 1000. */
  readonly jobsIntervalMs?: number;
}

function smileQuery(c: Context): SmileQuery {
  const fromNs = optionalMs(c, 'from_ms');
  const toNs = optionalMs(c, 'to_ms');
  const expiry = c.req.query('expiry');
  return {
    symbol: required(c, 'symbol'), date: required(c, 'date'),
    ...(fromNs !== undefined ? { fromNs } : {}), ...(toNs !== undefined ? { toNs } : {}),
    ...(expiry !== undefined && expiry !== '' ? { expiry } : {}),
  };
}

export function createWebApp(o: WebAppOptions): Hono {
  const app = new Hono();
  const { lake } = o;

  app.onError((err, c) => {
    if (err instanceof BadRequest) return c.json({ error: err.message }, 400);
    if (err instanceof NotFound) return c.json({ error: err.message }, 404);
    if (err instanceof LakeError) {
      const context = (err as GammaflowError).context as Record<string, unknown>;
      // Invalid names are the request's fault; a missing partition is "not found"; the rest is ours.
      if (context.field !== undefined) return c.json({ error: err.message }, 400);
      if (context.path !== undefined) return c.json({ error: err.message }, 404);
    }
    return c.json({ error: err instanceof Error ? err.message : String(err) }, 500);
  });

  const asset = (path: string) => (c: Context) => {
    const a = o.assets.get(path);
    if (a === undefined) return c.text('not found\n', 404);
    return c.body(a.body as Uint8Array<ArrayBuffer>, 200, { 'content-type': a.type, 'cache-control': 'no-cache' });
  };
  app.get('/', asset('/index.html'));
  app.get('/index.html', asset('/index.html'));
  app.get('/app.css', asset('/app.css'));
  app.get('/docs/features.md', asset('/docs/features.md'));
  app.get('/assets/*', (c) => asset(c.req.path)(c));

  app.get('/api/inventory', async (c) => c.json(await lake.inventory()));

  app.get('/api/features', async (c) => {
    const table = await lake.featureRows(required(c, 'symbol'), required(c, 'date'), required(c, 'window'));
    return c.json(table);
  });

  for (const format of ['csv', 'parquet'] as const satisfies readonly FeatureExportFormat[]) {
    app.get(`/api/features.${format}`, async (c) => {
      const symbol = required(c, 'symbol');
      const date = required(c, 'date');
      const window = required(c, 'window');
      const dir = await WebLakeReader.exportDir();
      try {
        const path = join(dir, `rows.${format}`);
        await lake.exportFeatureRows(symbol, date, window, format, path);
        const body = await readFile(path);
        return c.body(body as Uint8Array<ArrayBuffer>, 200, {
          'content-type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/vnd.apache.parquet',
          'content-disposition': `attachment; filename="features-${symbol}-${window}-${date}.${format}"`,
        });
      } finally {
        await WebLakeReader.removeExportDir(dir);
      }
    });
  }

  app.get('/api/underlying', async (c) => {
    let fromNs = optionalMs(c, 'from_ms');
    let toNs = optionalMs(c, 'to_ms');
    const window = c.req.query('window');
    if (window !== undefined && window !== '') {
      // The span of that window size's rows: the price chart then shares the flow charts' time axis.
      const span = await lake.featureSpan(required(c, 'symbol'), required(c, 'date'), window);
      fromNs ??= span.fromNs;
      toNs ??= span.toNs;
    }
    const maxPoints = pointsLimit(c, o.maxPoints);
    const s = await lake.underlyingPrices(required(c, 'symbol'), required(c, 'date'), maxPoints, {
      ...(fromNs !== undefined ? { fromNs } : {}), ...(toNs !== undefined ? { toNs } : {}),
    });
    return c.json({ t_ms: s.tMs, price: s.price, trades: s.trades, downsampled: s.downsampled, max_points: maxPoints });
  });

  app.get('/api/smile', async (c) => {
    const maxPoints = pointsLimit(c, o.maxPoints);
    const s = await lake.smile(smileQuery(c), maxPoints);
    return c.json({ expiries: s.expiries, strike: s.strike, iv: s.iv, size: s.size, right: s.right, trades: s.trades, downsampled: s.downsampled, max_points: maxPoints });
  });

  app.get('/api/gadvv-by-strike', async (c) => {
    const p = await lake.gadvvByStrike(smileQuery(c));
    return c.json({ strike: p.strike, calls: p.calls, puts: p.puts, trades: p.trades });
  });

  app.get('/api/jobs', async (c) => c.json({ jobs: await o.jobs() }));

  app.get('/api/jobs/stream', (c) => streamSSE(c, async (stream) => {
    while (!stream.aborted && !stream.closed) {
      await stream.writeSSE({ data: JSON.stringify({ jobs: await o.jobs() }) });
      await stream.sleep(o.jobsIntervalMs ?? 1000);
    }
  }));

  registerLiveRoutes(app, o);

  app.notFound((c) => (c.req.path.startsWith('/api/') ? c.json({ error: `no endpoint ${c.req.path}` }, 404) : c.text('not found\n', 404)));
  return app;
}
