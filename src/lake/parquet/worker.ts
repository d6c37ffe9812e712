/**
 * Worker-thread entry of ParquetWorkerWriter: runs a ParquetFileWriter and
 * answers every message in order. Not imported by anything; started with
 * `new Worker(new URL('./worker.js', import.meta.url))`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { serializeError, type FromWorker, type ToWorker, type WorkerInit } from './worker-protocol.js';
import { validateBatchContents } from './validate.js';
import { ParquetFileWriter } from './writer.js';

const port = parentPort;
if (port === null) throw new Error('parquet worker.js must run in a worker thread');

const init = workerData as WorkerInit;
let writer: ParquetFileWriter | undefined;
let openError: unknown;
try {
  writer = new ParquetFileWriter(init.path, init.schema, init.options);
} catch (e) {
  openError = e;
}

const reply = (message: FromWorker): void => port.postMessage(message);

port.on('message', (message: ToWorker) => {
  try {
    if (writer === undefined) {
      if (message.kind === 'abort') reply({ kind: 'aborted' });
      else reply({ kind: 'failed', error: serializeError(openError) });
      return;
    }
    switch (message.kind) {
      case 'append':
        // ParquetWorkerWriter.append checked the shape before the transfer; the per-row checks run here.
        validateBatchContents(init.schema, message.batch, init.path);
        writer.appendValidated(message.batch);
        reply({ kind: 'appended', bytesWritten: writer.bytesWritten });
        break;
      case 'close':
        reply({ kind: 'closed', result: writer.close(message.extraKeyValueMetadata) });
        break;
      case 'abort':
        writer.abort();
        reply({ kind: 'aborted' });
        break;
    }
  } catch (e) {
    reply({ kind: 'failed', error: serializeError(e) });
  }
});
