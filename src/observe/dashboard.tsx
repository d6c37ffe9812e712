/**
 * The terminal dashboard (ink). `Dashboard` is a pure view of one RunSnapshot;
 * `startDashboard` mounts it on a TTY, re-renders it from the tracker every
 * `refreshMs`, and calls `onQuit` when the user presses `q` or Ctrl-C.
 *
 *   gammaflow ingest  elapsed 1m 23s  metrics http://127.0.0.1:9090/metrics
 *   config gammaflow.toml (reloaded 12s ago: ok)
 *   days  ████████░░░░░░░░░░░░  4/10    files ██████░░░░░░░░░░░░░░  12/40  failed 1
 *   stocks-trades 2025-11-07  ████░░░░░░░░░░░░░░░░  812.4 MB / 3.41 GB  23.8%
 *       61.2 MB/s  2.31 M rows/s  rows 8,123,456  rejects 0  ETA 42s
 *   total  read 2.10 GB  61.2 MB/s  2.31 M rows/s
 *          rows 12,345,678  written 12,000,000  rejects 34 (<0.01%)  s3 retries 0  errors 0
 *   recent
 *     ✓ done options-trades 2025-11-06  1.20 GB in 20s  60.0 MB/s  rows 1,234,567  rejects 0
 *   log
 *     14:03:12 warn  slow disk
 *   aggression_classified_pct=97.2
 *   q quit
 *
 * Under `gammaflow live` the snapshot's live section (live-view.tsx: connections, msgs/s, lag,
 * the last closed window per size) takes the place of the days/files bars, files and totals.
 */
import { useEffect, useState } from 'react';
import { Box, Text, render, useInput, useStdin } from 'ink';
import type { ProgressTracker } from './progress.js';
import type { FileProgress, LogEntry, RunSnapshot } from './run-snapshot.js';
import {
  daysFinished, elapsedSec, fileFraction, fileLabel, filesFinished, formatBytes, formatCount, formatDuration,
  formatMbPerSec, formatPercent, formatRate, renderBar, renderFileDoneLine,
} from './format.js';
import { LiveView } from './live-view.js';

const BAR_WIDTH = 20;
const LOG_LINES = 5;
/** `options-quotes 2025-11-07` is 25 characters: file bars line up. */
const LABEL_WIDTH = 25;

export interface DashboardProps {
  snapshot: RunSnapshot;
  /** Log lines shown at the bottom; default 5. */
  logLines?: number;
}

/** The whole dashboard for one snapshot. Pure: renders its props and nothing else. */
export function Dashboard({ snapshot, logLines = LOG_LINES }: DashboardProps) {
  return (
    <Box flexDirection="column">
      <Header snapshot={snapshot} />
      {snapshot.live !== undefined ? <LiveView live={snapshot.live} /> : <BatchProgress snapshot={snapshot} />}
      <Logs entries={snapshot.logs.slice(-logLines)} />
      <Extras extra={snapshot.extra} />
      <Text dimColor>q quit</Text>
    </Box>
  );
}

/** Days, files, the files in flight, totals and recent files: the progress of a batch run. */
function BatchProgress({ snapshot }: { snapshot: RunSnapshot }) {
  return (
    <Box flexDirection="column">
      <OverallProgress snapshot={snapshot} />
      {snapshot.inFlight.map((file) => <FileRow key={file.id} file={file} />)}
      <Totals snapshot={snapshot} />
      <RecentFiles files={snapshot.recent} />
    </Box>
  );
}

function Header({ snapshot }: { snapshot: RunSnapshot }) {
  const run = [`elapsed ${formatDuration(elapsedSec(snapshot))}`];
  if (snapshot.metricsAddress) run.push(`metrics ${metricsUrl(snapshot.metricsAddress)}`);
  let config = '';
  if (snapshot.configPath) {
    config = `config ${snapshot.configPath}`;
    if (snapshot.lastConfigReloadMs !== undefined) {
      const ago = formatDuration((snapshot.nowMs - snapshot.lastConfigReloadMs) / 1000);
      config += ` (reloaded ${ago} ago${snapshot.lastConfigReloadMessage ? `: ${snapshot.lastConfigReloadMessage}` : ''})`;
    }
  }
  return (
    <Box flexDirection="column">
      <Text>
        <Text bold>gammaflow {snapshot.command}</Text>
        {`  ${run.join('  ')}`}
      </Text>
      {config ? <Text dimColor wrap="truncate-end">{config}</Text> : null}
    </Box>
  );
}

