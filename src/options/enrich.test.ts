import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OptionEnricher, enrichmentParamsFromConfig, flagOfIvStatus, NS_PER_YEAR, type EnrichmentParams } from './enrich.js';
import { GreeksFlag, type OptionTrade, type UnderlyingTrade } from '../formats/records.js';
import { bsmDelta, bsmGamma, bsmPrice } from './pricing/bsm.js';
import { IvStatus } from './pricing/iv.js';
import { defaultConfig } from '../config/schema.js';

const SEC = 1_000_000_000n;
const DAY_MS = 86_400_000;
const epochDay = (y: number, m: number, d: number) => Date.UTC(y, m - 1, d) / DAY_MS;
/** 2025-12-31 16:00 New York = 21:00 UTC (EST). */
const EXPIRY_DAYS = epochDay(2025, 12, 31);
const CLOSE_NS = BigInt(Date.UTC(2025, 11, 31, 21)) * 1_000_000n;
/** Hull's example (Options, Futures and Other Derivatives, ex. 15.6): T = 0.5 years before the close. */
const HALF_YEAR_NS = BigInt(0.5 * 365 * 86_400) * SEC;
const TRADE_NS = CLOSE_NS - HALF_YEAR_NS;

const params = (over: Partial<EnrichmentParams> = {}): EnrichmentParams => ({
  ...enrichmentParamsFromConfig(defaultConfig().aggregations), riskFreeRate: 0.1, dividendYield: 0, ...over,
});

function option(over: Partial<OptionTrade> = {}): OptionTrade {
  return {
    sipTimestampNs: TRADE_NS, sequence: 0, ticker: 'O:XYZ251231C00040000', root: 'XYZ', right: 'C', strike: 40,
    expiryDays: EXPIRY_DAYS, adjusted: false, price: 4.76, size: 10, conditions: [209], correction: 0, exchange: 302,
    ...over,
  };
}
const underlying = (sipTimestampNs: bigint, price: number, conditions: number[] = []): UnderlyingTrade =>
  ({ sipTimestampNs, sequence: 1, price, size: 100, conditions, correction: 0 });

function enricherAt(S: number, p: EnrichmentParams = params(), atNs: bigint = TRADE_NS - SEC): OptionEnricher {
  const e = new OptionEnricher(p);
  e.onUnderlyingTrade(underlying(atNs, S));
  return e;
}

test("Hull's call and put (S 42, K 40, r 10 %, σ 20 %, T 0.5): IV, delta, gamma, dollar volumes", () => {
  const T = 0.5;
  const call = bsmPrice('C', 42, 40, T, 0.1, 0, 0.2);
  const put = bsmPrice('P', 42, 40, T, 0.1, 0, 0.2);
  assert.ok(Math.abs(call - 4.76) < 0.005 && Math.abs(put - 0.81) < 0.005); // Hull's printed values
  const e = enricherAt(42, params({ gadvvScale: 0.01 }));
  const c = e.enrich(option({ price: call }));
  assert.equal(c.greeksFlag, GreeksFlag.Ok);
  assert.equal(c.eligible, true);
  assert.equal(c.underlyingPrice, 42);
  assert.equal(c.underlyingTimestampNs, TRADE_NS - SEC);
  assert.equal(c.tYears, 0.5);
  assert.ok(Math.abs(c.iv - 0.2) < 1e-14, `iv ${c.iv}`);
  // Hull: d1 = 0.7693, N(d1) = 0.7791; gamma = φ(d1)/(Sσ√T) = 0.2966/5.9397 = 0.04994.
  assert.ok(Math.abs(c.delta - 0.7791) < 5e-5, `delta ${c.delta}`);
  assert.ok(Math.abs(c.gamma - 0.04994) < 5e-5, `gamma ${c.gamma}`);
  assert.ok(Math.abs(c.delta - bsmDelta('C', 42, 40, T, 0.1, 0, 0.2)) < 1e-12);
  assert.ok(Math.abs(c.gamma - bsmGamma('C', 42, 40, T, 0.1, 0, 0.2)) < 1e-12);
  assert.equal(c.intrinsic, 2);
  // dadvv = |delta|·S·size·m, gadvv = |gamma|·S²·size·m·scale (size 10, m 100, scale 0.01).
  assert.ok(Math.abs(c.dadvv - c.delta * 42 * 10 * 100) < 1e-9);
  assert.ok(Math.abs(c.gadvv - c.gamma * 42 * 42 * 10 * 100 * 0.01) < 1e-9);
  // The record keeps the trade fields.
  assert.equal(c.ticker, 'O:XYZ251231C00040000');
  assert.equal(c.price, call);

  const p = e.enrich(option({ right: 'P', price: put, ticker: 'O:XYZ251231P00040000' }));
  assert.equal(p.greeksFlag, GreeksFlag.Ok);
  assert.ok(Math.abs(p.iv - 0.2) < 1e-13, `iv ${p.iv}`);
  assert.ok(Math.abs(p.delta - (c.delta - 1)) < 1e-12, 'put delta = call delta − e^{−qT}');
  assert.ok(p.delta < 0 && p.dadvv > 0);
  assert.ok(Math.abs(p.gamma - c.gamma) < 1e-15);
  assert.equal(p.intrinsic, 0);
});

