import { test } from 'node:test';
import assert from 'node:assert/strict';
import { daysFromCivil } from '../calendar/civilDate.js';
import {
  decodeOpra, decodeOpraBytes, DEFAULT_ROOT_UNDERLYINGS, rootOfTicker, underlyingOfRoot,
  type OpraResult,
} from './opra.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Decodes through both entry points (the bytes one inside padding) and checks they agree. */
function decodeBoth(ticker: string): OpraResult {
  const viaString = decodeOpra(ticker);
  const padded = ascii(`xx,${ticker},yy`);
  const viaBytes = decodeOpraBytes(padded, 3, 3 + ticker.length);
  assert.deepEqual(viaBytes, viaString, `string and byte decoders disagree on ${JSON.stringify(ticker)}`);
  return viaString;
}

test('decodes the documented example', () => {
  assert.deepEqual(decodeBoth('O:SPY251107C00680000'), {
    ok: true,
    contract: {
      root: 'SPY', expiry: '2025-11-07', expiryDays: 20399, right: 'C', strike: 680, strikeMilli: 680000, adjusted: false,
    },
  });
});

const valid: Array<[string, Partial<{ root: string; expiry: string; right: 'C' | 'P'; strike: number; strikeMilli: number; adjusted: boolean }>]> = [
  ['SPY251107C00680000', { root: 'SPY', expiry: '2025-11-07' }], // prefix optional
  ['O:SPXW240621P05450000', { root: 'SPXW', right: 'P', strike: 5450, expiry: '2024-06-21' }],
  ['O:F250117C00012500', { root: 'F', strike: 12.5, strikeMilli: 12500 }], // 1-char root, fractional strike
  ['O:GOOG1240119C00100000', { root: 'GOOG1', adjusted: true }],
  ['O:BRKB12240119C00100000', { root: 'BRKB12', adjusted: true }], // 6 chars, digits at the end
  ['O:ABCDEF240119C00000001', { root: 'ABCDEF', strike: 0.001, strikeMilli: 1 }],
  ['O:X240229P99999999', { expiry: '2024-02-29', strikeMilli: 99999999, strike: 99999.999 }], // leap day
  ['O:X000229P00001000', { expiry: '2000-02-29' }], // 2000 is a leap year
  ['O:X991231C00001000', { expiry: '2099-12-31' }],
];
for (const [ticker, expected] of valid) {
  test(`decodes ${ticker}`, () => {
    const r = decodeBoth(ticker);
    assert.ok(r.ok, `expected ok, got ${JSON.stringify(r)}`);
    for (const [k, v] of Object.entries(expected)) {
      assert.equal(r.contract[k as keyof typeof r.contract], v, `${ticker}: ${k}`);
    }
  });
}

const malformed: Array<[string, string, RegExp]> = [
  ['empty', '', /empty/],
  ['only prefix', 'O:', /prefix/],
  ['short (no root)', 'O:251107C00680000', /too short/],
  ['short (14-char tail)', 'O:251107C0068000', /too short/],
  ['month 13', 'O:SPY251307C00680000', /month/],
  ['month 00', 'O:SPY250007C00680000', /month/],
  ['day 00', 'O:SPY251100C00680000', /day/],
  ['Nov 31', 'O:SPY251131C00680000', /day/],
  ['Feb 29 of a common year', 'O:SPY250229C00680000', /day/],
  ['non-digit date', 'O:SPY25A107C00680000', /YYMMDD/],
  ['bad right', 'O:SPY251107X00680000', /right/],
  ['lowercase right', 'O:SPY251107c00680000', /right/],
  ['non-digit strike', 'O:SPY251107C0068O000', /strike/],
  ['strike with a dot', 'O:SPY251107C0068.000', /strike/],
  ['lowercase root', 'O:spy251107C00680000', /A-Z/],
  ['lowercase prefix', 'o:SPY251107C00680000', /A-Z/],
  ['7-char root', 'O:ABCDEFG251107C00680000', /longer than 6/],
  ['root starting with a digit', 'O:1SPY251107C00680000', /start with a letter/],
  ['root with a dash', 'O:BRK-B251107C00680000', /A-Z/],
  ['space inside', 'O:SPY 251107C00680000', /A-Z/],
];
for (const [name, ticker, reason] of malformed) {
  test(`rejects ${name}: ${JSON.stringify(ticker)}`, () => {
    const r = decodeBoth(ticker);
    assert.equal(r.ok, false);
    assert.ok(!r.ok && reason.test(r.reason), `reason ${!r.ok ? r.reason : ''} should match ${reason}`);
  });
}

test('expiryDays is the date32 day number', () => {
  for (const iso of ['1970-01-01', '2000-02-29', '2024-03-01', '2025-11-07', '2099-12-31']) {
    const [y, m, d] = iso.split('-').map(Number) as [number, number, number];
    assert.equal(daysFromCivil(y, m, d), Date.UTC(y, m - 1, d) / 86_400_000, iso);
  }
  // Every day of two years, including a leap year, through the decoder.
  for (let days = daysFromCivil(2023, 1, 1); days < daysFromCivil(2025, 1, 1); days++) {
    const iso = new Date(days * 86_400_000).toISOString().slice(0, 10);
    const r = decodeOpra(`O:QQQ${iso.slice(2, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}P00400000`);
    assert.ok(r.ok && r.contract.expiryDays === days && r.contract.expiry === iso, iso);
  }
});

test('rootOfTicker returns the root of well-shaped tickers only', () => {
  const line = ascii('O:SPXW240621P05450000,O:GOOG1240119C00100000,SPY251107C00680000,O:ABCDEFG251107C00680000,O:251107C00680000,O:spy251107C00680000');
  const fields: Array<[number, number]> = [];
  let s = 0;
  for (let i = 0; i <= line.length; i++) if (i === line.length || line[i] === 0x2c) { fields.push([s, i]); s = i + 1; }
  assert.deepEqual(fields.map(([a, b]) => rootOfTicker(line, a, b)), ['SPXW', 'GOOG1', 'SPY', undefined, undefined, undefined]);
});

test('underlyingOfRoot maps index roots, adjusted roots and extras', () => {
  assert.equal(underlyingOfRoot('SPXW'), 'SPX');
  assert.equal(underlyingOfRoot('SPX'), 'SPX');
  assert.equal(underlyingOfRoot('NDXP'), 'NDX');
  assert.equal(underlyingOfRoot('RUTW'), 'RUT');
  assert.equal(underlyingOfRoot('VIXW'), 'VIX');
  assert.equal(underlyingOfRoot('SPY'), 'SPY');
  assert.equal(underlyingOfRoot('GOOG1'), 'GOOG');
  assert.equal(underlyingOfRoot('SPXW1'), 'SPX');
  assert.equal(underlyingOfRoot('BRKB12'), 'BRKB');
  assert.equal(underlyingOfRoot('AAPL', { AAPL: 'AAPL.O' }), 'AAPL.O');
  assert.equal(underlyingOfRoot('SPXW', { SPXW: 'XSPX' }), 'XSPX'); // extra wins
  assert.equal(underlyingOfRoot('toString'), 'toString'); // no prototype leaks
  assert.ok(Object.isFrozen(DEFAULT_ROOT_UNDERLYINGS));
});
