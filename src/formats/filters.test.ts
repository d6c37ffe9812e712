import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tickerFilter, underlyingFilter } from './filters.js';
import { optionTickerNames } from '../options/contract-columns.js';

const enc = new TextEncoder();
/** The filter's decision on each ticker, fed in order as CSV key fields (inside a larger line buffer). */
function decisions(filter: { keep(buf: Uint8Array, start: number, end: number): boolean }, tickers: readonly string[]): boolean[] {
  return tickers.map((t) => {
    const buf = enc.encode(`${t},1,2\n`);
    return filter.keep(buf, 0, t.length);
  });
}

test('tickerFilter keeps the listed tickers, case-insensitively listed', () => {
  const { description, filter } = tickerFilter([' spy', 'QQQ', '']);
  assert.equal(description, 'tickers=QQQ,SPY');
  assert.deepEqual(decisions(filter, ['AAPL', 'QQQ', 'QQQ', 'SPY', 'SPYG', 'SP']), [false, true, true, true, false, false]);
});

test('underlyingFilter keeps contracts by root and underlying; cached per root; undecodable tickers are kept for quarantine', () => {
  const { description, filter } = underlyingFilter(['SPX', 'spy'], optionTickerNames);
  assert.equal(description, 'underlyings=SPX,SPY');
  const tickers = [
    'O:SPY251107C0068',         // too short to name (16 characters): kept (the parser rejects it), nothing cached yet
    'O:AAB251107C00010000', 'O:AAB251219P00012500', // another root: dropped (the second from the cache)
    'O:AAB25110XC00010000',     // malformed, but of a root already decided: dropped with it
    'O:SPXW251107C06800000',    // SPXW → SPX: kept
    'O:SPY251107C00680000', 'O:SPY1251107C00680000', // SPY and the adjusted SPY1 (underlying SPY)
    'O:SPY25110XC00680000',     // malformed, wanted root: kept (quarantined by the parser)
    'O:QQQ251107C00600000',
    'SPY251107C00680000',       // without the O: prefix
    'O:ABCDEFG251107C00010000', // root too long: kept for quarantine
  ];
  assert.deepEqual(decisions(filter, tickers), [true, false, false, false, true, true, true, true, false, true, true]);
});
