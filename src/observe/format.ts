/**
 * Text renderings of the progress model: numbers with units, one-line file
 * progress, the end-of-run summary, and JSON lines for `--json`.
 *
 * Conventions: SI units (1 MB = 10^6 bytes, like the MB/s in the snapshot);
 * scaled numbers keep 2 decimals below 10 and 1 decimal from 10 up
 * (`3.41 GB`, `812.4 MB`); counts are grouped by thousands with commas
 * whatever the locale, so output is the same on every machine.
 *
 * Pure: no I/O.
 */
import { liveStatusParts } from './live-format.js';
import type { LiveStatus } from './live-snapshot.js';
import type { FileProgress, LogEntry, RunSnapshot } from './run-snapshot.js';

const MISSING = '--';

/** Scales `value` by powers of 1000 and formats it with the largest unit that keeps it below 1000. */
function scaleSi(value: number, units: readonly string[]): { text: string; unit: string } {
  if (!Number.isFinite(value)) return { text: MISSING, unit: units[0]! };
  let scaled = Math.abs(value);
  let unitIndex = 0;
  while (unitIndex < units.length - 1 && roundForDisplay(scaled) >= 1000) {
    scaled /= 1000;
    unitIndex++;
  }
  const sign = value < 0 ? '-' : '';
  const text = unitIndex === 0 && Number.isInteger(value) ? String(Math.abs(value)) : fixed(scaled);
  return { text: sign + text, unit: units[unitIndex]! };
}

/** 2 decimals below 10, 1 decimal from 10 up. */
function fixed(value: number): string {
  return value < 9.995 ? value.toFixed(2) : value.toFixed(1);
}

function roundForDisplay(value: number): number {
  return Number(fixed(value));
}

/** `512 B`, `812.4 MB`, `3.41 GB`. */
export function formatBytes(bytes: number): string {
  const { text, unit } = scaleSi(bytes, ['B', 'kB', 'MB', 'GB', 'TB', 'PB']);
  return `${text} ${unit}`;
}

/** Throughput of compressed input in a fixed unit so lines compare at a glance: `61.2 MB/s`, `0.52 MB/s`. */
export function formatMbPerSec(mbPerSec: number): string {
  return Number.isFinite(mbPerSec) ? `${fixed(Math.max(0, mbPerSec))} MB/s` : `${MISSING} MB/s`;
}

/** A per-second rate of things with an SI prefix: `formatRate(2_310_000, 'rows')` is `2.31 M rows/s`. */
export function formatRate(perSec: number, unit: string): string {
  const { text, unit: prefix } = scaleSi(perSec, ['', 'k', 'M', 'G', 'T']);
  return prefix === '' ? `${text} ${unit}/s` : `${text} ${prefix} ${unit}/s`;
}

/** An integer grouped by thousands: `8,123,456`. */
export function formatCount(count: number): string {
  if (!Number.isFinite(count)) return MISSING;
  const rounded = Math.round(count);
  const digits = String(Math.abs(rounded));
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return rounded < 0 ? `-${grouped}` : grouped;
}

/** `42s`, `1m 23s`, `2h 05m`, `3d 04h`; `--` when unknown. */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return MISSING;
  const total = Math.round(seconds);
  const pad = (n: number) => String(n).padStart(2, '0');
  if (total < 60) return `${total}s`;
  if (total < 3600) return `${Math.floor(total / 60)}m ${pad(total % 60)}s`;
  if (total < 86_400) return `${Math.floor(total / 3600)}h ${pad(Math.floor((total % 3600) / 60))}m`;
  return `${Math.floor(total / 86_400)}d ${pad(Math.floor((total % 86_400) / 3600))}h`;
}

/** `23.8%`; `--%` when the fraction is unknown. */
export function formatPercent(fraction: number | undefined): string {
  if (fraction === undefined || !Number.isFinite(fraction)) return `${MISSING}%`;
  return `${(Math.min(1, Math.max(0, fraction)) * 100).toFixed(1)}%`;
}

