/**
 * What a greeks day reads and how it is recognised: the input partitions it needs (with the
 * ingest command that fills a missing one), the options-quotes partition its trades are
 * classified against, and the identity of its inputs and settings recorded in the manifest.
 */
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { AggregationsConfig } from '../../config/schema.js';
import { underlyingOfRoot } from '../../formats/opra.js';
import { partitionMatches, type ManifestEntry } from '../../lake/manifest.js';
import type { IngestedSides } from '../ingest-sides.js';

/**
 * Identity of a day's inputs, recorded as the manifest `source`: a rerun after a re-ingest
 * recomputes. `quotes` is the options-quotes partition the trades were classified against, or
 * undefined when aggression was off (recorded as such: quotes ingested later change the etag).
 */
export function greeksSource(date: string, options: ManifestEntry, stocks: ManifestEntry, paramsKey: string,
  quotes?: ManifestEntry): ManifestEntry['source'] {
  const hash = createHash('sha256');
  const inputs = quotes === undefined ? [options, stocks] : [options, stocks, quotes];
  for (const e of inputs) {
    hash.update(`${e.dataset}/date=${date}:`);
    for (const f of e.files) hash.update(`${f.name}=${f.sha256};`);
  }
  hash.update(quotes === undefined ? 'aggression=off;' : 'aggression=on;');
  hash.update(paramsKey);
  const bytes = inputs.reduce((n, e) => n + e.files.reduce((m, f) => m + f.bytes, 0), 0);
  const quotesPart = quotes === undefined ? '' : ` + options-quotes (${quotes.rows} rows, run ${quotes.runId})`;
  return {
    description: `options-trades (${options.rows} rows, run ${options.runId}) + stocks-trades (${stocks.rows} rows, run ${stocks.runId})${quotesPart}`,
    key: `options-trades/date=${date} + stocks-trades/date=${date}` + (quotes === undefined ? '' : ` + options-quotes/date=${date}`),
    size: bytes,
    etag: hash.digest('hex'),
  };
}

/** The aggression settings that change the side columns (part of the manifest params key). */
export function aggressionKey(agg: AggregationsConfig): Record<string, string> {
  return {
    fallback: agg.aggression_fallback, staleness: agg.quote_staleness_mode, max: agg.max_quote_staleness,
    ...(agg.quote_staleness_mode === 'adaptive' ? { min: agg.adaptive_staleness_min, maxAdaptive: agg.adaptive_staleness_max } : {}),
  };
}

/**
 * The options-quotes partition to classify `date`'s trades against, or why there is none
 * (aggression disabled, partition absent or incomplete, or ingested without the symbol).
 */
export async function quotesFor(lake: string, date: string, symbol: string, roots: readonly string[], agg: AggregationsConfig,
  entry: ManifestEntry | undefined): Promise<{ quotes: ManifestEntry } | { off: string }> {
  if (!agg.aggression) return { off: 'aggression disabled ([aggregations] aggression = false)' };
  const hint = `gammaflow ingest --dataset options-quotes --underlyings ${symbol} --from ${date} --to ${date}`;
  if (entry === undefined || !(await partitionMatches(lake, entry))) {
    return { off: `aggression off for ${date}: no options-quotes partition in the lake (${hint} enables it)` };
  }
  for (const name of [symbol, ...roots]) {
    if (!filterKeeps(entry.filter, name) && !filterKeeps(entry.filter, underlyingOfRoot(name))) {
      return { off: `aggression off for ${date}: options-quotes were ingested with ${entry.filter}, without ${name} (${hint} enables it)` };
    }
  }
  return { quotes: entry };
}

/** Whether an ingest filter (`tickers=A,B` / `underlyings=A,B`, absent = all rows) kept `name`. */
function filterKeeps(filter: string | undefined, name: string): boolean {
  if (filter === undefined) return true;
  const eq = filter.indexOf('=');
  return filter.slice(eq + 1).split(',').includes(name);
}

function ingestHint(date: string, symbol: string): string {
  return `run gammaflow ingest --dataset stocks-trades,options-trades --from ${date} --to ${date} first (with --tickers/--underlyings, include ${symbol})`;
}

/**
 * Whether verdicts computed during the ingest belong to the partitions this day reads (the same
 * published entries: run, time, rows, source object) and to the day's selection and settings.
 */
export function sidesApply(ingested: IngestedSides, trades: ManifestEntry, quotes: ManifestEntry, symbol: string,
  roots: readonly string[], agg: AggregationsConfig): boolean {
  const same = (a: ManifestEntry, b: ManifestEntry) => a.runId === b.runId && a.publishedAt === b.publishedAt
    && a.rows === b.rows && a.source.etag === b.source.etag && a.source.key === b.source.key;
  return same(ingested.trades, trades) && same(ingested.quotes, quotes)
    && ingested.selection.underlying === symbol
    && JSON.stringify([...(ingested.selection.extraRoots ?? [])].sort()) === JSON.stringify([...roots].sort())
    && JSON.stringify(aggressionKey(ingested.aggregations)) === JSON.stringify(aggressionKey(agg));
}

/** `date=D` directories directly under LAKE/options-greeks (the 0.1 layout, before symbol= partitions). */
export async function legacyGreeksDays(lake: string): Promise<string[]> {
  try {
    return (await readdir(join(lake, 'options-greeks'))).filter((name) => name.startsWith('date=')).sort();
  } catch {
    return [];
  }
}

export async function missingInput(lake: string, date: string, symbol: string, roots: readonly string[],
  stocks: ManifestEntry | undefined, options: ManifestEntry | undefined): Promise<string | undefined> {
  const absent: string[] = [];
  if (stocks === undefined || !(await partitionMatches(lake, stocks))) absent.push('stocks-trades');
  if (options === undefined || !(await partitionMatches(lake, options))) absent.push('options-trades');
  if (absent.length > 0) return `greeks ${date}: no ${absent.join(' or ')} partition for ${date} in ${lake}; ${ingestHint(date, symbol)}`;
  if (!filterKeeps(stocks!.filter, symbol)) {
    return `greeks ${date}: stocks-trades of ${date} were ingested with ${stocks!.filter}, without ${symbol}; ${ingestHint(date, symbol)}`;
  }
  for (const name of [symbol, ...roots]) {
    if (!filterKeeps(options!.filter, name) && !filterKeeps(options!.filter, underlyingOfRoot(name))) {
      return `greeks ${date}: options-trades of ${date} were ingested with ${options!.filter}, without ${name}; ${ingestHint(date, name)}`;
    }
  }
  return undefined;
}
