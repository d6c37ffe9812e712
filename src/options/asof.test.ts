import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AsOfStatus, AsOfUnderlying } from './asof.js';
import { TradeEligibility, eligibilityRulesFromConfig } from './eligibility.js';
import { defaultConfig } from '../config/schema.js';
import type { UnderlyingTrade } from '../formats/records.js';

const SEC = 1_000_000_000n;
const T0 = 1_762_525_800_000_000_000n; // 2025-11-07 09:30 New York
const trade = (offsetNs: bigint, price: number, sequence: number, conditions: number[] = [], correction = 0): UnderlyingTrade =>
  ({ sipTimestampNs: T0 + offsetNs, sequence, price, size: 100, conditions, correction });

test('none before the first eligible trade, then the latest eligible one', () => {
  const a = new AsOfUnderlying(60n * SEC, new TradeEligibility(eligibilityRulesFromConfig(defaultConfig().aggregations)));
  assert.equal(a.lookup(T0), AsOfStatus.None);
  assert.equal(a.timestampNs, null);
  assert.ok(Number.isNaN(a.price));
  a.onTrade(trade(0n, 680.1, 1, [37])); // odd lot: not high/low eligible
  assert.equal(a.lookup(T0), AsOfStatus.None);
  a.onTrade(trade(SEC, 680.2, 2));
  a.onTrade(trade(2n * SEC, 690, 3, [], 1)); // corrected: ignored
  assert.equal(a.lookup(T0 + 5n * SEC), AsOfStatus.Found);
  assert.equal(a.price, 680.2);
  assert.equal(a.timestampNs, T0 + SEC);
});

test('staleness bound is inclusive', () => {
  const a = new AsOfUnderlying(60n * SEC);
  a.pushEligible(T0, 100);
  assert.equal(a.lookup(T0), AsOfStatus.Found);
  assert.equal(a.lookup(T0 + 60n * SEC), AsOfStatus.Found);
  assert.equal(a.lookup(T0 + 60n * SEC + 1n), AsOfStatus.Stale);
  // A stale answer still exposes the trade it judged.
  assert.equal(a.price, 100);
  a.pushEligible(T0 + 61n * SEC, 101);
  assert.equal(a.lookup(T0 + 61n * SEC), AsOfStatus.Found);
  assert.equal(a.price, 101);
});

test('equal timestamps: the last trade fed (highest sequence) wins; reset forgets', () => {
  const a = new AsOfUnderlying(0n);
  a.pushEligible(T0, 1);
  a.pushEligible(T0, 2);
  assert.equal(a.lookup(T0), AsOfStatus.Found);
  assert.equal(a.price, 2);
  assert.equal(a.lookup(T0 + 1n), AsOfStatus.Stale); // zero staleness: only the same instant
  a.reset();
  assert.equal(a.lookup(T0), AsOfStatus.None);
});

test('contract violations throw instead of answering wrongly', () => {
  const a = new AsOfUnderlying(60n * SEC);
  a.pushEligible(T0 + SEC, 1);
  assert.throws(() => a.pushEligible(T0, 2), /out of time order/);
  assert.throws(() => a.lookup(T0), /before the latest underlying trade/);
  assert.throws(() => new AsOfUnderlying(-1n), RangeError);
});
