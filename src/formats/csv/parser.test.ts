import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CsvBatchParser, parseInt64Words, type CsvParserOptions } from './parser.js';
import { parseDecimal } from './numbers.js';
import { DATASETS } from '../datasets.js';
import type { ColumnBatch, Int64Column, ListInt32Column, Float64Column, Int32Column, Utf8Column } from '../columns.js';
import { utf8At, isValid } from '../columns.js';
import { ParseError } from '../../util/errors.js';
import { underlyingFilter } from '../filters.js';
import { optionDerivedColumns, optionTickerNames } from '../../options/contract-columns.js';

const enc = new TextEncoder();
const stocks = DATASETS['stocks-trades'];
const HEADER = 'ticker,conditions,correction,exchange,id,participant_timestamp,price,sequence_number,sip_timestamp,size,tape,trf_id,trf_timestamp';

function parseAll(text: string, opts: Partial<CsvParserOptions> = {}, chunkSize = 1 << 20) {
  const p = new CsvBatchParser({ columns: stocks.columns, batchRows: 4, file: 'test.csv', ...opts });
  const bytes = enc.encode(text);
  const batches: ColumnBatch[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) batches.push(...p.push(bytes.subarray(i, i + chunkSize)));
  batches.push(...p.end());
  return { p, batches, rejects: p.takeRejects() };
}

/** Rows as plain objects, for comparisons. */
function rowsOf(batches: ColumnBatch[], names = stocks.columns.map((c) => c.name)) {
  const rows: Record<string, unknown>[] = [];
  for (const b of batches) {
    for (let i = 0; i < b.rows; i++) {
      const r: Record<string, unknown> = {};
      b.columns.forEach((c, k) => {
        const name = names[k]!;
        if (!isValid(c, i)) { r[name] = null; return; }
        switch (c.type) {
          case 'utf8': r[name] = utf8At(c as Utf8Column, i); break;
          case 'int64': r[name] = (c as Int64Column).values[i]; break;
          case 'list_int32': { const l = c as ListInt32Column; r[name] = Array.from(l.values.subarray(l.offsets[i], l.offsets[i + 1])); break; }
          default: r[name] = (c as Float64Column | Int32Column).values[i];
        }
      });
      rows.push(r);
    }
  }
  return rows;
}

const SAMPLE = [
  HEADER,
  'A,"12,37",,4,52983525029461,1762520400123456789,114.790000,1001,1762520400123999999,4.000000,1,201,1762520400120000000',
  'A,,,11,71675,1762520400200000000,114.8,1002,1762520400200500000,100,1,,0',
  'AAPL,14,,12,1,,268.05,1003,1762520400300000000,0.512,3,,0',
  'SPY,"2,7,12",1,8,x9,9223372036854775807,680.123456,1004,1762520400400000000,1,2,,0',
  'SPY,37,,8,10,1762520400500000000,680.12,1005,1762520400500000001,5,2,,0',
].join('\n');

test('parses every column by header name with exact values', () => {
  const { batches, rejects, p } = parseAll(SAMPLE + '\n');
  assert.equal(rejects.length, 0);
  assert.equal(p.rowsEmitted, 5);
  assert.deepEqual(batches.map((b) => b.rows), [4, 1]);
  const rows = rowsOf(batches);
  assert.deepEqual(rows[0], {
    ticker: 'A', conditions: [12, 37], correction: null, exchange: 4, id: '52983525029461',
    participant_timestamp: 1762520400123456789n, price: 114.79, sequence_number: 1001n,
    sip_timestamp: 1762520400123999999n, size: 4, tape: 1, trf_id: 201, trf_timestamp: 1762520400120000000n,
  });
  assert.deepEqual(rows[1]!.conditions, []);
  assert.equal(rows[1]!.trf_id, null);
  assert.equal(rows[1]!.trf_timestamp, 0n);
  assert.equal(rows[2]!.participant_timestamp, null);
  assert.equal(rows[2]!.size, 0.512);
  assert.deepEqual(rows[3]!.conditions, [2, 7, 12]);
  assert.equal(rows[3]!.correction, 1);
  assert.equal(rows[3]!.participant_timestamp, 9223372036854775807n);
  assert.equal(rows[4]!.sip_timestamp, 1762520400500000001n);
});

