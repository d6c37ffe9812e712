import { test } from 'node:test';
import assert from 'node:assert/strict';
import { epochDayOf } from '../calendar/civilDate.js';
import { emptyOptionGreeks, type OptionGreeks } from '../options/enrich.js';
import { GreeksFlag, type OptionTrade } from '../formats/records.js';
import { LiveEnrichedTrades, bucketNsOf } from './enriched-trades.js';

const MIN_NS = 60_000_000_000n;
const T0 = BigInt(Date.parse('2025-11-07T14:30:00Z')) * 1_000_000n;
const EXPIRY = '2025-11-14';

function trade(i: number, o: { atNs: bigint; strike: number; right: 'C' | 'P'; size: number; expiry?: string }): OptionTrade {
  return {
    sipTimestampNs: o.atNs, sequence: i, ticker: `O:SPY251114${o.right}00${o.strike}000`, root: 'SPY', right: o.right, strike: o.strike,
    expiryDays: epochDayOf(o.expiry ?? EXPIRY), adjusted: false, price: 1.5, size: o.size, conditions: [], correction: 0, exchange: 1,
  };
}

function greeks(iv: number, gadvv: number, flag: number = GreeksFlag.Ok): OptionGreeks {
  return { ...emptyOptionGreeks(), eligible: true, underlyingPrice: 676, iv, delta: 0.4, gamma: 0.02, gadvv, dadvv: 1, greeksFlag: flag as OptionGreeks['greeksFlag'] };
}

test('bucket length is the gcd of the window sizes', () => {
  assert.equal(bucketNsOf([MIN_NS, 5n * MIN_NS, 15n * MIN_NS]), MIN_NS);
  assert.equal(bucketNsOf([2n * MIN_NS, 3n * MIN_NS]), MIN_NS);
  assert.throws(() => bucketNsOf([]), /no window size/);
});

test('a window range gives its own trades, one point each, and exact gadvv by strike; unpriced trades are left out', () => {
  const s = new LiveEnrichedTrades({ bucketNs: MIN_NS });
  s.add(trade(1, { atNs: T0 + 1n, strike: 670, right: 'C', size: 3 }), greeks(0.2, 100), 'buy');
  s.add(trade(2, { atNs: T0 + 2n, strike: 670, right: 'P', size: 1 }), greeks(0.25, 50), 'sell');
  s.add(trade(3, { atNs: T0 + 3n, strike: 680, right: 'C', size: 2, expiry: '2025-11-07' }), greeks(0.18, 10), undefined);
  s.add(trade(4, { atNs: T0 + 4n, strike: 690, right: 'C', size: 2 }), greeks(Number.NaN, Number.NaN, GreeksFlag.StaleUnderlying), undefined);
  s.add(trade(5, { atNs: T0 + MIN_NS, strike: 670, right: 'C', size: 7 }), greeks(0.21, 1000), undefined);
  const first = { fromNs: T0, toNs: T0 + MIN_NS };
  const smile = s.smile(first, 50_000);
  assert.deepEqual(smile, {
    expiries: [{ expiry: '2025-11-07', trades: 1 }, { expiry: EXPIRY, trades: 2 }],
    strike: [670, 670, 680], right: ['C', 'P', 'C'], iv: [0.2, 0.25, 0.18], size: [3, 1, 2], trades: 3, downsampled: false,
  });
  assert.deepEqual(s.smile({ ...first, expiry: EXPIRY }, 50_000).strike, [670, 670]);
  assert.deepEqual(s.gadvvByStrike(first), { strike: [670, 680], calls: [100, 10], puts: [50, 0], trades: 3 });
  assert.deepEqual(s.gadvvByStrike({ fromNs: T0 }), { strike: [670, 680], calls: [1100, 10], puts: [50, 0], trades: 4 });
  const rows = s.trades(first, 10);
  assert.deepEqual(rows.side, ['buy', 'sell', null]);
  assert.deepEqual(rows.expiry, [EXPIRY, EXPIRY, '2025-11-07']);
  assert.equal(rows.complete, true);
  assert.equal(s.trades(first, 2).strike.length, 2);
  assert.equal(s.trades(first, 2).complete, false);
});

test('past the per-bucket cap, the smile is merged by right, strike and IV to 0.1 vol point and capped; counts stay exact', () => {
  const s = new LiveEnrichedTrades({ bucketNs: MIN_NS, maxTradesPerBucket: 10, maxGroupsPerBucket: 5 });
  let gadvv = 0;
  for (let i = 0; i < 100; i++) {
    const strike = 660 + (i % 10);
    s.add(trade(i, { atNs: T0 + BigInt(i), strike, right: 'C', size: 1 + (i % 3) }), greeks(0.2 + (i % 2) * 0.00001, 1), undefined);
    gadvv += 1;
  }
  const smile = s.smile({ fromNs: T0, toNs: T0 + MIN_NS }, 50_000);
  assert.equal(smile.trades, 100);
  assert.equal(smile.downsampled, true);
  // 10 kept trades (strikes 660..669) merge with the 5 groups of the later trades into one point per strike.
  assert.equal(smile.strike.length, 10);
  assert.ok(smile.iv.every((v) => Math.abs(v - 0.2) < 1e-4));
  assert.equal(s.smile({ fromNs: T0, toNs: T0 + MIN_NS }, 3).strike.length, 3);
  assert.equal(s.gadvvByStrike({}).calls.reduce((a, b) => a + b, 0), gadvv);
  assert.equal(s.gadvvByStrike({}).trades, 100);
});

test('buckets older than the retention behind the newest are dropped', () => {
  const s = new LiveEnrichedTrades({ bucketNs: MIN_NS, retainNs: 10n * MIN_NS });
  for (let m = 0n; m < 30n; m++) s.add(trade(Number(m), { atNs: T0 + m * MIN_NS, strike: 670, right: 'P', size: 1 }), greeks(0.3, 1), undefined);
  assert.equal(s.gadvvByStrike({}).trades, 11);
  assert.equal(s.smile({ fromNs: T0, toNs: T0 + 19n * MIN_NS }, 100).trades, 0);
});
