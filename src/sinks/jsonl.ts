/**
 * The JSONL sink of the realtime pipeline: one JSON line per row on a stream (stdout with
 * `--jsonl`), exactly the lines of `gammaflow features --out x.jsonl` (jsonLine). A revision is a
 * later line for the same window. When the stream has more than `maxBufferedBytes` waiting (a
 * slow pipe), rows are dropped, counted and logged instead of growing memory. Never blocks the
 * pipeline.
 */
import { jsonLine } from '../features/output.js';
import type { FeatureRow } from '../features/row.js';
import type { RowEmission } from '../live/pipeline.js';
import { isPowerOfTen, type OutputLog } from './sink-log.js';

/** The part of a writable stream the JSONL sink uses (process.stdout fits). */
export interface LineStream {
  write(chunk: string): boolean;
  readonly writableLength: number;
}

export interface JsonlSinkOptions {
  readonly aggression: boolean;
  /** Most bytes left waiting in the stream before rows are dropped; default 16 MiB. */
  readonly maxBufferedBytes?: number;
  readonly onLog?: OutputLog;
}

export class JsonlSink {
  readonly #out: LineStream;
  readonly #aggression: boolean;
  readonly #maxBuffered: number;
  readonly #onLog: OutputLog | undefined;
  #written = 0;
  #dropped = 0;

  constructor(out: LineStream, options: JsonlSinkOptions) {
    this.#out = out;
    this.#aggression = options.aggression;
    this.#maxBuffered = options.maxBufferedBytes ?? 16 * 1024 * 1024;
    this.#onLog = options.onLog;
  }

  get written(): number { return this.#written; }
  get dropped(): number { return this.#dropped; }

  add(row: FeatureRow, _emission?: RowEmission): void {
    if (this.#out.writableLength > this.#maxBuffered) {
      this.#dropped++;
      if (isPowerOfTen(this.#dropped)) {
        this.#onLog?.('warn', `--jsonl: the reader of stdout is too slow (${this.#out.writableLength} bytes waiting); ${this.#dropped} rows dropped so far`);
      }
      return;
    }
    this.#out.write(jsonLine(row, this.#aggression) + '\n');
    this.#written++;
  }
}
