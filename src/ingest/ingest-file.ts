/**
 * One flat file → one lake partition, streaming:
 *
 *   source bytes ─▶ byte counter ─▶ inflate ─▶ CSV parser ─▶ Parquet parts (worker thread)
 *
 * Inflate is zlib (libuv threadpool) or ISA-L's igzip (a child process), see
 * inflate.ts. Backpressure is end to end: the parser awaits the writer, the
 * async iteration of the inflater's output pauses it, which stops reading the source.
 * Memory stays flat whatever the file size. Any failure (network, truncated
 * gzip, bad header) aborts the staged day: nothing is published and the next
 * run retries the file.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ColumnBatch } from '../formats/columns.js';
import type { DatasetSpec } from '../formats/datasets.js';
import { CsvBatchParser, type DerivedColumns, type RowRules, type TickerFilter } from '../formats/csv/parser.js';
import { addDays, nyWallClockToUtcNs } from '../calendar/index.js';
import type { FlatFileSource, ObjectInfo } from '../sources/source.js';
import { DayWriter } from '../lake/day-writer.js';
import type { ManifestEntry } from '../lake/manifest.js';
import { GammaflowError, LakeError, ParseError, SourceError } from '../util/errors.js';
import { describeFsError } from '../util/fs-errors.js';
import { FirstError } from '../util/first-error.js';
import { InflateFailure, zlibInflater, type Inflater } from './inflate.js';

export interface FileTask {
  readonly id: string;
  readonly dataset: DatasetSpec;
  readonly date: string;
  readonly info: ObjectInfo;
}

export interface FileIngestOptions {
  readonly lake: string;
  readonly runId: string;
  readonly source: FlatFileSource;
  readonly batchRows: number;
  readonly rowGroupRows: number;
  readonly fileSizeTargetBytes: number;
  readonly zstdLevel: number;
  readonly useWorkerWriter: boolean;
  /** Gzip inflater (inflate.ts); zlib when absent. */
  readonly inflater?: Inflater;
  readonly filter?: { readonly description: string; readonly filter: TickerFilter };
  readonly derived?: DerivedColumns;
  readonly signal?: AbortSignal;
  readonly version: string;
  /** Sees every batch written, in partition order, and how the file ends (options/ingest-sides.ts). */
  readonly tap?: BatchTap;
}

/**
 * A reader of the batches a file ingest writes: called with each batch just before it goes to
 * the writer (copy what is needed: the parser reuses the arrays), then told how the file ended.
 * Exactly one of `end` and `fail` is called.
 */
export interface BatchTap {
  batch(batch: ColumnBatch): void;
  /** The file was published as `entry` (all its batches were seen). */
  end(entry: ManifestEntry): void;
  /** The file was not published. */
  fail(reason: unknown): void;
}

export interface FileIngestEvents {
  bytes(bytesDone: number): void;
  rows(delta: { parsed?: number; written?: number; rejected?: number }): void;
  retry(attempt: number, error: unknown, offset: number): void;
  publishing(): void;
}

class ByteCounter extends Transform {
  total = 0;
  constructor(private readonly onBytes: (n: number) => void) {
    super({ highWaterMark: 1 << 20 });
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.total += chunk.length;
    this.onBytes(this.total);
    cb(null, chunk);
  }
}

export async function ingestFile(task: FileTask, opts: FileIngestOptions, events: FileIngestEvents): Promise<ManifestEntry> {
  const { dataset, date, info } = task;
  const fileLabel = `${opts.source.description}/${info.key}`;
  const derivedSpecs = opts.derived?.specs ?? [];
  const schema = [...dataset.columns, ...derivedSpecs];
  const parser = new CsvBatchParser({
    columns: dataset.columns, batchRows: opts.batchRows, file: fileLabel,
    rules: rowRules(dataset, date),
    ...(opts.filter ? { filter: opts.filter.filter } : {}),
    ...(opts.derived ? { derived: opts.derived } : {}),
    // The worker writer shares (does not transfer) batches on shared memory and says when it is done with each.
    sharedMemory: opts.useWorkerWriter,
  });
  const writer = await DayWriter.create({
    lake: opts.lake, dataset: dataset.name, date, runId: opts.runId, schema,
    rowGroupRows: opts.rowGroupRows, batchRows: opts.batchRows, fileSizeTargetBytes: opts.fileSizeTargetBytes, zstdLevel: opts.zstdLevel,
    useWorker: opts.useWorkerWriter,
    onBatchDone: (batch) => parser.recycle(batch), // the writer is done with it: the parser refills its arrays
    keyValueMetadata: {
      'gammaflow.schema_version': String(dataset.schemaVersion),
      'gammaflow.dataset': dataset.name,
      'gammaflow.date': date,
      'gammaflow.source_key': info.key,
      'gammaflow.source_size': String(info.size),
      'gammaflow.source_etag': info.etag,
      'gammaflow.units': JSON.stringify(Object.fromEntries(schema.filter((c) => c.unit).map((c) => [c.name, c.unit]))),
      ...(opts.filter ? { 'gammaflow.filter': opts.filter.description } : {}),
      'gammaflow.version': opts.version,
    },
  });
  let seen = 0, rejected = 0;
  const report = async (): Promise<void> => {
    const rejects = parser.takeRejects();
    if (rejects.length > 0) await writer.addRejects(fileLabel, rejects);
    const dSeen = parser.rowsSeen - seen, dRej = parser.rowsRejected - rejected;
    seen = parser.rowsSeen; rejected = parser.rowsRejected;
    if (dSeen > 0 || dRej > 0) events.rows({ parsed: dSeen, rejected: dRej });
    checkDayOfFile(parser, fileLabel, date, false);
  };
  const counter = new ByteCounter(events.bytes);
  // The first failure of any stage is the cause. Node's pipeline() rejects with its own AbortError when
  // the consuming function throws (the other stages are torn down with it), so each stage's error is
  // recorded as it happens and the earliest one is reported.
  const firstError = new FirstError();
  try {
    const body = opts.source.open(info, { ...(opts.signal ? { signal: opts.signal } : {}), onRetry: events.retry });
    const inflate = (opts.inflater ?? zlibInflater).open();
    for (const stage of [body, counter, inflate]) stage.on('error', (e: unknown) => firstError.record(e));
    await pipeline(
      body,
      counter,
      inflate,
      firstError.guard(async (chunks: AsyncIterable<Buffer>) => {
        for await (const chunk of chunks) {
          for (const batch of parser.push(chunk)) {
            opts.tap?.batch(batch);
            await writer.append(batch);
            events.rows({ written: batch.rows });
          }
          await report();
        }
        for (const batch of parser.end()) {
          opts.tap?.batch(batch);
          await writer.append(batch);
          events.rows({ written: batch.rows });
        }
        await report();
      }),
      ...(opts.signal ? [{ signal: opts.signal }] as const : []),
    );
    checkDayOfFile(parser, fileLabel, date, true);
    if (counter.total !== info.size) {
      throw new SourceError('corrupt', `${fileLabel}: read ${counter.total} bytes but the object has ${info.size}`, { key: info.key });
    }
    await writer.finish();
    events.publishing();
    const entry = await writer.publish({
      dataset: dataset.name, date,
      source: { description: opts.source.description, key: info.key, size: info.size, etag: info.etag },
      ...(opts.filter ? { filter: opts.filter.description } : {}),
      rowsFiltered: parser.rowsFiltered,
      schemaVersion: dataset.schemaVersion,
      runId: opts.runId,
    });
    opts.tap?.end(entry);
    return entry;
  } catch (e) {
    const cause = firstError.or(e);
    opts.tap?.fail(cause);
    await writer.abort();
    throw describeFailure(cause, fileLabel, info, counter.total);
  }
}

