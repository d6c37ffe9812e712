/**
 * How `gammaflow serve` finds the `gammaflow live` processes whose Live page it shows.
 *
 * A live process that serves its app announces itself in the lake it writes:
 * `LAKE/_live/<pid>.json` = `{"pid", "url", "symbols", "windows", "started_at_ms"}`, written at
 * start (temporary file + rename) and removed when the run ends. A file whose pid no longer runs
 * (the process was killed) is ignored by readers and removed by the next live process that starts.
 * Configured URLs (`serve --live URL`, `[web] live_urls`) come first, then the announced ones.
 *
 * Each source is asked `GET URL/api/live` (≤ timeoutMs): it is `running` when it answers with an
 * active session, else `unreachable` with the reason.
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../util/errors.js';

export const LIVE_DIR = '_live';

export interface LiveAnnouncement {
  readonly pid: number;
  /** `http://host:port` of the live process's app (its metrics server). */
  readonly url: string;
  readonly symbols: readonly string[];
  readonly windows: readonly string[];
  readonly started_at_ms: number;
}

/** True when a process with that pid runs (signal 0: EPERM means it exists under another user). */
export function pidRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Writes this process's announcement (and removes the files of processes that no longer run); returns its remover. */
export async function announceLive(lake: string, a: Omit<LiveAnnouncement, 'pid'>): Promise<{ path: string; remove(): Promise<void> }> {
  const dir = join(lake, LIVE_DIR);
  await mkdir(dir, { recursive: true });
  for (const stale of await readAnnouncements(lake, false)) {
    if (!pidRuns(stale.pid)) await rm(join(dir, `${stale.pid}.json`), { force: true });
  }
  const path = join(dir, `${process.pid}.json`);
  const tmp = `${path}.tmp`;
  await writeFile(tmp, JSON.stringify({ pid: process.pid, ...a }) + '\n');
  await rename(tmp, path);
  return { path, remove: () => rm(path, { force: true }) };
}

/** The announcements in LAKE/_live (with `onlyRunning`, those whose pid runs), oldest first. Unreadable files are skipped. */
export async function readAnnouncements(lake: string, onlyRunning = true): Promise<LiveAnnouncement[]> {
  let names: string[];
  try {
    names = await readdir(join(lake, LIVE_DIR));
  } catch {
    return [];
  }
  const out: LiveAnnouncement[] = [];
  for (const name of names) {
    if (!/^\d+\.json$/.test(name)) continue;
    try {
      const a = JSON.parse(await readFile(join(lake, LIVE_DIR, name), 'utf8')) as LiveAnnouncement;
      if (typeof a.pid !== 'number' || typeof a.url !== 'string' || !Array.isArray(a.symbols)) continue;
      if (onlyRunning && !pidRuns(a.pid)) continue;
      out.push(a);
    } catch {
      // Being written or removed right now: the next look finds it (or not).
    }
  }
  return out.sort((x, y) => x.started_at_ms - y.started_at_ms);
}

export interface LiveSourceView {
  readonly url: string;
  /** `config`: `--live` / `[web] live_urls`; `lake`: announced in LAKE/_live. */
  readonly origin: 'config' | 'lake';
  readonly state: 'running' | 'unreachable';
  readonly symbols?: readonly string[];
  readonly windows?: readonly string[];
  readonly pid?: number;
  readonly error?: string;
}

export interface LiveSourcesOptions {
  readonly urls: readonly string[];
  /** A local lake to look for announcements in; undefined: none. */
  readonly lake: string | undefined;
  readonly timeoutMs?: number;
}

export class LiveSources {
  readonly #o: LiveSourcesOptions;
  constructor(o: LiveSourcesOptions) { this.#o = o; }

  /** Every source, configured first, each asked whether it runs a live session. */
  async list(): Promise<LiveSourceView[]> {
    const seen = new Set<string>();
    const candidates: { url: string; origin: 'config' | 'lake'; pid?: number }[] = [];
    for (const url of this.#o.urls) {
      const u = url.replace(/\/+$/, '');
      if (!seen.has(u)) { seen.add(u); candidates.push({ url: u, origin: 'config' }); }
    }
    for (const a of this.#o.lake === undefined ? [] : await readAnnouncements(this.#o.lake)) {
      const u = a.url.replace(/\/+$/, '');
      if (!seen.has(u)) { seen.add(u); candidates.push({ url: u, origin: 'lake', pid: a.pid }); }
    }
    return Promise.all(candidates.map((c) => this.#ask(c)));
  }

  /** The running source that follows `symbol`, or undefined. */
  async sourceOf(symbol: string): Promise<LiveSourceView | undefined> {
    return (await this.list()).find((s) => s.state === 'running' && s.symbols?.includes(symbol));
  }

  async #ask(c: { url: string; origin: 'config' | 'lake'; pid?: number }): Promise<LiveSourceView> {
    const base = { url: c.url, origin: c.origin, ...(c.pid !== undefined ? { pid: c.pid } : {}) };
    try {
      const res = await fetch(`${c.url}/api/live`, { signal: AbortSignal.timeout(this.#o.timeoutMs ?? 1000) });
      if (!res.ok) return { ...base, state: 'unreachable', error: `${c.url}/api/live answered HTTP ${res.status}` };
      const body = (await res.json()) as { active?: boolean; symbols?: string[]; symbol?: string; windows?: string[] };
      if (body.active !== true) return { ...base, state: 'unreachable', error: `${c.url} runs no live session` };
      return { ...base, state: 'running', symbols: body.symbols ?? (body.symbol !== undefined ? [body.symbol] : []), windows: body.windows ?? [] };
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code;
      return { ...base, state: 'unreachable', error: `no live process answers at ${c.url}${cause ? ` (${cause})` : ` (${errorMessage(e)})`}` };
    }
  }
}
