/** Daily Treasury constant-maturity yields from `/fed/v1/treasury-yields` (percent per tenor). */
import { TENORS, type TreasuryYields } from '../../options/rates/treasury-curve.js';
import { SourceError } from '../../util/errors.js';
import type { RestClient } from './client.js';

export async function fetchTreasuryYields(client: RestClient, from: string, to: string, signal?: AbortSignal): Promise<TreasuryYields[]> {
  const url = client.url('/fed/v1/treasury-yields', { 'date.gte': from, 'date.lte': to, limit: 50_000, sort: 'date', order: 'asc' });
  const ctx = { what: `Treasury yields ${from}..${to}`, plan: 'a plan with economic data (treasury yields)', ...(signal ? { signal } : {}) };
  const byDate = new Map<string, TreasuryYields>();
  for await (const page of client.pages(url, ctx)) {
    for (const row of page.results) {
      const date = row['date'];
      if (typeof date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(date)) {
        throw new SourceError('source', `${ctx.what}: a row of ${page.url} has no valid "date" (${JSON.stringify(date)})`, { url: page.url });
      }
      const yields: Record<string, number | null> = {};
      for (const t of TENORS) {
        const v = row[t.field];
        if (v === undefined || v === null) { yields[t.field] = null; continue; }
        if (typeof v !== 'number' || !Number.isFinite(v)) {
          throw new SourceError('source', `${ctx.what}: ${date}: field ${t.field} is not a number (${JSON.stringify(v)})`, { url: page.url, field: t.field });
        }
        yields[t.field] = v;
      }
      byDate.set(date, { date, yields });
    }
  }
  return [...byDate.values()].sort((a, b) => (a.date < b.date ? -1 : 1));
}
