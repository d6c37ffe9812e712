import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ArrivalProfile, stockIntensity, tradingSession } from './arrivals.js';
import { Rng } from './prng.js';
import { formatConditions, formatPriceE4 } from './stockTrades.js';
import { wallClockNs } from './newYorkCalendar.js';
import { SequenceNumbering, TickerSequencer } from './sequenceNumbers.js';

describe('stock trade fields', () => {
  it('prints prices with 6 decimals or trimmed, like Massive', () => {
    assert.equal(formatPriceE4(1_147_900, true), '114.790000');
    assert.equal(formatPriceE4(1_147_900, false), '114.79');
    assert.equal(formatPriceE4(1_140_000, false), '114');
    assert.equal(formatPriceE4(6_801_234, false), '680.1234');
    assert.equal(formatPriceE4(100, true), '0.010000');
  });

  it('prints conditions empty, single or as an ascending quoted list', () => {
    assert.equal(formatConditions([]), '');
    assert.equal(formatConditions([37]), '37');
    assert.equal(formatConditions([37, 12]), '"12,37"');
  });
});

describe('arrivals', () => {
  it('draws sorted times inside the session, heavier at the open than at midday', () => {
    const session = tradingSession(false);
    const profile = new ArrivalProfile(session.extendedOpenNs, session.extendedCloseNs, stockIntensity(session));
    const times = profile.sortedTimes(new Rng(5), 50_000);
    let openHalfHour = 0, middayHalfHour = 0;
    for (let i = 0; i < times.length; i++) {
      const t = times[i]!;
      assert.ok(t >= wallClockNs(4) && t < wallClockNs(20) && Number.isInteger(t));
      if (i > 0) assert.ok(t >= times[i - 1]!);
      if (t >= wallClockNs(9, 30) && t < wallClockNs(10)) openHalfHour++;
      if (t >= wallClockNs(12, 30) && t < wallClockNs(13)) middayHalfHour++;
    }
    assert.ok(openHalfHour > 2 * middayHalfHour, `${openHalfHour} vs ${middayHalfHour}`);
  });
});

describe('sequence numbers', () => {
  it('follow time across tickers and stay strictly increasing within a ticker on ties', () => {
    const a = Float64Array.from([10, 20, 20, 30]);
    const b = Float64Array.from([5, 20, 40]);
    const numbering = new SequenceNumbering([a, b]);
    const seqA = new TickerSequencer(numbering), seqB = new TickerSequencer(numbering);
    assert.deepEqual(Array.from(a, (t) => seqA.next(t)), [2, 3, 4, 6]);
    assert.deepEqual(Array.from(b, (t) => seqB.next(t)), [1, 3, 7]);
  });
});
