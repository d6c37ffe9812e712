/**
 * An ingest run: every (dataset, trading day) of the requested range, a few
 * files in flight at once, each streamed into the lake by ingestFile().
 *
 * A day is skipped when its commit record says it was published from the
 * same source object (key, size, ETag) with the same filter and its files are
 * all there, unchanged (a part modified since it was published is checksummed;
 * `verify` checksums every part); `force` redoes it anyway. Missing objects, denied access, corrupt
 * files and network failures fail that day only; the others go on.
 */
import type { DatasetSpec } from '../formats/datasets.js';
import { objectKey } from '../formats/datasets.js';
import type { FlatFileSource } from '../sources/source.js';
import type { DerivedColumns, TickerFilter } from '../formats/csv/parser.js';
import { readManifest, partitionMatches, type ManifestEntry } from '../lake/manifest.js';
import { ingestFile, type BatchTap } from './ingest-file.js';
import type { Inflater } from './inflate.js';
import type { ProgressTracker } from '../observe/progress.js';
import { GammaflowError, SourceError, errorMessage } from '../util/errors.js';
import { withDayRun, type DayContext, type DayWork, type WorkKey } from '../jobs/day-runner.js';

export type DayState = 'ingested' | 'skipped' | 'missing' | 'not_published' | 'failed' | 'abandoned';

export interface DayOutcome {
  readonly dataset: string;
  readonly date: string;
  readonly state: DayState;
  readonly message?: string;
  readonly errorCode?: string;
  readonly entry?: ManifestEntry;
}

export interface IngestRequest {
  readonly datasets: readonly DatasetSpec[];
  /** Trading days to ingest, ascending (the caller walks the calendar). */
  readonly days: readonly string[];
  readonly lake: string;
  readonly source: FlatFileSource;
  readonly force: boolean;
  /** Checksum every published part before trusting it (else only parts whose size or mtime moved). */
  readonly verify?: boolean;
  readonly concurrentFiles: number;
  readonly batchRows: number;
  readonly rowGroupRows: number;
  readonly fileSizeTargetBytes: number;
  readonly zstdLevel: number;
  readonly useWorkerWriter: boolean;
  /** Gzip inflater of every file (inflate.ts `chooseInflater`); zlib when absent. */
  readonly inflater?: Inflater;
  /** Per dataset: a streaming filter and/or derived columns. */
  readonly filterFor?: (dataset: DatasetSpec) => { description: string; filter: TickerFilter } | undefined;
  readonly derivedFor?: (dataset: DatasetSpec) => DerivedColumns | undefined;
  /** A reader of the batches of one file being ingested; a day not ingested (skipped, missing) fails it at once. */
  readonly tapFor?: (dataset: DatasetSpec, date: string) => BatchTap | undefined;
  /** Epoch ms after which a day's file should be published (Massive: ~11:00 ET next trading day). */
  readonly expectedPublishMs: (date: string) => number;
  /**
   * A trading day whose file is missing (past its publication time) fails the run (exit 1) instead
   * of being only reported. A day not yet published is not missing.
   */
  readonly requireAll?: boolean;
  readonly now?: () => number;
  /** Which (dataset, day) items of the work list this run does (a shard's share, src/jobs/shard.ts); default all. */
  readonly selectWork?: (key: WorkKey) => boolean;
  readonly tracker: ProgressTracker;
  readonly signal?: AbortSignal;
  readonly version: string;
}

export interface IngestResult {
  readonly outcomes: DayOutcome[];
  /**
   * 0 when every requested day was ingested, already there, not yet published, or has no file
   * (with `requireAll`, a day without a file makes it 1); 1 when a day failed.
   */
  readonly exitCode: number;
}

type IngestWork = DayWork & { readonly dataset: DatasetSpec };

export async function runIngest(req: IngestRequest): Promise<IngestResult> {
  return withDayRun({
    lake: req.lake, tracker: req.tracker, ...(req.signal ? { signal: req.signal } : {}), ...(req.selectWork ? { selectWork: req.selectWork } : {}),
  }, async (run) => {
    // A dataset or day named twice is ingested once (the first mention sets the order).
    const datasets = [...new Map(req.datasets.map((d) => [d.name, d])).values()];
    const days = [...new Set(req.days)];
    const manifests = new Map<string, Map<string, ManifestEntry>>();
    for (const d of datasets) manifests.set(d.name, await readManifest(req.lake, d.name));
    const works: IngestWork[] = datasets.flatMap((dataset) => days.map((date) => ({
      dataset, key: { dataset: dataset.name, day: date }, id: `${dataset.name}/${date}`, label: objectKey(dataset, date),
    })));
    const outcomes = await run.days(works, {
      command: 'ingest',
      concurrency: req.concurrentFiles,
      run: (w, day) => ingestDay(req, day, w, manifests.get(w.dataset.name)!.get(w.key.day)),
      notRun: (w, message): DayOutcome => ({ dataset: w.dataset.name, date: w.key.day, state: 'abandoned', message }),
      threw: (w, failure): DayOutcome => ({
        dataset: w.dataset.name, date: w.key.day, state: failure.stopped ? 'abandoned' : 'failed', message: failure.message,
        ...(failure.stopped ? {} : { errorCode: failure.error instanceof GammaflowError ? failure.error.code : 'error' }),
      }),
      describeError: (w, e) => {
        const what = e instanceof GammaflowError ? e.message : errorMessage(e);
        return { message: `${w.dataset.name} ${w.key.day}: ${what}`, progressMessage: what };
      },
    });
    if (outcomes.length > 1 && outcomes.every((o) => o.state === 'missing')) {
      req.tracker.log('warn', `no file for any of the ${outcomes.length} requested (dataset, day) pairs in ${req.source.description}: `
        + `check the source (expected keys such as ${objectKey(works[0]!.dataset, works[0]!.key.day)})`);
    }
    const ok = outcomes.every((o) => o.state === 'ingested' || o.state === 'skipped' || o.state === 'not_published'
      || (o.state === 'missing' && req.requireAll !== true));
    return { outcomes, exitCode: ok ? 0 : 1 };
  });
}

