/**
 * A client for Massive's REST API (api.massive.com) on Node's fetch:
 *
 * - auth: `Authorization: Bearer KEY`, on every request including the pages
 *   reached through `next_url` (which come back without the key). The key is
 *   never logged and never part of an error message; an `apiKey` query
 *   parameter in a URL is redacted from messages too.
 * - limits: every request goes through a RateLimiter (token bucket, requests
 *   in flight).
 * - 429: waits `Retry-After` (seconds or an HTTP date) when the answer has one,
 *   otherwise exponential backoff with jitter; every request is held meanwhile.
 * - 5xx, timeouts, refused and cut connections (also in the middle of a body)
 *   and unreadable bodies are retried with backoff (RetryPolicy); other 4xx are
 *   final, 401/403 with a message naming what was asked and the plan it needs.
 *
 * Pages are followed by their `next_url` unchanged. The key is only ever sent
 * to the configured origin (or Massive's own hosts).
 */
import { GammaflowError, SourceError, errorMessage } from '../../util/errors.js';
import { backoffDelayMs, sleep, type RetryPolicy } from '../retry.js';
import { parseExactJson } from './exact-json.js';
import type { RateLimiter } from './rate-limiter.js';

export interface RestClientOptions {
  /** e.g. `https://api.massive.com` (config `massive.rest_url`). */
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly limiter: RateLimiter;
  /** 5xx / network failures: attempts in a row before giving up. */
  readonly retry: RetryPolicy;
  /** 429s in a row for one request before giving up. */
  readonly maxRateLimitedAttempts?: number;
  /** Per request (headers and body). */
  readonly timeoutMs: number;
  readonly onEvent?: (event: RestEvent) => void;
  readonly random?: () => number;
  readonly now?: () => number;
}

export type RestEvent =
  | { readonly kind: 'request'; readonly url: string }
  | { readonly kind: 'rate_limited'; readonly url: string; readonly waitMs: number; readonly retryAfter: boolean }
  | { readonly kind: 'retry'; readonly url: string; readonly attempt: number; readonly delayMs: number; readonly error: string };

/** What a request is for, in messages: `options-trades of O:SPY251107C00680000`, and the plan it needs. */
export interface RequestContext {
  readonly what: string;
  /** e.g. `an Options plan with trades`; named by 401/403 messages. */
  readonly plan: string;
  readonly signal?: AbortSignal;
}

export interface RestPage {
  /** `results` of the envelope (an empty array when absent). */
  readonly results: readonly Record<string, unknown>[];
  /** The next page, or undefined on the last one. */
  readonly nextUrl: string | undefined;
  readonly status: string | undefined;
  readonly requestId: string | undefined;
}

/** Massive's hosts, to which the key may go even if the configured origin differs (api.polygon.io answers next_url of api.massive.com). */
const MASSIVE_HOSTS = new Set(['api.massive.com', 'api.polygon.io']);

