import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nthWeekdayOfMonth, formatIsoDate, addDays, SUNDAY } from './civilDate.js';
import { nyDateOfNs, nyUtcOffsetMinutes, nyWallClockToUtcMs, nyWallClockToUtcNs, utcMsToNyClock, utcMsToNyDate, utcMsToNyWallClock } from './nyTime.js';

const HOUR = 3_600_000;

/** Reference: the platform's tz database through Intl. */
const intl = new Intl.DateTimeFormat('en-US', {
  timeZone: 'America/New_York', hourCycle: 'h23',
  year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
});
function intlWall(ms: number): { date: string; hour: number; minute: number; second: number } {
  const p = Object.fromEntries(intl.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return { date: `${p.year}-${p.month}-${p.day}`, hour: Number(p.hour), minute: Number(p.minute), second: Number(p.second) };
}

/** Instants every 15 minutes from 1 day before to 1 day after each transition-ish date of every year. */
function* probeInstants(year: number): Generator<number> {
  const months = [1, 2, 3, 4, 10, 11];
  for (const month of months) {
    for (const n of [1, 2, -1]) {
      const sunday = Date.UTC(year, month - 1, nthWeekdayOfMonth(year, month, SUNDAY, n));
      for (let t = sunday - 24 * HOUR; t <= sunday + 24 * HOUR; t += HOUR / 4) yield t;
    }
  }
  yield Date.UTC(year, 0, 6, 8);
  yield Date.UTC(year, 1, 23, 8);
}

test('UTC → New York date and time match Intl around every transition 1970–2100', () => {
  for (let year = 1970; year <= 2100; year++) {
    for (const ms of probeInstants(year)) {
      const expected = intlWall(ms);
      const got = utcMsToNyWallClock(ms);
      assert.deepEqual({ date: got.date, hour: got.hour, minute: got.minute, second: got.second }, expected, new Date(ms).toISOString());
      assert.equal(utcMsToNyDate(ms), expected.date);
    }
  }
});

test('offsets on both sides of the 2025 transitions', () => {
  assert.equal(nyUtcOffsetMinutes(Date.UTC(2025, 2, 9, 6, 59, 59, 999)), -300);
  assert.equal(nyUtcOffsetMinutes(Date.UTC(2025, 2, 9, 7)), -240);
  assert.equal(nyUtcOffsetMinutes(Date.UTC(2025, 10, 2, 5, 59, 59, 999)), -240);
  assert.equal(nyUtcOffsetMinutes(Date.UTC(2025, 10, 2, 6)), -300);
});

test('New York wall clock → UTC matches Intl for every half hour near transitions 1970–2100', () => {
  for (let year = 1970; year <= 2100; year++) {
    const days = [
      formatIsoDate(year, 3, nthWeekdayOfMonth(year, 3, SUNDAY, 2)),
      formatIsoDate(year, 4, nthWeekdayOfMonth(year, 4, SUNDAY, 1)),
      formatIsoDate(year, 4, nthWeekdayOfMonth(year, 4, SUNDAY, -1)),
      formatIsoDate(year, 10, nthWeekdayOfMonth(year, 10, SUNDAY, -1)),
      formatIsoDate(year, 11, nthWeekdayOfMonth(year, 11, SUNDAY, 1)),
    ];
    for (const day of days) {
      for (const date of [addDays(day, -1), day, addDays(day, 1)]) {
        for (let hour = 0; hour < 24; hour++) {
          for (const minute of [0, 30]) {
            const ms = nyWallClockToUtcMs(date, hour, minute);
            const back = intlWall(ms);
            if (back.hour === hour) {
              assert.deepEqual(back, { date, hour, minute, second: 0 }, `${date} ${hour}:${minute}`);
              // Overlap: the earlier instant is chosen, so one hour earlier must not read the same.
              const earlier = intlWall(ms - HOUR);
              assert.ok(!(earlier.date === date && earlier.hour === hour), `${date} ${hour}:${minute} not the earlier instant`);
            } else {
              // Spring-forward gap: the time does not exist and is read one hour later.
              assert.deepEqual(back, { date, hour: hour + 1, minute, second: 0 }, `${date} ${hour}:${minute} (gap)`);
              assert.equal(hour, 2);
            }
          }
        }
      }
    }
  }
});

test('known instants: session open, gap and overlap', () => {
  assert.equal(nyWallClockToUtcMs('2025-07-15', 9, 30), Date.UTC(2025, 6, 15, 13, 30));
  assert.equal(nyWallClockToUtcMs('2025-12-15', 9, 30), Date.UTC(2025, 11, 15, 14, 30));
  assert.equal(nyWallClockToUtcMs('2025-03-09', 2, 30), Date.UTC(2025, 2, 9, 7, 30)); // = 03:30 EDT
  assert.equal(nyWallClockToUtcMs('2025-11-02', 1, 30), Date.UTC(2025, 10, 2, 5, 30)); // first 01:30 (EDT)
  assert.equal(nyWallClockToUtcMs('2025-11-02', 1, 30, 15), Date.UTC(2025, 10, 2, 5, 30, 15));
  assert.equal(nyWallClockToUtcNs('2025-07-15', 9, 30), BigInt(Date.UTC(2025, 6, 15, 13, 30)) * 1_000_000n);
  assert.throws(() => nyWallClockToUtcMs('2025-07-15', 24, 0), RangeError);
  assert.throws(() => nyWallClockToUtcMs('2025-07-15', 9, 60), RangeError);
  assert.throws(() => nyWallClockToUtcMs('2025-07-15', 9, 30.5), RangeError);
  assert.throws(() => nyWallClockToUtcMs('2025-02-30', 9, 30), RangeError);
  assert.throws(() => nyWallClockToUtcMs('1969-12-31', 9, 30), RangeError);
});

test('nyDateOfNs keeps nanosecond timestamps exact across midnight', () => {
  const midnightNs = BigInt(Date.UTC(2025, 6, 16, 4)) * 1_000_000n; // 2025-07-16 00:00 EDT
  assert.equal(nyDateOfNs(midnightNs - 1n), '2025-07-15');
  assert.equal(nyDateOfNs(midnightNs), '2025-07-16');
  assert.equal(nyDateOfNs(1_752_552_000_123_456_789n), utcMsToNyDate(1_752_552_000_123));
  assert.throws(() => nyDateOfNs(-1n), RangeError);
});

test('New York dates of instants in no particular order match Intl', () => {
  // Deterministic pseudo-random instants 1970–2100 (an LCG), so the day cache sees jumps both ways.
  let seed = 12345;
  const nextUnit = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const span = Date.UTC(2100, 11, 31) - 0;
  for (let i = 0; i < 5000; i++) {
    const ms = Math.floor(nextUnit() * span);
    assert.equal(utcMsToNyDate(ms), intlWall(ms).date, new Date(ms).toISOString());
    const nearby = ms + Math.floor((nextUnit() - 0.5) * 4 * 86_400_000);
    assert.equal(utcMsToNyDate(nearby), intlWall(nearby).date, new Date(nearby).toISOString());
  }
});

test('utcMsToNyClock: HH:MM:SS in New York time, on both sides of a DST change', () => {
  assert.equal(utcMsToNyClock(Date.UTC(2025, 10, 7, 14, 35, 0, 999)), '09:35:00'); // EST
  assert.equal(utcMsToNyClock(Date.UTC(2025, 6, 7, 13, 30, 5)), '09:30:05'); // EDT
  assert.equal(utcMsToNyClock(Date.UTC(2025, 10, 8, 4, 59, 59)), '23:59:59');
});
