/**
 * Gzip inflaters for flat files: compressed bytes in, CSV bytes out, as one
 * Duplex stream per file.
 *
 * - `zlib`: Node's own gunzip (1 MiB output chunks), always there.
 * - `isal`: Intel ISA-L's `igzip -dc` as a child process (Debian package `isal`),
 *   3–4× faster than zlib on Massive's files (bench/README.md). Its stdin gets
 *   the compressed bytes exactly as the source yields them (so S3 Range resume,
 *   byte counting and backpressure are unchanged), its stdout is the CSV.
 *
 * Both inflate multi-member gzip like `gzip -dc`, and fail on truncated input, bad
 * deflate data, a bad CRC or a non-gzip file. One known difference: bytes after the
 * last member that do not start another member are an error for zlib ("incorrect
 * header check") and ignored by igzip (exit status 0). A failure names the inflater
 * (zlib's error code, or igzip's stderr and exit status); ingest-file.ts turns
 * it into a SourceError naming the file.
 *
 * Child processes never outlive their file: destroying the stream (error,
 * abort, Ctrl-C) kills igzip with SIGKILL and waits until it is gone; if the
 * parent itself dies, igzip sees end of input on stdin (and EPIPE on stdout)
 * and exits by itself.
 *
 * The output side is read with `for await`, and a chunk stays valid only until
 * the next one is asked for: igzip's output is read into one reused buffer.
 * A fresh buffer per 64 KiB pipe read (Node's default) allocates external memory
 * fast enough (the decompressed file) that V8 runs a full garbage collection
 * every few tens of megabytes; reading into one buffer costs none of that.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { Socket } from 'node:net';
import { delimiter, isAbsolute, join } from 'node:path';
import { Duplex } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ConfigError } from '../util/errors.js';

/** `[ingest] inflate`: `auto` = ISA-L when `igzip` is on PATH, else zlib. */
export type InflateSetting = 'auto' | 'isal' | 'zlib';
export const INFLATE_SETTINGS = ['auto', 'isal', 'zlib'] as const;

/** Decompressed chunk size of zlib: 1 MiB chunks make Node's gunzip ~2.5× faster than its 16 KiB default (bench/README.md). */
export const GUNZIP_CHUNK_BYTES = 1 << 20;

export interface Inflater {
  readonly kind: 'isal' | 'zlib';
  /** For the dashboard and the run summary, e.g. `isal (/usr/bin/igzip)`, `zlib (node 20.20.2)`. */
  readonly description: string;
  /**
   * A new stream for one file: write gzip bytes, read CSV bytes with `for await` (each chunk is
   * valid until the next is asked for). Destroying it releases everything at once.
   */
  open(): Duplex;
}

/** A failure of the inflater itself, with what it said. `truncated`: the input ended inside a gzip member. */
export class InflateFailure extends Error {
  constructor(message: string, readonly truncated: boolean, readonly corrupt: boolean) {
    super(message);
    this.name = 'InflateFailure';
  }
}

export const zlibInflater: Inflater = {
  kind: 'zlib',
  description: `zlib (node ${process.versions.node})`,
  open: () => createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES }),
};

