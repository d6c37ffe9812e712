import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CsvBatchParser } from '../formats/csv/parser.js';
import { DATASETS } from '../formats/datasets.js';
import type { ColumnBatch, Float64Column, Int32Column, Utf8Column } from '../formats/columns.js';
import { decodeOpra, underlyingOfRoot } from '../formats/opra.js';
import { underlyingFilter } from '../formats/filters.js';
import { optionDerivedColumns, optionTickerNames } from './contract-columns.js';

const spec = DATASETS['options-trades'];
const HEADER = 'ticker,conditions,correction,exchange,participant_timestamp,price,sip_timestamp,size';
const TICKERS = [
  'O:SPY251107C00680000', 'O:SPY251107C00680000', 'O:SPY251107C00680000', // a run across a batch boundary
  'O:SPY251107P00679500', 'O:SPXW251107C06800000', 'O:GOOG1251219C00150000',
  'O:SPY25110XC00680000', // bad expiry digit: rejected, must not poison the next row's cache
  'O:SPY251107P00679500', 'O:SPY251107P00679500', 'O:QQQ251107C00600000',
];

function parse(fastPath: boolean, chunk: number, filter?: boolean) {
  const p = new CsvBatchParser({
    columns: spec.columns, batchRows: 2, file: 't.csv', derived: optionDerivedColumns(), fastPath,
    ...(filter ? { filter: underlyingFilter(['SPY', 'SPX'], optionTickerNames).filter } : {}),
  });
  const text = [HEADER, ...TICKERS.map((t, i) => `${t},,,4,,1.5,${1762525800000000000 + i},1`)].join('\n') + '\n';
  const bytes = new TextEncoder().encode(text);
  const batches: ColumnBatch[] = [];
  for (let i = 0; i < bytes.length; i += chunk) batches.push(...p.push(bytes.subarray(i, i + chunk)));
  batches.push(...p.end());
  const n = spec.columns.length;
  const rows: unknown[][] = [];
  const utf8 = (c: Utf8Column, i: number) => Buffer.from(c.bytes.subarray(c.offsets[i], c.offsets[i + 1])).toString();
  for (const b of batches) {
    for (let i = 0; i < b.rows; i++) {
      const [underlying, root, expiry, right, strike, adjusted] = b.columns.slice(n);
      rows.push([utf8(b.columns[0] as Utf8Column, i), utf8(underlying as Utf8Column, i), utf8(root as Utf8Column, i),
        (expiry as Int32Column).values[i], utf8(right as Utf8Column, i), (strike as Float64Column).values[i],
        (adjusted as unknown as { values: Uint8Array }).values[i]]);
    }
  }
  return { rows, rejects: p.takeRejects(), filtered: p.rowsFiltered };
}

function expected(ticker: string): unknown[] {
  const r = decodeOpra(ticker);
  assert.ok(r.ok);
  const c = r.contract;
  return [ticker, underlyingOfRoot(c.root), c.root, c.expiryDays, c.right, c.strike, c.adjusted ? 1 : 0];
}

test('contract columns: every row decodes like decodeOpra, runs of one ticker and batch boundaries included; a bad ticker is rejected with its line', () => {
  const want = TICKERS.filter((t) => decodeOpra(t).ok).map(expected);
  for (const fastPath of [true, false]) {
    for (const chunk of [1 << 20, 7, 64]) {
      const { rows, rejects } = parse(fastPath, chunk);
      assert.deepEqual(rows, want, `fastPath ${fastPath}, chunks of ${chunk}`);
      assert.deepEqual(rejects.map((r) => [r.line, r.field]), [[8, 'ticker']]);
      assert.match(rejects[0]!.reason, /^bad OPRA ticker/);
    }
  }
});

test('contract columns with an underlyings filter: other roots are counted as filtered, a bad ticker of any root is kept and rejected', () => {
  const want = TICKERS.filter((t) => decodeOpra(t).ok && !/GOOG1|QQQ/.test(t)).map(expected);
  for (const fastPath of [true, false]) {
    const { rows, rejects, filtered } = parse(fastPath, 13, true);
    assert.deepEqual(rows, want);
    assert.equal(filtered, 2);
    assert.deepEqual(rejects.map((r) => r.line), [8]);
  }
});
