/**
 * A download that survives dropped connections: bytes are streamed from one
 * ranged response after another (`Range: bytes=<received>-`, pinned to one
 * ETag) until the whole object has arrived, and the consumer sees a single
 * Readable that is byte-identical to an uninterrupted download.
 *
 * Lifecycle of `openResumable`:
 *   fetch(0) -> stream body -> (drop) -> backoff -> fetch(received) -> ... -> end
 * - Backpressure: chunks are pulled from the current response only when the
 *   returned Readable asks for more (no unbounded buffering).
 * - Retries: a transient failure (see `isRetryableSourceError`) is retried with
 *   exponential backoff; `policy.maxAttempts` bounds the attempts in a row
 *   that fail without receiving a byte. Anything else fails the stream.
 * - Identity: every response must carry the expected ETag and length; a
 *   mismatch fails the stream with SourceError('changed').
 * - Cancellation: `signal` aborting, or the consumer destroying the stream,
 *   aborts the pending request, destroys the response body and interrupts a
 *   backoff sleep at once.
 */
import { Readable, addAbortSignal } from 'node:stream';
import { SourceError } from '../util/errors.js';
import { abortReason, backoffDelayMs, sleep, type RetryPolicy } from './retry.js';
import { isRetryableSourceError } from './s3-errors.js';

/** One response to a (possibly ranged) GET. */
export interface RangeResponse {
  /** The response body, from `offsetBytes` to the end of the object. */
  readonly body: Readable;
  /** ETag of the version served, if the server said. */
  readonly etag?: string;
  /** Bytes this response announces (Content-Length), if the server said. */
  readonly contentLength?: number;
}

/**
 * Issues one GET for the object's bytes from `offsetBytes` to the end, pinned
 * to the expected ETag. Must reject (not hang) when `signal` aborts.
 */
export type FetchRange = (offsetBytes: number, signal: AbortSignal) => Promise<RangeResponse>;

export interface ResumableDownload {
  /** The object key, put in error context. */
  readonly key: string;
  /** For messages, e.g. `s3://flatfiles/us_stocks_sip/...csv.gz`. */
  readonly label: string;
  /** Total size of the object in bytes, from a prior HEAD. */
  readonly sizeBytes: number;
  /** ETag every response must carry (quotes and `W/` are ignored when comparing). */
  readonly etag: string;
  readonly fetchRange: FetchRange;
  /** Turns anything thrown by `fetchRange` or a body into a SourceError. */
  readonly classify: (error: unknown) => SourceError;
  readonly policy: RetryPolicy;
  /** A response that delivers no byte for this long is dropped and resumed. */
  readonly idleTimeoutMs: number;
  readonly signal?: AbortSignal;
  /** Called before each resume: retry number since the download began (from 1), the error, the offset resumed from. */
  readonly onRetry?: (retry: number, error: unknown, offsetBytes: number) => void;
  /** Jitter source in [0, 1); `Math.random` unless a test pins it. */
  readonly random?: () => number;
  /** Buffer of the returned Readable, in bytes. */
  readonly highWaterMarkBytes?: number;
}

const DEFAULT_HIGH_WATER_MARK_BYTES = 1 << 20;

/** The object's bytes as one Readable; see the module comment for the contract. */
export function openResumable(download: ResumableDownload): Readable {
  const internal = new AbortController();
  const chunks = downloadChunks(download, internal.signal);
  const stream = readableFromChunks(chunks, internal, download.highWaterMarkBytes ?? DEFAULT_HIGH_WATER_MARK_BYTES);
  const userSignal = download.signal;
  if (userSignal) {
    const onAbort = (): void => { stream.destroy(toError(abortReason(userSignal))); };
    if (userSignal.aborted) onAbort();
    else {
      userSignal.addEventListener('abort', onAbort, { once: true });
      stream.once('close', () => userSignal.removeEventListener('abort', onAbort));
    }
  }
  return stream;
}

/** Compares ETags as S3 prints them: `"abc"`, `abc` and `W/"abc"` are the same version. */
export function sameEtag(a: string, b: string): boolean {
  const normalize = (etag: string): string => etag.replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
  return normalize(a) === normalize(b);
}

/**
 * The download loop as an async generator of chunks. Suspends at `yield`
 * while the consumer is busy, which is what makes backpressure work.
 */
