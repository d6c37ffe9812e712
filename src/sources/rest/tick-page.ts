/**
 * A page of REST ticks (`/v3/trades|quotes/{ticker}`) → the spool's CSV lines
 * (records.ts), decoded inside the client's retry loop (a body that does not
 * parse is asked again). Nanosecond timestamps stay exact (parseExactJson).
 *
 * A single-pass JS scanner writing the lines straight from the text was tried
 * and measured slower than V8's JSON.parse plus one object per row (1.6 s vs
 * 1.2 s per 50,000-row page on the loaded box; bench/README.md), so there is
 * none.
 *
 * Pure: no I/O.
 */
import type { DatasetSpec } from '../../formats/datasets.js';
import { SourceError } from '../../util/errors.js';
import { parseExactJson } from './exact-json.js';
import { csvLineOfRow, dedupKey } from './records.js';

export interface SpoolLine { readonly key: string; readonly line: string }
export interface CsvPage {
  readonly rows: SpoolLine[];
  readonly nextUrl: string | undefined;
}

export function ticksPageToCsv(text: string, dataset: DatasetSpec, ticker: string): CsvPage {
  const body = parseExactJson(text);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new SourceError('source', `the page of ${ticker} is not a JSON object`);
  const env = body as Record<string, unknown>;
  const results = env['results'] ?? [];
  if (!Array.isArray(results)) throw new SourceError('source', `"results" of the page of ${ticker} is not an array`);
  const rows = (results as Record<string, unknown>[]).map((r) => {
    const key = dedupKey(dataset, r);
    return { key, line: csvLineOfRow(dataset, ticker, r, key) };
  });
  const next = env['next_url'];
  return { rows, nextUrl: typeof next === 'string' && next !== '' ? next : undefined };
}
