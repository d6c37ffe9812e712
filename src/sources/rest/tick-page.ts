/**
 * A page of REST ticks (`/v3/trades|quotes/{ticker}`) → the spool's CSV lines,
 * without building a JS object per row.
 *
 * The fast path scans the `results` array of the text once and writes each
 * row's CSV line from the raw field texts (nanosecond integers stay exact as
 * text); the envelope without its results (`status`, `next_url`...) goes through
 * parseExactJson. It only accepts what it fully understands (string values
 * without escapes, numbers, integer arrays, null) and gives up on anything
 * else (a nested object, an escape, a boolean, an exponent in a timestamp...);
 * the page then goes through the reference path: parseExactJson of the whole
 * text and csvLineOfRow per row. Both give the same lines for every page the
 * fast path accepts (tick-page.test.ts compares them). bench/README.md has the
 * measurement that justified it (JSON objects were most of a stock backfill's CPU).
 *
 * Pure: no I/O.
 */
import type { DatasetSpec } from '../../formats/datasets.js';
import { SourceError } from '../../util/errors.js';
import { NANOSECOND_KEYS, parseExactJson } from './exact-json.js';
import { csvLineOfRow, dedupKey, numberText } from './records.js';

export interface SpoolLine { readonly key: string; readonly line: string }
export interface CsvPage {
  readonly rows: SpoolLine[];
  readonly nextUrl: string | undefined;
  /** Which path decoded the page. */
  readonly fast: boolean;
}

const NS = new Set(NANOSECOND_KEYS);
const QUOTE = 34, BACKSLASH = 92, LBRACKET = 91, RBRACKET = 93, LBRACE = 123, RBRACE = 125, COMMA = 44, COLON = 58;

/** The reference path: whole-page JSON, then one object per row. */
export function ticksPageToCsvSlow(text: string, dataset: DatasetSpec, ticker: string): CsvPage {
  const body = parseExactJson(text);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new SourceError('source', `the page of ${ticker} is not a JSON object`);
  const env = body as Record<string, unknown>;
  const results = env['results'] ?? [];
  if (!Array.isArray(results)) throw new SourceError('source', `"results" of the page of ${ticker} is not an array`);
  const rows = (results as Record<string, unknown>[]).map((r) => {
    const key = dedupKey(dataset, r);
    return { key, line: csvLineOfRow(dataset, ticker, r, key) };
  });
  return { rows, nextUrl: nextOf(env), fast: false };
}

export function ticksPageToCsv(text: string, dataset: DatasetSpec, ticker: string): CsvPage {
  return fastPage(text, dataset, ticker) ?? ticksPageToCsvSlow(text, dataset, ticker);
}

function nextOf(env: Record<string, unknown>): string | undefined {
  const next = env['next_url'];
  return typeof next === 'string' && next !== '' ? next : undefined;
}

type Kind = 0 | 1 | 2 | 3; // null, number, string, int array
const K_NULL = 0, K_NUMBER = 1, K_STRING = 2, K_ARRAY = 3;

