/**
 * Hot reload: watch config.toml and tell the running process what changed.
 *
 * The watch is on the file's directory, not the file, so editors that save by
 * writing a new file and renaming it over the old one keep being seen. Bursts
 * of events are debounced; reads and callbacks never overlap. An unreadable
 * or invalid file goes to `onError` and the running config stays as it was;
 * the next good save is compared with the last good one.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { ConfigError, errorMessage } from '../util/errors.js';
import { parseConfigText } from './parse.js';
import { changedKeys, planReload } from './reload.js';
import type { Config } from './schema.js';

export interface WatchConfigOptions {
  /** Quiet time after the last file event before reading the file (default 100 ms). */
  debounceMs?: number;
  /** Source of secret overrides; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Unknown-key warnings of a reloaded file. */
  onWarnings?: (warnings: string[]) => void;
}

/**
 * Calls `onChange(next, changed, applied, deferred)` after each edit that
 * changes a value: `next` is the config to run with now (`current` plus the
 * hot-reloadable changes, see HOT_RELOADABLE_KEYS), `changed` every key whose
 * file value differs from the running one, `applied` those now in `next`,
 * `deferred` those that apply to the next run. Returns a function that stops
 * watching.
 */
export function watchConfig(
  path: string,
  current: Config,
  onChange: (next: Config, changed: string[], applied: string[], deferred: string[]) => void,
  onError: (e: unknown) => void,
  opts: WatchConfigOptions = {},
): () => void {
  const file = resolve(path);
  const name = basename(file);
  const debounceMs = opts.debounceMs ?? 100;
  let running = current;
  let lastGoodFromFile = current;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let queue: Promise<void> = Promise.resolve();

  const report = (e: unknown): void => {
    if (stopped) return;
    try {
      onError(e);
    } catch {
      // An error handler that throws must not break the watch.
    }
  };

  const reload = async (): Promise<void> => {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      report(new ConfigError(`cannot read config file ${file}: ${errorMessage(e)} (keeping the running config)`, { file }, { cause: e }));
      return;
    }
    if (stopped) return;
    const parsed = parseConfigText(text, file, opts.env ?? process.env);
    if (changedKeys(lastGoodFromFile, parsed.config).length === 0) return; // saved without a change
    lastGoodFromFile = parsed.config;
    if (parsed.warnings.length > 0) opts.onWarnings?.(parsed.warnings);
    const plan = planReload(running, parsed.config);
    if (plan.changed.length === 0) return;
    running = plan.next;
    onChange(plan.next, plan.changed, plan.applied, plan.deferred);
  };

  const schedule = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      queue = queue.then(() => (stopped ? undefined : reload())).catch(report);
    }, debounceMs);
  };

  let watcher: FSWatcher;
  try {
    watcher = watch(dirname(file), (_event, changed) => {
      if (changed === null || changed === name) schedule();
    });
  } catch (e) {
    throw new ConfigError(`cannot watch config file ${file}: ${errorMessage(e)}`, { file }, { cause: e });
  }
  watcher.on('error', (e) => report(new ConfigError(`watching ${file} failed: ${errorMessage(e)}`, { file }, { cause: e })));

  return () => {
    stopped = true;
    clearTimeout(timer);
    watcher.close();
  };
}