/** The full path of an executable `name` on `PATH`, or undefined. */
export function findOnPath(name: string, pathVariable: string | undefined = process.env['PATH']): string | undefined {
  for (const dir of (pathVariable ?? '').split(delimiter)) {
    if (dir === '' || !isAbsolute(dir)) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** ISA-L through the `igzip` binary at `path` (no version probe: a process start costs more than it tells). */
export function isalInflater(path: string): Inflater {
  return {
    kind: 'isal',
    description: `isal (${path})`,
    open: () => new ChildInflateStream(path, 'igzip', ['-dc']),
  };
}

/**
 * The inflater `setting` asks for. `isal` without igzip on PATH is a ConfigError
 * that says how to install it; `auto` falls back to zlib quietly (the summary says which ran).
 */
export function chooseInflater(setting: InflateSetting, pathVariable: string | undefined = process.env['PATH']): Inflater {
  if (setting === 'zlib') return zlibInflater;
  const igzip = findOnPath('igzip', pathVariable);
  if (igzip !== undefined) return isalInflater(igzip);
  if (setting === 'isal') {
    throw new ConfigError('ingest.inflate = "isal" but igzip (Intel ISA-L) is not on PATH: install it (Debian/Ubuntu: apt-get install isal) or set [ingest] inflate = "auto" or "zlib"',
      { key: 'ingest.inflate' });
  }
  return zlibInflater;
}

/** Bytes of the child's stderr kept for the error message. */
const MAX_STDERR_BYTES = 4096;

/** Size of the reused buffer igzip's output is read into (a pipe read returns at most what the pipe holds, 64 KiB by default). */
const OUTPUT_BUFFER_BYTES = 1 << 20;

/**
 * A filter child process as a Duplex: writes go to its stdin (with backpressure);
 * its stdout is read into one reused buffer and handed out by async iteration,
 * one chunk at a time, the pipe paused while the consumer holds a chunk. The
 * iteration ends only once the child has exited with status 0 and its output has
 * ended; any other end destroys the stream with an InflateFailure carrying the
 * child's stderr.
 */
class ChildInflateStream extends Duplex {
  private readonly child: ChildProcess;
  /** The child's stdout, reading into `buffer` (paused while `pending` is held). */
  private readonly output: Socket;
  private readonly buffer = Buffer.allocUnsafeSlow(OUTPUT_BUFFER_BYTES);
  /** Bytes read and not yet handed out. */
  private pending: Uint8Array | undefined;
  private outputEnded = false;
  private exitStatus: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** All output was read and the child exited with status 0. */
  private succeeded = false;
  private failure: Error | undefined;
  /** Wakes the iteration waiting for output, the end or a failure. */
  private wake: (() => void) | undefined;
  private stderr = '';
  /** The process has ended (reaped), whatever became of its pipes; or it never started. */
  private gone = false;
  private stdinFailed = false;
  private readonly gonePromise: Promise<void>;
  private waitingDrain: ((error?: Error | null) => void) | undefined;

  constructor(path: string, private readonly name: string, args: readonly string[]) {
    super({ writableHighWaterMark: 1 << 20 });
    const child = spawn(path, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    this.gonePromise = new Promise((resolve) => {
      child.once('exit', () => { this.gone = true; resolve(); });
      child.once('error', () => { this.gone = true; resolve(); });
    });
    const stdout = child.stdout!, stdin = child.stdin!, stderr = child.stderr!;
    // The pipe's handle moves to a socket that reads into our buffer (net's `onread`), which child_process
    // cannot ask for; returning false stops reading until `output.resume()`.
    const handle = (stdout as unknown as { _handle: unknown })._handle;
    (stdout as unknown as { _handle: unknown })._handle = null;
    stdout.destroy();
    this.output = new Socket({
      handle, readable: true, writable: false,
      onread: {
        buffer: this.buffer,
        callback: (bytes: number, buffer: Uint8Array): boolean => {
          this.pending = new Uint8Array(buffer.buffer, buffer.byteOffset, bytes);
          this.notify();
          return false;
        },
      },
    } as ConstructorParameters<typeof Socket>[0]);
    this.output.on('end', () => { this.outputEnded = true; this.settle(); });
    this.output.on('error', (e) => this.destroy(e));
    this.output.resume();
    stderr.setEncoding('utf8');
    stderr.on('data', (text: string) => {
      if (this.stderr.length < MAX_STDERR_BYTES) this.stderr += text.slice(0, MAX_STDERR_BYTES - this.stderr.length);
    });
    // EPIPE: the child stopped reading (it failed, or was killed). Its exit status tells why.
    stdin.on('error', () => {
      this.stdinFailed = true;
      this.releaseWriter();
    });
    stdin.on('drain', () => this.releaseWriter());
    child.once('error', (e) => {
      // spawn failed (igzip removed since it was found, no permission...): there is no process to wait for.
      this.exitStatus = { code: null, signal: null };
      this.destroy(new InflateFailure(`${this.name} could not be started: ${e.message}`, false, false));
    });
    child.once('exit', (code, signal) => {
      this.exitStatus = { code, signal };
      this.releaseWriter();
      this.settle();
    });
    stderr.once('close', () => this.settle());
  }

  /** Once the child has exited, its output has ended and its stderr is read: succeeds or fails the stream. */
  private settle(): void {
    const status = this.exitStatus;
    if (status === undefined || this.destroyed || this.succeeded) return;
    if (status.code === 0 && !this.stdinFailed) {
      if (!this.outputEnded) return;
      this.succeeded = true;
      this.notify();
      return;
    }
    // A failure is told once stderr is complete (it carries igzip's message).
    if (!this.child.stderr!.closed) return;
    this.destroy(this.failureOf(status.code, status.signal));
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private failureOf(code: number | null, signal: NodeJS.Signals | null): InflateFailure {
    // igzip reads from stdin, so its messages say "file (null)".
    const said = this.stderr.replace(/\s*\(null\)/g, '').replace(/\s+/g, ' ').trim();
    if (code === 0) return new InflateFailure(`${this.name} exited before reading all of its input`, false, true);
    const status = signal !== null ? `killed by ${signal}` : `exit status ${code}`;
    const truncated = /complete gzip|unexpected end|truncat/i.test(said);
    const corrupt = signal === null && (truncated || /error|invalid|crc|header/i.test(said));
    return new InflateFailure(`${said === '' ? this.name : said} (${this.name} ${status})`, truncated, corrupt);
  }

  private releaseWriter(): void {
    const callback = this.waitingDrain;
    this.waitingDrain = undefined;
    callback?.();
  }

  /** The output, chunk by chunk; a chunk is a view of the reused buffer, valid until the next one is asked for. */
  override async *[Symbol.asyncIterator](): AsyncIterableIterator<Buffer> {
    let completed = false;
    try {
      for (;;) {
        if (this.failure !== undefined) throw this.failure;
        if (this.destroyed) throw prematureClose();
        const chunk = this.pending;
        if (chunk !== undefined) {
          this.pending = undefined;
          yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
          this.output.resume();
          continue;
        }
        if (this.succeeded) break;
        await new Promise<void>((resolve) => { this.wake = resolve; });
      }
      completed = true;
    } finally {
      if (completed) {
        // The readable side ends too, for whoever waits on the stream's end (pipeline).
        this.push(null);
        this.resume();
      } else if (!this.destroyed) {
        this.destroy(); // the consumer stopped early
      }
    }
  }

  override _read(): void {
    // Output is handed out by the async iterator only.
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    // Once the child has stopped reading, input is dropped: its exit status decides how the stream ends.
    if (this.stdinFailed || this.exitStatus !== undefined) { callback(); return; }
    if (this.child.stdin!.write(chunk)) callback();
    else this.waitingDrain = callback;
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (!this.stdinFailed && this.exitStatus === undefined) this.child.stdin!.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.failure = error ?? undefined;
    this.releaseWriter();
    this.notify();
    const { child } = this;
    child.stdin?.destroy();
    this.output.destroy();
    child.stderr?.destroy();
    if (this.gone) { callback(error); return; }
    child.kill('SIGKILL');
    // The process is gone (and reaped) before the caller hears of the error.
    void this.gonePromise.then(() => callback(error));
  }
}

function prematureClose(): Error {
  return Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
}