/** RFC 4180 quoting as records.ts does it (no line breaks reach here: strings with escapes are refused). */
function quote(s: string): string {
  return /[",]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A JSON integer whose text is what String(Number(text)) gives. */
const PLAIN_INT = /^-?(0|[1-9]\d{0,14})$/;
const DIGITS = /^-?\d+$/;

/** The CSV text of one raw field, as records.ts `field()` writes the parsed value; undefined = give up. */
function fieldText(name: string, kind: Kind, raw: string): string | undefined {
  if (kind === K_NULL) return '';
  if (NS.has(name)) {
    if (kind === K_NUMBER) return DIGITS.test(raw) ? raw : undefined;
    if (kind === K_STRING) return DIGITS.test(raw) ? raw : quote(raw);
    return undefined;
  }
  if (kind === K_ARRAY) {
    if (raw === '') return '';
    const items = raw.split(',');
    if (!items.every((x) => PLAIN_INT.test(x) && x !== '-0')) return undefined;
    return items.length > 1 ? `"${raw}"` : raw;
  }
  if (kind === K_STRING) return quote(raw);
  if (PLAIN_INT.test(raw) && raw !== '-0') return raw;
  const v = Number(raw);
  return Number.isNaN(v) ? undefined : numberText(v);
}

function fastPage(text: string, dataset: DatasetSpec, ticker: string): CsvPage | undefined {
  // The top-level "results": [ (a "results" inside a string is followed by something else than a colon).
  let at = -1;
  for (let from = 0; ;) {
    const k = text.indexOf('"results"', from);
    if (k < 0) break;
    let j = skipWs(text, k + 9);
    if (text.charCodeAt(j) === COLON) {
      j = skipWs(text, j + 1);
      if (text.charCodeAt(j) === LBRACKET) { at = j; break; }
      return undefined;
    }
    from = k + 9;
  }
  if (at < 0) return undefined;
  const columns = dataset.columns.filter((c) => c.name !== 'ticker').map((c) => c.name);
  const index = new Map(columns.map((c, i) => [c, i]));
  const n = columns.length;
  const seqAt = n, idAt = index.get('id') ?? -1;
  const kinds = new Array<Kind>(n + 1), raws = new Array<string>(n + 1);
  const rows: SpoolLine[] = [];
  const quotedTicker = quote(ticker);
  let i = skipWs(text, at + 1);
  if (text.charCodeAt(i) === RBRACKET) i++;
  else {
    for (;;) {
      if (text.charCodeAt(i) !== LBRACE) return undefined;
      kinds.fill(K_NULL); raws.fill('');
      i = skipWs(text, i + 1);
      if (text.charCodeAt(i) === RBRACE) i++;
      else {
        for (;;) {
          if (text.charCodeAt(i) !== QUOTE) return undefined;
          const keyEnd = text.indexOf('"', i + 1);
          if (keyEnd < 0) return undefined;
          const key = text.slice(i + 1, keyEnd);
          if (key.includes('\\')) return undefined;
          i = skipWs(text, keyEnd + 1);
          if (text.charCodeAt(i) !== COLON) return undefined;
          i = skipWs(text, i + 1);
          const c = text.charCodeAt(i);
          let kind: Kind, raw: string;
          if (c === QUOTE) {
            const end = text.indexOf('"', i + 1);
            if (end < 0) return undefined;
            raw = text.slice(i + 1, end);
            if (/[\\\r\n]/.test(raw)) return undefined;
            kind = K_STRING; i = end + 1;
          } else if (c === LBRACKET) {
            const end = text.indexOf(']', i + 1);
            if (end < 0) return undefined;
            raw = text.slice(i + 1, end).replace(/\s+/g, '');
            if (!/^[-\d,]*$/.test(raw)) return undefined;
            kind = K_ARRAY; i = end + 1;
          } else if (c === 110 /* n */) {
            if (!text.startsWith('null', i)) return undefined;
            raw = ''; kind = K_NULL; i += 4;
          } else {
            let e = i;
            for (let d = text.charCodeAt(e); (d >= 48 && d <= 57) || d === 45 || d === 46 || d === 43 || d === 101 || d === 69; d = text.charCodeAt(++e));
            if (e === i) return undefined;
            raw = text.slice(i, e); kind = K_NUMBER; i = e;
          }
          const col = key === 'sequence_number' && !index.has(key) ? seqAt : index.get(key);
          if (col !== undefined) { kinds[col] = kind; raws[col] = raw; }
          if (key === 'sequence_number' && index.has(key)) { kinds[seqAt] = kind; raws[seqAt] = raw; }
          i = skipWs(text, i);
          const sep = text.charCodeAt(i);
          if (sep === COMMA) { i = skipWs(text, i + 1); continue; }
          if (sep === RBRACE) { i++; break; }
          return undefined;
        }
      }
      // The dedup key, as records.ts dedupKey.
      let key = '';
      const seqKind = kinds[seqAt]!;
      if (seqKind === K_NUMBER || seqKind === K_STRING) {
        const seqText = seqKind === K_STRING ? raws[seqAt]! : PLAIN_INT.test(raws[seqAt]!) && raws[seqAt] !== '-0' ? raws[seqAt]! : undefined;
        if (seqText === undefined) return undefined;
        if (dataset.name === 'stocks-trades') {
          const idKind = idAt >= 0 ? kinds[idAt]! : K_NULL;
          const idText = idKind === K_NULL ? '' : idKind === K_STRING ? raws[idAt]! : idKind === K_NUMBER && PLAIN_INT.test(raws[idAt]!) ? raws[idAt]! : undefined;
          if (idText === undefined) return undefined;
          key = `${seqText}|${idText}`.replace(/[",\r\n]/g, '_');
        } else {
          key = seqText.replace(/[",\r\n]/g, '_');
        }
      } else if (seqKind === K_ARRAY) {
        return undefined;
      }
      let line = key + ',' + quotedTicker;
      for (let k = 0; k < n; k++) {
        const f = fieldText(columns[k]!, kinds[k]!, raws[k]!);
        if (f === undefined) return undefined;
        line += ',' + f;
      }
      rows.push({ key, line });
      i = skipWs(text, i);
      const sep = text.charCodeAt(i);
      if (sep === COMMA) { i = skipWs(text, i + 1); continue; }
      if (sep === RBRACKET) { i++; break; }
      return undefined;
    }
  }
  let env: unknown;
  try { env = parseExactJson(text.slice(0, at) + '[]' + text.slice(i)); } catch { return undefined; }
  if (env === null || typeof env !== 'object' || Array.isArray(env)) return undefined;
  return { rows, nextUrl: nextOf(env as Record<string, unknown>), fast: true };
}

function skipWs(text: string, i: number): number {
  for (let c = text.charCodeAt(i); c === 32 || c === 10 || c === 13 || c === 9; c = text.charCodeAt(++i));
  return i;
}
