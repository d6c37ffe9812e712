/**
 * Progress for non-TTY output (logs, CI, pipes): every `intervalMs` one status
 * line for the run plus one line per file in flight; a line whenever a file
 * finishes; log entries as they happen. With `json: true` the same moments
 * produce JSON lines instead (`progress`, `file`, `log` objects, see format.ts).
 *
 * The timer is unref'd: plain progress never keeps the process alive.
 */
import type { ProgressTracker } from './progress.js';
import {
  renderFileDoneLine, renderJsonFileDone, renderJsonLog, renderJsonProgress, renderLogLine,
  renderProgressLine, renderStatusLine,
} from './format.js';

export interface PlainProgressOptions {
  out: NodeJS.WritableStream;
  /** Period of the progress lines in milliseconds; default 5000. */
  intervalMs?: number;
  /** JSON lines instead of text lines; default false. */
  json?: boolean;
}

export interface PlainProgress {
  /** Stops printing (idempotent). Prints nothing itself: the caller prints the summary. */
  stop(): void;
  /** Changes the period; the next tick is `ms` from now. */
  setIntervalMs(ms: number): void;
}

export function startPlainProgress(tracker: ProgressTracker, options: PlainProgressOptions): PlainProgress {
  const { out, json = false } = options;
  const writeLine = (line: string) => {
    out.write(`${line}\n`);
  };

  const tick = () => {
    const snapshot = tracker.snapshot();
    if (json) {
      writeLine(renderJsonProgress(snapshot));
      return;
    }
    writeLine(renderStatusLine(snapshot));
    for (const file of snapshot.inFlight) writeLine(`  ${renderProgressLine(file)}`);
  };

  const unsubscribeLog = tracker.on('log', (entry) => writeLine(json ? renderJsonLog(entry) : renderLogLine(entry)));
  const unsubscribeFile = tracker.on('fileDone', (file) => writeLine(json ? renderJsonFileDone(file) : renderFileDoneLine(file)));

  let timer: NodeJS.Timeout | undefined;
  const schedule = (ms: number) => {
    if (!(ms > 0)) throw new RangeError(`progress interval must be > 0 ms, got ${ms}`);
    if (timer) clearInterval(timer);
    timer = setInterval(tick, ms);
    timer.unref();
  };
  schedule(options.intervalMs ?? 5000);

  let stopped = false;
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      if (timer) clearInterval(timer);
      unsubscribeLog();
      unsubscribeFile();
    },
    setIntervalMs(ms: number) {
      if (!stopped) schedule(ms);
    },
  };
}
