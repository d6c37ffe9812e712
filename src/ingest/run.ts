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
import { randomBytes } from 'node:crypto';
import type { DatasetSpec } from '../formats/datasets.js';
import { objectKey } from '../formats/datasets.js';
import type { FlatFileSource } from '../sources/source.js';
import type { DerivedColumns, TickerFilter } from '../formats/csv/parser.js';
import { readManifest, partitionMatches, type ManifestEntry } from '../lake/manifest.js';
import { recoverLake } from '../lake/publish.js';
import { ingestFile, type BatchTap } from './ingest-file.js';
import type { Inflater } from './inflate.js';
import type { ProgressTracker } from '../observe/progress.js';
import { GammaflowError, SourceError, errorMessage } from '../util/errors.js';
import type { WorkKey } from '../jobs/shard.js';

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

export async function runIngest(req: IngestRequest): Promise<IngestResult> {
  for (const action of (await recoverLake(req.lake)).actions) req.tracker.log('warn', action);
  const runId = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  // A dataset or day named twice is ingested once (the first mention sets the order).
  const datasets = [...new Map(req.datasets.map((d) => [d.name, d])).values()];
  const days = [...new Set(req.days)];
  const manifests = new Map<string, Map<string, ManifestEntry>>();
  for (const d of datasets) manifests.set(d.name, await readManifest(req.lake, d.name));

  const tasks = datasets.flatMap((dataset) => days.map((date) => ({ dataset, date, id: `${dataset.name}/${date}` })))
    .filter((t) => req.selectWork?.({ dataset: t.dataset.name, day: t.date }) ?? true);
  req.tracker.startRun({ command: 'ingest', daysTotal: tasks.length, filesTotal: tasks.length });
  for (const t of tasks) req.tracker.fileQueued(t.id, { dataset: t.dataset.name, date: t.date, key: objectKey(t.dataset, t.date) });

  const outcomes: DayOutcome[] = new Array(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const i = next++;
      const t = tasks[i]!;
      if (req.signal?.aborted) {
        outcomes[i] = { dataset: t.dataset.name, date: t.date, state: 'abandoned', message: 'stopped before it started' };
        req.tracker.fileDone(t.id, { state: 'skipped', message: 'stopped' });
        continue;
      }
      outcomes[i] = await ingestDay(req, runId, t, manifests.get(t.dataset.name)!.get(t.date));
    }
  };
  const n = Math.max(1, Math.min(req.concurrentFiles, tasks.length));
  await Promise.all(Array.from({ length: n }, worker));
  if (outcomes.length > 1 && outcomes.every((o) => o.state === 'missing')) {
    req.tracker.log('warn', `no file for any of the ${outcomes.length} requested (dataset, day) pairs in ${req.source.description}: `
      + `check the source (expected keys such as ${objectKey(tasks[0]!.dataset, tasks[0]!.date)})`);
  }
  const ok = outcomes.every((o) => o.state === 'ingested' || o.state === 'skipped' || o.state === 'not_published'
    || (o.state === 'missing' && req.requireAll !== true));
  return { outcomes, exitCode: ok ? 0 : 1 };
}

async function ingestDay(req: IngestRequest, runId: string, t: { dataset: DatasetSpec; date: string; id: string }, previous: ManifestEntry | undefined): Promise<DayOutcome> {
  const { dataset, date, id } = t;
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
      tracker.fileDone(id, { state: 'skipped', message: 'already in the lake (same source object)' });
      tracker.dayDone('skipped');
      tap?.fail(new Error('already in the lake'));
      return { ...base, state: 'skipped', message: 'already ingested', entry: previous };
    }
    if (previous !== undefined && !req.force && previous.source.etag !== info.etag) {
      tracker.log('info', `${dataset.name} ${date}: the source object changed since it was ingested (ETag ${previous.source.etag} → ${info.etag}); re-ingesting`);
    }
    tracker.fileStarted(id, info.size);
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
    tracker.fileDone(id, { state: 'done', message: msg });
    tracker.dayDone('done');
    if (entry.rowsRejected > 0) tracker.log('warn', `${dataset.name} ${date}: ${entry.rowsRejected} malformed row(s) quarantined in ${dataset.name}/date=${date}/_rejects.jsonl`);
    return { ...base, state: 'ingested', message: msg, entry };
  } catch (e) {
    if (!tapHandedOver) tap?.fail(e);
    if (req.signal?.aborted) {
      tracker.fileDone(id, { state: 'failed', message: 'stopped: nothing published, will be redone next run' });
      tracker.dayDone('failed');
      return { ...base, state: 'abandoned', message: 'stopped by the user; nothing was published for this day' };
    }
    if (e instanceof SourceError && e.code === 'not_found') {
      const now = (req.now ?? Date.now)();
      if (now < req.expectedPublishMs(date)) {
        const what = `not yet published (Massive publishes a day's files around 11:00 ET the next trading day)`;
        const msg = `${dataset.name} ${date}: ${what}`;
        tracker.fileDone(id, { state: 'skipped', message: what });
        tracker.dayDone('skipped');
        tracker.log('info', msg);
        return { ...base, state: 'not_published', message: msg };
      }
      const what = `no file ${key} in ${req.source.description}, although ${date} is a trading day`;
      const msg = `${dataset.name} ${date}: ${what}`;
      tracker.fileDone(id, { state: 'missing', message: what });
      tracker.dayDone('missing');
      // Only an error when the run requires every day (--require-all); otherwise reported and the run goes on.
      if (req.requireAll === true) tracker.error(`${msg} (--require-all)`);
      else tracker.log('warn', msg);
      return { ...base, state: 'missing', message: msg, errorCode: 'not_found' };
    }
    const what = e instanceof GammaflowError ? e.message : errorMessage(e);
    const message = `${dataset.name} ${date}: ${what}`;
    tracker.fileDone(id, { state: 'failed', message: what });
    tracker.dayDone('failed');
    tracker.error(message);
    return { ...base, state: 'failed', message, errorCode: e instanceof GammaflowError ? e.code : 'error' };
  }
}