/** `127.0.0.1:9090` -> `http://127.0.0.1:9090/metrics`; full URLs are shown as given. */
function metricsUrl(address: string): string {
  return address.includes('://') ? address : `http://${address}/metrics`;
}

function OverallProgress({ snapshot }: { snapshot: RunSnapshot }) {
  const days = daysFinished(snapshot);
  const files = filesFinished(snapshot);
  const fraction = (done: number, total: number) => (total > 0 ? done / total : undefined);
  const problems = [
    snapshot.filesFailed > 0 ? `failed ${snapshot.filesFailed}` : '',
    snapshot.filesSkipped > 0 ? `skipped ${snapshot.filesSkipped}` : '',
    snapshot.filesMissing > 0 ? `missing ${snapshot.filesMissing}` : '',
  ].filter(Boolean).join('  ');
  const dayProblems = [
    snapshot.daysFailed > 0 ? `failed ${snapshot.daysFailed}` : '',
    snapshot.daysMissing > 0 ? `missing ${snapshot.daysMissing}` : '',
  ].filter(Boolean).join('  ');
  return (
    <Text>
      days  <Text color="cyan">{renderBar(fraction(days, snapshot.daysTotal), BAR_WIDTH)}</Text>  {days}/{snapshot.daysTotal}
      {dayProblems ? <Text color={snapshot.daysFailed > 0 ? 'red' : 'yellow'}>{`  ${dayProblems}`}</Text> : null}
      {'    '}files <Text color="cyan">{renderBar(fraction(files, snapshot.filesTotal), BAR_WIDTH)}</Text>  {files}/{snapshot.filesTotal}
      {problems ? <Text color={snapshot.filesFailed > 0 ? 'red' : 'yellow'}>{`  ${problems}`}</Text> : null}
    </Text>
  );
}

/** One file in flight, on two lines: progress, then speed and row counts. */
export function FileRow({ file }: { file: FileProgress }) {
  const size = file.bytesTotal > 0 ? formatBytes(file.bytesTotal) : '?';
  const tail = file.state === 'publishing' ? 'publishing' : `ETA ${formatDuration(file.etaSec)}`;
  return (
    <Box flexDirection="column">
      <Text>
        {fileLabel(file).padEnd(LABEL_WIDTH)}  <Text color="green">{renderBar(fileFraction(file), BAR_WIDTH)}</Text>
        {`  ${formatBytes(file.bytesDone)} / ${size}  ${formatPercent(fileFraction(file))}`}
      </Text>
      <Text>
        {`    ${formatMbPerSec(file.mbPerSec)}  ${formatRate(file.rowsPerSec, 'rows')}  rows ${formatCount(file.rowsParsed)}  `}
        <Text color={file.rowsRejected > 0 ? 'yellow' : undefined}>rejects {formatCount(file.rowsRejected)}</Text>
        {`  ${tail}`}
        {file.s3Retries > 0 ? <Text color="yellow">{`  s3 retries ${file.s3Retries}`}</Text> : null}
      </Text>
    </Box>
  );
}

/** Two lines: volume and speed, then row counts (rejects with their share of parsed rows), retries, errors. */
function Totals({ snapshot }: { snapshot: RunSnapshot }) {
  const t = snapshot.totals;
  return (
    <Box flexDirection="column">
      <Text>
        <Text bold>total</Text>
        {`  read ${formatBytes(t.bytesRead)}  ${formatMbPerSec(t.mbPerSec)}  ${formatRate(t.rowsPerSec, 'rows')}`}
      </Text>
      <Text>
        {`       rows ${formatCount(t.rowsParsed)}  written ${formatCount(t.rowsWritten)}  `}
        <Text color={t.rowsRejected > 0 ? 'yellow' : undefined}>
          rejects {formatCount(t.rowsRejected)}{t.rowsParsed > 0 ? ` (${formatShare(t.rowsRejected / t.rowsParsed)})` : ''}
        </Text>
        {'  '}
        <Text color={t.s3Retries > 0 ? 'yellow' : undefined}>s3 retries {formatCount(t.s3Retries)}</Text>
        {'  '}
        <Text color={t.errors > 0 ? 'red' : undefined}>errors {formatCount(t.errors)}</Text>
      </Text>
    </Box>
  );
}

/** A small share as a percent: `0.25%`, `<0.01%`, `0%`. */
function formatShare(fraction: number): string {
  if (fraction <= 0) return '0%';
  if (fraction < 0.0001) return '<0.01%';
  return `${(fraction * 100).toFixed(2)}%`;
}

