/**
 * NYSE full closures and 13:00 ET early closes, by rule, for one year at a time.
 *
 * Observance (NYSE Rule 7.2): a holiday falling on a Sunday is observed on the
 * Monday after; one falling on a Saturday is observed on the Friday before,
 * except when that Friday ends a monthly or yearly accounting period — in
 * practice only New Year's Day: when January 1 is a Saturday the exchange is
 * open on Friday December 31 and no day is closed for it (2005, 2011, 2022).
 *
 * Early closes at 13:00 ET (from 2000; the rules follow the NYSE closings
 * history compiled by pandas_market_calendars):
 *   - July 3 when it is a Monday, Tuesday or Thursday; also a Wednesday from
 *     2013 on (before 2013, when July 4 was a Thursday, the early close was
 *     Friday July 5 instead);
 *   - the day after Thanksgiving;
 *   - December 24 when it is a Monday to Thursday (a Friday Dec 24 is the
 *     observed Christmas holiday);
 *   - 2003-12-26 (Friday after Christmas, ad hoc).
 * Irregular closing times that are not 13:00 (e.g. 2005-06-01, 15:56 after a
 * systems problem) are not modelled.
 *
 * Pure: no I/O.
 */
import {
  FRIDAY, MONDAY, SATURDAY, SUNDAY, THURSDAY, TUESDAY, WEDNESDAY,
  addDays, formatIsoDate, nthWeekdayOfMonth, weekdayOf,
} from './civilDate.js';
import { easterSunday } from './easter.js';

/** Closures decided for a single occasion (not by a yearly rule), with their reason. */
export const NYSE_SPECIAL_CLOSURES: ReadonlyMap<string, string> = new Map([
  ['2001-09-11', 'September 11 attacks'],
  ['2001-09-12', 'September 11 attacks'],
  ['2001-09-13', 'September 11 attacks'],
  ['2001-09-14', 'September 11 attacks'],
  ['2004-06-11', 'National Day of Mourning for President Ronald Reagan'],
  ['2007-01-02', 'National Day of Mourning for President Gerald R. Ford'],
  ['2012-10-29', 'Hurricane Sandy'],
  ['2012-10-30', 'Hurricane Sandy'],
  ['2018-12-05', 'National Day of Mourning for President George H. W. Bush'],
  ['2025-01-09', 'National Day of Mourning for President Jimmy Carter'],
]);

/** Early closes decided for a single occasion. */
export const NYSE_SPECIAL_EARLY_CLOSES: ReadonlyMap<string, string> = new Map([
  ['2003-12-26', 'Day after Christmas'],
]);

/** A date and why the exchange is closed (or closes early) that day. */
export interface CalendarEntry {
  readonly date: string;
  readonly name: string;
}

/** The date a fixed-date holiday is observed on under NYSE Rule 7.2 (Saturday → Friday, Sunday → Monday). */
function observed(year: number, month: number, day: number): { date: string; shifted: boolean } {
  const date = formatIsoDate(year, month, day);
  const weekday = weekdayOf(year, month, day);
  if (weekday === SATURDAY) return { date: addDays(date, -1), shifted: true };
  if (weekday === SUNDAY) return { date: addDays(date, 1), shifted: true };
  return { date, shifted: false };
}

function fixedHoliday(out: CalendarEntry[], year: number, month: number, day: number, name: string): void {
  const { date, shifted } = observed(year, month, day);
  out.push({ date, name: shifted ? `${name} (observed)` : name });
}

function weekdayHoliday(out: CalendarEntry[], year: number, month: number, weekday: 0 | 1 | 2 | 3 | 4 | 5 | 6, n: number, name: string): void {
  out.push({ date: formatIsoDate(year, month, nthWeekdayOfMonth(year, month, weekday, n)), name });
}

/**
 * Holidays of `year` computed by rule (special closures excluded), ascending.
 * New Year's Day observed in the following January is listed under the following year.
 */
export function nyseRuleHolidays(year: number): CalendarEntry[] {
  const out: CalendarEntry[] = [];
  const newYear = weekdayOf(year, 1, 1);
  if (newYear !== SATURDAY) fixedHoliday(out, year, 1, 1, "New Year's Day");
  if (year >= 1998) weekdayHoliday(out, year, 1, MONDAY, 3, 'Martin Luther King Jr. Day');
  weekdayHoliday(out, year, 2, MONDAY, 3, "Washington's Birthday");
  const easter = easterSunday(year);
  out.push({ date: addDays(formatIsoDate(year, easter.month, easter.day), -2), name: 'Good Friday' });
  weekdayHoliday(out, year, 5, MONDAY, -1, 'Memorial Day');
  if (year >= 2022) fixedHoliday(out, year, 6, 19, 'Juneteenth National Independence Day');
  fixedHoliday(out, year, 7, 4, 'Independence Day');
  weekdayHoliday(out, year, 9, MONDAY, 1, 'Labor Day');
  weekdayHoliday(out, year, 11, THURSDAY, 4, 'Thanksgiving Day');
  fixedHoliday(out, year, 12, 25, 'Christmas Day');
  return out.sort((a, b) => (a.date < b.date ? -1 : 1));
}

/** 13:00 ET early closes of `year` computed by rule (special early closes excluded), ascending. */
export function nyseRuleEarlyCloses(year: number): CalendarEntry[] {
  const out: CalendarEntry[] = [];
  const july3 = weekdayOf(year, 7, 3);
  if (july3 === MONDAY || july3 === TUESDAY || july3 === THURSDAY || (july3 === WEDNESDAY && year >= 2013)) {
    out.push({ date: formatIsoDate(year, 7, 3), name: 'Day before Independence Day' });
  }
  if (year < 2013 && weekdayOf(year, 7, 5) === FRIDAY) {
    out.push({ date: formatIsoDate(year, 7, 5), name: 'Day after Independence Day' });
  }
  const thanksgiving = nthWeekdayOfMonth(year, 11, THURSDAY, 4);
  out.push({ date: formatIsoDate(year, 11, thanksgiving + 1), name: 'Day after Thanksgiving' });
  const christmasEve = weekdayOf(year, 12, 24);
  if (christmasEve >= MONDAY && christmasEve <= THURSDAY) {
    out.push({ date: formatIsoDate(year, 12, 24), name: 'Christmas Eve' });
  }
  return out;
}