/** A URL for messages: the `apiKey` parameter (if someone put it there) replaced by `***`. */
export function redactUrl(url: string): string {
  return url.replace(/([?&]apiKey=)[^&#]*/gi, '$1***');
}

/**
 * Seconds or an HTTP date of a Retry-After header, as milliseconds from `nowMs`
 * (0 when in the past); undefined when absent or unreadable. Pure.
 */
export function retryAfterMs(header: string | null, nowMs: number): number | undefined {
  if (header === null) return undefined;
  const text = header.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

class RetryableError extends Error {}

export class RestClient {
  readonly baseUrl: string;
  private readonly origin: string;
  private readonly o: RestClientOptions;
  private readonly random: () => number;
  private readonly now: () => number;

  constructor(options: RestClientOptions) {
    this.o = options;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.origin = new URL(this.baseUrl).origin;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    if (options.apiKey.trim() === '') throw new SourceError('access_denied', 'no Massive API key: set MASSIVE_API_KEY or [massive] api_key in the config file');
  }

  /** `base + path?query` (query values are encoded; undefined ones left out). */
  url(path: string, query: Readonly<Record<string, string | number | boolean | undefined>> = {}): string {
    const u = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) u.searchParams.set(k, String(v));
    return u.toString();
  }

  /** One page: `url` is a full URL (from `url()` or a `next_url`), fetched as is. */
  async page(url: string, ctx: RequestContext): Promise<RestPage> {
    const body = await this.getJson(url, ctx);
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new SourceError('source', `${ctx.what}: ${redactUrl(url)} answered something other than a JSON object`, { url: redactUrl(url) });
    }
    const env = body as Record<string, unknown>;
    const results = env['results'] === undefined || env['results'] === null ? [] : env['results'];
    if (!Array.isArray(results)) throw new SourceError('source', `${ctx.what}: "results" of ${redactUrl(url)} is not an array`, { url: redactUrl(url) });
    const next = env['next_url'];
    return {
      results: results as Record<string, unknown>[],
      nextUrl: typeof next === 'string' && next !== '' ? next : undefined,
      status: typeof env['status'] === 'string' ? env['status'] : undefined,
      requestId: typeof env['request_id'] === 'string' ? env['request_id'] : undefined,
    };
  }

  /** Every page from `url` on, following next_url. */
  async *pages(url: string, ctx: RequestContext): AsyncGenerator<RestPage & { readonly url: string }> {
    let next: string | undefined = url;
    while (next !== undefined) {
      const p = await this.page(next, ctx);
      yield { ...p, url: next };
      next = p.nextUrl;
    }
  }

  /** GET a JSON body, with the limits, retries and error wording described above. */
  getJson(url: string, ctx: RequestContext): Promise<unknown> {
    return this.get(url, ctx, parseExactJson);
  }

  /**
   * GET a body decoded by `decode` (a body it cannot decode, other than with a GammaflowError, was
   * cut short or garbled on the way and is asked again), with the limits and retries above.
   */
  async get<T>(url: string, ctx: RequestContext, decode: (text: string) => T): Promise<T> {
    this.checkOrigin(url, ctx);
    const maxRateLimited = this.o.maxRateLimitedAttempts ?? 30;
    let failures = 0, rateLimited = 0;
    for (;;) {
      try {
        return await this.attempt(url, ctx, decode);
      } catch (e) {
        if (ctx.signal?.aborted) throw ctx.signal.reason ?? e;
        if (e instanceof RateLimitedError) {
          rateLimited++;
          if (rateLimited >= maxRateLimited) {
            throw new SourceError('network', `${ctx.what}: Massive answered 429 (too many requests) ${rateLimited} times in a row for ${redactUrl(url)}; lower [massive] rest_requests_per_second`, { url: redactUrl(url) });
          }
          const waitMs = e.retryAfterMs ?? backoffDelayMs(rateLimited, this.o.retry, this.random());
          this.o.limiter.pauseUntil(this.now() + waitMs);
          this.o.onEvent?.({ kind: 'rate_limited', url: redactUrl(url), waitMs, retryAfter: e.retryAfterMs !== undefined });
          // The limiter holds this request (and every other) until the pause is over.
          continue;
        }
        if (!(e instanceof RetryableError)) throw e;
        failures++;
        if (failures >= this.o.retry.maxAttempts) {
          throw new SourceError('network', `${ctx.what}: ${redactUrl(url)} failed ${failures} times in a row (last: ${e.message})`, { url: redactUrl(url) }, { cause: e });
        }
        const delayMs = backoffDelayMs(failures, this.o.retry, this.random());
        this.o.onEvent?.({ kind: 'retry', url: redactUrl(url), attempt: failures, delayMs, error: e.message });
        await sleep(delayMs, ctx.signal);
      }
    }
  }

  /** A message with the key (should a server echo it) replaced by `***`. */
  private redact(text: string): string {
    return this.o.apiKey.length >= 4 ? text.split(this.o.apiKey).join('***') : text;
  }

  private checkOrigin(url: string, ctx: RequestContext): void {
    let u: URL;
    try { u = new URL(url); } catch {
      throw new SourceError('source', `${ctx.what}: "${redactUrl(url)}" is not a URL`);
    }
    if (u.origin === this.origin) return;
    if (u.protocol === 'https:' && MASSIVE_HOSTS.has(u.hostname)) return;
    throw new SourceError('source', `${ctx.what}: refusing to send the API key to ${u.origin} (a next_url outside ${this.origin})`, { url: redactUrl(url) });
  }

  private async attempt<T>(url: string, ctx: RequestContext, decode: (text: string) => T): Promise<T> {
    const release = await this.o.limiter.acquire(ctx.signal);
    try {
      const timeout = AbortSignal.timeout(this.o.timeoutMs);
      const signal = ctx.signal ? AbortSignal.any([ctx.signal, timeout]) : timeout;
      this.o.onEvent?.({ kind: 'request', url: redactUrl(url) });
      let res: Response;
      try {
        // Redirects are not followed: the key would not go with them (or would go where it should not).
        res = await fetch(url, { headers: { authorization: `Bearer ${this.o.apiKey}`, accept: 'application/json' }, signal, redirect: 'manual' });
      } catch (e) {
        if (ctx.signal?.aborted) throw e;
        throw new RetryableError(timeout.aborted ? `no answer within ${this.o.timeoutMs} ms` : `connection failed: ${causeMessage(e)}`);
      }
      let text: string;
      try {
        text = await res.text();
      } catch (e) {
        if (ctx.signal?.aborted) throw e;
        throw new RetryableError(timeout.aborted ? `body not received within ${this.o.timeoutMs} ms` : `connection cut while reading the body: ${causeMessage(e)}`);
      }
      if (res.status >= 300 && res.status < 400) {
        const to = res.headers.get('location');
        throw new SourceError('source', `${ctx.what}: ${redactUrl(url)} answered a redirect (HTTP ${res.status}${to ? ` to ${redactUrl(to)}` : ''}); set [massive] rest_url to the address it redirects to`,
          { url: redactUrl(url), status: res.status });
      }
      if (res.status === 429) throw new RateLimitedError(retryAfterMs(res.headers.get('retry-after'), this.now()));
      if (res.status >= 500) throw new RetryableError(`HTTP ${res.status}${this.redact(bodyMessage(text))}`);
      if (res.status === 401 || res.status === 403) {
        throw new SourceError('access_denied',
          `Massive REST refused ${ctx.what} (HTTP ${res.status}${this.redact(bodyMessage(text))}): check MASSIVE_API_KEY / [massive] api_key, and that the subscription includes ${ctx.plan}`,
          { url: redactUrl(url), status: res.status });
      }
      if (res.status < 200 || res.status >= 300) {
        throw new SourceError('source', `${ctx.what}: ${redactUrl(url)} answered HTTP ${res.status}${this.redact(bodyMessage(text))}`, { url: redactUrl(url), status: res.status });
      }
      try {
        return decode(text);
      } catch (e) {
        if (e instanceof GammaflowError) throw e;
        // A 200 whose body does not parse was cut short or garbled on the way: ask again.
        throw new RetryableError(`unreadable JSON body (${text.length} bytes): ${errorMessage(e)}`);
      }
    } finally {
      release();
    }
  }
}

class RateLimitedError extends Error {
  constructor(readonly retryAfterMs: number | undefined) {
    super('HTTP 429');
  }
}

function causeMessage(e: unknown): string {
  const cause = (e as { cause?: unknown }).cause;
  const own = errorMessage(e);
  return cause instanceof Error ? `${own} (${cause.message})` : own;
}

/** `: <message>` of a Massive error body (`{"status":"ERROR","message":...}`), short; never echoes a key. */
function bodyMessage(text: string): string {
  let message: string | undefined;
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    const m = body['message'] ?? body['error'];
    if (typeof m === 'string') message = m;
  } catch {
    message = text.trim().slice(0, 200) || undefined;
  }
  return message ? `: ${redactUrl(message).slice(0, 300)}` : '';
}
