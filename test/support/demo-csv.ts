/**
 * Small readers for the generator's own tests: whole-file, synchronous,
 * independent of the product's streaming parser (so the tests check the
 * files, not the parser). Not for production use.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

export interface CsvTable {
  readonly header: string;
  readonly columns: readonly string[];
  /** Each row's fields, quotes removed (`"12,37"` → `12,37`). */
  readonly rows: readonly string[][];
  /** Field `name` of row `i`. */
  field(i: number, name: string): string;
}

/** Splits one CSV line; fields may be double-quoted (no escaped quotes inside, as in Massive's files). */
export function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      const close = line.indexOf('"', i + 1);
      fields.push(line.slice(i + 1, close));
      i = close + 2;
    } else {
      const comma = line.indexOf(',', i);
      const end = comma === -1 ? line.length : comma;
      fields.push(line.slice(i, end));
      i = end + 1;
    }
  }
  return fields;
}

export function parseCsvText(text: string): CsvTable {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const header = lines[0] ?? '';
  const columns = header.split(',');
  const index = new Map(columns.map((c, i) => [c, i]));
  const rows = lines.slice(1).map(splitCsvLine);
  return {
    header, columns, rows,
    field(i, name) {
      const c = index.get(name);
      if (c === undefined) throw new Error(`no column ${name}`);
      return rows[i]![c]!;
    },
  };
}

/** Reads a `.csv.gz` (or plain `.csv`) file. */
export function readCsvFile(path: string): CsvTable {
  const raw = readFileSync(path);
  return parseCsvText((path.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8'));
}

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}
