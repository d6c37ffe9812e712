import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NyseCalendar } from './nyse.js';
import { easterSundayIso } from './easter.js';

const cal = new NyseCalendar();

/** Weekday closures and 13:00 early closes as published by NYSE. */
const PUBLISHED: Record<number, { holidays: string[]; earlyCloses: string[] }> = {
  2023: {
    holidays: ['2023-01-02', '2023-01-16', '2023-02-20', '2023-04-07', '2023-05-29', '2023-06-19', '2023-07-04', '2023-09-04', '2023-11-23', '2023-12-25'],
    earlyCloses: ['2023-07-03', '2023-11-24'],
  },
  2024: {
    holidays: ['2024-01-01', '2024-01-15', '2024-02-19', '2024-03-29', '2024-05-27', '2024-06-19', '2024-07-04', '2024-09-02', '2024-11-28', '2024-12-25'],
    earlyCloses: ['2024-07-03', '2024-11-29', '2024-12-24'],
  },
  2025: {
    holidays: ['2025-01-01', '2025-01-09', '2025-01-20', '2025-02-17', '2025-04-18', '2025-05-26', '2025-06-19', '2025-07-04', '2025-09-01', '2025-11-27', '2025-12-25'],
    earlyCloses: ['2025-07-03', '2025-11-28', '2025-12-24'],
  },
  2026: {
    holidays: ['2026-01-01', '2026-01-19', '2026-02-16', '2026-04-03', '2026-05-25', '2026-06-19', '2026-07-03', '2026-09-07', '2026-11-26', '2026-12-25'],
    earlyCloses: ['2026-11-27', '2026-12-24'],
  },
  2027: {
    holidays: ['2027-01-01', '2027-01-18', '2027-02-15', '2027-03-26', '2027-05-31', '2027-06-18', '2027-07-05', '2027-09-06', '2027-11-25', '2027-12-24'],
    earlyCloses: ['2027-11-26'],
  },
};

function weekdaysOf(year: number): string[] {
  const out: string[] = [];
  for (let t = Date.UTC(year, 0, 1); t < Date.UTC(year + 1, 0, 1); t += 86_400_000) {
    const d = new Date(t);
    if (d.getUTCDay() !== 0 && d.getUTCDay() !== 6) out.push(d.toISOString().slice(0, 10));
  }
  return out;
}

for (const [yearText, published] of Object.entries(PUBLISHED)) {
  const year = Number(yearText);
  test(`${year}: closed weekdays and early closes match the NYSE publication`, () => {
    const weekdays = weekdaysOf(year);
    assert.deepEqual(weekdays.filter((d) => !cal.isTradingDay(d)), published.holidays);
    assert.deepEqual(weekdays.filter((d) => cal.isHalfDay(d)), published.earlyCloses);
    for (const d of published.holidays) assert.ok(cal.holidayName(d), `${d} has a name`);
    assert.equal(cal.tradingDays(`${year}-01-01`, `${year}-12-31`).length, weekdays.length - published.holidays.length);
  });
}

test('trading-day counts of recent years', () => {
  assert.equal(cal.tradingDays('2023-01-01', '2023-12-31').length, 250);
  assert.equal(cal.tradingDays('2024-01-01', '2024-12-31').length, 252);
  assert.equal(cal.tradingDays('2025-01-01', '2025-12-31').length, 250);
});

test('observance rules and history', () => {
  // January 1 on a Saturday: no closure, the Friday before trades.
  for (const d of ['2004-12-31', '2010-12-31', '2021-12-31', '2027-12-31']) assert.equal(cal.isTradingDay(d), true, d);
  assert.equal(cal.isTradingDay('2022-01-03'), true);
  // Sunday holidays move to Monday, Saturday ones to Friday.
  assert.equal(cal.holidayName('2022-06-20'), 'Juneteenth National Independence Day (observed)');
  assert.equal(cal.holidayName('2022-12-26'), 'Christmas Day (observed)');
  assert.equal(cal.holidayName('2017-01-02'), "New Year's Day (observed)");
  assert.equal(cal.holidayName('2020-07-03'), 'Independence Day (observed)');
  assert.equal(cal.holidayName('2004-12-24'), 'Christmas Day (observed)');
  assert.equal(cal.isTradingDay('2021-06-18'), true); // Juneteenth closes only from 2022
  assert.equal(cal.holidayName('2015-04-03'), 'Good Friday');
  // Special closures.
  for (const d of ['2001-09-11', '2001-09-12', '2001-09-13', '2001-09-14', '2004-06-11', '2007-01-02', '2012-10-29', '2012-10-30', '2018-12-05', '2025-01-09']) {
    assert.equal(cal.isTradingDay(d), false, d);
  }
  assert.equal(cal.isTradingDay('2001-09-17'), true);
  assert.match(cal.holidayName('2025-01-09') ?? '', /Carter/);
  // Early-close history around July 4 and Christmas.
  assert.equal(cal.isHalfDay('2002-07-05'), true); // Friday after a Thursday July 4, before 2013
  assert.equal(cal.isHalfDay('2002-07-03'), false);
  assert.equal(cal.isHalfDay('2013-07-03'), true); // Wednesday, from 2013
  assert.equal(cal.isHalfDay('2019-07-05'), false);
  assert.equal(cal.isHalfDay('2003-12-26'), true);
  assert.equal(cal.isHalfDay('2021-12-24'), false); // observed Christmas: closed
  assert.equal(cal.isHalfDay('2026-07-02'), false);
  // Weekends have no holiday name.
  assert.equal(cal.holidayName('2025-07-05'), undefined);
  assert.equal(cal.holidayName('2025-07-07'), undefined);
});

