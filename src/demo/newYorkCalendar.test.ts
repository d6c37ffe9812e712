import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { addWeekdays, fridayOnOrAfter, isWeekday, newYorkDayStartEpochMs, newYorkUtcOffsetMinutes, parseDate, thirdFriday } from './newYorkCalendar.js';
import { epochNsBigInt, epochNsString, EpochNsFormatter, truncateToMs } from './epochNs.js';

/** Offset at 12:00 UTC of a date according to the platform's tz database. */
function intlOffsetMinutes(date: string): number {
  const probe = new Date(`${date}T16:00:00Z`);
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', hourCycle: 'h23', hour: '2-digit' }).formatToParts(probe);
  const hour = Number(parts.find((p) => p.type === 'hour')!.value);
  return (hour - 16) * 60;
}

describe('newYorkCalendar', () => {
  it('agrees with the tz database on New York offsets, 2015–2030', () => {
    for (let ms = Date.UTC(2015, 0, 1); ms < Date.UTC(2031, 0, 1); ms += 86_400_000) {
      const date = new Date(ms).toISOString().slice(0, 10);
      assert.equal(newYorkUtcOffsetMinutes(date), intlOffsetMinutes(date), date);
    }
  });

  it('puts 00:00 New York at 04:00/05:00 UTC', () => {
    assert.equal(newYorkDayStartEpochMs('2025-11-07'), Date.UTC(2025, 10, 7, 5));
    assert.equal(newYorkDayStartEpochMs('2025-07-01'), Date.UTC(2025, 6, 1, 4));
  });

  it('walks weekdays, Fridays and monthly expiries', () => {
    assert.equal(addWeekdays('2025-11-07', 1), '2025-11-10');
    assert.equal(addWeekdays('2025-11-07', 2), '2025-11-11');
    assert.equal(fridayOnOrAfter('2025-11-07'), '2025-11-07');
    assert.equal(fridayOnOrAfter('2025-11-08'), '2025-11-14');
    assert.equal(thirdFriday(2025, 11), '2025-11-21');
    assert.equal(thirdFriday(2026, 1), '2026-01-16');
    assert.ok(isWeekday('2025-11-07') && !isWeekday('2025-11-08'));
    assert.throws(() => parseDate('2025-13-01'));
    assert.throws(() => parseDate('20251107'));
  });
});

describe('epochNs', () => {
  it('builds exact 19-digit strings without BigInt', () => {
    const dayStart = newYorkDayStartEpochMs('2025-11-07');
    const formatter = new EpochNsFormatter(dayStart);
    for (const t of [0, 1, 999_999, 1_000_000, 34_200_000_000_123, 71_999_999_999_999, 86_400_000_000_000]) {
      const s = epochNsString(dayStart, t);
      assert.equal(s, epochNsBigInt(dayStart, t).toString());
      assert.equal(formatter.format(t), s);
      assert.equal(s.length, 19);
    }
    assert.equal(truncateToMs(34_200_123_456_789), 34_200_123_000_000);
  });
});
