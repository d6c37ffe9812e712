/**
 * Warnings for keys config.toml does not know: typos should be visible, yet a
 * newer file must still load in an older build, so they warn instead of fail.
 */
import { SECTIONS, sectionKeys, type SectionName } from './schema.js';

/** One warning per unknown section or key of a parsed TOML document, in file order. */
export function unknownKeyWarnings(raw: Record<string, unknown>, file: string): string[] {
  const warnings: string[] = [];
  const sections = Object.keys(SECTIONS);
  for (const [section, value] of Object.entries(raw)) {
    if (!(section in SECTIONS)) {
      warnings.push(`${file}: unknown ${isTable(value) ? 'section' : 'key'} "${section}" ignored${suggestion(section, sections)}`);
      continue;
    }
    if (!isTable(value)) continue; // a type error, reported by validation
    const known = sectionKeys(section as SectionName);
    for (const key of Object.keys(value)) {
      if (!known.includes(key)) {
        const candidates = known.map((k) => `${section}.${k}`);
        warnings.push(`${file}: unknown key "${section}.${key}" ignored${suggestion(`${section}.${key}`, candidates)}`);
      }
    }
  }
  return warnings;
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** " (did you mean "x"?)" for the closest candidate within a few edits, else "". */
function suggestion(name: string, candidates: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 4)) + 1;
  for (const c of candidates) {
    const d = editDistance(name, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best === undefined ? '' : ` (did you mean "${best}"?)`;
}

/** Levenshtein distance (insertions, deletions, substitutions). */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