test('Easter computus', () => {
  const known = ['2000-04-23', '2008-03-23', '2011-04-24', '2019-04-21', '2024-03-31', '2025-04-20', '2038-04-25', '2095-04-24'];
  for (const d of known) assert.equal(easterSundayIso(Number(d.slice(0, 4))), d);
});

test('tradingDays, nextTradingDay, previousTradingDay', () => {
  assert.deepEqual(cal.tradingDays('2025-07-02', '2025-07-08'), ['2025-07-02', '2025-07-03', '2025-07-07', '2025-07-08']);
  assert.deepEqual(cal.tradingDays('2025-07-08', '2025-07-02'), []);
  assert.deepEqual(cal.tradingDays('2025-07-04', '2025-07-04'), []);
  assert.equal(cal.nextTradingDay('2025-07-03'), '2025-07-07');
  assert.equal(cal.nextTradingDay('2025-12-31'), '2026-01-02');
  assert.equal(cal.previousTradingDay('2025-07-07'), '2025-07-03');
  assert.equal(cal.previousTradingDay('2025-01-10'), '2025-01-08');
});

test('session bounds follow DST and early closes', () => {
  const utcNs = (...a: [number, number, number, number, number?]) => BigInt(Date.UTC(...a)) * 1_000_000n;
  assert.deepEqual(cal.sessionBoundsNs('2025-07-15', 'regular'), { startNs: utcNs(2025, 6, 15, 13, 30), endNs: utcNs(2025, 6, 15, 20) });
  assert.deepEqual(cal.sessionBoundsNs('2025-12-15', 'regular'), { startNs: utcNs(2025, 11, 15, 14, 30), endNs: utcNs(2025, 11, 15, 21) });
  assert.deepEqual(cal.sessionBoundsNs('2025-07-03', 'regular'), { startNs: utcNs(2025, 6, 3, 13, 30), endNs: utcNs(2025, 6, 3, 17) });
  assert.deepEqual(cal.sessionBoundsNs('2025-07-15', 'extended'), { startNs: utcNs(2025, 6, 15, 8), endNs: utcNs(2025, 6, 16, 0) });
  assert.deepEqual(cal.sessionBoundsNs('2025-07-03', 'extended'), { startNs: utcNs(2025, 6, 3, 8), endNs: utcNs(2025, 6, 3, 21) });
  const hours = (b: { startNs: bigint; endNs: bigint }) => Number(b.endNs - b.startNs) / 3.6e12;
  assert.equal(hours(cal.sessionBoundsNs('2025-03-09', 'all')), 23);
  assert.equal(hours(cal.sessionBoundsNs('2025-11-02', 'all')), 25);
  assert.equal(hours(cal.sessionBoundsNs('2025-07-15', 'all')), 24);
  assert.equal(hours(cal.sessionBoundsNs('2025-07-15', 'regular')), 6.5);
  assert.throws(() => cal.sessionBoundsNs('2025-12-25', 'regular'), /not an NYSE trading day \(Christmas Day\)/);
  assert.throws(() => cal.sessionBoundsNs('2025-07-05', 'extended'), /weekend/);
});

test('expectedPublishMs is 11:00 New York on the next trading day', () => {
  assert.equal(cal.expectedPublishMs('2025-07-03'), Date.UTC(2025, 6, 7, 15)); // EDT
  assert.equal(cal.expectedPublishMs('2025-12-24'), Date.UTC(2025, 11, 26, 16)); // EST
  assert.equal(cal.expectedPublishMs('2025-12-24', 9), Date.UTC(2025, 11, 26, 14));
});

test('overrides: force closed, force open, extra half days', () => {
  const c = new NyseCalendar({ holidays: ['2030-06-03'], tradingDays: ['2025-12-25', '2025-12-24'], halfDays: ['2030-06-04', '2030-06-08'] });
  assert.equal(c.isTradingDay('2030-06-03'), false);
  assert.equal(c.holidayName('2030-06-03'), 'Closed (calendar override)');
  assert.equal(c.isTradingDay('2025-12-25'), true);
  assert.equal(c.holidayName('2025-12-25'), undefined);
  assert.equal(c.isHalfDay('2025-12-24'), false, 'a forced trading day is a full day');
  assert.equal(c.isHalfDay('2030-06-04'), true);
  assert.equal(c.isHalfDay('2030-06-08'), false, 'a half day does not open a Saturday');
  assert.equal(c.isTradingDay('2030-06-08'), false);
  assert.equal(cal.isTradingDay('2030-06-03'), true, 'overrides are per instance');
  assert.throws(() => new NyseCalendar({ holidays: ['2025-02-30'] }), /holidays: invalid date "2025-02-30"/);
  assert.throws(() => new NyseCalendar({ holidays: ['2025-03-03'], tradingDays: ['2025-03-03'] }), /both/);
});

test('dates outside 2000–2100 or malformed are rejected', () => {
  assert.throws(() => cal.isTradingDay('1999-12-31'), /2000–2100/);
  assert.throws(() => cal.isTradingDay('2101-01-03'), /2000–2100/);
  assert.throws(() => cal.isTradingDay('2025-7-3'), RangeError);
});

test('every year 2000–2100 has a plausible calendar', () => {
  for (let year = 2000; year <= 2100; year++) {
    const days = cal.tradingDays(`${year}-01-01`, `${year}-12-31`);
    assert.ok(days.length >= 245 && days.length <= 254, `${year}: ${days.length} trading days`);
    const halfDays = days.filter((d) => cal.isHalfDay(d));
    assert.ok(halfDays.length >= 1 && halfDays.length <= 4, `${year}: ${halfDays.length} half days`);
  }
});