test('same result whatever the chunking (split at every byte), CRLF and no final newline', () => {
  const reference = rowsOf(parseAll(SAMPLE + '\n').batches);
  const crlf = SAMPLE.replace(/\n/g, '\r\n');
  for (const size of [1, 2, 3, 7, 64]) {
    assert.deepEqual(rowsOf(parseAll(SAMPLE, {}, size).batches), reference, `chunk ${size} no final newline`);
    assert.deepEqual(rowsOf(parseAll(crlf + '\r\n', {}, size).batches), reference, `chunk ${size} CRLF`);
  }
});

test('chunks may live in one reused buffer: push keeps nothing of a chunk (the partial line it carries is a copy)', () => {
  const reference = rowsOf(parseAll(SAMPLE + '\n').batches);
  const bytes = enc.encode(SAMPLE + '\n');
  for (const size of [5, 17, 64]) {
    const p = new CsvBatchParser({ columns: stocks.columns, batchRows: 4, file: 'test.csv' });
    const reused = Buffer.alloc(size); // a Buffer: its slice() is a view, the trap a carried line must avoid
    const batches: ColumnBatch[] = [];
    for (let i = 0; i < bytes.length; i += size) {
      const n = Math.min(size, bytes.length - i);
      reused.set(bytes.subarray(i, i + n));
      batches.push(...p.push(reused.subarray(0, n)));
      reused.fill(0x58); // whatever comes next overwrites the memory
    }
    batches.push(...p.end());
    assert.deepEqual(rowsOf(batches), reference, `${size}-byte chunks in one buffer`);
  }
});

test('matches header names case-insensitively and in any order, ignoring extra columns', () => {
  const cols = HEADER.split(',');
  const order = [...cols].reverse();
  const lines = SAMPLE.split('\n').slice(1).map((l) => {
    const fields = splitCsv(l);
    return [...order.map((name) => quoteIfNeeded(fields[cols.indexOf(name)]!)), 'extra'].join(',');
  });
  const text = [order.map((c) => c.toUpperCase()).join(',') + ',Unused', ...lines].join('\n');
  const { batches, p } = parseAll(text);
  assert.deepEqual(rowsOf(batches), rowsOf(parseAll(SAMPLE).batches));
  assert.deepEqual(p.ignoredHeaderColumns, ['unused']);
});

