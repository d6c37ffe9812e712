/**
 * Runs the built `gammaflow` CLI (dist/src/cli/main.js) as a user would: a
 * separate node process with its own arguments, environment and working
 * directory, stdout and stderr captured, exit code or signal reported.
 *
 *   const r = await runCli(['ingest', '--dataset', 'stocks-trades', ...], { cwd });
 *   assert.equal(r.code, 0, r.stderr);
 *
 *   const p = startCli([... '--json'], { cwd });
 *   await p.waitForLine((line) => JSON.parse(line).type === 'progress');
 *   p.kill('SIGKILL');
 *   const r = await p.exited;   // r.signal === 'SIGKILL'
 *
 * The child gets the parent's environment minus every MASSIVE_* variable (a
 * developer's real credentials never reach a test run), plus `env`. The
 * working directory matters: the CLI reads ./config.toml by default, so tests
 * pass a temporary folder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Absolute path of the built CLI entry point (this file compiles to dist/test/support/cli.js). */
export const CLI_PATH: string = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface CliOptions {
  /** Working directory of the CLI (where ./config.toml and relative paths resolve). */
  readonly cwd: string;
  /** Variables added to the scrubbed environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** The process is killed with SIGKILL after this long; default 60 000 ms. */
  readonly timeoutMs?: number;
}

export interface CliResult {
  /** Exit code; null when the process ended by a signal. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** True when the process was killed because it outlived `timeoutMs`. */
  readonly timedOut: boolean;
}

export interface CliProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** Everything printed so far. */
  stdout(): string;
  stderr(): string;
  /**
   * Resolves with the first complete stdout line (from the start of the run)
   * for which `predicate` is true; rejects when the process exits first or
   * after `timeoutMs` (default 30 000).
   */
  waitForLine(predicate: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Sends a signal (SIGKILL by default) to this process only. */
  kill(signal?: NodeJS.Signals): void;
  /** Settles when the process has exited and its output streams are closed. */
  readonly exited: Promise<CliResult>;
}

/** The parent's environment without MASSIVE_* variables, plus `extra`. */
export function cliEnvironment(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('MASSIVE_')) env[name] = value;
  }
  return { ...env, ...extra };
}

/** Starts the CLI and returns at once. */
export function startCli(args: readonly string[], options: CliOptions): CliProcess {
  const child = spawn(process.execPath, [CLI_PATH, ...args], {
    cwd: options.cwd,
    env: cliEnvironment(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`could not start ${CLI_PATH}`);
  let stdout = '';
  let stderr = '';
  let timedOut = false;
  let closed = false;
  type Waiter = { predicate: (line: string) => boolean; resolve: (line: string) => void; reject: (e: Error) => void; scanned: number };
  const waiters = new Set<Waiter>();

  /** Offers the complete lines not yet seen by each waiter. */
  const scan = (): void => {
    for (const waiter of waiters) {
      const end = stdout.lastIndexOf('\n') + 1;
      if (end <= waiter.scanned) continue;
      const lines = stdout.slice(waiter.scanned, end).split('\n').slice(0, -1);
      waiter.scanned = end;
      const hit = lines.find((line) => waiter.predicate(line));
      if (hit !== undefined) {
        waiters.delete(waiter);
        waiter.resolve(hit);
      }
    }
  };
  child.stdout!.setEncoding('utf8').on('data', (text: string) => { stdout += text; scan(); });
  child.stderr!.setEncoding('utf8').on('data', (text: string) => { stderr += text; });

  const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, options.timeoutMs ?? 60_000);
  const exited = new Promise<CliResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      closed = true;
      clearTimeout(timer);
      for (const waiter of waiters) {
        waiter.reject(new Error(`the CLI exited (code ${code}, signal ${signal}) before the awaited line; stderr:\n${stderr}`));
      }
      waiters.clear();
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });

  return {
    pid: child.pid,
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    waitForLine(predicate, timeoutMs = 30_000) {
      return new Promise<string>((resolve, reject) => {
        const waiter: Waiter = {
          predicate,
          resolve: (line) => { clearTimeout(timeout); resolve(line); },
          reject: (e) => { clearTimeout(timeout); reject(e); },
          scanned: 0,
        };
        const timeout = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no matching stdout line within ${timeoutMs} ms; stderr so far:\n${stderr}`));
        }, timeoutMs);
        waiters.add(waiter);
        scan();
        if (closed && waiters.delete(waiter)) waiter.reject(new Error(`the CLI has already exited; stderr:\n${stderr}`));
      });
    },
    kill(signal: NodeJS.Signals = 'SIGKILL') {
      child.kill(signal);
    },
    exited,
  };
}

/** Runs the CLI to completion. */
export function runCli(args: readonly string[], options: CliOptions): Promise<CliResult> {
  return startCli(args, options).exited;
}

/**
 * Parses JSON-lines output. Throws, naming the line, when any non-empty line
 * is not a JSON object: `--json` output must be machine-readable throughout.
 */
export function parseJsonLines(text: string): Record<string, unknown>[] {
  return text.split('\n').filter((line) => line.trim() !== '').map((line, i) => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      throw new Error(`line ${i + 1} is not JSON (${(e as Error).message}): ${line}`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`line ${i + 1} is not a JSON object: ${line}`);
    return value as Record<string, unknown>;
  });
}

/** `gammaflow generate` for a stocks-only day under `outDir`; returns the data rows it reports. */
export async function generateStocksDay(outDir: string, date: string,
  opts: { tickers: number; spyTrades: number; seed?: number; halfDay?: boolean }, cwd: string): Promise<number> {
  const r = await runCli(['generate', '--out', outDir, '--date', date, '--tickers', String(opts.tickers),
    '--spy-trades', String(opts.spyTrades), '--option-trades', '0', '--seed', String(opts.seed ?? 1),
    ...(opts.halfDay ? ['--half-day'] : [])], { cwd, timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`gammaflow generate failed (${r.code}): ${r.stderr}`);
  const m = /^stocks-trades\s+([\d,]+) rows/m.exec(r.stdout);
  if (!m) throw new Error(`gammaflow generate printed no row count: ${r.stdout}`);
  return Number(m[1]!.replace(/,/g, ''));
}
