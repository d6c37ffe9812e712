/**
 * An HTTP proxy on 127.0.0.1 that sits in front of a (local) S3 server and
 * injects the faults a real network and a real S3 service produce, so retry
 * and resume logic is tested against real sockets and a real SDK:
 *
 * - `cut`:    forward the response, but kill the connection after N body bytes
 *             (the client sees fewer bytes than Content-Length);
 * - `stall`:  forward N body bytes, then go silent with the connection open;
 * - `status`: answer by itself with an HTTP status, either with an S3 XML
 *             error body (`SlowDown`, `InternalError`, `PreconditionFailed`)
 *             or bare, as Massive answers a forbidden GET/HEAD with a bare 403;
 * - `delay`:  wait before forwarding;
 * - `before`: run a hook (e.g. replace the object) before forwarding.
 *
 * Each rule applies to requests its `match` accepts, `times` times (default:
 * forever), first matching rule wins. Requests are forwarded byte for byte,
 * Host header included, so SigV4 signatures made for the proxy stay valid.
 * Every request is logged in `requests` (with the fault applied, if any).
 */
import { Agent, createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export type Fault =
  | { readonly kind: 'cut'; readonly afterBodyBytes: number }
  | { readonly kind: 'stall'; readonly afterBodyBytes: number }
  | { readonly kind: 'status'; readonly status: number; readonly s3Code?: string; readonly message?: string }
  | { readonly kind: 'delay'; readonly ms: number }
  | { readonly kind: 'before'; readonly run: (request: ProxiedRequest) => Promise<void> };

export interface ProxiedRequest {
  readonly method: string;
  /** Path and query as received, e.g. `/flatfiles/us_stocks_sip/x.csv.gz`. */
  readonly url: string;
  /** Bucket from the path-style URL. */
  readonly bucket: string;
  /** Decoded object key from the path-style URL ('' for bucket-level requests such as LIST). */
  readonly key: string;
  readonly headers: IncomingHttpHeaders;
  /** The fault applied to this request, if one was. */
  readonly fault?: Fault['kind'];
}

export type RequestMatcher = (request: ProxiedRequest) => boolean;

export interface FaultRuleOptions {
  /** Which requests; default all. */
  readonly match?: RequestMatcher;
  /** How many matching requests to hit; default unlimited. */
  readonly times?: number;
}

/** A rule as injected; `hits` counts the requests it has been applied to. */
export interface FaultRule {
  readonly fault: Fault;
  readonly match: RequestMatcher;
  readonly times: number;
  hits: number;
}

export interface FaultProxy {
  /** `http://127.0.0.1:<port>`: use as the S3 endpoint. */
  readonly endpoint: string;
  /** Every request seen, in arrival order. */
  readonly requests: ProxiedRequest[];
  inject(fault: Fault, options?: FaultRuleOptions): FaultRule;
  /** Removes all rules and forgets the request log. */
  reset(): void;
  close(): Promise<void>;
}

/** Matches requests by method and/or key. */
export function matching(criteria: { method?: string; key?: string }): RequestMatcher {
  return (request) =>
    (criteria.method === undefined || request.method === criteria.method) &&
    (criteria.key === undefined || request.key === criteria.key);
}

/** Starts a proxy in front of `upstreamEndpoint` (an `http://host:port` URL). */
export async function startFaultProxy(upstreamEndpoint: string): Promise<FaultProxy> {
  const upstream = new URL(upstreamEndpoint);
  const upstreamAgent = new Agent({ keepAlive: true });
  const rules: FaultRule[] = [];
  const requests: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();

  const server = createServer((req, res) => {
    void handle(req, res).catch(() => res.socket?.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const described = describe(req);
    const rule = rules.find((r) => r.hits < r.times && r.match(described));
    if (rule) rule.hits += 1;
    const fault = rule?.fault;
    requests.push(fault ? { ...described, fault: fault.kind } : described);

    switch (fault?.kind) {
      case 'status':
        req.resume();
        answerStatus(res, req.method ?? 'GET', fault);
        return;
      case 'delay':
        await new Promise((resolve) => setTimeout(resolve, fault.ms));
        break;
      case 'before':
        await fault.run(described);
        break;
      default:
        break;
    }
    const cutAfter = fault?.kind === 'cut' || fault?.kind === 'stall' ? fault.afterBodyBytes : undefined;
    forward(req, res, cutAfter === undefined ? undefined : { afterBodyBytes: cutAfter, stall: fault?.kind === 'stall' });
  }

  function forward(req: IncomingMessage, res: ServerResponse, interrupt?: { afterBodyBytes: number; stall: boolean }): void {
    const upstreamReq = httpRequest({
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers: req.headers,
      agent: upstreamAgent,
    }, (upstreamRes) => {
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
      if (interrupt === undefined) {
        upstreamRes.pipe(res);
        return;
      }
      let forwardedBytes = 0;
      const stop = (): void => {
        upstreamRes.destroy();
        if (!interrupt.stall) res.socket?.destroy();
      };
      if (interrupt.afterBodyBytes === 0) {
        res.flushHeaders();
        stop();
        return;
      }
      upstreamRes.on('data', (chunk: Buffer) => {
        const room = interrupt.afterBodyBytes - forwardedBytes;
        if (room <= 0) return;
        const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
        forwardedBytes += part.length;
        const flushed = res.write(part, forwardedBytes >= interrupt.afterBodyBytes ? stop : undefined);
        if (!flushed && forwardedBytes < interrupt.afterBodyBytes) {
          upstreamRes.pause();
          res.once('drain', () => upstreamRes.resume());
        }
      });
      upstreamRes.on('end', () => res.end());
    });
    upstreamReq.on('error', () => res.socket?.destroy());
    req.pipe(upstreamReq);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('fault proxy has no TCP address');

  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    requests,
    inject(fault, options = {}) {
      const rule: FaultRule = { fault, match: options.match ?? (() => true), times: options.times ?? Infinity, hits: 0 };
      rules.push(rule);
      return rule;
    },
    reset() {
      rules.length = 0;
      requests.length = 0;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      upstreamAgent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Parses a path-style S3 URL: `/bucket/key/with/slashes?query`. */
function describe(req: IncomingMessage): ProxiedRequest {
  const url = req.url ?? '/';
  const path = url.split('?')[0] ?? '/';
  const [, bucket = '', ...keyParts] = path.split('/');
  return {
    method: req.method ?? 'GET',
    url,
    bucket: decodeURIComponent(bucket),
    key: decodeURIComponent(keyParts.join('/')),
    headers: req.headers,
  };
}

function answerStatus(res: ServerResponse, method: string, fault: Extract<Fault, { kind: 'status' }>): void {
  if (fault.s3Code === undefined || method === 'HEAD') {
    res.writeHead(fault.status, { 'content-length': '0' });
    res.end();
    return;
  }
  const body = '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${fault.s3Code}</Code><Message>${fault.message ?? fault.s3Code}</Message>` +
    '<RequestId>fault-proxy</RequestId></Error>';
  res.writeHead(fault.status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
