/**
 * The run snapshot: the one model every view of a run renders (ink dashboard, plain and JSON
 * progress lines, Prometheus, the web page's Jobs). ProgressTracker (progress.ts) produces it;
 * the live section is typed in live-snapshot.ts.
 *
 * Units: bytes are compressed input bytes (what is downloaded / read from disk); MB = 10^6
 * bytes; times are epoch milliseconds. Pure: types only.
 */
import type { LiveStatus } from './live-snapshot.js';

export type FileState = 'queued' | 'running' | 'publishing' | 'done' | 'failed' | 'skipped' | 'missing';
/** The states a file can end in. */
export type FinishedFileState = 'done' | 'failed' | 'skipped' | 'missing';
export type LogLevel = 'info' | 'warn' | 'error';

export interface FileProgress {
  id: string;
  dataset: string;
  /** Trading day, `YYYY-MM-DD`. */
  date: string;
  /** Source key or path of the flat file. */
  key: string;
  state: FileState;
  /** Compressed bytes consumed so far. */
  bytesDone: number;
  /** Compressed size; 0 while unknown. */
  bytesTotal: number;
  rowsParsed: number;
  rowsWritten: number;
  rowsRejected: number;
  /** S3 requests of this file that were retried. */
  s3Retries: number;
  startedAtMs?: number;
  endedAtMs?: number;
  message?: string;
  /** Derived in snapshot(): MB/s of compressed input over the rate window (whole-file average once finished). */
  mbPerSec: number;
  /** Derived in snapshot(): parsed rows per second, same window rule as mbPerSec. */
  rowsPerSec: number;
  /** Derived in snapshot(): seconds until all bytes are read at the recent byte rate; undefined when unknown or not reading. */
  etaSec: number | undefined;
}

export interface LogEntry {
  atMs: number;
  level: LogLevel;
  message: string;
}

export interface RunTotals {
  /** Compressed bytes read, including bytes read again after a retry (monotonic). */
  bytesRead: number;
  /** Sum of the sizes of the files started so far. */
  bytesTotal: number;
  rowsParsed: number;
  rowsWritten: number;
  rowsRejected: number;
  /** MB/s of compressed input over the rate window, all files together. */
  mbPerSec: number;
  /** Parsed rows per second over the rate window, all files together. */
  rowsPerSec: number;
  s3Retries: number;
  /** Calls to `error()`. */
  errors: number;
}

export interface RunSnapshot {
  command: string;
  startedAtMs: number;
  nowMs: number;
  daysTotal: number;
  daysDone: number;
  daysFailed: number;
  daysSkipped: number;
  /** Trading days whose file does not exist although it should be published by now (ingest). */
  daysMissing: number;
  /** Planned files: the larger of startRun's filesTotal and the number of files queued. */
  filesTotal: number;
  /** Files that ended in state `done` (failed, skipped and missing are counted apart). */
  filesDone: number;
  filesFailed: number;
  filesSkipped: number;
  filesMissing: number;
  /** Files in state running or publishing, in the order they started. */
  inFlight: FileProgress[];
  /** The last few finished files, newest first. */
  recent: FileProgress[];
  /** Failed files, oldest first (at most the first 100). */
  failures: FileProgress[];
  /** Finished files counted by dataset, then by final state. */
  finishedByDataset: Record<string, Record<FinishedFileState, number>>;
  totals: RunTotals;
  metricsAddress?: string;
  configPath?: string;
  lastConfigReloadMs?: number;
  lastConfigReloadMessage?: string;
  /** The last log entries, oldest first. */
  logs: LogEntry[];
  /** Named values a batch command reports next to its progress (e.g. aggression_classified_pct). */
  extra: Record<string, string | number>;
  /** The live section, present only under `gammaflow live`. */
  live?: LiveStatus;
}

export interface RunInfo {
  metricsAddress?: string;
  configPath?: string;
  lastConfigReloadMs?: number;
  lastConfigReloadMessage?: string;
}
