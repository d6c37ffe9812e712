/**
 * The option contracts of an underlying listed on a day, from
 * `/v3/reference/options/contracts?underlying_ticker=S&as_of=D`. Massive's
 * `expired` flag is relative to today, so a past day's contracts that have
 * since expired are only listed with `expired=true`: both are asked and merged.
 */
import { decodeOpra } from '../../formats/opra.js';
import type { RestClient } from './client.js';

export interface ListedContracts {
  /** OPRA tickers (`O:SPY251107C00680000`), unique, in byte order. */
  readonly tickers: string[];
  /** Listed tickers that do not decode as OPRA symbols (left out). */
  readonly undecodable: string[];
}

export async function listContracts(client: RestClient, underlying: string, date: string, signal?: AbortSignal): Promise<ListedContracts> {
  const tickers = new Set<string>();
  const undecodable: string[] = [];
  for (const expired of [false, true]) {
    const url = client.url('/v3/reference/options/contracts', { underlying_ticker: underlying, as_of: date, expired, limit: 1000, order: 'asc', sort: 'ticker' });
    const ctx = { what: `the option contracts of ${underlying} on ${date}`, plan: 'an Options plan (reference data)', ...(signal ? { signal } : {}) };
    for await (const page of client.pages(url, ctx)) {
      for (const c of page.results) {
        const t = c['ticker'];
        if (typeof t !== 'string') continue;
        if (decodeOpra(t).ok) tickers.add(t);
        else undecodable.push(t);
      }
    }
  }
  return { tickers: [...tickers].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)), undecodable };
}
