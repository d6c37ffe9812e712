import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  addDays, civilFromDays, daysFromCivil, epochDayOf, isIsoDate, isoDateOfEpochDay,
  nthWeekdayOfMonth, parseIsoDate, weekdayOf, MONDAY, SUNDAY, THURSDAY,
} from './civilDate.js';

test('epoch days agree with Date.UTC for every day 1900–2200', () => {
  const start = daysFromCivil(1900, 1, 1);
  const end = daysFromCivil(2200, 12, 31);
  assert.equal(start, Date.UTC(1900, 0, 1) / 86_400_000);
  for (let day = start; day <= end; day++) {
    const d = new Date(day * 86_400_000);
    const civil = civilFromDays(day);
    assert.deepEqual(civil, { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() });
    assert.equal(daysFromCivil(civil.year, civil.month, civil.day), day);
    assert.equal(weekdayOf(civil.year, civil.month, civil.day), d.getUTCDay());
  }
});

test('ISO dates parse strictly and round-trip', () => {
  assert.equal(epochDayOf('1970-01-01'), 0);
  assert.equal(isoDateOfEpochDay(epochDayOf('2024-02-29')), '2024-02-29');
  assert.equal(addDays('2024-12-31', 1), '2025-01-01');
  assert.equal(addDays('2024-03-01', -1), '2024-02-29');
  for (const bad of ['2023-02-29', '2024-13-01', '2024-00-10', '2024-1-01', '20240101', '2024-01-01T00:00', '', '2024-04-31']) {
    assert.equal(isIsoDate(bad), false, bad);
    assert.throws(() => parseIsoDate(bad), RangeError);
  }
  assert.equal(isIsoDate('2000-02-29'), true);
  assert.equal(isIsoDate('1900-02-29'), false);
});

test('nth and last weekday of a month', () => {
  assert.equal(nthWeekdayOfMonth(2025, 11, THURSDAY, 4), 27); // Thanksgiving 2025
  assert.equal(nthWeekdayOfMonth(2024, 5, MONDAY, -1), 27); // Memorial Day 2024
  assert.equal(nthWeekdayOfMonth(2026, 3, SUNDAY, 2), 8);
  assert.equal(nthWeekdayOfMonth(2026, 3, SUNDAY, -1), 29);
  assert.throws(() => nthWeekdayOfMonth(2025, 2, MONDAY, 5), RangeError);
});