/**
 * One (dataset, day): skipped when the lake already holds the same source object, else streamed
 * in. A source file that does not exist is not yet published or missing; other errors are thrown
 * to the day runner.
 */
async function ingestDay(req: IngestRequest, day: DayContext, w: IngestWork, previous: ManifestEntry | undefined): Promise<DayOutcome> {
  const { dataset } = w;
  const date = w.key.day, id = day.id, runId = day.runId;
  const tracker = req.tracker;
  const key = objectKey(dataset, date);
  const base = { dataset: dataset.name, date };
  const filter = req.filterFor?.(dataset);
  // The tap hears how the file ends whichever way it ends (skipped and missing included), so that
  // whatever waits on it (ingest-sides.ts) can let go; from ingestFile on, ingestFile tells it.
  const tap = req.tapFor?.(dataset, date);
  let tapHandedOver = false;
  try {
    const info = await req.source.stat(key);
    if (!req.force && previous !== undefined
      && previous.source.key === info.key && previous.source.size === info.size && previous.source.etag === info.etag
      // an unfiltered day holds every row a filtered request needs
      && (previous.filter === undefined || previous.filter === filter?.description)
      && previous.schemaVersion === dataset.schemaVersion
      && (await partitionMatches(req.lake, previous, { verify: req.verify === true }))) {
      day.skipped('already in the lake (same source object)');
      tap?.fail(new Error('already in the lake'));
      return { ...base, state: 'skipped', message: 'already ingested', entry: previous };
    }
    if (previous !== undefined && !req.force && previous.source.etag !== info.etag) {
      tracker.log('info', `${dataset.name} ${date}: the source object changed since it was ingested (ETag ${previous.source.etag} → ${info.etag}); re-ingesting`);
    }
    day.started(info.size);
    const derived = req.derivedFor?.(dataset);
    tapHandedOver = true;
    const entry = await ingestFile({ id, dataset, date, info }, {
      lake: req.lake, runId, source: req.source,
      batchRows: req.batchRows, rowGroupRows: req.rowGroupRows, fileSizeTargetBytes: req.fileSizeTargetBytes,
      zstdLevel: req.zstdLevel, useWorkerWriter: req.useWorkerWriter,
      ...(req.inflater ? { inflater: req.inflater } : {}),
      ...(filter ? { filter } : {}), ...(derived ? { derived } : {}), ...(tap ? { tap } : {}),
      ...(req.signal ? { signal: req.signal } : {}),
      version: req.version,
    }, {
      bytes: (b) => tracker.fileBytes(id, b),
      rows: (d) => tracker.fileRows(id, d),
      retry: (attempt, error, offset) => {
        tracker.s3Retry(id);
        tracker.log('warn', `${dataset.name} ${date}: connection dropped (${errorMessage(error)}); resuming at byte ${offset} (attempt ${attempt})`);
      },
      publishing: () => tracker.filePublishing(id),
    });
    const msg = `${entry.rows.toLocaleString('en-US')} rows in ${entry.files.length} file(s)` + (entry.rowsRejected ? `, ${entry.rowsRejected} rejected row(s) quarantined` : '');
    day.done(msg);
    if (entry.rowsRejected > 0) tracker.log('warn', `${dataset.name} ${date}: ${entry.rowsRejected} malformed row(s) quarantined in ${dataset.name}/date=${date}/_rejects.jsonl`);
    return { ...base, state: 'ingested', message: msg, entry };
  } catch (e) {
    if (!tapHandedOver) tap?.fail(e);
    if (req.signal?.aborted || !(e instanceof SourceError && e.code === 'not_found')) throw e;
    if ((req.now ?? Date.now)() < req.expectedPublishMs(date)) {
      const what = `not yet published (Massive publishes a day's files around 11:00 ET the next trading day)`;
      const msg = `${dataset.name} ${date}: ${what}`;
      day.skipped(what);
      tracker.log('info', msg);
      return { ...base, state: 'not_published', message: msg };
    }
    const what = `no file ${key} in ${req.source.description}, although ${date} is a trading day`;
    const msg = `${dataset.name} ${date}: ${what}`;
    // Only an error when the run requires every day (--require-all); otherwise reported and the run goes on.
    day.missingFile(what, req.requireAll === true ? `${msg} (--require-all)` : msg, req.requireAll === true);
    return { ...base, state: 'missing', message: msg, errorCode: 'not_found' };
  }
}
