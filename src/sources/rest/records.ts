/**
 * REST rows → the flat files' CSV: the backfill writes what it fetched in the
 * CSV dialect of Massive's flat files, so the lake's rows come out of the same
 * parser (CsvBatchParser: types, nulls, OPRA columns, rejects with line and
 * field) as a flat-file ingest's, column for column.
 *
 * Each line starts with a dedup key (`_key`, a column the parser ignores):
 * `sequence_number`, and for stock trades `sequence_number|id`; empty when the
 * row has no sequence number (then it is never taken for a duplicate).
 *
 * Pure: no I/O.
 */
import type { DatasetSpec } from '../../formats/datasets.js';
import { NANOSECOND_KEYS, nanosText } from './exact-json.js';

export const KEY_COLUMN = '_key';

/** The spool's header: `_key` then the dataset's flat-file columns. */
export function spoolHeader(dataset: DatasetSpec): string {
  return [KEY_COLUMN, ...dataset.columns.map((c) => c.name)].join(',');
}

const NS = new Set(NANOSECOND_KEYS);

function field(value: unknown, name: string): string {
  if (value === undefined || value === null) return '';
  if (NS.has(name)) return nanosText(value) ?? quote(String(value));
  if (Array.isArray(value)) {
    const text = value.map((v) => (typeof v === 'number' ? String(v) : String(v))).join(',');
    return value.length > 1 ? `"${text.replace(/"/g, '""')}"` : quote(text);
  }
  if (typeof value === 'number') return numberText(value);
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'string') return quote(value);
  return quote(JSON.stringify(value)); // an object where a scalar belongs: the parser rejects it, naming the field
}

/** A number in plain decimal (the parser reads no exponents): 1e-7 → 0.0000001. */
export function numberText(v: number): string {
  const s = String(v);
  if (!/e/i.test(s) || !Number.isFinite(v)) return s;
  if (Math.abs(v) >= 1) return BigInt(Math.round(v)).toString();
  // Shortest digits of the value, placed after the point.
  const [mantissa, exp] = s.split('e') as [string, string];
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  const zeros = -Number(exp) - 1;
  return `${negative ? '-' : ''}0.${'0'.repeat(zeros)}${digits}`;
}

/** RFC 4180 quoting when needed; line breaks (which no flat file holds) become spaces. */
function quote(s: string): string {
  const flat = /[\r\n]/.test(s) ? s.replace(/[\r\n]+/g, ' ') : s;
  return /[",]/.test(flat) ? `"${flat.replace(/"/g, '""')}"` : flat;
}

/** The dedup key of a row ('' = none). */
export function dedupKey(dataset: DatasetSpec, row: Readonly<Record<string, unknown>>): string {
  const seq = row['sequence_number'];
  if (typeof seq !== 'number' && typeof seq !== 'string') return '';
  const seqText = String(seq);
  if (dataset.name === 'stocks-trades') {
    const id = row['id'];
    return `${seqText}|${id === undefined || id === null ? '' : String(id)}`.replace(/[",\r\n]/g, '_');
  }
  return seqText.replace(/[",\r\n]/g, '_');
}

/** One CSV line (no newline) for a REST row of `ticker`: `_key,ticker,<dataset columns>`. */
export function csvLineOfRow(dataset: DatasetSpec, ticker: string, row: Readonly<Record<string, unknown>>, key: string): string {
  const parts = [key, quote(ticker)];
  for (const c of dataset.columns) {
    if (c.name === 'ticker') continue;
    parts.push(field(row[c.name], c.name));
  }
  return parts.join(',');
}
