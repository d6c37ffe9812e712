/**
 * `--source s3`: Massive's flat-file bucket (or any S3-compatible store) read
 * with the AWS SDK v3. Objects are streamed, never buffered whole; a download
 * whose connection drops is resumed with a Range request pinned to the ETag
 * (see s3-resume.ts). Every failure becomes a SourceError (s3-errors.ts).
 *
 * Retries are owned here, not by the SDK (its `maxAttempts` is 1): one budget
 * and one backoff for throttling, 5xx and mid-body drops alike.
 *
 * Credentials are handed to the SDK and nowhere else: they are not part of
 * `description`, and error messages are scrubbed of them as a last guard.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { SourceError } from '../util/errors.js';
import { DEFAULT_RETRY_POLICY, withRetry, type RetryPolicy } from './retry.js';
import { classifyS3Error, isRetryableSourceError } from './s3-errors.js';
import { openResumable, type RangeResponse } from './s3-resume.js';
import type { FlatFileSource, ObjectInfo, OpenOptions } from './source.js';

export const MASSIVE_FLATFILES_ENDPOINT = 'https://files.massive.com';
export const MASSIVE_FLATFILES_BUCKET = 'flatfiles';

export interface S3SourceOptions {
  /** Default `https://files.massive.com` (legacy: `https://files.polygon.io`). */
  readonly endpoint?: string;
  /** Default `flatfiles`. */
  readonly bucket?: string;
  /** Signing region; default `us-east-1`. */
  readonly region?: string;
  /** S3 access key from the Massive dashboard (not the REST API key). */
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Path-style URLs (`endpoint/bucket/key`); default true, as Massive requires. */
  readonly forcePathStyle?: boolean;
  /** Attempts in a row without progress before giving up; default 6. */
  readonly maxAttempts?: number;
  /** First backoff in milliseconds, doubling per retry; default 500. */
  readonly retryBaseMs?: number;
  /** Longest backoff in milliseconds; default 30 000. */
  readonly retryMaxMs?: number;
  /** Concurrent connections to the endpoint; default 4. */
  readonly maxSockets?: number;
  /**
   * A request waiting this long for its response headers, or a response body
   * silent this long, is dropped and retried (resumed); default 60 000 ms.
   */
  readonly idleTimeoutMs?: number;
  /** Time to establish a TCP/TLS connection; default 10 000 ms. */
  readonly connectTimeoutMs?: number;
  /** Jitter source in [0, 1) for backoff; tests may pin it. */
  readonly random?: () => number;
}

const DEFAULT_MAX_SOCKETS = 4;
const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

export class S3Source implements FlatFileSource {
  readonly description: string;
  readonly endpoint: string;
  readonly bucket: string;
  readonly retryPolicy: RetryPolicy;
  private readonly client: S3Client;
  private readonly idleTimeoutMs: number;
  private readonly random: () => number;
  /** Strings that must never appear in an error message. */
  private readonly secrets: readonly string[];

