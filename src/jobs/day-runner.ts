/**
 * The day runner every lake job runs on (ingest, backfill, greeks, features, finalize): crash
 * recovery, the run id, and the lifecycle of each unit of work (a dataset's day, or a symbol's
 * day) with its outcome. Writers lock the partitions they publish (DayWriter), not the lake, so
 * jobs on other partitions run at the same time (shards, or ingest beside greeks).
 *
 *   withDayRun(options, async (run) => {       recover what a crash left, run id
 *     ... open readers, read manifests ...
 *     return run.days(works, job);              queue → (select) → each day: job.run → outcome
 *   });
 *
 * Per unit of work, exactly one of:
 *   - not run: the user stopped the run before it started ('stopped before it started'), or an
 *     earlier day stopped the run (`job.stopAfter`: 'not tried: <why>');
 *   - run: `job.run` reports through its DayContext (done / skipped / missing / failed) and returns
 *     the job's outcome;
 *   - thrown: when the user stopped the run, the day is abandoned (nothing published, redone next
 *     run); otherwise it failed with the first error it met (a GammaflowError's message as is,
 *     anything else prefixed by the job), which is the error reported.
 *
 * `selectWork` keeps only some of the work (a shard's share, jobs/shard.ts): the others are not
 * queued and have no outcome. Units run one at a time, or `job.concurrency` at once in work-list order.
 */
import { randomBytes } from 'node:crypto';
import { recoverLake } from '../lake/publish.js';
import type { ProgressTracker } from '../observe/progress.js';
import { GammaflowError, errorMessage } from '../util/errors.js';

import type { WorkKey } from './shard.js';

export type { WorkKey } from './shard.js';

export interface DayRunOptions {
  readonly lake: string;
  readonly tracker: ProgressTracker;
  readonly signal?: AbortSignal;
  /** Recover interrupted publishes first (default true; false for a run that writes no partition). */
  readonly recover?: boolean;
  /** Keeps a unit of work in this run (default: all of them). */
  readonly selectWork?: (key: WorkKey) => boolean;
}

/** A unit of work as the runner sees it. */
export interface DayWork {
  readonly key: WorkKey;
  /** Progress id of its file line. */
  readonly id: string;
  /** What the progress line names (object key, partition). */
  readonly label: string;
  /** Dataset shown on the progress line (default key.dataset). */
  readonly progressDataset?: string;
}

/** Why a day ended by throwing. */
export interface DayFailure {
  /** The user stopped the run during the day: nothing of it was published. */
  readonly stopped: boolean;
  /** The message reported (the error line, or the stop note). */
  readonly message: string;
  readonly error: unknown;
}

export interface DayJob<W extends DayWork, O> {
  /** The progress command name. */
  readonly command: string;
  /** Units of work at once (default 1). */
  readonly concurrency?: number;
  /** Does the day's work; reports its end through `day` and returns its outcome. May throw. */
  run(work: W, day: DayContext): Promise<O>;
  /** The outcome of a unit that did not run (`message` says why). */
  notRun(work: W, message: string): O;
  /** The outcome of a unit whose run threw. */
  threw(work: W, failure: DayFailure): O;
  /** The error line of a failed unit, and its progress note (default: a GammaflowError's message, else `${command} ${day}: ${error}`). */
  describeError?(work: W, error: unknown): { message: string; progressMessage?: string };
  /** The progress note of a unit stopped by the user mid-way (default: nothing published, redone next run). */
  readonly stoppedNote?: string;
  /** The outcome message of a unit stopped by the user mid-way. */
  readonly stoppedMessage?: string;
  /** After each unit: a reason to stop the run (later units are not tried), or undefined to go on. */
  stopAfter?(outcome: O): string | undefined;
}

export const STOPPED_BEFORE_START = 'stopped before it started';
export const STOPPED_NOTE = 'stopped: nothing published, will be redone next run';
export const STOPPED_MESSAGE = 'stopped by the user; nothing was published for this day';

/** How a unit of work reports its end to the progress tracker. */
export class DayContext {
  readonly #tracker: ProgressTracker;
  constructor(readonly id: string, readonly runId: string, tracker: ProgressTracker) {
    this.#tracker = tracker;
  }

  /** The day's work starts (input bytes when known). */
  started(bytes = 0): void {
    this.#tracker.fileStarted(this.id, bytes);
  }

  /** Computed and published. */
  done(message: string): void {
    this.#tracker.fileDone(this.id, { state: 'done', message });
    this.#tracker.dayDone('done');
  }

