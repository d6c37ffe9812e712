/**
 * The first error wins. When one failure makes other parts stop (a stream
 * pipeline tears its stages down, an AbortController aborts the rest of a run),
 * the later errors are consequences: "The operation was aborted", "premature
 * close", "writer is closed". This keeps the earliest real cause.
 */

/** An error that only says something else stopped us. */
export function isConsequence(e: unknown): boolean {
  const err = e as { name?: unknown; code?: unknown } | undefined;
  return err?.name === 'AbortError' || err?.code === 'ABORT_ERR' || err?.code === 'ERR_STREAM_PREMATURE_CLOSE'
    || err?.code === 'ERR_STREAM_DESTROYED' || err?.code === 'ERR_STREAM_UNABLE_TO_PIPE';
}

export class FirstError {
  private first: unknown;
  private has = false;

  /** Keeps `e` if it is the first error that is not a mere consequence of another. */
  record(e: unknown): void {
    if (this.has || isConsequence(e)) return;
    this.first = e;
    this.has = true;
  }

  /** The recorded cause, else `fallback`. */
  or(fallback: unknown): unknown {
    return this.has ? this.first : fallback;
  }

  /** Wraps an async function so that what it throws is recorded before it propagates. */
  guard<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
    return async (...args: A) => {
      try {
        return await fn(...args);
      } catch (e) {
        this.record(e);
        throw e;
      }
    };
  }
}
