/**
 * Why a WebSocket connection attempt failed, in words (pure: no sockets, no clock of its own),
 * and a per-cluster limiter so that a feed retrying with backoff says why without flooding the
 * log: the first failure is reported at once, then at most one line per `intervalMs` carrying
 * the number of failed attempts it stands for.
 */

/** The few HTTP statuses a WebSocket upgrade meets, named (anything else is shown by number). */
const HTTP_STATUS: Readonly<Record<number, string>> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  426: 'Upgrade Required', 429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway',
  503: 'Service Unavailable', 504: 'Gateway Timeout',
};

const ERRNO_WORDS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by the server',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EPIPE: 'connection closed while sending',
  EADDRNOTAVAIL: 'address not available',
};

/** Node's TLS failures carry OpenSSL codes (CERT_*, *_CERT_*, ERR_SSL_*, ERR_TLS_*) or EPROTO. */
function isTlsCode(code: string): boolean {
  return code === 'EPROTO' || code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') || /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|HOSTNAME_MISMATCH/.test(code);
}

/**
 * A connection error for people, the errno kept: `connection refused (ECONNREFUSED 127.0.0.1:9)`,
 * `DNS lookup of feed.example failed (ENOTFOUND)`, `TLS error: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)`,
 * `HTTP 401 Unauthorized on the WebSocket upgrade (expected 101)`.
 */
export function describeConnectError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as NodeJS.ErrnoException).code;
  const message = error.message;
  const status = /^Unexpected server response: (\d{3})/.exec(message);
  if (status !== null) {
    const n = Number(status[1]);
    return `HTTP ${n}${HTTP_STATUS[n] !== undefined ? ` ${HTTP_STATUS[n]}` : ''} on the WebSocket upgrade (expected 101)`;
  }
  if (/Opening handshake has timed out/i.test(message)) return 'the WebSocket handshake timed out';
  if (code === undefined) return message;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_FAIL' || code === 'EAI_NONAME') {
    const host = (error as { hostname?: unknown }).hostname;
    const what = typeof host === 'string' ? `DNS lookup of ${host}` : 'DNS lookup';
    return `${what} failed (${code}${code === 'EAI_AGAIN' ? ': temporary failure' : ''})`;
  }
  const words = ERRNO_WORDS[code];
  if (words !== undefined) {
    const at = new RegExp(`${code} (\\S+)$`).exec(message);
    return `${words} (${code}${at !== null ? ` ${at[1]}` : ''})`;
  }
  if (isTlsCode(code)) {
    // OpenSSL messages carry source paths after the reason: keep the reason.
    const reason = message.replace(/^write EPROTO /, '').split(':').find((part) => /[a-z] [a-z]/.test(part))?.trim() ?? message;
    return `TLS error: ${reason} (${code})`;
  }
  return `${message} (${code})`;
}

export interface FailureReport {
  /** The line to log. */
  readonly message: string;
}

/**
 * Rate limit of the "connection attempt failed" lines of one cluster. `failed()` returns the line
 * to log now, or undefined when it is held back (counted into the next line). `recovered()`
 * resets it after a successful connection and returns a line for attempts held back since the last report, if any.
 */
export class ConnectFailureReporter {
  #lastReportMs: number | undefined;
  #suppressed = 0;
  constructor(private readonly what: string, private readonly intervalMs: number) {}

  failed(nowMs: number, attempt: number, cause: string, retryInMs: number): FailureReport | undefined {
    if (this.#lastReportMs !== undefined && nowMs - this.#lastReportMs < this.intervalMs) {
      this.#suppressed++;
      return undefined;
    }
    const held = this.#suppressed;
    this.#suppressed = 0;
    this.#lastReportMs = nowMs;
    const retry = retryInMs < 1000 ? `${Math.round(retryInMs)} ms` : `${(retryInMs / 1000).toFixed(1)} s`;
    const more = held > 0 ? `; ${held} more failed attempt(s) since the last report` : '';
    return { message: `${this.what}: connection attempt ${attempt} failed: ${cause}; retrying in ${retry}${more}` };
  }

  recovered(): FailureReport | undefined {
    const held = this.#suppressed;
    this.#suppressed = 0;
    this.#lastReportMs = undefined;
    return held > 0 ? { message: `${this.what}: ${held} more failed attempt(s) before connecting` } : undefined;
  }
}
