/**
 * Messages between ParquetWorkerWriter (main thread) and worker.ts. Pure types
 * plus the error (de)serialisation both sides share.
 */
import type { ColumnBatch, ColumnSpec } from '../../formats/columns.js';
import { GammaflowError, LakeError, errorMessage, type ErrorContext } from '../../util/errors.js';
import type { ParquetCloseResult, ParquetWriterOptions } from './writer.js';

/** `workerData` of the worker: what ParquetFileWriter's constructor needs. */
export interface WorkerInit {
  readonly path: string;
  readonly schema: readonly ColumnSpec[];
  readonly options: ParquetWriterOptions;
}

export type ToWorker =
  | { readonly kind: 'append'; readonly batch: ColumnBatch }
  | { readonly kind: 'close'; readonly extraKeyValueMetadata?: Readonly<Record<string, string>> }
  | { readonly kind: 'abort' };

export interface SerializedError {
  readonly message: string;
  readonly context: ErrorContext;
}

export type FromWorker =
  /** One `append` has been fully processed (encoded and written, or buffered). */
  | { readonly kind: 'appended'; readonly bytesWritten: number }
  | { readonly kind: 'closed'; readonly result: ParquetCloseResult }
  | { readonly kind: 'aborted' }
  | { readonly kind: 'failed'; readonly error: SerializedError };

export function serializeError(e: unknown): SerializedError {
  return e instanceof GammaflowError
    ? { message: e.message, context: e.context }
    : { message: errorMessage(e), context: {} };
}

export function deserializeError(e: SerializedError): LakeError {
  return new LakeError(e.message, e.context);
}
