/**
 * The one place where S3 failures become SourceErrors. Pure: it reads the
 * fields of an AWS SDK exception (`name`, `$metadata.httpStatusCode`) or of a
 * Node network error (`code`) and never imports the SDK or any I/O module.
 *
 * Codes produced:
 * - `not_found`     404, NoSuchKey, NotFound (what a bare 404 to HEAD becomes), NoSuchBucket
 * - `access_denied` 403 (Massive answers a bare 403 outside the subscription), AccessDenied
 * - `changed`       412 PreconditionFailed: the object's ETag is no longer the one we started with
 * - `network`       5xx, throttling (503 SlowDown), request timeouts, socket errors, premature close:
 *                   transient, so retryable (see `isRetryableSourceError`)
 * - `source`        anything else (other 4xx, unknown errors), with the HTTP status when there is one
 */
import { SourceError } from '../util/errors.js';

/** Node/undici socket-level error codes that mean "the connection failed; trying again may work". */
const TRANSIENT_SOCKET_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'ENETUNREACH', 'ENETDOWN',
  'EHOSTUNREACH', 'EAI_AGAIN', 'ENOTFOUND', 'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_SOCKET',
]);

/** S3 error codes (XML `<Code>` / SDK `name`) that are transient whatever their status. */
const TRANSIENT_S3_CODES = new Set([
  'SlowDown', 'Throttling', 'ThrottlingException', 'RequestTimeout', 'RequestTimeTooSkewed',
  'InternalError', 'ServiceUnavailable', 'TimeoutError', 'RequestTimeoutException',
]);

export interface S3ErrorContext {
  /** The object key concerned, named in the message. */
  readonly key?: string;
  /** The bucket, named in `not_found` for a missing bucket. */
  readonly bucket?: string;
}

/** Fields we read from whatever was thrown; all optional because anything can be thrown. */
interface ErrorFields {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

/** HTTP status of an SDK exception, if it got as far as a response. */
export function httpStatusOf(error: unknown): number | undefined {
  const status = (error as ErrorFields | null)?.$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

/**
 * Maps anything thrown while talking to S3 to a SourceError with a message
 * for people (naming the key, never credentials) and structured context
 * (`key`, `status`, `s3Code`). A SourceError passes through unchanged.
 */
export function classifyS3Error(error: unknown, context: S3ErrorContext = {}): SourceError {
  if (error instanceof SourceError) return error;
  const fields = (typeof error === 'object' && error !== null ? error : {}) as ErrorFields;
  const status = httpStatusOf(error);
  // The SDK names an error it could not parse (a bare 403 to GET) 'Unknown'/'UnknownError': no S3 code then.
  const name = typeof fields.name === 'string' && fields.name !== 'Unknown' && fields.name !== 'UnknownError' ? fields.name : undefined;
  const socketCode = typeof fields.code === 'string' ? fields.code : undefined;
  const detail = typeof fields.message === 'string' && fields.message !== '' ? fields.message : String(error);
  const key = context.key;
  const what = key === undefined ? `bucket ${context.bucket ?? '?'}` : `s3 key ${key}`;
  const errorContext = { key, status, s3Code: name };
  const options = { cause: error };

  if (name === 'NoSuchBucket') {
    return new SourceError('not_found', `no bucket ${context.bucket ?? '(unnamed)'} at this endpoint (NoSuchBucket)`, errorContext, options);
  }
  if (status === 404 || name === 'NoSuchKey' || name === 'NotFound') {
    return new SourceError('not_found', `no object at ${what} (404)`, errorContext, options);
  }
  if (status === 403 || name === 'AccessDenied' || name === 'Forbidden') {
    return new SourceError('access_denied',
      `access denied to ${what} (403): your Massive subscription may not include this dataset, ` +
      'or the S3 access key is wrong (listing can work while downloads are refused)', errorContext, options);
  }
  if (status === 412 || name === 'PreconditionFailed') {
    return new SourceError('changed', `${what} was replaced during the download (412: ETag no longer matches)`, errorContext, options);
  }
  if ((status !== undefined && status >= 500) || (name !== undefined && TRANSIENT_S3_CODES.has(name))) {
    const label = [status, name].filter((part) => part !== undefined).join(' ');
    return new SourceError('network', `S3 request for ${what} failed transiently (${label}): ${detail}`, errorContext, options);
  }
  if (status === undefined && socketCode !== undefined && TRANSIENT_SOCKET_CODES.has(socketCode)) {
    return new SourceError('network', `connection failed while reading ${what}: ${socketCode}: ${detail}`,
      { ...errorContext, s3Code: undefined, socketCode }, options);
  }
  return new SourceError('source', `S3 request for ${what} failed${status === undefined ? '' : ` with HTTP ${status}`}: ${name ?? 'error'}: ${detail}`,
    errorContext, options);
}

/** True for failures worth retrying: transient network and service errors. */
export function isRetryableSourceError(error: SourceError): boolean {
  return error.code === 'network';
}
