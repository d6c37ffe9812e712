/**
 * ParquetFileWriter: streams ColumnBatches into one Parquet file on disk.
 *
 * Lifecycle: `new` (creates the file, writes the 'PAR1' magic) → `append`*
 * (rows are buffered until `rowGroupRows` are available, then that row group
 * is encoded, compressed and written with one vectored write) → `close`
 * (flushes the last partial row group, writes the footer, returns size and
 * sha256) or `abort` (closes and deletes the partial file).
 *
 * All I/O is synchronous, by design: writes are large (a whole row group), and
 * the thread that calls `append` is the one doing the encoding anyway. For
 * encoding on another core, use ParquetWorkerWriter, which runs this class in
 * a worker thread.
 *
 * Ownership: `append` copies what it keeps; the caller may reuse the batch's
 * arrays as soon as it returns.
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, openSync, rmSync, writevSync } from 'node:fs';
import type { ColumnBatch, ColumnSpec } from '../../formats/columns.js';
import { describeFsError, errnoCode } from '../../util/fs-errors.js';
import { LakeError, errorMessage } from '../../util/errors.js';
import { createPageCompressor, DEFAULT_ZSTD_LEVEL, type CompressionName } from './codec.js';
import { DEFAULT_PAGE_BYTES, RowGroupEncoder } from './encode.js';
import { encodeFileMetaData, type RowGroup } from './format.js';
import { RowGroupBuffer } from './rowgroup-buffer.js';
import { buildSchema, unitsMetadata, type ParquetSchema } from './schema.js';
import { validateBatch } from './validate.js';

export interface ParquetWriterOptions {
  /** Rows per row group (e.g. 131072); every row group but the last has exactly this many. */
  readonly rowGroupRows: number;
  /** Default 'zstd'. */
  readonly compression?: CompressionName;
  /**
   * zstd level, default 1 (DEFAULT_ZSTD_LEVEL). bench/parquet-writer.ts, 5 M
   * stocks-trades rows, CPU seconds minus generation, with dictionary and
   * delta encodings: level 1 1.41 s (~3.5 M rows/s per core), 75.4 MB;
   * level 3 1.54 s, 74.9 MB. (PLAIN-only writer before: 1.48 s / 108.3 MB
   * and 1.76 s / 101.6 MB.) Level 3 buys < 1 % smaller files for ~9 % more
   * writer CPU; ingest speed is the product's constraint, so 1.
   */
  readonly zstdLevel?: number;
  /** Target uncompressed bytes per data page (default 1 MiB). */
  readonly pageBytes?: number;
  /** Written into the footer; `gammaflow.units` (column → unit JSON) is added automatically. */
  readonly keyValueMetadata?: Readonly<Record<string, string>>;
  /** Footer `created_by`, e.g. 'gammaflow 0.1.0'; default 'gammaflow'. */
  readonly createdBy?: string;
}

export interface ParquetCloseResult {
  readonly rows: number;
  /** File size, bytes. */
  readonly bytes: number;
  readonly rowGroups: number;
  /** Hex sha256 of the whole file, computed while writing. */
  readonly sha256: string;
}

const MAGIC = new TextEncoder().encode('PAR1');

export class ParquetFileWriter {
  private readonly schema: ParquetSchema;
  private readonly encoder: RowGroupEncoder;
  private readonly buffer: RowGroupBuffer;
  private readonly hash: Hash = createHash('sha256');
  private readonly rowGroups: RowGroup[] = [];
  private fd: number | undefined;
  private state: 'open' | 'closed' | 'aborted' = 'open';
  private rowsAppended = 0;
  private position = 0;

  constructor(
    readonly path: string,
    private readonly specs: readonly ColumnSpec[],
    private readonly options: ParquetWriterOptions,
  ) {
    if (!Number.isInteger(options.rowGroupRows) || options.rowGroupRows < 1) {
      throw new LakeError(`rowGroupRows must be a positive integer, got ${options.rowGroupRows}`, { path });
    }
    this.schema = buildSchema(specs);
    this.encoder = new RowGroupEncoder(
      this.schema,
      createPageCompressor(options.compression ?? 'zstd', options.zstdLevel ?? DEFAULT_ZSTD_LEVEL),
      options.pageBytes ?? DEFAULT_PAGE_BYTES,
    );
    this.buffer = new RowGroupBuffer(specs, options.rowGroupRows);
    try {
      this.fd = openSync(path, 'w');
    } catch (e) {
      throw new LakeError(describeFsError(e, 'creating', path), { path, errno: errnoCode(e) }, { cause: e });
    }
    this.write([MAGIC]);
  }

  /** Rows appended so far (buffered or written). */
  get rowsWritten(): number {
    return this.rowsAppended;
  }

  /** Bytes on disk so far (excludes buffered rows; use for size-based file rotation). */
  get bytesWritten(): number {
    return this.position;
  }