test('a header missing a required column is a ParseError naming the file and expected columns', () => {
  const bad = HEADER.replace(',price', '') + '\nA,,,4,1,1,1,1,1,1,1,,0\n';
  assert.throws(() => parseAll(bad), (e: unknown) => {
    assert.ok(e instanceof ParseError);
    assert.match(e.message, /test\.csv/);
    assert.match(e.message, /header has no column "price" \(expected /);
    assert.match(e.message, /\(expected ticker,conditions,/);
    return true;
  });
});

test('optional columns may be absent from the header (options trades without participant_timestamp)', () => {
  const opt = DATASETS['options-trades'];
  const p = new CsvBatchParser({ columns: opt.columns, batchRows: 10, file: 'o.csv' });
  const batches = [...p.push(enc.encode('ticker,conditions,correction,exchange,price,sip_timestamp,size\nO:SPY251107C00680000,209,,302,1.25,1762520400123000000,3\n')), ...p.end()];
  assert.equal(batches[0]!.rows, 1);
  const pt = batches[0]!.columns[4] as Int64Column;
  assert.equal(isValid(pt, 0), false);
});

test('header only gives no rows; an empty stream is a ParseError', () => {
  const { batches, rejects } = parseAll(HEADER + '\n');
  assert.equal(batches.length, 0);
  assert.equal(rejects.length, 0);
  assert.throws(() => parseAll(''), ParseError);
});

test('malformed rows are rejected with line, field and reason; good rows around them survive', () => {
  const text = [
    HEADER,
    'A,,,4,1,1,1.5,1,1762520400000000000,1,1,,0',
    'A,,,4,1,1,abc,2,1762520400000000001,1,1,,0',             // line 3: non-numeric price
    'A,,,4,1,1,1.5,3,17625204000000000x0,1,1,,0',              // line 4: bad timestamp
    'A,,,4,1,1,1.5,4,1762520400000000003,1,1,,0,extra',        // line 5: 14 fields
    'A,,,4,1,1,1.5,5',                                         // line 6: too few fields
    ',,,4,1,1,1.5,6,1762520400000000005,1,1,,0',               // line 7: empty ticker
    'A,"12,x",,4,1,1,1.5,7,1762520400000000006,1,1,,0',        // line 8: bad condition list
    'A,"12,,4,1,1,1.5,8,1762520400000000007,1,1,,0',           // line 9: unterminated quote
    'A,,,4,1,1,1.5,9,99999999999999999999,1,1,,0',             // line 10: int64 overflow
    'B,,,4,longid,1,2.5,10,1762520400000000009,1,1,,0',
  ].join('\n');
  const { batches, rejects, p } = parseAll(text);
  const rows = rowsOf(batches);
  assert.deepEqual(rows.map((r) => r.sequence_number), [1n, 10n]);
  assert.equal(rows[1]!.id, 'longid', 'a rejected row leaves nothing behind in string columns');
  assert.deepEqual(rejects.map((r) => [r.line, r.field]), [
    [3, 'price'], [4, 'sip_timestamp'], [5, undefined], [6, undefined], [7, 'ticker'], [8, 'conditions'], [9, undefined], [10, 'sip_timestamp'],
  ]);
  assert.match(rejects[0]!.reason, /not a number/);
  assert.match(rejects[2]!.reason, /expected 13 fields, got 14/);
  assert.match(rejects[6]!.reason, /quoting/);
  assert.equal(rejects[0]!.raw, 'A,,,4,1,1,abc,2,1762520400000000001,1,1,,0');
  assert.equal(p.rowsRejected, 8);
  assert.equal(p.rowsSeen, 10);
});

test('ticker filter skips rows before parsing them', () => {
  const keep = new Set(['SPY']);
  const filter = { keep: (b: Uint8Array, s: number, e: number) => keep.has(Buffer.from(b.subarray(s, e)).toString('latin1')) };
  const { batches, p } = parseAll(SAMPLE, { filter });
  assert.deepEqual(rowsOf(batches).map((r) => r.ticker), ['SPY', 'SPY']);
  assert.equal(p.rowsFiltered, 3);
});

test('blank lines and a UTF-8 BOM are tolerated', () => {
  const text = '\ufeff' + SAMPLE.replace('\n', '\n\n') + '\n\n';
  assert.deepEqual(rowsOf(parseAll(text).batches), rowsOf(parseAll(SAMPLE).batches));
});

test('quoted fields with escaped quotes are unescaped', () => {
  const text = HEADER + '\nA,,,4,"a""b",1,1.5,1,1762520400000000000,1,1,,0\n';
  assert.equal(rowsOf(parseAll(text).batches)[0]!.id, 'a"b');
});

test('parseInt64Words is exact over the whole int64 range', () => {
  const words = new Uint32Array(2);
  const view = new BigInt64Array(words.buffer);
  const cases = ['0', '1', '-1', '9007199254740993', '1762520400123456789', '9223372036854775807', '-9223372036854775808', '4294967296', '-4294967296', '123456789012345'];
  let x = 1n;
  for (let i = 0; i < 200; i++) { x = (x * 6364136223846793005n + 1442695040888963407n) & ((1n << 63n) - 1n); cases.push(x.toString(), (-x).toString()); }
  for (const c of cases) {
    const b = enc.encode(c);
    assert.equal(parseInt64Words(b, 0, b.length, words, 0), undefined, c);
    assert.equal(view[0], BigInt(c), c);
  }
  for (const bad of ['9223372036854775808', '-9223372036854775809', '', '-', '12a']) {
    const b = enc.encode(bad);
    assert.notEqual(parseInt64Words(b, 0, b.length, words, 0), undefined, bad);
  }
});

test('parseDecimal equals parseFloat bit for bit', () => {
  const cases = ['0', '1', '114.790000', '0.512', '-3.25', '680.123456', '1e5', '1.5E-3', '123456789012345678', '0.1', '99999.999999', '.5', '5.'];
  let seed = 42;
  for (let i = 0; i < 5000; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const dec = seed % 7;
    cases.push((seed / 1000).toFixed(dec));
  }
  for (const c of cases) {
    const b = enc.encode(c);
    assert.equal(parseDecimal(b, 0, b.length), parseFloat(c), c);
  }
  for (const bad of ['', '-', 'abc', '1.2.3', '0x10', 'Infinity', 'NaN', '1,5']) {
    const b = enc.encode(bad);
    assert.ok(Number.isNaN(parseDecimal(b, 0, b.length)), bad);
  }
});

// Helpers for re-ordering columns in the test above.
function splitCsv(line: string): string[] {
  const out: string[] = [];
  let cur = '', q = false;
  for (const ch of line) {
    if (ch === '"') { q = !q; continue; }
    if (ch === ',' && !q) { out.push(cur); cur = ''; continue; }
    cur += ch;
  }
  out.push(cur);
  return out;
}
function quoteIfNeeded(v: string): string { return v.includes(',') ? `"${v}"` : v; }

test('the fast path and the general path agree on batches, rejects and counters under random corruption', () => {
  const rows: string[] = [];
  let seed = 7;
  const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  for (let i = 0; i < 3000; i++) {
    const ticker = ['A', 'AAPL', 'SPY', 'ZZZZ'][rnd(4)];
    const cond = ['', '12', '"12,37"', '"2,7,12"'][rnd(4)];
    const ts = `17625204${String(rnd(100000000)).padStart(8, '0')}${rnd(1000)}`.slice(0, 19);
    rows.push(`${ticker},${cond},${rnd(10) === 0 ? '1' : ''},${rnd(20)},${rnd(1e6)},${ts},${(rnd(100000) / 100).toFixed(rnd(7))},${i},${ts},${rnd(500)},${rnd(3) + 1},${rnd(5) === 0 ? '201' : ''},${rnd(5) === 0 ? ts : '0'}`);
  }
  const clean = enc.encode([HEADER, ...rows].join('\n') + '\n');
  const alphabet = enc.encode('0123456789,.-"\r\nAx ');
  for (let trial = 0; trial < 12; trial++) {
    const bytes = clean.slice();
    const header = HEADER.length + 1;
    for (let m = 0; m < 400; m++) bytes[header + rnd(bytes.length - header)] = alphabet[rnd(alphabet.length)]!;
    const run = (fastPath: boolean, chunk: number) => {
      const p = new CsvBatchParser({ columns: stocks.columns, batchRows: 257, file: 'fuzz.csv', fastPath });
      const batches: ColumnBatch[] = [];
      for (let i = 0; i < bytes.length; i += chunk) batches.push(...p.push(bytes.subarray(i, i + chunk)));
      batches.push(...p.end());
      return { rows: rowsOf(batches), rejects: p.takeRejects(), counts: [p.rowsSeen, p.rowsRejected, p.rowsEmitted, p.line] };
    };
    const reference = run(false, 1 << 20);
    const fast = run(true, 777 + trial * 131);
    assert.deepEqual(fast.counts, reference.counts, `trial ${trial}: counters`);
    assert.deepEqual(fast.rejects, reference.rejects, `trial ${trial}: rejects`);
    assert.deepEqual(fast.rows, reference.rows, `trial ${trial}: rows`);
  }
});

test('row rules: a non-positive price, a negative size and a sip_timestamp outside the day are quarantined with the reason, on both paths', () => {
  // 2025-11-07 in New York: [04:00 UTC on the 7th, 05:00 UTC on the 8th).
  const start = 1762491600_000000000n, end = 1762578000_000000000n;
  const rules: CsvParserOptions['rules'] = { positive: ['price'], nonNegative: ['size'], within: { column: 'sip_timestamp', startNs: start, endNs: end, day: '2025-11-07' } };
  const row = (price: string, size: string, sip: bigint | string): string => `SPY,,,4,1,1,${price},1,${sip},${size},1,,0`;
  const text = [HEADER,
    row('10.5', '100', start),          // kept: the first nanosecond of the day
    row('0', '100', start + 1n),        // zero price
    row('-1.25', '100', start + 2n),    // negative price
    row('10.5', '-3', start + 3n),      // negative size
    row('10.5', '0', start + 4n),       // kept: a zero size is not negative
    row('10.5', '100', start - 1n),     // the last nanosecond of the day before
    row('10.5', '100', end),            // the first nanosecond of the next day
    row('10.5', '100', end - 1n),       // kept
    row('10.5', '100', '9223372036854775807'),
  ].join('\n') + '\n';
  for (const fastPath of [true, false]) {
    const { p, batches, rejects } = parseAll(text, { rules, fastPath });
    const kept = rowsOf(batches);
    assert.deepEqual(kept.map((r) => r.sip_timestamp), [start, start + 4n, end - 1n], `fastPath ${fastPath}`);
    assert.deepEqual(rejects.map((r) => [r.line, r.field]), [[3, 'price'], [4, 'price'], [5, 'size'], [7, 'sip_timestamp'], [8, 'sip_timestamp'], [10, 'sip_timestamp']]);
    assert.match(rejects[0]!.reason, /price is 0, expected a positive number/);
    assert.match(rejects[2]!.reason, /size is -3, expected a number >= 0/);
    assert.match(rejects[3]!.reason, new RegExp(`sip_timestamp ${start - 1n} is outside 2025-11-07 \\(New York\\)`));
    assert.equal(rejects[0]!.raw, row('0', '100', start + 1n), 'the raw line is kept');
    assert.equal(p.rowsOutsideDay, 3);
    assert.equal(p.mostCommonOutsideDay?.day, '2025-11-06');
  }
});

test('runs of rows the filter drops by root are skipped exactly as row-by-row filtering would (counters, rejects, line numbers)', () => {
  const quotes = DATASETS['options-quotes'];
  const QUOTES_HEADER = 'ticker,ask_exchange,ask_price,ask_size,bid_exchange,bid_price,bid_size,sequence_number,sip_timestamp';
  let seed = 11;
  const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  const row = (ticker: string, i: number) => `${ticker},${300 + rnd(20)},${(rnd(1000) / 100).toFixed(2)},${rnd(50)},301,${(rnd(1000) / 100).toFixed(2)},${rnd(50)},${i},${1762525800000000000 + i * 1000}`;
  const lines = [QUOTES_HEADER];
  const edge = [
    'O:AAPL1251121C00150000',  // same leading bytes as AAPL, one byte longer: another root (AAPL1)
    'O:AAPL25,121C00150000',   // a comma inside what would be the tail: a short, undecodable ticker (kept, quarantined)
    'O:AAPL25112XC00150000',   // same root and length, malformed tail: dropped with the root (as the filter's cache does)
    'O:SPY251121C00600000',    // a wanted row inside another root's run (an unsorted file)
    'O:AAPL',                  // too short
  ];
  for (let i = 0; i < 4000; i++) {
    const roots = ['AAL', 'AAPL', 'AAPL', 'AAPL', 'SPY', 'ZZZ'];
    const root = roots[Math.floor(i / 400) % roots.length]!;
    lines.push(row(`O:${root}2511${String(14 + rnd(3) * 7).padStart(2, '0')}${rnd(2) ? 'C' : 'P'}${String(100 + rnd(40) * 5).padStart(5, '0')}000`, i));
    if (rnd(60) === 0) lines.push(row(edge[rnd(edge.length)]!, i));
    if (rnd(200) === 0) lines.push('');
  }
  const clean = enc.encode(lines.map((l, i) => (i % 7 === 3 ? l + '\r' : l)).join('\n') + '\n');
  // No quote characters: a dropped ticker's row with broken quoting is filtered by fastRow but rejected by
  // the general path (which cannot split it), on both sides of this change alike.
  const alphabet = enc.encode('0123456789,.-\r\nAOP: ');
  for (let trial = 0; trial < 8; trial++) {
    const bytes = clean.slice();
    const header = QUOTES_HEADER.length + 1;
    for (let m = 0; m < trial * 40; m++) bytes[header + rnd(bytes.length - header)] = alphabet[rnd(alphabet.length)]!;
    const run = (fastPath: boolean, chunk: number) => {
      const p = new CsvBatchParser({ columns: quotes.columns, batchRows: 97, file: 'quotes.csv', fastPath,
        filter: underlyingFilter(['SPY'], optionTickerNames).filter, derived: optionDerivedColumns() });
      const batches: ColumnBatch[] = [];
      for (let i = 0; i < bytes.length; i += chunk) batches.push(...p.push(bytes.subarray(i, i + chunk)));
      batches.push(...p.end());
      const names = [...quotes.columns, ...optionDerivedColumns().specs].map((c) => c.name);
      return { rows: rowsOf(batches, names), rejects: p.takeRejects(), counts: [p.rowsSeen, p.rowsFiltered, p.rowsRejected, p.rowsEmitted, p.line] };
    };
    const reference = run(false, 1 << 20);
    assert.ok(reference.counts[1]! > 3000, 'most rows are filtered');
    for (const chunk of [1 << 20, 4099, 333 + trial * 17]) {
      const fast = run(true, chunk);
      assert.deepEqual(fast.counts, reference.counts, `trial ${trial}, chunks of ${chunk}: counters`);
      assert.deepEqual(fast.rejects, reference.rejects, `trial ${trial}, chunks of ${chunk}: rejects`);
      assert.deepEqual(fast.rows, reference.rows, `trial ${trial}, chunks of ${chunk}: rows`);
    }
  }
});
