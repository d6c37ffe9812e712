import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDurationMs, parseWindow } from './durations.js';

test('parseDurationMs returns milliseconds', () => {
  assert.equal(parseDurationMs('250ms'), 250);
  assert.equal(parseDurationMs('2s'), 2_000);
  assert.equal(parseDurationMs('60s'), 60_000);
  assert.equal(parseDurationMs('5m'), 300_000);
  assert.equal(parseDurationMs('1h'), 3_600_000);
  assert.equal(parseDurationMs('0s'), 0);
});

test('parseDurationMs rejects malformed text with the input quoted', () => {
  for (const bad of ['', '5', 's', '1.5s', '-1s', '5 m', '5min', '2d', '1H', ' 1s']) {
    assert.throws(() => parseDurationMs(bad), (e: Error) => e instanceof RangeError && e.message.includes(JSON.stringify(bad)), bad);
  }
  assert.throws(() => parseDurationMs('99999999999999999h'), /too large/);
});

test('parseWindow returns nanoseconds for sizes dividing a day', () => {
  assert.equal(parseWindow('1m'), 60_000_000_000n);
  assert.equal(parseWindow('45m'), 2_700_000_000_000n);
  assert.equal(parseWindow('30s'), 30_000_000_000n);
  assert.equal(parseWindow('24h'), 86_400_000_000_000n);
  assert.equal(parseWindow('1440m'), 86_400_000_000_000n);
});

test('parseWindow rejects sizes that do not divide a day', () => {
  for (const bad of ['7m', '0m', '48h', '13h', '7s', '1d', '250ms', '1.5m', 'm']) {
    assert.throws(() => parseWindow(bad), (e: Error) => e instanceof RangeError && e.message.includes(JSON.stringify(bad)), bad);
  }
  assert.throws(() => parseWindow('7m'), /divide one day/);
});
