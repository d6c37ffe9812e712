/**
 * The progress model of a run. The pipeline reports events to a
 * ProgressTracker; every view the user sees (ink dashboard, plain lines, JSON
 * lines, Prometheus) is rendered from `snapshot()` and nothing else.
 *
 * Lifecycle of one file (one Massive flat file, e.g. stocks-trades of one day):
 *
 *     fileQueued -> fileStarted -> fileBytes / fileRows ... -> filePublishing -> fileDone(done)
 *                                                           \-> fileDone(failed)
 *     fileQueued -> fileDone(skipped | missing)          (already in the lake / not published)
 *
 * A file that is started again after it finished (a retry of the whole file)
 * goes back to `running` with its counters reset. Events for an id that was
 * never queued create the file on the fly (key = id) rather than throwing:
 * progress reporting must never break an ingest.
 *
 * Units: see run-snapshot.ts; times come from the injected clock.
 *
 * Pure: no I/O, no timers; time comes from `options.now`.
 */
import type { LiveStatus } from './live-snapshot.js';
import { RateWindow } from './rate.js';
import type { FileProgress, FileState, FinishedFileState, LogEntry, LogLevel, RunInfo, RunSnapshot } from './run-snapshot.js';

export interface ProgressTrackerOptions {
  /** Clock in epoch milliseconds; defaults to Date.now. */
  now?: () => number;
  /** Sliding window for MB/s and rows/s, in milliseconds; default 5000. */
  rateWindowMs?: number;
  /** Log entries kept for snapshots; default 50. */
  maxLogs?: number;
  /** Finished files kept in `recent`; default 8. */
  maxRecent?: number;
}

export interface ProgressEvents {
  /** A log entry, as it is recorded (including the ones from `error()`). */
  log: LogEntry;
  /** A file reached a final state; the payload is its snapshot at that moment. */
  fileDone: FileProgress;
}

type Listener<T> = (payload: T) => void;
type BaseFileProgress = Omit<FileProgress, 'mbPerSec' | 'rowsPerSec' | 'etaSec'>;

interface FileRecord {
  progress: BaseFileProgress;
  /** Rate windows exist only while the file is being read. */
  bytesRate?: RateWindow;
  rowsRate?: RateWindow;
}

const MAX_FAILURES = 100;
const BYTES_PER_MB = 1_000_000;

function isFinished(state: FileState): state is FinishedFileState {
  return state === 'done' || state === 'failed' || state === 'skipped' || state === 'missing';
}

export class ProgressTracker {
  private readonly now: () => number;
  private readonly rateWindowMs: number;
  private readonly maxLogs: number;
  private readonly maxRecent: number;

  private command = '';
  private startedAtMs: number;
  private runStarted = false;
  private daysTotal = 0;
  private daysDone = 0;
  private daysFailed = 0;
  private daysSkipped = 0;
  private daysMissing = 0;
  private filesPlanned = 0;

  private readonly files = new Map<string, FileRecord>();
  private readonly inFlightIds = new Set<string>();
  /** Ids of finished files, newest first, at most maxRecent. */
  private recentIds: string[] = [];

  private bytesRead = 0;
  private rowsParsed = 0;
  private rowsWritten = 0;
  private rowsRejected = 0;
  private s3Retries = 0;
  private errors = 0;
  private readonly bytesRate: RateWindow;
  private readonly rowsRate: RateWindow;

  private info: RunInfo = {};
  private readonly extra: Record<string, string | number> = {};
  private live: LiveStatus | undefined;
  private logs: LogEntry[] = [];
  private readonly listeners: { [K in keyof ProgressEvents]: Set<Listener<ProgressEvents[K]>> } = {
    log: new Set(),
    fileDone: new Set(),
  };

  constructor(options: ProgressTrackerOptions = {}) {
    this.now = options.now ?? Date.now;
    this.rateWindowMs = options.rateWindowMs ?? 5000;
    this.maxLogs = options.maxLogs ?? 50;
    this.maxRecent = options.maxRecent ?? 8;
    this.bytesRate = new RateWindow(this.rateWindowMs);
    this.rowsRate = new RateWindow(this.rateWindowMs);
    this.startedAtMs = this.now();
  }

  /**
   * Names the run and its planned size. The first call also stamps the start
   * time; later calls only update the totals (e.g. once the listing is known).
   */
  startRun(info: { command: string; daysTotal: number; filesTotal: number }): void {
    if (!this.runStarted) {
      this.runStarted = true;
      this.startedAtMs = this.now();
      this.bytesRate.record(this.startedAtMs, this.bytesRead);
      this.rowsRate.record(this.startedAtMs, this.rowsParsed);
    }
    this.command = this.stagePrefix + info.command;
    this.daysTotal = this.stageBaseDays + info.daysTotal;
    this.filesPlanned = this.stageBaseFiles + info.filesTotal;
  }

  private stagePrefix = '';
  private stageBaseDays = 0;
  private stageBaseFiles = 0;

