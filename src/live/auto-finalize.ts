/**
 * The automatic finalize of a long-running `gammaflow live`: every `checkMs` the schedule
 * (finalize-schedule.ts) is asked for a due day, which is finalized by a child
 * `gammaflow finalize` process (its own memory, DuckDB and lake lock; the live process keeps
 * streaming). Its summary lines are forwarded to the live log; a failure is logged with its last
 * error line and retried with backoff. The state is on the dashboard (`finalize`).
 */
import { spawn } from 'node:child_process';
import type { LiveFinalizeDay } from '../observe/live-snapshot.js';
import type { FinalizeSchedule } from './finalize-schedule.js';

export interface AutoFinalizeOptions {
  readonly schedule: FinalizeSchedule;
  /** Arguments of `gammaflow finalize` for a day (without the command path). */
  readonly argsFor: (date: string) => string[];
  readonly log: (level: 'info' | 'warn' | 'error', message: string) => void;
  readonly checkMs?: number;
}

export class AutoFinalize {
  readonly #o: AutoFinalizeOptions;
  readonly #timer: NodeJS.Timeout;
  #running: Promise<void> | undefined;
  #closed = false;

  constructor(options: AutoFinalizeOptions) {
    this.#o = options;
    this.#timer = setInterval(() => this.check(), options.checkMs ?? 10_000);
    this.#timer.unref();
  }

  days(): LiveFinalizeDay[] {
    return this.#o.schedule.days();
  }

  /** Starts the due day's finalize, if any and none runs. */
  check(nowMs = Date.now()): void {
    if (this.#closed || this.#running !== undefined) return;
    const date = this.#o.schedule.due(nowMs);
    if (date === undefined) return;
    this.#o.schedule.started(date);
    this.#o.log('info', `finalize ${date}: starting (the flat files should be published)`);
    this.#running = this.#run(date).finally(() => { this.#running = undefined; });
  }

  /** Stops checking; waits for a running finalize (it is atomic per day either way). */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#running;
  }

  async #run(date: string): Promise<void> {
    const entry = process.argv[1]!;
    const child = spawn(process.execPath, [entry, ...this.#o.argsFor(date)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (t: string) => { stderr = (stderr + t).slice(-64 * 1024); });
    const code = await new Promise<number | null>((resolve) => {
      child.once('error', () => resolve(null));
      child.once('close', (c) => resolve(c));
    });
    const lines = stderr.split('\n').filter((l) => l.trim() !== '');
    for (const line of lines.filter((l) => l.includes(`finalize `) && l.includes(date) && !/error/i.test(l))) this.#o.log('info', line.replace(/^\S+\s+info\s+/, ''));
    const ok = code === 0;
    const retryAt = this.#o.schedule.finished(date, ok, Date.now());
    if (!ok) {
      const last = [...lines].reverse().find((l) => /error|fail|not /i.test(l)) ?? lines.at(-1) ?? `exit code ${String(code)}`;
      this.#o.log('warn', `finalize ${date}: not done (${last.trim()}); next attempt at ${new Date(retryAt!).toISOString()}`);
    }
  }
}
