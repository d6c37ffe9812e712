/**
 * Writes one (dataset, day) partition: Parquet parts rotated at a size target
 * plus the day's quarantined rows, all in a private staging directory, then
 * publishes them with their commit record in one step (publish.ts).
 *
 * Lifecycle: `create()` → `append(batch)`* / `addRejects()`* → `finish()` →
 * `publish(entry)`; or `abort()` at any point, which deletes the staging
 * directory. `create()` takes the partition's lock (lock.ts) before it
 * stages anything, so no other process stages, publishes or recovers the
 * same partition meanwhile; `publish()` and `abort()` release it. A crash
 * (kill -9) at any moment leaves either the old partition or the new one
 * visible, never a mix; the next command's recovery completes or drops the
 * interrupted publish, and the commit record decides whether the day is
 * redone.
 *
 * On an S3 lake (s3/registry.ts) the staging directory is in the lake's local
 * cache: the partition's lock is taken in `create()`, each part is uploaded as
 * soon as it is closed (one upload at a time, while the next part is written),
 * and `publish` writes the bucket's commit record (s3/s3-lake.ts); the staged
 * copy then becomes the cached partition.
 */
import { mkdir, rm, open, appendFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ColumnBatch, ColumnSpec } from '../formats/columns.js';
import type { CsvReject } from '../formats/csv/parser.js';
import { LakeError } from '../util/errors.js';
import type { ManifestEntry, ManifestFile } from './manifest.js';
import { partFileName, REJECTS_FILE, stagingDir } from './layout.js';
import { remotePartName } from './s3/location.js';
import { remoteLakeAt, type RemotePartitionWrite } from './s3/registry.js';
import { nodePublishFs, publishStaged, type PublishFs } from './publish.js';
import { lockPartitionWaiting, type LakeLock } from './lock.js';
import { ParquetFileWriter } from './parquet/writer.js';
import { ParquetWorkerWriter } from './parquet/worker-writer.js';

export interface DayWriterOptions {
  readonly lake: string;
  readonly dataset: string;
  readonly date: string;
  readonly runId: string;
  readonly schema: readonly ColumnSpec[];
  readonly rowGroupRows: number;
  /** Rows per appended batch (the parser's batch size; default rowGroupRows): sizes the worker writer's queue. */
  readonly batchRows?: number;
  readonly fileSizeTargetBytes: number;
  readonly zstdLevel: number;
  /** Encode and compress on a worker thread (uses a second core while the caller parses). */
  readonly useWorker: boolean;
  /** Key-value metadata for every part (schema version, source object...). */
  readonly keyValueMetadata: Record<string, string>;
  /**
   * Called with each appended batch once the part writer no longer reads it
   * (in-thread: when `append` returns; worker: when the worker has encoded or
   * copied it), so the producer can reuse its arrays (shared memory, see
   * ParquetWorkerWriter; transferred arrays arrive detached).
   */
  readonly onBatchDone?: (batch: ColumnBatch) => void;
  /** The filesystem steps of the publish (tests stop it after each one). */
  readonly publishFs?: PublishFs;
}

interface PartWriter {
  append(batch: ColumnBatch): void | Promise<void>;
  readonly bytesWritten: number;
  readonly rowsWritten: number;
  close(extra?: Record<string, string>): { rows: number; bytes: number; rowGroups: number; sha256: string } | Promise<{ rows: number; bytes: number; rowGroups: number; sha256: string }>;
  abort(): void | Promise<void>;
}

export class DayWriter {
  readonly dir: string;
  private readonly opts: DayWriterOptions;
  private current: PartWriter | undefined;
  private readonly files: ManifestFile[] = [];
  private rejectsCount = 0;
  private rejectsBuffer: string[] = [];
  private finished = false;
  private publishing = false;
  private readonly publishFs: PublishFs;
  /** Local lakes: the partition's lock file (lock.ts). */
  private lock: LakeLock | undefined;
  /** S3 lakes: the partition write (lock held) and the uploads of closed parts, one after the other. */
  private remote: RemotePartitionWrite | undefined;
  private uploads: Promise<void> = Promise.resolve();
  private uploadError: unknown;
  private readonly uploaded: string[] = [];
  private readonly etags = new Map<string, string>();

  private constructor(opts: DayWriterOptions) {
    this.opts = opts;
    this.publishFs = opts.publishFs ?? nodePublishFs;
    this.dir = stagingDir(opts.lake, opts.dataset, opts.date, opts.runId);
  }

  static async create(opts: DayWriterOptions): Promise<DayWriter> {
    const w = new DayWriter(opts);
    // The partition's lock: on an S3 lake the bucket's lock object first; then the lock file (on an S3 lake,
    // in its local cache, where it keeps the staged copy from the recovery of other processes on this machine).
    w.remote = await remoteLakeAt(opts.lake)?.beginWrite(opts.dataset, opts.date, opts.runId);
    try {
      w.lock = await lockPartitionWaiting(opts.lake, opts.dataset, opts.date);
      await rm(w.dir, { recursive: true, force: true });
      await mkdir(w.dir, { recursive: true });
    } catch (e) {
      await w.abort();
      throw e;
    }
    return w;
  }

  get rowsWritten(): number {
    return this.files.reduce((n, f) => n + f.rows, 0) + (this.current?.rowsWritten ?? 0);
  }

  async append(batch: ColumnBatch): Promise<void> {
    if (this.uploadError !== undefined) throw this.uploadError;
    if (batch.rows === 0) return;
    if (this.current === undefined) this.current = this.openPart();
    await this.current.append(batch);
    if (!this.opts.useWorker) this.opts.onBatchDone?.(batch); // ParquetFileWriter copied what it keeps
    if (this.current.bytesWritten >= this.opts.fileSizeTargetBytes) await this.closePart();
  }