  /**
   * Starts the next stage of a chained command (`gammaflow run`: ingest →
   * greeks → features): the next startRun's totals add to what the earlier
   * stages planned, instead of replacing them.
   */
  nextStage(pipeline: string): void {
    this.stagePrefix = `${pipeline}: `;
    this.stageBaseDays = this.daysTotal;
    this.stageBaseFiles = this.filesPlanned;
  }

  fileQueued(id: string, info: { dataset: string; date: string; key: string }): void {
    const existing = this.files.get(id);
    if (existing) {
      Object.assign(existing.progress, info);
      return;
    }
    this.files.set(id, { progress: { id, ...info, ...emptyCounters(), state: 'queued' } });
  }

  /** The file is being read; `bytesTotal` is its compressed size (0 if unknown). */
  fileStarted(id: string, bytesTotal: number): void {
    const record = this.record(id);
    const nowMs = this.now();
    const p = record.progress;
    if (p.state !== 'queued') {
      // A restart of the whole file: counters start over (totals keep what was read).
      Object.assign(p, emptyCounters());
      delete p.endedAtMs;
      delete p.message;
      this.recentIds = this.recentIds.filter((recentId) => recentId !== id);
    }
    p.state = 'running';
    p.bytesTotal = bytesTotal;
    p.startedAtMs = nowMs;
    record.bytesRate = new RateWindow(this.rateWindowMs);
    record.rowsRate = new RateWindow(this.rateWindowMs);
    record.bytesRate.record(nowMs, 0);
    record.rowsRate.record(nowMs, 0);
    this.inFlightIds.add(id);
  }

  /**
   * Compressed bytes consumed so far by this file (an ABSOLUTE count). A value
   * lower than the previous one means the download restarted; the run's
   * `bytesRead` keeps counting every byte actually read.
   */
  fileBytes(id: string, bytesDone: number): void {
    const record = this.record(id);
    const nowMs = this.now();
    const p = record.progress;
    const delta = bytesDone - p.bytesDone;
    if (delta > 0) this.bytesRead += delta;
    p.bytesDone = bytesDone;
    record.bytesRate?.record(nowMs, bytesDone);
    this.bytesRate.record(nowMs, this.bytesRead);
  }

  /** Adds row counts (increments, not totals). */
  fileRows(id: string, delta: { parsed?: number; written?: number; rejected?: number }): void {
    const record = this.record(id);
    const p = record.progress;
    const parsed = delta.parsed ?? 0;
    p.rowsParsed += parsed;
    p.rowsWritten += delta.written ?? 0;
    p.rowsRejected += delta.rejected ?? 0;
    this.rowsParsed += parsed;
    this.rowsWritten += delta.written ?? 0;
    this.rowsRejected += delta.rejected ?? 0;
    if (parsed !== 0) {
      const nowMs = this.now();
      record.rowsRate?.record(nowMs, p.rowsParsed);
      this.rowsRate.record(nowMs, this.rowsParsed);
    }
  }

  /** All input is read; the file's Parquet output is being finalised and published. */
  filePublishing(id: string): void {
    const record = this.record(id);
    record.progress.state = 'publishing';
    this.inFlightIds.add(id);
  }

  fileDone(id: string, result: { state: FinishedFileState; message?: string }): void {
    const record = this.record(id);
    const p = record.progress;
    p.state = result.state;
    p.endedAtMs = this.now();
    if (result.message !== undefined) p.message = result.message;
    else delete p.message;
    delete record.bytesRate;
    delete record.rowsRate;
    this.inFlightIds.delete(id);
    this.recentIds = [id, ...this.recentIds.filter((recentId) => recentId !== id)].slice(0, this.maxRecent);
    const view = this.view(record, p.endedAtMs);
    for (const listener of this.listeners.fileDone) listener(view);
  }

  /** One trading day finished (all its files); `missing`: its file does not exist although it should by now. */
  dayDone(result: 'done' | 'failed' | 'skipped' | 'missing'): void {
    if (result === 'done') this.daysDone++;
    else if (result === 'failed') this.daysFailed++;
    else if (result === 'missing') this.daysMissing++;
    else this.daysSkipped++;
  }

  /** One S3 request of this file was retried. */
  s3Retry(id: string): void {
    this.record(id).progress.s3Retries++;
    this.s3Retries++;
  }

  /** Counts an error and logs it at error level. */
  error(message: string): void {
    this.errors++;
    this.log('error', message);
  }

  log(level: LogLevel, message: string): void {
    const entry: LogEntry = { atMs: this.now(), level, message };
    this.logs.push(entry);
    if (this.logs.length > this.maxLogs) this.logs = this.logs.slice(-this.maxLogs);
    for (const listener of this.listeners.log) listener(entry);
  }