test('dividend yield enters delta as e^{−qT}', () => {
  const q = 0.03, T = 0.5;
  const price = bsmPrice('C', 42, 40, T, 0.1, q, 0.25);
  const g = enricherAt(42, params({ dividendYield: q })).enrich(option({ price }));
  assert.ok(Math.abs(g.iv - 0.25) < 1e-13);
  assert.ok(Math.abs(g.delta - bsmDelta('C', 42, 40, T, 0.1, q, 0.25)) < 1e-12);
});

test('T: 16:00 New York on the expiry date, DST-aware, floored at min_time_to_expiry; expired the next New York day', () => {
  // 2025-07-03 is in EDT: the close is 20:00 UTC. A trade at 19:00 UTC has one hour left.
  const julyExpiry = epochDay(2025, 7, 3);
  const julyClose = BigInt(Date.UTC(2025, 6, 3, 20)) * 1_000_000n;
  const e = enricherAt(100, params(), julyClose - 3610n * SEC);
  const atm = (over: Partial<OptionTrade>) => option({ expiryDays: julyExpiry, strike: 100, price: 0.5, ...over });
  const oneHour = e.enrich(atm({ sipTimestampNs: julyClose - 3600n * SEC }));
  assert.equal(oneHour.tYears, 3600e9 / NS_PER_YEAR);
  assert.equal(oneHour.greeksFlag, GreeksFlag.Ok);
  // 30 s before the close and 10 minutes after: floored at 60 s, still the expiry date in New York.
  const e2 = enricherAt(100, params(), julyClose - 60n * SEC);
  const late = e2.enrich(atm({ sipTimestampNs: julyClose - 30n * SEC, price: 0.05 }));
  assert.equal(late.tYears, 60e9 / NS_PER_YEAR);
  const afterClose = e2.enrich(atm({ sipTimestampNs: julyClose + 10n * 60n * SEC, price: 0.05 }));
  assert.equal(afterClose.tYears, 60e9 / NS_PER_YEAR);
  assert.notEqual(afterClose.greeksFlag, GreeksFlag.Expired);
  // 00:00 New York on July 4th (04:00 UTC) is the first expired instant; S is still reported.
  const e3 = enricherAt(100, params(), BigInt(Date.UTC(2025, 6, 4, 3, 59)) * 1_000_000n);
  const justBefore = e3.enrich(atm({ sipTimestampNs: BigInt(Date.UTC(2025, 6, 4, 4)) * 1_000_000n - 1n, price: 0.05 }));
  assert.notEqual(justBefore.greeksFlag, GreeksFlag.Expired);
  const expired = e3.enrich(atm({ sipTimestampNs: BigInt(Date.UTC(2025, 6, 4, 4)) * 1_000_000n, price: 0.05 }));
  assert.equal(expired.greeksFlag, GreeksFlag.Expired);
  assert.ok(Number.isNaN(expired.iv) && Number.isNaN(expired.dadvv));
  assert.equal(expired.underlyingPrice, 100);
  assert.equal(expired.intrinsic, 0);
});

