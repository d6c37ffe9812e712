/**
 * The comparison behind a finalize report: the feature rows a day had before (prelim, from the
 * realtime feed) against the rows it has after (final, from the flat files), per column.
 *
 * Rows are matched on (window, window_start). A value counts as changed when the two differ
 * (null vs a number, or two numbers not Object.is-equal); `maxAbs` and `maxRel` (|a − b| /
 * max(|a|, |b|)) are over the pairs where both are numbers.
 *
 * Pure: no I/O.
 */

export type RowValue = number | bigint | string | boolean | null;
/** A feature row as read back: column name → value. */
export type StoredRow = Readonly<Record<string, RowValue>>;

export interface ColumnChange {
  /** Rows whose value of this column changed. */
  readonly changed: number;
  readonly maxAbs: number;
  readonly maxRel: number;
}

export interface RowComparison {
  /** Rows present before and after. */
  readonly rowsCompared: number;
  /** Of those, rows with at least one changed value. */
  readonly rowsChanged: number;
  /** Rows only before (windows the final grid does not have) / only after (windows live never emitted). */
  readonly rowsOnlyBefore: number;
  readonly rowsOnlyAfter: number;
  /** Changed columns only, by name. */
  readonly columns: Readonly<Record<string, ColumnChange>>;
}

/** Columns that identify or describe a row rather than measure the window. */
const NOT_COMPARED = new Set(['symbol', 'window', 'window_start', 'window_end', 'quality', 'source', 'date']);

export const rowKeyOf = (row: StoredRow): string => `${String(row.window)}/${String(row.window_start)}`;

const toNumber = (v: RowValue | undefined): number | undefined =>
  (typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : undefined);

export function compareRows(before: readonly StoredRow[], after: readonly StoredRow[]): RowComparison {
  const old = new Map(before.map((r) => [rowKeyOf(r), r]));
  const seen = new Set<string>();
  const columns = new Map<string, { changed: number; maxAbs: number; maxRel: number }>();
  let rowsCompared = 0, rowsChanged = 0, rowsOnlyAfter = 0;
  for (const row of after) {
    const key = rowKeyOf(row);
    const previous = old.get(key);
    if (previous === undefined) { rowsOnlyAfter++; continue; }
    seen.add(key);
    rowsCompared++;
    let changedRow = false;
    for (const name of new Set([...Object.keys(row), ...Object.keys(previous)])) {
      if (NOT_COMPARED.has(name)) continue;
      const a = previous[name] ?? null, b = row[name] ?? null;
      if (Object.is(a, b) || (typeof a === 'bigint' && typeof b === 'bigint' && a === b)) continue;
      changedRow = true;
      let c = columns.get(name);
      if (c === undefined) columns.set(name, c = { changed: 0, maxAbs: 0, maxRel: 0 });
      c.changed++;
      const x = toNumber(a), y = toNumber(b);
      if (x !== undefined && y !== undefined && Number.isFinite(x) && Number.isFinite(y)) {
        const abs = Math.abs(x - y);
        const scale = Math.max(Math.abs(x), Math.abs(y));
        c.maxAbs = Math.max(c.maxAbs, abs);
        if (scale > 0) c.maxRel = Math.max(c.maxRel, abs / scale);
      }
    }
    if (changedRow) rowsChanged++;
  }
  const sorted = Object.fromEntries([...columns].sort(([a], [b]) => (a < b ? -1 : 1)));
  return { rowsCompared, rowsChanged, rowsOnlyBefore: before.length - seen.size, rowsOnlyAfter, columns: sorted };
}

/** Counts of a match between two multisets of trade keys (flat files vs realtime). */
export interface TradeMatch {
  readonly flatFile: number;
  readonly realtime: number;
  /** Pairs matched (per key, the smaller of the two counts). */
  readonly matched: number;
  /** Matched pairs whose key occurs exactly once on each side. */
  readonly matchedUniquely: number;
  /** In the flat files, not received live. */
  readonly missingLive: number;
  /** Received live, not in the flat files. */
  readonly missingFlatFile: number;
}

/**
 * The match of two multisets of trade keys, from groups of keys with the same pair of counts:
 * `keys` distinct keys occur `flatFile` times in the flat files and `realtime` times live
 * (0 = absent on that side).
 */
export function matchTrades(groups: Iterable<{ readonly flatFile: number; readonly realtime: number; readonly keys: number }>): TradeMatch {
  let flatFile = 0, realtime = 0, matched = 0, matchedUniquely = 0;
  for (const g of groups) {
    flatFile += g.flatFile * g.keys;
    realtime += g.realtime * g.keys;
    matched += Math.min(g.flatFile, g.realtime) * g.keys;
    if (g.flatFile === 1 && g.realtime === 1) matchedUniquely += g.keys;
  }
  return { flatFile, realtime, matched, matchedUniquely, missingLive: flatFile - matched, missingFlatFile: realtime - matched };
}

/** The report's one-line summary. */
export function summaryLine(symbol: string, date: string, r: {
  comparison: RowComparison; corrections: { stocks: number; options: number };
  optionTrades?: TradeMatch; stockTrades?: TradeMatch; gapsResolved: number;
}): string {
  const c = r.comparison;
  const top = Object.entries(c.columns).sort(([, a], [, b]) => b.changed - a.changed).slice(0, 3)
    .map(([name, v]) => `${name} ${v.changed}`).join(', ');
  const trades = (label: string, m: TradeMatch | undefined): string => (m === undefined ? `${label}: no realtime table`
    : `${label}: ${m.matched} matched (${m.matchedUniquely} uniquely), ${m.missingLive} missing live, ${m.missingFlatFile} not in the flat files`);
  return `finalize ${symbol} ${date}: ${c.rowsChanged} of ${c.rowsCompared} rows changed${top ? ` (${top})` : ''}`
    + `${c.rowsOnlyAfter > 0 ? `, ${c.rowsOnlyAfter} new` : ''}${c.rowsOnlyBefore > 0 ? `, ${c.rowsOnlyBefore} gone` : ''}; `
    + `corrected/cancelled prints: ${r.corrections.stocks} stock, ${r.corrections.options} option; `
    + `${trades('stock trades', r.stockTrades)}; ${trades('option trades', r.optionTrades)}; gaps resolved ${r.gapsResolved}`;
}