  /** Merges header information; keys left undefined keep their previous value. */
  setInfo(info: RunInfo): void {
    for (const [key, value] of Object.entries(info) as [keyof RunInfo, RunInfo[keyof RunInfo]][]) {
      if (value !== undefined) (this.info as Record<string, unknown>)[key] = value;
    }
  }

  setExtra(key: string, value: string | number): void {
    this.extra[key] = value;
  }

  deleteExtra(key: string): void {
    delete this.extra[key];
  }

  /** Replaces the live section (the live command, once a second). */
  setLive(live: LiveStatus): void {
    this.live = live;
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on<K extends keyof ProgressEvents>(event: K, listener: Listener<ProgressEvents[K]>): () => void {
    const set = this.listeners[event] as Set<Listener<ProgressEvents[K]>>;
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  /** A deep copy of the current state with rates and ETAs derived at the clock's current time. */
  snapshot(): RunSnapshot {
    const nowMs = this.now();
    const counts: Record<FinishedFileState, number> = { done: 0, failed: 0, skipped: 0, missing: 0 };
    const finishedByDataset: Record<string, Record<FinishedFileState, number>> = {};
    const failures: FileProgress[] = [];
    for (const record of this.files.values()) {
      const p = record.progress;
      if (!isFinished(p.state)) continue;
      counts[p.state]++;
      const byState = (finishedByDataset[p.dataset] ??= { done: 0, failed: 0, skipped: 0, missing: 0 });
      byState[p.state]++;
      if (p.state === 'failed' && failures.length < MAX_FAILURES) failures.push(this.view(record, nowMs));
    }
    const inFlight = [...this.inFlightIds]
      .map((id) => this.files.get(id)!)
      .sort((a, b) => (a.progress.startedAtMs ?? 0) - (b.progress.startedAtMs ?? 0))
      .map((record) => this.view(record, nowMs));
    let bytesTotal = 0;
    for (const record of this.files.values()) bytesTotal += record.progress.bytesTotal;
    return {
      command: this.command,
      startedAtMs: this.startedAtMs,
      nowMs,
      daysTotal: this.daysTotal,
      daysDone: this.daysDone,
      daysFailed: this.daysFailed,
      daysSkipped: this.daysSkipped,
      daysMissing: this.daysMissing,
      filesTotal: Math.max(this.filesPlanned, this.files.size),
      filesDone: counts.done,
      filesFailed: counts.failed,
      filesSkipped: counts.skipped,
      filesMissing: counts.missing,
      inFlight,
      recent: this.recentIds.map((id) => this.view(this.files.get(id)!, nowMs)),
      failures,
      finishedByDataset,
      totals: {
        bytesRead: this.bytesRead,
        bytesTotal,
        rowsParsed: this.rowsParsed,
        rowsWritten: this.rowsWritten,
        rowsRejected: this.rowsRejected,
        mbPerSec: this.bytesRate.perSecond(nowMs) / BYTES_PER_MB,
        rowsPerSec: this.rowsRate.perSecond(nowMs),
        s3Retries: this.s3Retries,
        errors: this.errors,
      },
      ...this.info,
      logs: this.logs.map((entry) => ({ ...entry })),
      extra: { ...this.extra },
      ...(this.live !== undefined ? { live: structuredClone(this.live) } : {}),
    };
  }

  private record(id: string): FileRecord {
    let record = this.files.get(id);
    if (!record) {
      record = { progress: { id, dataset: '', date: '', key: id, ...emptyCounters(), state: 'queued' } };
      this.files.set(id, record);
    }
    return record;
  }

  /** A copy of one file with its derived fields at `nowMs`. */
  private view(record: FileRecord, nowMs: number): FileProgress {
    const p = record.progress;
    let mbPerSec = 0;
    let rowsPerSec = 0;
    let etaSec: number | undefined;
    if (record.bytesRate && record.rowsRate) {
      const bytesPerSec = record.bytesRate.perSecond(nowMs);
      mbPerSec = bytesPerSec / BYTES_PER_MB;
      rowsPerSec = record.rowsRate.perSecond(nowMs);
      if (p.state === 'running' && p.bytesTotal > 0 && bytesPerSec > 0) {
        etaSec = Math.max(0, p.bytesTotal - p.bytesDone) / bytesPerSec;
      }
    } else if (p.startedAtMs !== undefined && p.endedAtMs !== undefined && p.endedAtMs > p.startedAtMs) {
      const seconds = (p.endedAtMs - p.startedAtMs) / 1000;
      mbPerSec = p.bytesDone / seconds / BYTES_PER_MB;
      rowsPerSec = p.rowsParsed / seconds;
    }
    return { ...p, mbPerSec, rowsPerSec, etaSec };
  }
}

function emptyCounters(): Pick<BaseFileProgress, 'bytesDone' | 'bytesTotal' | 'rowsParsed' | 'rowsWritten' | 'rowsRejected' | 's3Retries'> {
  return { bytesDone: 0, bytesTotal: 0, rowsParsed: 0, rowsWritten: 0, rowsRejected: 0, s3Retries: 0 };
}
