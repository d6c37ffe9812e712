import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareRows, matchTrades, summaryLine } from './finalize-report.js';

const row = (window: string, start: bigint, values: Record<string, number | null>, extra: Record<string, string> = {}) =>
  ({ symbol: 'SPY', window, window_start: start, window_end: start + 60n, quality: 'prelim', source: 'realtime', ...extra, ...values });

test('compareRows: rows matched on (window, window_start); per changed column the count and max abs/rel change; provenance is not a change', () => {
  const before = [
    row('1m', 1n, { a: 10, b: null, diag_x: 3 }),
    row('1m', 2n, { a: 5, b: 1, diag_x: 1 }),
    row('5m', 1n, { a: -4, b: 2, diag_x: 0 }),
    row('1m', 9n, { a: 1, b: 1, diag_x: 1 }),
  ];
  const after = [
    row('1m', 1n, { a: 8, b: 7, diag_x: 2 }, { quality: 'final', source: 'flatfile' }),
    row('1m', 2n, { a: 5, b: 1, diag_x: 1 }, { quality: 'final', source: 'flatfile' }),
    row('5m', 1n, { a: -5, b: 2, diag_x: 0 }, { quality: 'final', source: 'flatfile' }),
    row('1m', 3n, { a: 1, b: 1, diag_x: 1 }, { quality: 'final', source: 'flatfile' }),
  ];
  const c = compareRows(before, after);
  assert.equal(c.rowsCompared, 3);
  assert.equal(c.rowsChanged, 2);
  assert.equal(c.rowsOnlyBefore, 1);
  assert.equal(c.rowsOnlyAfter, 1);
  assert.deepEqual(Object.keys(c.columns), ['a', 'b', 'diag_x']);
  assert.deepEqual(c.columns.a, { changed: 2, maxAbs: 2, maxRel: 0.2 });
  assert.deepEqual(c.columns.b, { changed: 1, maxAbs: 0, maxRel: 0 }, 'null → a number counts as a change without a numeric size');
  assert.deepEqual(c.columns.diag_x, { changed: 1, maxAbs: 1, maxRel: 1 / 3 });
  const same = compareRows(after, after);
  assert.deepEqual({ ...same, columns: Object.keys(same.columns) }, { rowsCompared: 4, rowsChanged: 0, rowsOnlyBefore: 0, rowsOnlyAfter: 0, columns: [] });
  assert.equal(compareRows([row('1m', 1n, { a: NaN })], [row('1m', 1n, { a: NaN })]).rowsChanged, 0);
});

test('matchTrades: per key the smaller count matches; unique = once on each side; the rest is missing on one side', () => {
  const m = matchTrades([
    { flatFile: 1, realtime: 1, keys: 10 }, // matched uniquely
    { flatFile: 2, realtime: 1, keys: 3 },  // one of two matched, one missing live each
    { flatFile: 1, realtime: 0, keys: 4 },  // never received
    { flatFile: 0, realtime: 1, keys: 2 },  // received, not in the files (a cancelled print Massive dropped)
  ]);
  assert.deepEqual(m, { flatFile: 20, realtime: 15, matched: 13, matchedUniquely: 10, missingLive: 7, missingFlatFile: 2 });
  assert.deepEqual(matchTrades([]), { flatFile: 0, realtime: 0, matched: 0, matchedUniquely: 0, missingLive: 0, missingFlatFile: 0 });
});

test('summaryLine names the counts a reader needs', () => {
  const comparison = compareRows([row('1m', 1n, { a: 1 })], [row('1m', 1n, { a: 2 })]);
  const line = summaryLine('SPY', '2025-11-07', {
    comparison, corrections: { stocks: 3, options: 1 }, gapsResolved: 2,
    optionTrades: matchTrades([{ flatFile: 1, realtime: 1, keys: 5 }]),
  });
  assert.equal(line, 'finalize SPY 2025-11-07: 1 of 1 rows changed (a 1); corrected/cancelled prints: 3 stock, 1 option; '
    + 'stock trades: no realtime table; option trades: 5 matched (5 uniquely), 0 missing live, 0 not in the flat files; gaps resolved 2');
});
