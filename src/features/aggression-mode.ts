/**
 * Which feature rows a run computes: whether the days' options-greeks partitions carry the
 * trade sides (aggression columns), and how a day's sides are described in the log.
 */
import type { DuckDBInstance } from '@duckdb/node-api';
import { partitionFilePaths, partitionMatches, type ManifestEntry } from '../lake/manifest.js';
import { everyFileHasColumn } from '../lake/queries/options-greeks.js';
import type { DayAggression } from './feeder.js';

/**
 * Whether this run's rows carry the aggression columns: the options-greeks partitions of the
 * requested days (those present; missing ones fail later on their own) either all have the side
 * columns or none do. A mix is a conflict: its message names the days of each kind and the fix.
 */
export async function aggressionMode(lake: string, duck: DuckDBInstance, days: readonly string[], greeksTable: string,
  greeksManifest: Map<string, ManifestEntry>): Promise<{ aggression: boolean } | { conflict: string }> {
  const withSides: string[] = [], without: string[] = [];
  for (const date of days) {
    const entry = greeksManifest.get(date);
    if (entry === undefined || !(await partitionMatches(lake, entry))) continue;
    const files = await partitionFilePaths(lake, entry);
    (await everyFileHasColumn(duck, files, 'side') ? withSides : without).push(date);
  }
  if (withSides.length > 0 && without.length > 0) {
    return {
      conflict: `features: the options-greeks days of this run disagree on aggression: with trade sides ${withSides.join(', ')}; `
        + `without ${without.join(', ')}. Ingest options-quotes (--underlyings) for the days without and rerun gammaflow greeks, `
        + 'or set [aggregations] aggression = false to compute the 81 columns for all days',
    };
  }
  return { aggression: withSides.length > 0 };
}

export function describeSides(s: DayAggression): string {
  const reasons = Object.entries(s.unclassifiedByReason).map(([k, n]) => `${k} ${n.toLocaleString('en-US')}`).join(', ');
  const pct = Number.isNaN(s.classifiedPct) ? 'n/a' : `${s.classifiedPct.toFixed(1)} %`;
  return `aggression ${pct} classified (${s.buys.toLocaleString('en-US')} buys, ${s.sells.toLocaleString('en-US')} sells, `
    + `${s.unclassified.toLocaleString('en-US')} unclassified${reasons ? `: ${reasons}` : ''})`;
}