async function* downloadChunks(download: ResumableDownload, signal: AbortSignal): AsyncGenerator<Buffer> {
  const { key, label, sizeBytes, policy } = download;
  const random = download.random ?? Math.random;
  let receivedBytes = 0;
  let failuresInRow = 0;
  let retries = 0;
  for (;;) {
    const offsetAtAttempt = receivedBytes;
    try {
      const response = await download.fetchRange(receivedBytes, signal);
      checkIdentity(download, response, receivedBytes);
      for await (const chunk of bodyChunks(response.body, signal, download.idleTimeoutMs, download)) {
        receivedBytes += chunk.length;
        if (receivedBytes > sizeBytes) {
          throw new SourceError('changed', `${label} sent more than the ${sizeBytes} bytes announced`, { key, sizeBytes });
        }
        yield chunk;
      }
      if (receivedBytes === sizeBytes) return;
      throw new SourceError('network', `${label}: response ended early at byte ${receivedBytes} of ${sizeBytes}`,
        { key, receivedBytes, sizeBytes });
    } catch (error) {
      if (signal.aborted) throw abortReason(signal);
      const failure = download.classify(error);
      if (!isRetryableSourceError(failure)) throw failure;
      failuresInRow = receivedBytes > offsetAtAttempt ? 1 : failuresInRow + 1;
      if (failuresInRow >= policy.maxAttempts) {
        throw new SourceError('network',
          `gave up downloading ${label} after ${failuresInRow} attempts in a row without progress ` +
          `(at byte ${receivedBytes} of ${sizeBytes}): ${failure.message}`,
          { key, attempts: failuresInRow, receivedBytes, sizeBytes }, { cause: failure });
      }
      retries += 1;
      download.onRetry?.(retries, failure, receivedBytes);
      await sleep(backoffDelayMs(failuresInRow, policy, random()), signal);
    }
  }
}

/** Rejects a response that is not the version (or the length) we are assembling. */
function checkIdentity(download: ResumableDownload, response: RangeResponse, offsetBytes: number): void {
  const { key, label, etag, sizeBytes } = download;
  if (response.etag !== undefined && !sameEtag(response.etag, etag)) {
    response.body.destroy();
    throw new SourceError('changed', `${label} was replaced during the download (ETag ${etag} became ${response.etag})`,
      { key, expectedEtag: etag, etag: response.etag, offsetBytes });
  }
  const expectedLength = sizeBytes - offsetBytes;
  if (response.contentLength !== undefined && response.contentLength !== expectedLength) {
    response.body.destroy();
    throw new SourceError('changed', `${label} changed size: expected ${expectedLength} bytes from offset ${offsetBytes}, ` +
      `server announced ${response.contentLength}`, { key, offsetBytes, contentLength: response.contentLength });
  }
}

/**
 * Chunks of one response body; destroys the body when `signal` aborts, when
 * no chunk arrives for `idleTimeoutMs` (a stalled connection), or when the
 * caller stops iterating. The idle clock only runs while waiting for the
 * network, never while the consumer holds us at `yield`.
 */
async function* bodyChunks(body: Readable, signal: AbortSignal, idleTimeoutMs: number,
  { key, label }: Pick<ResumableDownload, 'key' | 'label'>): AsyncGenerator<Buffer> {
  addAbortSignal(signal, body);
  const iterator = body[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  let awaitingNetwork = false;
  const idleTimer = setTimeout(() => {
    if (!awaitingNetwork) return;
    body.destroy(new SourceError('network', `${label}: no data received for ${idleTimeoutMs} ms`, { key, idleTimeoutMs }));
  }, idleTimeoutMs);
  try {
    for (;;) {
      awaitingNetwork = true;
      idleTimer.refresh();
      const next = await iterator.next();
      awaitingNetwork = false;
      if (next.done) return;
      yield typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    }
  } finally {
    clearTimeout(idleTimer);
    body.destroy();
  }
}

/**
 * A byte Readable fed by an async generator, pulling only when the stream
 * wants data. Destroying the stream aborts `controller`, which makes any
 * request, body read or sleep the generator is awaiting fail at once.
 */
function readableFromChunks(chunks: AsyncGenerator<Buffer>, controller: AbortController, highWaterMark: number): Readable {
  let pumping = false;
  const stop = (): void => { void chunks.return(undefined).catch(() => undefined); };
  const stream = new Readable({
    highWaterMark,
    read() {
      if (!pumping) void pump();
    },
    destroy(error, callback) {
      controller.abort(error ?? new DOMException('The download stream was destroyed', 'AbortError'));
      if (!pumping) stop();
      callback(error);
    },
  });
  async function pump(): Promise<void> {
    pumping = true;
    try {
      for (;;) {
        const next = await chunks.next();
        if (stream.destroyed) {
          stop();
          return;
        }
        if (next.done) {
          stream.push(null);
          return;
        }
        if (!stream.push(next.value)) return;
      }
    } catch (error) {
      if (!stream.destroyed) stream.destroy(toError(error));
    } finally {
      pumping = false;
    }
  }
  return stream;
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