  /** Nothing to do (already there, not yet published). */
  skipped(note: string): void {
    this.#tracker.fileDone(this.id, { state: 'skipped', message: note });
    this.#tracker.dayDone('skipped');
  }

  /** An input the day needs is absent: the day fails with `message`, which tells how to fill it. */
  missingInput(message: string): void {
    this.#tracker.fileDone(this.id, { state: 'missing', message });
    this.#tracker.dayDone('failed');
    this.#tracker.error(message);
  }

  /** The day's source file does not exist: counted as missing (an error only when `asError`). */
  missingFile(note: string, message: string, asError: boolean): void {
    this.#tracker.fileDone(this.id, { state: 'missing', message: note });
    this.#tracker.dayDone('missing');
    if (asError) this.#tracker.error(message);
    else this.#tracker.log('warn', message);
  }

  /** The day failed without throwing (e.g. a refused setting): `message` is the error reported. */
  failed(message: string, note = message): void {
    this.#tracker.fileDone(this.id, { state: 'failed', message: note });
    this.#tracker.dayDone('failed');
    this.#tracker.error(message);
  }
}

/** A fresh run id: base-36 time and 6 hex digits (sorts by start time). */
export function newRunId(): string {
  return `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/** One run of a job: its id, and the loop over its units of work. */
export class DayRun {
  readonly #options: DayRunOptions;
  constructor(readonly runId: string, options: DayRunOptions) {
    this.#options = options;
  }

  /** Whether a unit of work belongs to this run (selectWork). */
  selects(key: WorkKey): boolean {
    return this.#options.selectWork?.(key) ?? true;
  }

  /** Runs the selected units of `works` as described in the module comment; their outcomes in work order. */
  async days<W extends DayWork, O>(works: readonly W[], job: DayJob<W, O>): Promise<O[]> {
    const { tracker, signal } = this.#options;
    const selected = works.filter((w) => this.selects(w.key));
    tracker.startRun({ command: job.command, daysTotal: selected.length, filesTotal: selected.length });
    for (const w of selected) tracker.fileQueued(w.id, { dataset: w.progressDataset ?? w.key.dataset, date: w.key.day, key: w.label });
    const outcomes = new Array<O>(selected.length);
    let stopReason: string | undefined;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < selected.length) {
        const i = next++;
        const work = selected[i]!;
        if (signal?.aborted || stopReason !== undefined) {
          outcomes[i] = job.notRun(work, stopReason === undefined ? STOPPED_BEFORE_START : `not tried: ${stopReason}`);
          tracker.fileDone(work.id, { state: 'skipped', message: stopReason === undefined ? 'stopped' : 'not tried' });
          continue;
        }
        const outcome = await this.#runOne(work, job);
        outcomes[i] = outcome;
        stopReason ??= job.stopAfter?.(outcome);
      }
    };
    const n = Math.max(1, Math.min(job.concurrency ?? 1, selected.length));
    await Promise.all(Array.from({ length: n }, worker));
    return outcomes;
  }

  async #runOne<W extends DayWork, O>(work: W, job: DayJob<W, O>): Promise<O> {
    const { tracker, signal } = this.#options;
    try {
      return await job.run(work, new DayContext(work.id, this.runId, tracker));
    } catch (error) {
      if (signal?.aborted) {
        tracker.fileDone(work.id, { state: 'failed', message: job.stoppedNote ?? STOPPED_NOTE });
        tracker.dayDone('failed');
        return job.threw(work, { stopped: true, message: job.stoppedMessage ?? STOPPED_MESSAGE, error });
      }
      const { message, progressMessage } = job.describeError?.(work, error)
        ?? { message: error instanceof GammaflowError ? error.message : `${job.command} ${work.key.day}: ${errorMessage(error)}` };
      tracker.fileDone(work.id, { state: 'failed', message: progressMessage ?? message });
      tracker.dayDone('failed');
      tracker.error(message);
      return job.threw(work, { stopped: false, message, error });
    }
  }
}

/** Runs `body` as one run (its id in `run.runId`), after recovering what an interrupted publish left (unless `recover: false`). */
export async function withDayRun<T>(options: DayRunOptions, body: (run: DayRun) => Promise<T>): Promise<T> {
  const { lake, tracker } = options;
  if (options.recover !== false) for (const action of (await recoverLake(lake)).actions) tracker.log('warn', action);
  return body(new DayRun(newRunId(), options));
}
