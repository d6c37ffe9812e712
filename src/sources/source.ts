/**
 * A flat-file source: Massive's S3 bucket, any S3-compatible store, or a
 * local folder with the same key layout. Every source hands out the
 * compressed bytes of one object as a Node Readable, so the pipeline
 * (gunzip -> parse -> Parquet) is the same whatever the origin.
 */
import type { Readable } from 'node:stream';

export interface ObjectInfo {
  readonly key: string;
  /** Compressed size in bytes. */
  readonly size: number;
  /** Identity of this version of the object (S3 ETag; for local files, size+mtime). */
  readonly etag: string;
  readonly lastModified?: Date;
}

export interface OpenOptions {
  readonly signal?: AbortSignal;
  /** Called when a dropped connection is resumed (attempt number from 1, the error, the byte offset resumed from). */
  readonly onRetry?: (attempt: number, error: unknown, offset: number) => void;
}

export interface FlatFileSource {
  /** For messages: `s3://flatfiles at https://files.massive.com`, `local:/data/massive`. */
  readonly description: string;
  /**
   * Size and identity of an object.
   * Throws SourceError('not_found') when it does not exist and
   * SourceError('access_denied') when the credentials may not read it.
   */
  stat(key: string): Promise<ObjectInfo>;
  /**
   * The object's bytes from the start, as they arrive. Network sources resume
   * a dropped download with a Range request from the last byte received
   * (bounded retries with backoff) and fail with SourceError('changed') if the
   * object's ETag changed meanwhile. Errors surface as stream errors.
   */
  open(info: ObjectInfo, options?: OpenOptions): Readable;
  /** Releases sockets and the like. */
  close?(): Promise<void> | void;
}
