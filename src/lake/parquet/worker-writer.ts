/**
 * ParquetWorkerWriter: ParquetFileWriter running on a worker thread, so that
 * encoding and zstd compression use a second core while the caller (the CSV
 * parser) keeps the main thread.
 *
 * Same lifecycle and options as ParquetFileWriter, but asynchronous:
 * - `append(batch)` hands the batch to the worker and resolves when fewer than
 *   `maxInFlightBatches` (default 2) batches are queued or being processed:
 *   awaiting it is the pipeline's backpressure.
 * - OWNERSHIP: the batch's ArrayBuffers are *transferred* to the worker; after
 *   `append` the caller's typed arrays are detached (length 0) and must not be
 *   reused. Arrays sharing one ArrayBuffer are fine (it moves once). Node's
 *   pooled small Buffers cannot be transferred and are copied instead.
 *   Arrays on a SharedArrayBuffer are shared, neither moved nor copied: the
 *   caller must not write them until the worker is done with the batch, which
 *   `onBatchDone` reports (the CSV parser builds batches that way and refills
 *   their arrays then: no allocation per batch, and no external memory for V8
 *   to account, which otherwise triggers a major GC every ~64 MB of batches).
 * - `rowsWritten` counts rows accepted by `append`; `bytesWritten` is the file
 *   size as of the last batch the worker finished, so it lags by at most the
 *   in-flight batches (fine for size-based rotation).
 * - Validation is split (validate.ts): a batch of the wrong shape (columns,
 *   types, array lengths) rejects its own `append`; the per-row checks
 *   (offsets, validity bytes) run in the worker before any byte of the batch
 *   is written, so the parser's thread does not pay for them.
 * - A failure in the worker (bad batch contents, disk full) rejects the
 *   pending and all later calls with a LakeError; call `abort()` to delete
 *   the partial file.
 */
import { rmSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { Column, ColumnBatch, ColumnSpec } from '../../formats/columns.js';
import { LakeError, errorMessage } from '../../util/errors.js';
import { validateBatchShape } from './validate.js';
import { deserializeError, type FromWorker, type ToWorker, type WorkerInit } from './worker-protocol.js';
import type { ParquetCloseResult, ParquetWriterOptions } from './writer.js';

export interface ParquetWorkerWriterOptions extends ParquetWriterOptions {
  /** Batches queued in or travelling to the worker before `append` waits (default 2). */
  readonly maxInFlightBatches?: number;
  /**
   * Called with each appended batch, in order, once the worker has encoded or
   * copied it (its shared arrays may be written again); before the `append`
   * waiting for room resumes.
   */
  readonly onBatchDone?: (batch: ColumnBatch) => void;
}

interface Waiter {
  resolve(): void;
  reject(error: Error): void;
}

export class ParquetWorkerWriter {
  private readonly worker: Worker;
  private readonly maxInFlight: number;
  private inFlight = 0;
  /** Appends waiting for room in the queue, oldest first. */
  private readonly roomWaiters: Waiter[] = [];
  /** Pending close/abort: resolved by the worker's 'closed'/'aborted' answer. */
  private finishWaiter: { resolve(result: ParquetCloseResult | undefined): void; reject(error: Error): void } | undefined;
  private failure: LakeError | undefined;
  private state: 'open' | 'finishing' | 'done' = 'open';
  private rowsAppended = 0;
  private bytesOnDisk = 0;
  private readonly onBatchDone: ((batch: ColumnBatch) => void) | undefined;
  /** With onBatchDone: the batches the worker has not answered yet, oldest first. */
  private readonly pending: ColumnBatch[] = [];

  constructor(readonly path: string, private readonly specs: readonly ColumnSpec[], options: ParquetWorkerWriterOptions) {
    const { maxInFlightBatches, onBatchDone, ...writerOptions } = options;
    this.maxInFlight = Math.max(1, maxInFlightBatches ?? 2);
    this.onBatchDone = onBatchDone;
    const init: WorkerInit = { path, schema: specs, options: writerOptions };
    this.worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: init });
    this.worker.on('message', (message: FromWorker) => this.onMessage(message));
    this.worker.on('error', (e) => this.fail(new LakeError(`parquet worker crashed: ${errorMessage(e)}`, { path }, { cause: e })));
    this.worker.on('exit', (code) => {
      if (this.state !== 'done') this.fail(new LakeError(`parquet worker exited (code ${code})`, { path }));
    });
  }

  get rowsWritten(): number {
    return this.rowsAppended;
  }

  get bytesWritten(): number {
    return this.bytesOnDisk;
  }

  /** Queues a batch (transferring its buffers, see the module comment); resolves when the queue has room. */
  async append(batch: ColumnBatch): Promise<void> {
    this.assertUsable();
    validateBatchShape(this.specs, batch, this.path); // the O(rows) checks run in the worker
    this.post({ kind: 'append', batch }, transferables(batch));
    if (this.onBatchDone !== undefined) this.pending.push(batch);
    this.inFlight++;
    this.rowsAppended += batch.rows;
    if (this.inFlight < this.maxInFlight) return;
    await new Promise<void>((resolve, reject) => this.roomWaiters.push({ resolve, reject }));
  }

  /** Waits for queued batches, writes the footer, stops the worker. */
  async close(extraKeyValueMetadata?: Readonly<Record<string, string>>): Promise<ParquetCloseResult> {
    this.assertUsable();
    const result = await this.finish({ kind: 'close', extraKeyValueMetadata });
    if (result === undefined) throw new LakeError('parquet worker did not return a close result', { path: this.path });
    return result;
  }

  /** Stops the worker and deletes the partial file. Never throws. */
  async abort(): Promise<void> {
    if (this.state === 'done') return;
    if (this.state === 'open' && this.failure === undefined) {
      try {
        await this.finish({ kind: 'abort' });
      } catch {
        // The worker is gone or failing: delete the file from here.
      }
    }
    this.state = 'done';
    await this.worker.terminate();
    rmSync(this.path, { force: true });
  }

  private finish(message: ToWorker): Promise<ParquetCloseResult | undefined> {
    this.state = 'finishing';
    return new Promise<ParquetCloseResult | undefined>((resolve, reject) => {
      this.finishWaiter = { resolve, reject };
      this.post(message, []);
    }).finally(() => {
      this.state = 'done';
      void this.worker.terminate();
    });
  }

  private onMessage(message: FromWorker): void {
    switch (message.kind) {
      case 'appended':
        this.inFlight--;
        this.bytesOnDisk = message.bytesWritten;
        if (this.onBatchDone !== undefined) {
          const done = this.pending.shift();
          if (done !== undefined) this.onBatchDone(done);
        }
        if (this.inFlight < this.maxInFlight) this.roomWaiters.shift()?.resolve();
        break;
      case 'closed':
        this.bytesOnDisk = message.result.bytes;
        this.finishWaiter?.resolve(message.result);
        break;
      case 'aborted':
        this.finishWaiter?.resolve(undefined);
        break;
      case 'failed':
        this.fail(deserializeError(message.error));
        break;
    }
  }

  /** Records the first failure and rejects everything waiting. */
  private fail(error: LakeError): void {
    this.failure ??= error;
    for (const waiter of this.roomWaiters.splice(0)) waiter.reject(this.failure);
    const finishWaiter = this.finishWaiter;
    this.finishWaiter = undefined;
    finishWaiter?.reject(this.failure);
  }

  private post(message: ToWorker, transfer: ArrayBuffer[]): void {
    try {
      this.worker.postMessage(message, transfer);
    } catch {
      this.worker.postMessage(message); // untransferable buffer: structured clone copies it
    }
  }

  private assertUsable(): void {
    if (this.failure !== undefined) throw this.failure;
    if (this.state !== 'open') throw new LakeError(`parquet writer is ${this.state === 'done' ? 'closed' : 'closing'}`, { path: this.path });
  }
}

/** The distinct, transferable ArrayBuffers behind a batch's arrays. */
function transferables(batch: ColumnBatch): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  const add = (array: ArrayBufferView | undefined): void => {
    if (array !== undefined && array.buffer instanceof ArrayBuffer) buffers.add(array.buffer);
  };
  for (const column of batch.columns as readonly Column[]) {
    add(column.valid);
    if (column.type === 'utf8') {
      add(column.offsets);
      add(column.bytes);
    } else if (column.type === 'list_int32') {
      add(column.offsets);
      add(column.values);
    } else {
      add(column.values);
    }
  }
  return [...buffers];
}