/** A text progress bar of `width` cells: `██████░░░░`. */
export function renderBar(fraction: number | undefined, width: number): string {
  const f = fraction === undefined || !Number.isFinite(fraction) ? 0 : Math.min(1, Math.max(0, fraction));
  const filled = Math.round(f * width);
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}

/** Fraction of the file's compressed bytes read; undefined while the size is unknown. */
export function fileFraction(file: FileProgress): number | undefined {
  return file.bytesTotal > 0 ? Math.min(1, file.bytesDone / file.bytesTotal) : undefined;
}

/** `written N` appears only when it differs from parsed minus rejected (i.e. a ticker filter dropped rows). */
function rowCounts(file: Pick<FileProgress, 'rowsParsed' | 'rowsWritten' | 'rowsRejected'>): string {
  const parts = [`rows ${formatCount(file.rowsParsed)}`];
  if (file.rowsWritten !== file.rowsParsed - file.rowsRejected) parts.push(`written ${formatCount(file.rowsWritten)}`);
  parts.push(`rejects ${formatCount(file.rowsRejected)}`);
  return parts.join('  ');
}

/**
 * One line for a file in flight:
 * `stocks-trades 2025-11-07  812.4 MB / 3.41 GB  23.8%  61.2 MB/s  2.31 M rows/s  rows 8,123,456  rejects 0  ETA 42s`
 */
export function renderProgressLine(file: FileProgress): string {
  const size = file.bytesTotal > 0 ? formatBytes(file.bytesTotal) : '?';
  const tail = file.state === 'publishing' ? 'publishing' : `ETA ${formatDuration(file.etaSec)}`;
  return [
    fileLabel(file),
    `${formatBytes(file.bytesDone)} / ${size}`,
    formatPercent(fileFraction(file)),
    formatMbPerSec(file.mbPerSec),
    formatRate(file.rowsPerSec, 'rows'),
    rowCounts(file),
    tail,
  ].join('  ');
}

/** `stocks-trades 2025-11-07`, or the id when the file was never described. */
export function fileLabel(file: Pick<FileProgress, 'id' | 'dataset' | 'date'>): string {
  return file.dataset || file.date ? `${file.dataset} ${file.date}`.trim() : file.id;
}

/** Seconds between start and end of a finished file; undefined if it never started. */
export function fileDurationSec(file: FileProgress): number | undefined {
  return file.startedAtMs !== undefined && file.endedAtMs !== undefined ? (file.endedAtMs - file.startedAtMs) / 1000 : undefined;
}

/**
 * One line for a finished file:
 * `done stocks-trades 2025-11-07  3.41 GB in 55s  61.2 MB/s  rows 8,123,456  rejects 0`,
 * `failed options-trades 2025-11-07: corrupt gzip`.
 */
export function renderFileDoneLine(file: FileProgress): string {
  const head = `${file.state} ${fileLabel(file)}`;
  const duration = fileDurationSec(file);
  const parts = [head];
  if (duration !== undefined && file.bytesDone === 0 && file.bytesTotal === 0) {
    // A computed step (greeks, features): no input bytes to speak of.
    parts.push(`in ${formatDuration(duration)}`, rowCounts(file));
  } else if (duration !== undefined) {
    parts.push(`${formatBytes(file.bytesDone)} in ${formatDuration(duration)}`, formatMbPerSec(file.mbPerSec), rowCounts(file));
    if (file.s3Retries > 0) parts.push(`s3 retries ${file.s3Retries}`);
  }
  const line = parts.join('  ');
  return file.message ? `${line}: ${file.message}` : line;
}

