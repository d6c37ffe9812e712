/**
 * The feature rows a `gammaflow live` run has emitted so far, per window size, for the Live page's
 * first paint (later rows arrive on /features/stream). A revision replaces its window's row.
 * Bounded: at most `maxRowsPerWindow` rows per size are kept (the oldest go first).
 */
import { featureRowColumnNames, rowEntries, type FeatureRow } from '../features/row.js';
import type { FeatureTable } from '../lake/web-queries.js';

export class LiveRowBuffer {
  readonly #rows = new Map<string, Map<bigint, FeatureRow>>();

  constructor(readonly symbol: string, readonly windows: readonly string[], private readonly aggression: boolean,
    private readonly maxRowsPerWindow = 10_000) {}

  add(row: FeatureRow): void {
    let rows = this.#rows.get(row.window);
    if (rows === undefined) this.#rows.set(row.window, (rows = new Map()));
    rows.delete(row.windowStartNs);
    rows.set(row.windowStartNs, row);
    if (rows.size > this.maxRowsPerWindow) rows.delete(rows.keys().next().value!);
  }

  /** The rows of one size in window order, as /api/features returns them. */
  table(window: string): FeatureTable {
    const rows = [...(this.#rows.get(window)?.values() ?? [])].sort((a, b) => (a.windowStartNs < b.windowStartNs ? -1 : 1));
    const columns = featureRowColumnNames(this.aggression).map((name) => (name === 'window_start' || name === 'window_end' ? `${name}_ms` : name));
    return {
      columns,
      rows: rows.map((row) => rowEntries(row, this.aggression).map(([, v]) => (typeof v === 'bigint' ? Number(v / 1_000_000n) : v))),
    };
  }
}

