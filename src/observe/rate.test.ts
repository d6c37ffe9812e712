import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateWindow } from './rate.js';

test('rate over a young counter uses the time since its first sample', () => {
  const rate = new RateWindow(5000);
  rate.record(1000, 0);
  rate.record(2000, 500);
  assert.equal(rate.perSecond(2000), 500);
  assert.equal(rate.perSecond(3000), 250, 'a counter that stops moving slows down');
});

test('rate over an old counter only looks at the last window', () => {
  const rate = new RateWindow(1000);
  rate.record(0, 0);
  for (let t = 100; t <= 10_000; t += 100) rate.record(t, t < 5000 ? t * 10 : 50_000 + (t - 5000) * 2);
  // In the last second the counter grew 2 units per ms.
  assert.equal(rate.perSecond(10_000), 2000);
  // One full window after the last increase the rate is back to 0.
  assert.equal(rate.perSecond(11_000), 0);
});

test('the value at the window start is the last sample before it (step function)', () => {
  const rate = new RateWindow(1000);
  rate.record(0, 0);
  rate.record(500, 100);
  rate.record(1800, 300);
  // Window [1000, 2000]: value at 1000 is 100, now 300.
  assert.equal(rate.perSecond(2000), 200);
});

test('many samples are merged, keeping the rate within 2%', () => {
  const rate = new RateWindow(1000);
  for (let t = 0; t <= 3000; t++) rate.record(t, t * 3);
  const perSecond = rate.perSecond(3000);
  assert.ok(Math.abs(perSecond - 3000) <= 60, `rate ${perSecond}`);
  const samples = (rate as unknown as { samples: unknown[] }).samples;
  assert.ok(samples.length <= 120, `kept ${samples.length} samples`);
});

test('no samples or no elapsed time gives 0, never NaN', () => {
  const rate = new RateWindow(1000);
  assert.equal(rate.perSecond(10), 0);
  rate.record(10, 5);
  assert.equal(rate.perSecond(10), 0);
  assert.throws(() => new RateWindow(0), RangeError);
});
