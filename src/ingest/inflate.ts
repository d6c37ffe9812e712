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
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
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
  /** A new stream for one file: write gzip bytes, read CSV bytes. Destroying it releases everything at once. */
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

/**
 * A filter child process as a Duplex: writes go to its stdin (with backpressure),
 * its stdout is the readable side (paused while our buffer is full). The readable
 * side ends only once the child has exited with status 0; any other end destroys
 * the stream with an InflateFailure carrying the child's stderr.
 */
class ChildInflateStream extends Duplex {
  private readonly child: ChildProcess;
  private stderr = '';
  /** The child's stdio has closed after it exited (all of its output was seen), or it never started. */
  private exited = false;
  /** The process has ended (reaped), whatever became of its pipes. */
  private gone = false;
  private stdinFailed = false;
  private readonly gonePromise: Promise<void>;
  private waitingDrain: ((error?: Error | null) => void) | undefined;

  constructor(path: string, private readonly name: string, args: readonly string[]) {
    super({ readableHighWaterMark: 1 << 20, writableHighWaterMark: 1 << 20 });
    const child = spawn(path, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    this.gonePromise = new Promise((resolve) => {
      child.once('exit', () => { this.gone = true; resolve(); });
      child.once('error', () => { this.gone = true; resolve(); });
    });
    const stdout = child.stdout!, stdin = child.stdin!, stderr = child.stderr!;
    stdout.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) stdout.pause();
    });
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
    stdout.on('error', (e) => this.destroy(e));
    child.once('error', (e) => {
      // spawn failed (igzip removed since it was found, no permission...): there is no process to wait for.
      this.exited = true;
      this.destroy(new InflateFailure(`${this.name} could not be started: ${e.message}`, false, false));
    });
    child.once('close', (code, signal) => {
      this.exited = true;
      this.releaseWriter();
      if (this.destroyed) return;
      if (code === 0 && !this.stdinFailed) {
        this.push(null);
        return;
      }
      this.destroy(this.failure(code, signal));
    });
  }

  private failure(code: number | null, signal: NodeJS.Signals | null): InflateFailure {
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

  override _read(): void {
    this.child.stdout?.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    // Once the child has stopped reading, input is dropped: its exit status decides how the stream ends.
    if (this.stdinFailed || this.exited) { callback(); return; }
    if (this.child.stdin!.write(chunk)) callback();
    else this.waitingDrain = callback;
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (!this.stdinFailed && !this.exited) this.child.stdin!.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.releaseWriter();
    const { child } = this;
    child.stdin?.destroy();
    child.stdout?.destroy();
    child.stderr?.destroy();
    if (this.gone) { callback(error); return; }
    child.kill('SIGKILL');
    // The process is gone (and reaped) before the caller hears of the error.
    void this.gonePromise.then(() => callback(error));
  }
}
