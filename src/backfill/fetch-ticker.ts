/**
 * One ticker's ticks of one day from REST into its spool, page by page, from
 * where the journal says it stopped.
 */
import type { DatasetSpec } from '../formats/datasets.js';
import { nyWallClockToUtcNs } from '../calendar/index.js';
import { addDays } from '../calendar/index.js';
import type { RestClient } from '../sources/rest/client.js';
import { ticksPageToCsv, type CsvPage } from '../sources/rest/tick-page.js';
import type { DaySpool } from './spool.js';

/** REST path of a dataset's ticks. */
export function ticksPath(dataset: DatasetSpec, ticker: string): string {
  return `/v3/${dataset.name.endsWith('-quotes') ? 'quotes' : 'trades'}/${ticker}`;
}

/** What a 401/403 on this dataset calls for. */
export function planOf(dataset: DatasetSpec): string {
  switch (dataset.name) {
    case 'stocks-trades': return 'a Stocks plan with trades';
    case 'stocks-quotes': return 'a Stocks plan with quotes';
    case 'options-trades': return 'an Options plan with trades';
    case 'options-quotes': return 'an Options plan with quotes';
  }
}

/** The first page of a ticker's day: New York midnight to the next, oldest first, the largest pages Massive serves. */
export function firstPageUrl(client: RestClient, dataset: DatasetSpec, ticker: string, date: string): string {
  const from = nyWallClockToUtcNs(date, 0, 0);
  const to = nyWallClockToUtcNs(addDays(date, 1), 0, 0);
  return client.url(ticksPath(dataset, ticker), { 'timestamp.gte': from.toString(), 'timestamp.lt': to.toString(), order: 'asc', sort: 'timestamp', limit: 50_000 });
}

export interface PageEvents {
  page(info: { ticker: string; added: number; duplicates: number }): void;
}

export async function fetchTicker(o: {
  readonly client: RestClient;
  readonly spool: DaySpool;
  readonly dataset: DatasetSpec;
  readonly date: string;
  readonly ticker: string;
  readonly signal?: AbortSignal;
  readonly events: PageEvents;
}): Promise<void> {
  const { client, spool, dataset, date, ticker } = o;
  if (spool.state(ticker).done) return;
  const w = await spool.openTicker(ticker);
  try {
    const ctx = { what: `${dataset.name} of ${ticker} on ${date}`, plan: planOf(dataset), ...(o.signal ? { signal: o.signal } : {}) };
    let url: string | undefined = w.current.next ?? firstPageUrl(client, dataset, ticker, date);
    while (url !== undefined) {
      const page: CsvPage = await client.get(url, ctx, (text) => ticksPageToCsv(text, dataset, ticker));
      const r = await w.appendPage(page.rows, page.nextUrl);
      o.events.page({ ticker, ...r });
      url = page.nextUrl;
    }
  } finally {
    await w.close();
  }
}