  /** Appends a batch of any size (columns in schema order). Throws LakeError on a malformed batch. */
  append(batch: ColumnBatch): void {
    this.assertOpen();
    validateBatch(this.specs, batch, this.path);
    this.appendValidated(batch);
  }

  /**
   * `append` without the validation pass, for a batch that already went
   * through `validateBatch` against this schema (ParquetWorkerWriter's
   * worker: shape checked on the caller's thread, contents in the worker).
   * A malformed batch given here can corrupt the file.
   */
  appendValidated(batch: ColumnBatch): void {
    this.assertOpen();
    const groupRows = this.options.rowGroupRows;
    let row = 0;
    while (row < batch.rows) {
      if (this.buffer.rows === 0 && batch.rows - row >= groupRows) {
        // A whole row group inside the batch: encode it in place, no copy.
        this.writeRowGroup(batch, row, row + groupRows);
        row += groupRows;
        continue;
      }
      const take = Math.min(groupRows - this.buffer.rows, batch.rows - row);
      this.buffer.append(batch, row, row + take);
      row += take;
      if (this.buffer.rows === groupRows) this.flushBuffer();
    }
    this.rowsAppended += batch.rows;
  }

  /**
   * Writes the last row group and the footer, closes the file. Keys in
   * `extraKeyValueMetadata` override same-named keys given at construction.
   */
  close(extraKeyValueMetadata?: Readonly<Record<string, string>>): ParquetCloseResult {
    this.assertOpen();
    try {
      if (this.buffer.rows > 0) this.flushBuffer();
      const footer = encodeFileMetaData({
        schema: this.schema.elements,
        numRows: this.rowsAppended,
        rowGroups: this.rowGroups,
        keyValueMetadata: this.keyValueMetadata(extraKeyValueMetadata),
        createdBy: this.options.createdBy ?? 'gammaflow',
        leafCount: this.schema.leaves.length,
      });
      const footerLength = new Uint8Array(4);
      new DataView(footerLength.buffer).setUint32(0, footer.length, true);
      this.write([footer, footerLength, MAGIC]);
      closeSync(this.takeFd());
    } catch (e) {
      this.abort();
      throw e instanceof LakeError ? e : new LakeError(describeFsError(e, 'writing', this.path), { path: this.path, errno: errnoCode(e) }, { cause: e });
    }
    this.state = 'closed';
    return { rows: this.rowsAppended, bytes: this.position, rowGroups: this.rowGroups.length, sha256: this.hash.digest('hex') };
  }

  /** Closes the file descriptor and deletes the partial file. Safe to call more than once. */
  abort(): void {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    const fd = this.fd;
    this.fd = undefined;
    if (fd !== undefined) {
      try { closeSync(fd); } catch { /* already failing; the delete below matters more */ }
    }
    rmSync(this.path, { force: true });
  }

  private flushBuffer(): void {
    this.writeRowGroup(this.buffer.view(), 0, this.buffer.rows);
    this.buffer.clear();
  }

  private writeRowGroup(batch: ColumnBatch, start: number, end: number): void {
    const encoded = this.encoder.encode(batch, start, end, this.position, this.rowGroups.length);
    this.write(encoded.parts);
    this.rowGroups.push(encoded.metadata);
  }

  private keyValueMetadata(extra: Readonly<Record<string, string>> | undefined): [string, string][] {
    const merged = new Map<string, string>();
    const units = unitsMetadata(this.specs);
    if (units !== undefined) merged.set('gammaflow.units', units);
    for (const [key, value] of Object.entries(this.options.keyValueMetadata ?? {})) merged.set(key, value);
    for (const [key, value] of Object.entries(extra ?? {})) merged.set(key, value);
    return [...merged];
  }

  /** Writes all parts at the current position (looping on short writes) and hashes them. */
  private write(parts: readonly Uint8Array[]): void {
    const fd = this.fd;
    if (fd === undefined) throw new LakeError('parquet file is not open', { path: this.path });
    let pending = parts.filter((part) => part.length > 0);
    try {
      while (pending.length > 0) {
        let written = writevSync(fd, pending);
        let consumed = 0;
        while (consumed < pending.length && written >= pending[consumed].length) {
          const part = pending[consumed++];
          written -= part.length;
          this.hash.update(part);
          this.position += part.length;
        }
        if (consumed < pending.length && written > 0) {
          const partial = pending[consumed];
          this.hash.update(partial.subarray(0, written));
          this.position += written;
          pending = [partial.subarray(written), ...pending.slice(consumed + 1)];
        } else {
          pending = pending.slice(consumed);
        }
      }
    } catch (e) {
      throw new LakeError(describeFsError(e, 'writing', this.path), { path: this.path, errno: errnoCode(e) }, { cause: e });
    }
  }

  private takeFd(): number {
    const fd = this.fd;
    if (fd === undefined) throw new LakeError('parquet file is not open', { path: this.path });
    this.fd = undefined;
    return fd;
  }

  private assertOpen(): void {
    if (this.state !== 'open') throw new LakeError(`parquet writer is ${this.state}`, { path: this.path });
  }
}