  constructor(options: S3SourceOptions) {
    this.endpoint = options.endpoint ?? MASSIVE_FLATFILES_ENDPOINT;
    this.bucket = options.bucket ?? MASSIVE_FLATFILES_BUCKET;
    this.description = `s3://${this.bucket} at ${this.endpoint}`;
    this.retryPolicy = {
      maxAttempts: options.maxAttempts ?? DEFAULT_RETRY_POLICY.maxAttempts,
      baseDelayMs: options.retryBaseMs ?? DEFAULT_RETRY_POLICY.baseDelayMs,
      maxDelayMs: options.retryMaxMs ?? DEFAULT_RETRY_POLICY.maxDelayMs,
    };
    this.idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    this.random = options.random ?? Math.random;
    this.secrets = [options.secretAccessKey, options.accessKeyId].filter((s) => s.length >= 4);
    const maxSockets = options.maxSockets ?? DEFAULT_MAX_SOCKETS;
    this.client = new S3Client({
      endpoint: this.endpoint,
      region: options.region ?? 'us-east-1',
      forcePathStyle: options.forcePathStyle ?? true,
      credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
      maxAttempts: 1,
      // S3-compatible stores may not know the newer flexible checksums; ask for them only when an API requires it.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: {
        httpAgent: new HttpAgent({ keepAlive: true, maxSockets }),
        httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets }),
        connectionTimeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
        // Time to response headers (cleared once they arrive); body silence is watched in s3-resume.ts.
        requestTimeout: this.idleTimeoutMs,
        throwOnRequestTimeout: true,
      },
    });
  }

  /** HeadObject: size, ETag and modification time. Transient failures are retried. */
  async stat(key: string): Promise<ObjectInfo> {
    const head = await this.retrying(key, () => this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key })));
    if (head.ContentLength === undefined || head.ETag === undefined) {
      throw new SourceError('source', `HEAD ${this.url(key)} answered without Content-Length or ETag`, { key });
    }
    return { key, size: head.ContentLength, etag: head.ETag, ...(head.LastModified ? { lastModified: head.LastModified } : {}) };
  }

  /**
   * The object's bytes from the start, streamed. Each GET carries
   * `If-Match: <info.etag>`, and resumed ones `Range: bytes=<received>-`;
   * a replaced object fails the stream with SourceError('changed'), too many
   * failures in a row with SourceError('network'), `signal` with an AbortError.
   */
  open(info: ObjectInfo, options: OpenOptions = {}): Readable {
    const fetchRange = async (offsetBytes: number, signal: AbortSignal): Promise<RangeResponse> => {
      const response = await this.client.send(new GetObjectCommand({
        Bucket: this.bucket,
        Key: info.key,
        IfMatch: info.etag,
        ...(offsetBytes > 0 ? { Range: `bytes=${offsetBytes}-` } : {}),
      }), { abortSignal: signal });
      if (!(response.Body instanceof Readable)) {
        throw new SourceError('source', `GET ${this.url(info.key)} returned no streaming body`, { key: info.key });
      }
      return {
        body: response.Body,
        ...(response.ETag !== undefined ? { etag: response.ETag } : {}),
        ...(response.ContentLength !== undefined ? { contentLength: response.ContentLength } : {}),
      };
    };
    return openResumable({
      key: info.key,
      label: this.url(info.key),
      sizeBytes: info.size,
      etag: info.etag,
      fetchRange,
      classify: (error) => this.toSourceError(error, info.key),
      policy: this.retryPolicy,
      idleTimeoutMs: this.idleTimeoutMs,
      random: this.random,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onRetry ? { onRetry: options.onRetry } : {}),
    });
  }

  /** Every object under `prefix` (ListObjectsV2, page by page), for diagnostics and discovery. */
  async *list(prefix: string): AsyncGenerator<ObjectInfo> {
    let continuationToken: string | undefined;
    do {
      const token = continuationToken;
      const page = await this.retrying(undefined, () => this.client.send(new ListObjectsV2Command({
        Bucket: this.bucket,
        Prefix: prefix,
        ...(token !== undefined ? { ContinuationToken: token } : {}),
      })));
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue;
        yield {
          key: object.Key,
          size: object.Size ?? 0,
          etag: object.ETag ?? '',
          ...(object.LastModified ? { lastModified: object.LastModified } : {}),
        };
      }
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken !== undefined);
  }

  /** Closes pooled connections. */
  close(): void {
    this.client.destroy();
  }

  private url(key: string): string {
    return `s3://${this.bucket}/${key}`;
  }

  /** One request/response exchange with retries; failures surface as SourceErrors. */
  private retrying<T>(key: string | undefined, request: () => Promise<T>): Promise<T> {
    return withRetry(
      async () => {
        try {
          return await request();
        } catch (error) {
          throw this.toSourceError(error, key);
        }
      },
      (error) => error instanceof SourceError && isRetryableSourceError(error),
      this.retryPolicy,
      { random: this.random },
    );
  }

  /** classifyS3Error plus a last guard that no credential leaks into the message. */
  private toSourceError(error: unknown, key: string | undefined): SourceError {
    const classified = classifyS3Error(error, { bucket: this.bucket, ...(key !== undefined ? { key } : {}) });
    if (!this.secrets.some((secret) => classified.message.includes(secret))) return classified;
    let message = classified.message;
    for (const secret of this.secrets) message = message.split(secret).join('[redacted]');
    const code = classified.code as ConstructorParameters<typeof SourceError>[0];
    return new SourceError(code, message, classified.context, { cause: classified.cause });
  }
}