test('no underlying, stale underlying (inclusive 60 s bound): unpriced, intrinsic unknown', () => {
  const none = new OptionEnricher(params()).enrich(option());
  assert.equal(none.greeksFlag, GreeksFlag.NoUnderlying);
  assert.ok(Number.isNaN(none.underlyingPrice) && Number.isNaN(none.intrinsic) && Number.isNaN(none.iv));
  assert.equal(none.underlyingTimestampNs, null);
  assert.equal(none.tYears, 0.5);

  const atBound = enricherAt(42, params(), TRADE_NS - 60n * SEC).enrich(option());
  assert.equal(atBound.greeksFlag, GreeksFlag.Ok);
  const stale = enricherAt(42, params(), TRADE_NS - 60n * SEC - 1n).enrich(option());
  assert.equal(stale.greeksFlag, GreeksFlag.StaleUnderlying);
  assert.ok(Number.isNaN(stale.underlyingPrice) && Number.isNaN(stale.intrinsic) && Number.isNaN(stale.gadvv));
  assert.equal(stale.underlyingTimestampNs, null);

  // An ineligible underlying print (odd lot) does not refresh S.
  const e = enricherAt(42, params(), TRADE_NS - 120n * SEC);
  e.onUnderlyingTrade(underlying(TRADE_NS - SEC, 42.5, [37]));
  assert.equal(e.enrich(option()).greeksFlag, GreeksFlag.StaleUnderlying);
});

test('prices outside the no-arbitrage interval and σ outside [min_iv, max_iv]', () => {
  const e = enricherAt(42);
  // Lower bound: S − K e^{−rT} = 42 − 40·e^{−0.05} = 3.9508.
  const below = e.enrich(option({ price: 3.9 }));
  assert.equal(below.greeksFlag, GreeksFlag.BelowIntrinsic);
  assert.equal(below.intrinsic, 2);
  assert.equal(below.underlyingPrice, 42);
  assert.equal(e.enrich(option({ price: 42 })).greeksFlag, GreeksFlag.AboveUpperBound);
  assert.equal(e.enrich(option({ right: 'P', price: 40 * Math.exp(-0.05) + 0.01 })).greeksFlag, GreeksFlag.AboveUpperBound);
  const tight = enricherAt(42, params({ maxIv: 0.15 })).enrich(option({ price: bsmPrice('C', 42, 40, 0.5, 0.1, 0, 0.2) }));
  assert.equal(tight.greeksFlag, GreeksFlag.SolverFailure);
  assert.ok(Number.isNaN(tight.iv));
});

test('ineligible and invalid trades are not priced but keep S and intrinsic', () => {
  const e = enricherAt(42);
  const cancelled = e.enrich(option({ conditions: [201], correction: 1 }));
  assert.equal(cancelled.eligible, false);
  assert.equal(cancelled.greeksFlag, GreeksFlag.Ineligible);
  assert.equal(cancelled.intrinsic, 2);
  assert.ok(Number.isNaN(cancelled.iv));
  assert.equal(e.enrich(option({ adjusted: true, root: 'XYZ1' })).greeksFlag, GreeksFlag.Ineligible);
  assert.equal(e.enrich(option({ conditions: [247] })).greeksFlag, GreeksFlag.Ineligible);
  assert.equal(e.enrich(option({ price: 0 })).greeksFlag, GreeksFlag.InvalidInput);
  assert.equal(e.enrich(option({ size: 0 })).greeksFlag, GreeksFlag.InvalidInput);
  const adjustedOk = enricherAt(42, params({ eligibility: { ...params().eligibility, includeAdjusted: true } }));
  assert.equal(adjustedOk.enrich(option({ adjusted: true, price: 4.76 })).greeksFlag, GreeksFlag.Ok);
});

test('compute() reuses the caller\'s object; IV statuses map to flags', () => {
  const e = enricherAt(42);
  const out = e.compute(option({ price: 4.76 }));
  const again = e.compute(option({ price: 3.9 }), out);
  assert.equal(again, out);
  assert.equal(out.greeksFlag, GreeksFlag.BelowIntrinsic);
  assert.ok(Number.isNaN(out.iv), 'fields of the previous trade are cleared');
  assert.deepEqual([IvStatus.Ok, IvStatus.BelowLowerBound, IvStatus.AboveUpperBound, IvStatus.OutOfRange, IvStatus.InvalidInput, IvStatus.NoConvergence].map(flagOfIvStatus),
    [GreeksFlag.Ok, GreeksFlag.BelowIntrinsic, GreeksFlag.AboveUpperBound, GreeksFlag.SolverFailure, GreeksFlag.InvalidInput, GreeksFlag.SolverFailure]);
});

test('config durations become nanoseconds', () => {
  const p = enrichmentParamsFromConfig({ ...defaultConfig().aggregations, max_underlying_staleness: '2m', min_time_to_expiry: '30s' });
  assert.equal(p.maxUnderlyingStalenessNs, 120n * SEC);
  assert.equal(p.minTimeToExpiryNs, 30e9);
  assert.equal(p.contractSize, 100);
});
