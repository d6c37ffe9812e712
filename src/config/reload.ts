/**
 * What a config edit means for a running process: which keys changed, which
 * of them can take effect now (display settings) and which wait for the next
 * run (everything that shapes data, connections or the lake). Pure.
 */
import { SECTIONS, type Config, type SectionName } from './schema.js';

/** Keys a running process applies immediately after an edit of config.toml. */
export const HOT_RELOADABLE_KEYS: ReadonlySet<string> = new Set([
  'log.level',
  'tui.progress_update_ms',
  'tui.plain_progress_interval_s',
]);

/** Keys ('section.key') whose values differ between two configs, in schema order. */
export function changedKeys(before: Config, after: Config): string[] {
  const changed: string[] = [];
  for (const section of Object.keys(SECTIONS) as SectionName[]) {
    const a = before[section] as Record<string, unknown>;
    const b = after[section] as Record<string, unknown>;
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (!sameValue(a[key], b[key])) changed.push(`${section}.${key}`);
    }
  }
  return changed;
}

export interface ReloadPlan {
  /** The config to run with now: `running` plus the hot-reloadable changes. */
  readonly next: Config;
  /** Every key whose file value differs from the running value. */
  readonly changed: string[];
  /** Changed keys applied now (a subset of {@link HOT_RELOADABLE_KEYS}). */
  readonly applied: string[];
  /** Changed keys that only apply to the next run; `next` keeps their running values. */
  readonly deferred: string[];
}

/** Splits the difference between the running config and the edited file into applied and deferred keys. */
export function planReload(running: Config, fromFile: Config): ReloadPlan {
  const changed = changedKeys(running, fromFile);
  const applied = changed.filter((k) => HOT_RELOADABLE_KEYS.has(k));
  const deferred = changed.filter((k) => !HOT_RELOADABLE_KEYS.has(k));
  const next = structuredClone(running);
  for (const dotted of applied) {
    const [section, key] = dotted.split('.') as [SectionName, string];
    (next[section] as Record<string, unknown>)[key] = structuredClone((fromFile[section] as Record<string, unknown>)[key]);
  }
  return { next, changed, applied, deferred };
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  if (isTable(a) && isTable(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((k) => sameValue(a[k], b[k]));
  }
  return Object.is(a, b);
}

/** A table value (e.g. `dividend_yields = { SPY = 0.012 }`). */
function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