const STATE_MARK: Record<string, { mark: string; color: string }> = {
  done: { mark: '✓', color: 'green' },
  failed: { mark: '✗', color: 'red' },
  skipped: { mark: '-', color: 'gray' },
  missing: { mark: '?', color: 'yellow' },
};

function RecentFiles({ files }: { files: FileProgress[] }) {
  if (files.length === 0) return null;
  return (
    <Box flexDirection="column">
      <Text bold>recent</Text>
      {files.map((file) => {
        const { mark, color } = STATE_MARK[file.state] ?? { mark: ' ', color: 'white' };
        return (
          <Text key={file.id} wrap="truncate-end">
            {'  '}<Text color={color}>{mark}</Text> {renderFileDoneLine(file)}
          </Text>
        );
      })}
    </Box>
  );
}

const LEVEL_COLOR: Record<LogEntry['level'], string | undefined> = { info: undefined, warn: 'yellow', error: 'red' };

function Logs({ entries }: { entries: LogEntry[] }) {
  if (entries.length === 0) return null;
  return (
    <Box flexDirection="column">
      <Text bold>log</Text>
      {entries.map((entry, index) => (
        <Text key={`${entry.atMs}-${index}`} color={LEVEL_COLOR[entry.level]} wrap="truncate-end">
          {`  ${new Date(entry.atMs).toISOString().slice(11, 19)} ${entry.level.padEnd(5)} ${entry.message}`}
        </Text>
      ))}
    </Box>
  );
}

function Extras({ extra }: { extra: Record<string, string | number> }) {
  const entries = Object.entries(extra);
  if (entries.length === 0) return null;
  return <Text>{entries.map(([key, value]) => `${key}=${typeof value === 'number' ? formatNumber(value) : value}`).join('  ')}</Text>;
}

/** Integers grouped, other numbers to 3 significant digits. */
function formatNumber(value: number): string {
  return Number.isInteger(value) ? formatCount(value) : value.toPrecision(3);
}

export interface LiveDashboardProps {
  tracker: ProgressTracker;
  refreshMs: number;
  onQuit: () => void;
}

/** The dashboard bound to a tracker: re-snapshots every `refreshMs`, `q` or Ctrl-C calls onQuit. */
export function LiveDashboard({ tracker, refreshMs, onQuit }: LiveDashboardProps) {
  const [snapshot, setSnapshot] = useState(() => tracker.snapshot());
  const { isRawModeSupported } = useStdin();

  useEffect(() => {
    const timer = setInterval(() => setSnapshot(tracker.snapshot()), refreshMs);
    return () => clearInterval(timer);
  }, [tracker, refreshMs]);

  useInput((input, key) => {
    if (input === 'q' || input === 'Q' || (key.ctrl && input === 'c')) onQuit();
  }, { isActive: isRawModeSupported === true });

  return <Dashboard snapshot={snapshot} />;
}

export interface DashboardOptions {
  /** Re-render period in milliseconds (ink additionally caps repaints at 30 per second). */
  refreshMs: number;
  /** Called when the user presses `q` or Ctrl-C; the caller decides how to stop the run. */
  onQuit: () => void;
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
}

export interface DashboardHandle {
  /** Unmounts: restores raw mode and the cursor, leaves the last frame on screen. Idempotent. */
  stop(): void;
  setRefreshMs(ms: number): void;
}

/**
 * Mounts the live dashboard on a terminal. Ctrl-C is delivered to onQuit, not
 * turned into an exit. Meant for a TTY: when stdout is not one (pipes, CI logs),
 * use startPlainProgress instead; without a raw-mode stdin the keys are ignored.
 */
export function startDashboard(tracker: ProgressTracker, options: DashboardOptions): DashboardHandle {
  const checkRefresh = (ms: number) => {
    if (!(ms > 0)) throw new RangeError(`dashboard refresh must be > 0 ms, got ${ms}`);
  };
  checkRefresh(options.refreshMs);
  const element = (refreshMs: number) => <LiveDashboard tracker={tracker} refreshMs={refreshMs} onQuit={options.onQuit} />;
  const instance = render(element(options.refreshMs), {
    ...(options.stdout ? { stdout: options.stdout } : {}),
    ...(options.stdin ? { stdin: options.stdin } : {}),
    exitOnCtrlC: false,
    patchConsole: false,
  });
  let stopped = false;
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      instance.unmount();
      instance.cleanup();
    },
    setRefreshMs(ms: number) {
      checkRefresh(ms);
      if (!stopped) instance.rerender(element(ms));
    },
  };
}
