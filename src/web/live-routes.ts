/**
 * The Live page's routes (docs/web.md "JSON API"): under `gammaflow live` answered from the
 * process's own session (rows, priced option trades, run snapshot); under `gammaflow serve`
 * forwarded to the live process that follows the symbol (live-discovery.ts), SSE included.
 *
 *   GET /api/live[?symbol&window]          the session (symbols, window sizes; with window=, its rows so far)
 *   GET /api/live/smile?symbol[&from_ms&to_ms][&expiry][&max_points]
 *   GET /api/live/gadvv-by-strike?symbol[&from_ms&to_ms][&expiry]
 *   GET /api/live/option-trades?symbol[&from_ms&to_ms][&expiry][&max_points]
 *   GET /api/live/run/stream (SSE)         the live run's snapshot every second
 *   GET /features/stream (SSE, serve only) the live process's rows
 */
import type { Context, Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { JobsProvider } from './jobs.js';
import type { LiveSources } from './live-discovery.js';
import type { LiveSession } from './live-session.js';
import { BadRequest, NotFound, optionalMs, pointsLimit } from './params.js';

export interface LiveRoutesOptions {
  readonly jobs: JobsProvider;
  readonly maxPoints: number;
  readonly live?: LiveSession;
  readonly liveSources?: LiveSources;
  readonly jobsIntervalMs?: number;
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

export function registerLiveRoutes(app: Hono, o: LiveRoutesOptions): void {
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

  /** Under live: the session of the `symbol` parameter (default the first symbol); 404 for a symbol it does not follow. */
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
}
