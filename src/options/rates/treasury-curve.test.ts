import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TENORS, TreasuryCurve, continuousRate, curveOn, type TreasuryYields } from './treasury-curve.js';

const tenor = (field: string) => TENORS.find((t) => t.field === field)!;
const close = (a: number, b: number, tol = 1e-14) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

/** The worked example of docs/greeks.md. */
const DAY: TreasuryYields = {
  date: '2025-11-06',
  yields: { yield_1_month: 4.0, yield_3_month: 3.9, yield_6_month: 3.8, yield_1_year: 3.7, yield_2_year: 3.6, yield_3_year: 3.6,
    yield_5_year: 3.7, yield_7_year: 3.9, yield_10_year: 4.1, yield_20_year: 4.6, yield_30_year: 4.7 },
};

test('bills: investment yield (simple, actual/365) to continuous', () => {
  close(continuousRate(0.04, tenor('yield_1_month')), Math.log(1 + 0.04 / 12) * 12);
  close(continuousRate(0.039, tenor('yield_3_month')), Math.log(1 + 0.039 * 0.25) / 0.25);
  // A continuous rate compounds back to the same growth over the tenor.
  const r = continuousRate(0.038, tenor('yield_6_month'));
  close(Math.exp(r * 0.5), 1 + 0.038 * 0.5);
});

test('notes and bonds: bond-equivalent (semi-annual) to continuous', () => {
  const r = continuousRate(0.041, tenor('yield_10_year'));
  close(r, 2 * Math.log(1 + 0.0205));
  close(Math.exp(r * 10), (1 + 0.0205) ** 20, 1e-12);
  assert.ok(r < 0.041);
});

test('linear in maturity between tenors; 1-month held below, 30-year above', () => {
  const c = TreasuryCurve.fromYields(DAY)!;
  const r1m = continuousRate(0.04, tenor('yield_1_month'));
  const r3m = continuousRate(0.039, tenor('yield_3_month'));
  const r30 = continuousRate(0.047, tenor('yield_30_year'));
  close(c.rateAt(1 / 365), r1m);
  close(c.rateAt(0), r1m);
  close(c.rateAt(1 / 12), r1m);
  close(c.rateAt(0.25), r3m);
  // 2 months: halfway between 1 and 3 months
  close(c.rateAt(2 / 12), r1m + ((2 / 12 - 1 / 12) / (0.25 - 1 / 12)) * (r3m - r1m));
  close(c.rateAt(30), r30);
  close(c.rateAt(45), r30);
});

test('tenors missing on a day are skipped; a day without any gives no curve', () => {
  const c = TreasuryCurve.fromYields({ date: '1990-01-02', yields: { yield_3_month: 7.8, yield_1_year: 7.7, yield_20_year: null } })!;
  assert.deepEqual(c.years, [0.25, 1]);
  close(c.rateAt(0.01), continuousRate(0.078, tenor('yield_3_month'))); // the shortest published is held
  assert.equal(TreasuryCurve.fromYields({ date: '1990-01-01', yields: {} }), undefined);
});

test('the latest date on or before the trade date is used', () => {
  const days: TreasuryYields[] = [
    { date: '2025-11-03', yields: { yield_1_month: 4.2 } },
    { date: '2025-11-05', yields: { yield_1_month: 4.1 } },
    { date: '2025-11-07', yields: { yield_1_month: 3.9 } },
    { date: '2025-11-06', yields: {} }, // nothing published: skipped
  ];
  assert.equal(curveOn('2025-11-06', days)!.date, '2025-11-05');
  assert.equal(curveOn('2025-11-07', days)!.date, '2025-11-07');
  assert.equal(curveOn('2025-11-09', days)!.date, '2025-11-07');
  assert.equal(curveOn('2025-11-02', days), undefined);
});