/** The dataset's value checks, and its event time within the file's New York calendar day. */
function rowRules(dataset: DatasetSpec, date: string): RowRules {
  return {
    positive: dataset.checks.positive,
    nonNegative: dataset.checks.nonNegative,
    within: { column: 'sip_timestamp', startNs: nyWallClockToUtcNs(date, 0, 0), endNs: nyWallClockToUtcNs(addDays(date, 1), 0, 0), day: date },
  };
}

/** Rows kept or rejected so far before a file is judged to be of another day (checked early, then at the end). */
const DAY_CHECK_MIN_ROWS = 10_000;

/**
 * A few rows outside the file's day are quarantined like any bad row; a file
 * most of whose rows are outside it is the wrong file (misplaced or misnamed)
 * and fails as a whole, naming the day it seems to hold.
 */
function checkDayOfFile(parser: CsvBatchParser, file: string, date: string, atEnd: boolean): void {
  const considered = parser.rowsSeen - parser.rowsFiltered;
  if (considered === 0 || (!atEnd && considered < DAY_CHECK_MIN_ROWS)) return;
  const outside = parser.rowsOutsideDay;
  if (outside * 2 <= considered) return;
  const likely = parser.mostCommonOutsideDay;
  throw new ParseError(
    `${file}: ${outside.toLocaleString('en-US')} of ${considered.toLocaleString('en-US')} rows have a sip_timestamp outside ${date} (New York)`
    + (likely ? `; the file seems to hold ${likely.day}. Is it under the wrong date?` : ''),
    { file, date, rowsOutsideDay: outside, ...(likely ? { seemsToHold: likely.day } : {}) });
}

/** Maps low-level failures to errors that name the file and say what to do. */
function describeFailure(e: unknown, file: string, info: ObjectInfo, bytesRead: number): unknown {
  if (e instanceof GammaflowError) return e;
  const err = e as NodeJS.ErrnoException;
  if (err?.name === 'AbortError') return e;
  if (e instanceof InflateFailure) {
    if (!e.corrupt) return new SourceError('source', `${file}: ${e.message}`, { key: info.key, bytesRead }, { cause: e });
    return new SourceError('corrupt',
      `${file}: ${e.truncated || bytesRead === 0 ? 'truncated' : 'corrupt'} gzip (${e.message}) after ${bytesRead} of ${info.size} compressed bytes; the day was not published and will be retried on the next run`,
      { key: info.key, bytesRead }, { cause: e });
  }
  if (typeof err?.code === 'string' && typeof err.syscall === 'string' && err.syscall !== 'read' && err.syscall !== 'open') {
    // a local write failed (disk full, read-only lake...): the lake, not the source, is at fault
    return new LakeError(`${file}: ${describeFsError(e, 'writing', err.path ?? 'the lake')}`, { key: info.key, errno: err.code }, { cause: e });
  }
  if (err?.code === 'Z_BUF_ERROR' || err?.code === 'Z_DATA_ERROR' || /unexpected end of file|incorrect header check|invalid/i.test(err?.message ?? '')) {
    const truncated = err.code === 'Z_BUF_ERROR' || /unexpected end of file/.test(err.message);
    return new SourceError('corrupt',
      `${file}: ${truncated ? 'truncated' : 'corrupt'} gzip (${err.message}) after ${bytesRead} of ${info.size} compressed bytes; the day was not published and will be retried on the next run`,
      { key: info.key, bytesRead }, { cause: e });
  }
  return new SourceError('source', `${file}: ${err?.message ?? String(e)}`, { key: info.key }, { cause: e });
}
