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
 * (which adds /features/latest and /features/stream itself). Under serve, the /api/live routes and
 * /features/stream are forwarded to the live process that follows the symbol (live-discovery.ts).
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

/** A request error that names the bad parameter: HTTP 400. */
class BadRequest extends GammaflowError {
  constructor(message: string) { super('bad_request', message); }
}

/** What the lake or the live session does not hold: HTTP 404. */
class NotFound extends GammaflowError {
  constructor(message: string) { super('not_found', message); }
}

/** The request forwarded to `base` (a live process's app): same path and query, its answer streamed back (SSE too). */
async function forward(c: Context, base: string): Promise<Response> {
  const url = new URL(c.req.url);
  let res: Response;
  try {
    res = await fetch(`${base}${url.pathname}${url.search}`, { signal: c.req.raw.signal });
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code;
    return c.json({ error: `the live process at ${base} does not answer${cause ? ` (${cause})` : ''}` }, 502);
  }
  const headers = new Headers({ 'cache-control': 'no-store' });
  for (const h of ['content-type', 'content-disposition']) {
    const v = res.headers.get(h);
    if (v !== null) headers.set(h, v);
  }
  return new Response(res.body === null ? null : endQuietly(res.body), { status: res.status, headers });
}

/** The stream, ended (instead of failed) when reading it fails: the page went away and the forwarded request was aborted. */
function endQuietly(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch {
        controller.close();
      }
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

function required(c: Context, name: string): string {
  const v = c.req.query(name);
  if (v === undefined || v === '') throw new BadRequest(`missing query parameter ${name}`);
  return v;
}

function optionalMs(c: Context, name: string): bigint | undefined {
  const v = c.req.query(name);
  if (v === undefined || v === '') return undefined;
  if (!/^\d{1,15}$/.test(v)) throw new BadRequest(`query parameter ${name}: expected epoch milliseconds, got ${JSON.stringify(v)}`);
  return BigInt(v) * 1_000_000n;
}

/** The `max_points` a request asks for (fewer than the server's limit, e.g. a few per pixel of the chart), capped by the limit. */
function pointsLimit(c: Context, limit: number): number {
  const v = c.req.query('max_points');
  if (v === undefined || v === '') return limit;
  if (!/^\d{1,9}$/.test(v) || Number(v) < 2) throw new BadRequest(`query parameter max_points: expected an integer ≥ 2, got ${JSON.stringify(v)}`);
  return Math.min(limit, Number(v));
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

  const NO_LIVE = 'No live process: start gammaflow live (it serves its session on its metrics address, [metrics] listen), '
    + 'or point serve at one with --live http://HOST:PORT or [web] live_urls; a live process writing to this lake is found by itself.';

  app.get('/api/live', async (c) => {
    const live = o.live;
    const window = c.req.query('window');
    if (live !== undefined) {
      const symbol = c.req.query('symbol') || live.symbols[0]!;
      const of = live.of(symbol);
      if (of === undefined) throw new NotFound(`the live session follows ${live.symbols.join(', ')}, not ${symbol}`);
      return c.json({
        active: true, symbol, symbols: live.symbols, windows: live.windows,
        ...(window !== undefined && window !== '' ? { window, ...of.rows.table(window) } : {}),
      });
    }
    if (o.liveSources === undefined) return c.json({ active: false, message: NO_LIVE });
    const sources = await o.liveSources.list();
    const running = sources.filter((s) => s.state === 'running');
    const symbols = [...new Set(running.flatMap((s) => s.symbols ?? []))];
    if (symbols.length === 0) return c.json({ active: false, message: NO_LIVE, sources });
    const symbol = c.req.query('symbol') || symbols[0]!;
    const source = running.find((s) => s.symbols?.includes(symbol));
    if (source === undefined) throw new NotFound(`no live process follows ${symbol} (live: ${symbols.join(', ')})`);
    if (window !== undefined && window !== '') return forward(c, source.url);
    return c.json({ active: true, symbol, symbols, windows: source.windows ?? [], source: source.url, sources });
  });

  /** The session of the `symbol` parameter (default the first) of this live process; undefined under serve. */
  const localSymbol = (c: Context) => {
    const live = o.live!;
    const symbol = c.req.query('symbol') || live.symbols[0]!;
    const of = live.of(symbol);
    if (of === undefined) throw new NotFound(`the live session follows ${live.symbols.join(', ')}, not ${symbol}`);
    return of;
  };
  const rangeQuery = (c: Context) => {
    const fromNs = optionalMs(c, 'from_ms');
    const toNs = optionalMs(c, 'to_ms');
    const expiry = c.req.query('expiry');
    if (expiry !== undefined && expiry !== '' && !/^\d{4}-\d{2}-\d{2}$/.test(expiry)) throw new BadRequest(`query parameter expiry: expected YYYY-MM-DD, got ${JSON.stringify(expiry)}`);
    return { ...(fromNs !== undefined ? { fromNs } : {}), ...(toNs !== undefined ? { toNs } : {}), ...(expiry ? { expiry } : {}) };
  };
  /**
   * Under serve: the request, forwarded to the live process following its symbol (the first one when not named).
   * A stream (`sse`) nobody follows answers 204, which tells an EventSource to stop without an error; the page
   * then looks for a live process again.
   */
  const forwardToSymbol = async (c: Context, sse = false): Promise<Response> => {
    const symbol = c.req.query('symbol');
    const source = o.liveSources === undefined ? undefined
      : symbol ? await o.liveSources.sourceOf(symbol) : (await o.liveSources.list()).find((s) => s.state === 'running');
    if (source === undefined) {
      if (sse) return c.body(null, 204);
      throw new NotFound(symbol ? `no live process follows ${symbol}` : NO_LIVE);
    }
    const res = await forward(c, source.url);
    return sse && res.status !== 200 ? c.body(null, 204) : res;
  };

  app.get('/api/live/smile', async (c) => {
    if (o.live === undefined) return forwardToSymbol(c);
    const maxPoints = pointsLimit(c, o.maxPoints);
    const s = localSymbol(c).trades.smile(rangeQuery(c), maxPoints);
    return c.json({ expiries: s.expiries, strike: s.strike, iv: s.iv, size: s.size, right: s.right, trades: s.trades, downsampled: s.downsampled, max_points: maxPoints });
  });

  app.get('/api/live/gadvv-by-strike', async (c) => {
    if (o.live === undefined) return forwardToSymbol(c);
    const p = localSymbol(c).trades.gadvvByStrike(rangeQuery(c));
    return c.json({ strike: p.strike, calls: p.calls, puts: p.puts, trades: p.trades });
  });

  app.get('/api/live/option-trades', async (c) => {
    if (o.live === undefined) return forwardToSymbol(c);
    const maxPoints = pointsLimit(c, o.maxPoints);
    return c.json({ ...localSymbol(c).trades.trades(rangeQuery(c), maxPoints), max_points: maxPoints });
  });

  app.get('/api/live/run/stream', async (c) => {
    if (o.live === undefined) return forwardToSymbol(c, true);
    return streamSSE(c, async (stream) => {
      while (!stream.aborted && !stream.closed) {
        await stream.writeSSE({ data: JSON.stringify({ jobs: await o.jobs() }) });
        await stream.sleep(o.jobsIntervalMs ?? 1000);
      }
    });
  });

  // Under live, /features/stream is the run's own (the metrics server answers it before this app).
  if (o.live === undefined && o.liveSources !== undefined) app.get('/features/stream', (c) => forwardToSymbol(c, true));

  app.notFound((c) => (c.req.path.startsWith('/api/') ? c.json({ error: `no endpoint ${c.req.path}` }, 404) : c.text('not found\n', 404)));
  return app;
}