  /** Quarantines malformed rows (written to the staging dir, published with the day). */
  async addRejects(file: string, rejects: readonly CsvReject[]): Promise<void> {
    if (rejects.length === 0) return;
    this.rejectsCount += rejects.length;
    for (const r of rejects) this.rejectsBuffer.push(JSON.stringify({ file, line: r.line, field: r.field ?? null, reason: r.reason, raw: r.raw }));
    if (this.rejectsBuffer.length >= 1000) await this.flushRejects();
  }

  get rejectedRows(): number { return this.rejectsCount; }

  private async flushRejects(): Promise<void> {
    if (this.rejectsBuffer.length === 0) return;
    const text = this.rejectsBuffer.join('\n') + '\n';
    this.rejectsBuffer = [];
    await appendFile(join(this.dir, REJECTS_FILE), text);
  }

  private openPart(): PartWriter {
    const path = join(this.dir, this.partName(this.files.length));
    const options = { rowGroupRows: this.opts.rowGroupRows, zstdLevel: this.opts.zstdLevel, keyValueMetadata: this.opts.keyValueMetadata };
    // The worker encodes a row group once it has all of it: with fewer batches in flight than a row group
    // holds, the parser and the writer would take turns waiting (bench/README.md).
    const maxInFlightBatches = Math.ceil(this.opts.rowGroupRows / Math.max(1, this.opts.batchRows ?? this.opts.rowGroupRows)) + 2;
    return this.opts.useWorker
      ? new ParquetWorkerWriter(path, this.opts.schema, {
        ...options, maxInFlightBatches, ...(this.opts.onBatchDone ? { onBatchDone: this.opts.onBatchDone } : {}),
      })
      : new ParquetFileWriter(path, this.opts.schema, options);
  }

  private partName(index: number): string {
    return this.remote !== undefined ? remotePartName(this.opts.runId, index) : partFileName(index);
  }

  private async closePart(): Promise<void> {
    const w = this.current;
    if (w === undefined) return;
    this.current = undefined;
    const name = this.partName(this.files.length);
    const r = await w.close();
    await fsyncFile(join(this.dir, name));
    this.files.push({ name, rows: r.rows, bytes: r.bytes, rowGroups: r.rowGroups, sha256: r.sha256 });
    const remote = this.remote;
    if (remote !== undefined) {
      this.uploaded.push(name);
      this.uploads = this.uploads.then(async () => {
        if (this.uploadError === undefined) this.etags.set(name, await remote.uploadPart(join(this.dir, name), name, r.bytes));
      }).catch((e: unknown) => { this.uploadError ??= e; });
    }
  }

  /** Closes the last part; the staged day is complete on disk. */
  async finish(): Promise<readonly ManifestFile[]> {
    await this.closePart();
    await this.flushRejects();
    if (this.rejectsCount > 0) await fsyncFile(join(this.dir, REJECTS_FILE));
    await this.uploads;
    if (this.uploadError !== undefined) throw this.uploadError;
    this.finished = true;
    return this.files;
  }

  /**
   * Makes the staged day the published one (publish.ts: the commit record is
   * written into the staged directory, which then replaces the partition in
   * one step). Releases the partition lock, published or not.
   */
  async publish(entry: Omit<ManifestEntry, 'files' | 'rows' | 'rowsRejected' | 'publishedAt' | 'generation'> & { rowsFiltered: number }): Promise<ManifestEntry> {
    if (!this.finished) throw new LakeError('publish() before finish()', { dataset: this.opts.dataset, date: this.opts.date });
    if (this.remote !== undefined) {
      const record = await this.remote.publish(this.dir, {
        ...entry,
        files: this.files.map((f) => ({ ...f, etag: this.etags.get(f.name)! })),
        rows: this.files.reduce((n, f) => n + f.rows, 0),
        rowsRejected: this.rejectsCount,
        publishedAt: new Date().toISOString(),
      }, this.rejectsCount > 0 ? join(this.dir, REJECTS_FILE) : undefined);
      this.remote = undefined;
      this.lock?.release();
      return record;
    }
    const files: ManifestFile[] = [];
    this.publishing = true;
    try {
      for (const f of this.files) files.push({ ...f, mtimeMs: (await stat(join(this.dir, f.name))).mtimeMs });
      return await publishStaged(this.publishFs, this.opts.lake, this.dir, {
        ...entry,
        files,
        rows: files.reduce((n, f) => n + f.rows, 0),
        rowsRejected: this.rejectsCount,
        publishedAt: new Date().toISOString(),
      });
    } finally {
      // A publish that failed half-way leaves copies that recovery repairs, under the lock, as after a crash.
      this.lock?.release();
    }
  }

  /**
   * Drops everything staged (the published partition, if any, is untouched). After a publish
   * that failed half-way the lock is gone and the staged directory may be the day's only complete
   * copy: it is left to recovery.
   */
  async abort(): Promise<void> {
    const w = this.current;
    this.current = undefined;
    if (w !== undefined) {
      try { await w.abort(); } catch { /* best effort */ }
    }
    const remote = this.remote;
    this.remote = undefined;
    if (remote !== undefined) {
      await this.uploads;
      // Uploaded parts no record names: deleted now, or by the next publish or recovery of the partition.
      await remote.abort(this.uploaded).catch(() => {});
    }
    if (this.publishing) return;
    try {
      await rm(this.dir, { recursive: true, force: true });
    } finally {
      this.lock?.release();
    }
  }
}

async function fsyncFile(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try { await fh.sync(); } finally { await fh.close(); }
}
