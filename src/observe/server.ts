/**
 * The HTTP endpoint of a run, on node:http: `GET /metrics` (Prometheus text
 * format), `GET /healthz`, and routes later code adds (`/features/latest`, an
 * SSE stream...). Bound to loopback unless the config says otherwise.
 *
 * `listen` forms: `'127.0.0.1:9090'`, `'[::1]:9090'`, `'9090'` (= 127.0.0.1:9090),
 * port 0 for a random free port, and `'0'` (or `''`) to disable the server.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { ConfigError, GammaflowError, errorMessage } from '../util/errors.js';
import { isLoopbackHost, parseListenAddress, type ListenAddress } from '../config/listen.js';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface MetricsServer {
  /** False when `listen` was `'0'`: nothing listens, routes are accepted and ignored. */
  readonly enabled: boolean;
  /** `host:port` actually bound (the real port when 0 was asked), `''` when disabled. */
  readonly address: string;
  /** `http://host:port`, `''` when disabled. */
  readonly url: string;
  /** True when bound to a non-loopback address (`allow_remote`): other machines can reach every route. */
  readonly remote: boolean;
  /**
   * Adds an endpoint at an exact path (query string ignored), any method. Throws if the path is taken.
   * `exposes` says what the route serves; on a remote bind it is logged as a warning.
   */
  route(path: string, handler: RouteHandler, exposes?: string): void;
  /** Handles every request no route matches (instead of a 404): the web app under `gammaflow live`. */
  fallback(handler: RouteHandler): void;
  /** Stops listening and closes open connections (SSE streams included). */
  close(): Promise<void>;
}

/** Parses a `listen` setting (see config/listen.ts); undefined means disabled. */
export function parseListen(listen: string): ListenAddress | undefined {
  try {
    return parseListenAddress(listen.trim());
  } catch (e) {
    throw new ConfigError(`invalid metrics listen address '${listen}': ${errorMessage(e)}`, { value: listen });
  }
}

const BUILT_IN_PATHS = ['/metrics', '/healthz'];

/** What the built-in routes expose, for the warning of a remote bind. */
const BUILT_IN_EXPOSURE = "/metrics exposes this run's progress and counters (command, datasets, dates, source keys, rows, rates, errors, "
  + 'live feed state) and /healthz answers';

/**
 * The warning for a route reachable from other machines: `metrics on 0.0.0.0:9090 are reachable
 * from other machines (every network interface): /metrics exposes ...; there is no authentication`.
 */
export function remoteExposureWarning(what: string, address: string, host: string, exposes: string): string {
  const every = host === '0.0.0.0' || host === '::' ? ' (every network interface)' : '';
  return `${what} on ${address} ${what === 'metrics' ? 'are' : 'is'} reachable from other machines${every}: ${exposes}; there is no authentication `
    + '(metrics.allow_remote = true; use a loopback listen address such as "127.0.0.1:9090" unless this is intended)';
}

export interface MetricsServerOptions {
  /** Told once at start, and for each route added, when the server listens on a non-loopback address. */
  readonly onWarn?: (message: string) => void;
  /** Which hosts count as loopback; default config/listen.ts isLoopbackHost (tests inject, as they must bind loopback only). */
  readonly isLoopback?: (host: string) => boolean;
}

/** The server of `listen = "0"`: nothing listens; routes are checked for clashes and otherwise ignored. */
export function disabledMetricsServer(): MetricsServer {
  const routes = new Set<string>();
  const route = (path: string): void => {
    if (BUILT_IN_PATHS.includes(path) || routes.has(path)) throw new GammaflowError('metrics', `route ${path} is already defined`, { path });
    routes.add(path);
  };
  return { enabled: false, remote: false, address: '', url: '', route, fallback: () => {}, close: async () => {} };
}

export async function startMetricsServer(listen: string, registry: Registry, options: MetricsServerOptions = {}): Promise<MetricsServer> {
  const target = parseListen(listen);
  const routes = new Map<string, RouteHandler>();
  /** Set once bound: tells about routes reachable from other machines. */
  let warnRoute: ((path: string, exposes: string) => void) | undefined;
  const addRoute = (path: string, handler: RouteHandler, exposes?: string) => {
    if (BUILT_IN_PATHS.includes(path) || routes.has(path)) throw new GammaflowError('metrics', `route ${path} is already defined`, { path });
    routes.set(path, handler);
    warnRoute?.(path, exposes ?? 'a route added by the command');
  };
  let fallback: RouteHandler | undefined;
  const setFallback = (handler: RouteHandler): void => { fallback = handler; };
  if (!target) return disabledMetricsServer();

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`internal error: ${errorMessage(e)}\n`);
      } else {
        res.destroy(e instanceof Error ? e : undefined);
      }
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const custom = routes.get(path);
    if (custom) return custom(req, res);
    if (!BUILT_IN_PATHS.includes(path)) return fallback !== undefined ? fallback(req, res) : sendText(res, 404, 'not found\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'method not allowed\n', { allow: 'GET, HEAD' });
    if (path === '/healthz') return sendText(res, 200, 'ok\n');
    const body = await registry.metrics();
    sendText(res, 200, body, { 'content-type': registry.contentType });
  }

  await new Promise<void>((resolve, reject) => {
    const onError = (e: Error) => reject(new GammaflowError('metrics', `cannot listen on ${listen}: ${e.message}`, { listen }, { cause: e }));
    server.once('error', onError);
    server.listen(target.port, target.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  const address = `${host}:${bound.port}`;
  const remote = !(options.isLoopback ?? isLoopbackHost)(target.host);
  if (remote && options.onWarn !== undefined) {
    const onWarn = options.onWarn;
    onWarn(remoteExposureWarning('metrics', address, target.host, BUILT_IN_EXPOSURE));
    warnRoute = (path, exposes) => onWarn(remoteExposureWarning(path, address, target.host, exposes));
  }

  return {
    enabled: true,
    remote,
    address,
    url: `http://${address}`,
    route: addRoute,
    fallback: setFallback,
    close: () => new Promise<void>((resolve, reject) => {
      server.close((e) => (e ? reject(e) : resolve()));
      server.closeAllConnections();
    }),
  };
}

function sendText(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