/** `2025-11-07T14:03:12Z warn  message` (UTC, second precision). */
export function renderLogLine(entry: LogEntry): string {
  const at = new Date(entry.atMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return `${at} ${entry.level.padEnd(5)} ${entry.message}`;
}

/** Elapsed seconds of the run at the snapshot. */
export function elapsedSec(snapshot: RunSnapshot): number {
  return Math.max(0, (snapshot.nowMs - snapshot.startedAtMs) / 1000);
}

/** Files that reached any final state. */
export function filesFinished(snapshot: RunSnapshot): number {
  return snapshot.filesDone + snapshot.filesFailed + snapshot.filesSkipped + snapshot.filesMissing;
}

/** Days that reached any final state. */
export function daysFinished(snapshot: RunSnapshot): number {
  return snapshot.daysDone + snapshot.daysFailed + snapshot.daysSkipped + snapshot.daysMissing;
}

/** Average MB/s of compressed input over the whole run. */
export function runAverageMbPerSec(snapshot: RunSnapshot): number {
  const seconds = elapsedSec(snapshot);
  return seconds > 0 ? snapshot.totals.bytesRead / seconds / 1_000_000 : 0;
}

/**
 * One line about the whole run, printed before the file lines in plain mode:
 * `ingest 1m 23s  days 3/10  files 12/40  61.2 MB/s  2.31 M rows/s  errors 0  feed=connected`.
 * Days and files are counted when they reach any final state.
 */
export function renderStatusLine(snapshot: RunSnapshot): string {
  const t = snapshot.totals;
  const parts = [`${snapshot.command || 'run'} ${formatDuration(elapsedSec(snapshot))}`];
  // A run without days or files (live) shows only its errors and extras.
  if (snapshot.daysTotal > 0 || snapshot.filesTotal > 0) {
    parts.push(`days ${daysFinished(snapshot)}/${snapshot.daysTotal}`, `files ${filesFinished(snapshot)}/${snapshot.filesTotal}`,
      formatMbPerSec(t.mbPerSec), formatRate(t.rowsPerSec, 'rows'));
  }
  parts.push(`errors ${formatCount(t.errors)}`);
  if (snapshot.live !== undefined) parts.push(...liveStatusParts(snapshot.live));
  for (const [key, value] of Object.entries(snapshot.extra)) parts.push(`${key}=${value}`);
  return parts.join('  ');
}

/** The end-of-run report for people, one string per line. */
export function renderSummary(snapshot: RunSnapshot): string[] {
  const t = snapshot.totals;
  const seconds = elapsedSec(snapshot);
  const lines = [`${snapshot.command || 'run'} finished in ${formatDuration(seconds)}`];
  // Runs without days or files (live) and without input bytes (greeks, features) skip what does not apply.
  if (snapshot.daysTotal > 0 || snapshot.filesTotal > 0) {
    lines.push(
      `days: ${snapshot.daysDone} done, ${snapshot.daysFailed} failed, ${snapshot.daysSkipped} skipped, ${snapshot.daysMissing} missing of ${snapshot.daysTotal}`,
      `files: ${snapshot.filesDone} done, ${snapshot.filesFailed} failed, ${snapshot.filesSkipped} skipped, ` +
        `${snapshot.filesMissing} missing of ${snapshot.filesTotal}`,
    );
  }
  const rows = `rows parsed ${formatCount(t.rowsParsed)}  written ${formatCount(t.rowsWritten)}  rejected ${formatCount(t.rowsRejected)}` +
    (seconds > 0 ? `  (${formatRate(t.rowsParsed / seconds, 'rows')})` : '');
  if (t.bytesRead > 0 || t.s3Retries > 0) {
    lines.push(`read ${formatBytes(t.bytesRead)} at ${formatMbPerSec(runAverageMbPerSec(snapshot))} average  ${rows}`,
      `s3 retries ${formatCount(t.s3Retries)}  errors ${formatCount(t.errors)}`);
  } else {
    lines.push(rows, `errors ${formatCount(t.errors)}`);
  }
  // What the run's extras say at the end (e.g. which gzip inflater ingest used).
  const extras = Object.entries(snapshot.extra);
  if (extras.length > 0) lines.push(extras.map(([key, value]) => `${key}=${value}`).join('  '));
  if (snapshot.live !== undefined) lines.push(liveStatusParts(snapshot.live).join('  '));
  for (const file of snapshot.failures) lines.push(`  failed ${fileLabel(file)} (${file.key})${file.message ? `: ${file.message}` : ''}`);
  return lines;
}

/** Rounds to `decimals` places so JSON lines stay short. */
function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

function jsonFile(file: FileProgress) {
  const fraction = fileFraction(file);
  return {
    id: file.id,
    dataset: file.dataset,
    date: file.date,
    key: file.key,
    state: file.state,
    bytesDone: file.bytesDone,
    bytesTotal: file.bytesTotal,
    fraction: fraction === undefined ? null : round(fraction, 4),
    mbPerSec: round(file.mbPerSec, 3),
    rowsPerSec: Math.round(file.rowsPerSec),
    rowsParsed: file.rowsParsed,
    rowsWritten: file.rowsWritten,
    rowsRejected: file.rowsRejected,
    s3Retries: file.s3Retries,
    etaSec: file.etaSec === undefined ? null : round(file.etaSec, 1),
    durationSec: fileDurationSec(file) ?? null,
    message: file.message ?? null,
  };
}

/**
 * One JSON line (no trailing newline) describing the run now, for `--json`.
 * Field names are stable; unknown values are `null`, never absent:
 * `{"type":"progress","command","atMs","elapsedSec","days":{total,done,failed,skipped,missing},
 *   "files":{total,done,failed,skipped,missing,inFlight},"totals":{...},"inFlight":[file...],"extra":{},"live":{...}|null}`.
 * `live` is the live section of the snapshot (live-snapshot.ts) under `gammaflow live`, with
 * unknown values as `null`; `null` for every other command.
 */
export function renderJsonProgress(snapshot: RunSnapshot): string {
  return JSON.stringify(jsonProgress(snapshot));
}

function jsonProgress(snapshot: RunSnapshot) {
  const t = snapshot.totals;
  return {
    type: 'progress',
    command: snapshot.command,
    atMs: snapshot.nowMs,
    elapsedSec: round(elapsedSec(snapshot), 1),
    days: { total: snapshot.daysTotal, done: snapshot.daysDone, failed: snapshot.daysFailed, skipped: snapshot.daysSkipped, missing: snapshot.daysMissing },
    files: {
      total: snapshot.filesTotal, done: snapshot.filesDone, failed: snapshot.filesFailed,
      skipped: snapshot.filesSkipped, missing: snapshot.filesMissing, inFlight: snapshot.inFlight.length,
    },
    totals: {
      bytesRead: t.bytesRead, bytesTotal: t.bytesTotal,
      rowsParsed: t.rowsParsed, rowsWritten: t.rowsWritten, rowsRejected: t.rowsRejected,
      mbPerSec: round(t.mbPerSec, 3), rowsPerSec: Math.round(t.rowsPerSec),
      s3Retries: t.s3Retries, errors: t.errors,
    },
    inFlight: snapshot.inFlight.map(jsonFile),
    extra: snapshot.extra,
    live: snapshot.live === undefined ? null : jsonLive(snapshot.live),
  };
}

/** The live section with every unknown value `null` (JSON.stringify would leave the key out). */
function jsonLive(live: LiveStatus): unknown {
  return JSON.parse(JSON.stringify(live, (_key, value: unknown) => (value === undefined ? null : value)));
}

/** One JSON line for a finished file: `{"type":"file", ...same fields as an inFlight entry}`. */
export function renderJsonFileDone(file: FileProgress): string {
  return JSON.stringify({ type: 'file', ...jsonFile(file) });
}

/** One JSON line for a log entry: `{"type":"log","atMs","level","message"}`. */
export function renderJsonLog(entry: LogEntry): string {
  return JSON.stringify({ type: 'log', atMs: entry.atMs, level: entry.level, message: entry.message });
}

/** The end-of-run report as one JSON line: `{"type":"summary", ...progress fields, "failures":[file...]}`. */
export function renderJsonSummary(snapshot: RunSnapshot): string {
  return JSON.stringify({
    ...jsonProgress(snapshot),
    type: 'summary',
    averageMbPerSec: round(runAverageMbPerSec(snapshot), 3),
    failures: snapshot.failures.map(jsonFile),
  });
}
