/**
 * Streaming CSV file writer, gzipped (Massive's flat files) or plain (the
 * truth sidecar): the generator's only file I/O.
 *
 * Lifecycle: `open` (writes the header into `<path>.partial`) → `add` rows
 * (encoded straight into ~1 MiB buffers) → `if (sink.full) await sink.flush()`
 * between rows so backpressure reaches the producer → `close` (flushes, ends the stream,
 * renames `<path>.partial` to `path`, returns rows and bytes on disk).
 * Readers never see a half-written file under its final name. `abort`
 * discards the partial file after a failure.
 *
 * Memory stays bounded by the chunk being filled plus the gzip stream's
 * high-water mark whatever the file size. zlib compresses on the libuv
 * thread pool, so a producer that keeps a few chunks queued
 * (`highWaterMarkBytes`) generates the next chunk while the previous one is
 * compressed.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { once } from 'node:events';
import { finished as streamFinished, pipeline } from 'node:stream/promises';
import type { TransformOptions, Writable } from 'node:stream';
import { createGzip, type ZlibOptions } from 'node:zlib';

export interface CsvFileSinkOptions {
  /** zlib level 1–9, or `false` for a plain (uncompressed) file; default 6 (gzip's default). */
  readonly gzipLevel?: number | false;
  /** Size of the buffers rows are encoded into before they go to the stream; default 1 MiB. */
  readonly chunkBytes?: number;
  /** Bytes the gzip (or file) stream may queue before signalling backpressure; default 4 MiB. */
  readonly highWaterMarkBytes?: number;
}

export interface SinkResult {
  /** Data rows written (header excluded). */
  readonly rows: number;
  /** Size on disk (compressed size for gzip files). */
  readonly bytes: number;
}

export class CsvFileSink {
  /** Data rows added so far. */
  rows = 0;
  /** Chunk being filled, bytes [0, used) hold rows not yet handed to the stream. */
  private chunk: Buffer;
  private used = 0;
  /** Filled chunks waiting for `flush`. */
  private ready: Buffer[] = [];
  private readonly finished: Promise<void>;
  private failure: unknown;

  private constructor(private readonly path: string, private readonly partialPath: string,
    private readonly head: Writable, finished: Promise<void>, private readonly chunkBytes: number) {
    this.chunk = Buffer.allocUnsafe(chunkBytes);
    this.finished = finished;
    finished.catch((e: unknown) => { this.failure = e; });
  }

  /** Creates parent folders and starts `path` with `header` (no newline needed). */
  static async open(path: string, header: string, options: CsvFileSinkOptions = {}): Promise<CsvFileSink> {
    await mkdir(dirname(path), { recursive: true });
    const partialPath = `${path}.partial`;
    const highWaterMark = options.highWaterMarkBytes ?? 4 << 20;
    const level = options.gzipLevel ?? 6;
    let head: Writable;
    let finished: Promise<void>;
    if (level === false) {
      head = createWriteStream(partialPath, { highWaterMark });
      finished = streamFinished(head);
    } else {
      // zlib streams pass stream options on to their Transform; @types/node omits them from ZlibOptions.
      const streamOptions: ZlibOptions & TransformOptions = { level, chunkSize: 1 << 18, writableHighWaterMark: highWaterMark };
      const gzip = createGzip(streamOptions);
      head = gzip;
      finished = pipeline(gzip, createWriteStream(partialPath));
    }
    const sink = new CsvFileSink(path, partialPath, head, finished, options.chunkBytes ?? 1 << 20);
    sink.append(`${header}\n`);
    return sink;
  }

  /** Appends one row (its text must end with `\n`). */
  add(rowWithNewline: string): void {
    this.append(rowWithNewline);
    this.rows++;
  }

  /** Appends `rowCount` rows already joined (each ending with `\n`). */
  addRows(text: string, rowCount: number): void {
    this.append(text);
    this.rows += rowCount;
  }

  /** True once a chunk is complete: the producer should `await flush()` now. */
  get full(): boolean {
    return this.ready.length > 0;
  }

  /** Hands complete chunks (and the partial one) to the stream, waiting while its queue is above the high-water mark. */
  async flush(): Promise<void> {
    this.seal();
    const chunks = this.ready;
    this.ready = [];
    for (const chunk of chunks) {
      if (this.failure !== undefined) throw this.failure;
      if (!this.head.write(chunk)) await Promise.race([once(this.head, 'drain'), this.finished]);
    }
  }

  /** Encodes text (UTF-8) into the current chunk, starting a new chunk when it might not fit. */
  private append(text: string): void {
    const worstBytes = text.length * 3;
    if (this.used + worstBytes > this.chunk.length) this.seal();
    if (worstBytes > this.chunk.length) {
      this.ready.push(Buffer.from(text, 'utf8'));
      return;
    }
    this.used += this.chunk.write(text, this.used, 'utf8');
  }

  private seal(): void {
    if (this.used === 0) return;
    this.ready.push(this.chunk.subarray(0, this.used));
    this.chunk = Buffer.allocUnsafe(this.chunkBytes);
    this.used = 0;
  }

  /** Finishes the file and moves it to its final name. */
  async close(): Promise<SinkResult> {
    await this.flush();
    this.head.end();
    await this.finished;
    await rename(this.partialPath, this.path);
    return { rows: this.rows, bytes: (await stat(this.path)).size };
  }

  /** Stops writing and removes the partial file. */
  async abort(): Promise<void> {
    this.head.destroy();
    await this.finished.catch(() => undefined);
    await rm(this.partialPath, { force: true });
  }
}
