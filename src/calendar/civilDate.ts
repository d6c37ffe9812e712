/**
 * Proleptic Gregorian calendar arithmetic on ISO dates ('YYYY-MM-DD') without
 * time zones. Days are counted as "epoch days": whole days since 1970-01-01
 * (negative before). Pure: no I/O, no Date objects, no locale.
 *
 * The conversion between (year, month, day) and epoch days is Howard
 * Hinnant's `days_from_civil` / `civil_from_days`, exact for every year
 * representable here.
 */

/** A calendar date; month 1–12, day 1–31. */
export interface CivilDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

/** Day of week, 0 = Sunday … 6 = Saturday (as `Date.prototype.getUTCDay`). */
export type Weekday = 0 | 1 | 2 | 3 | 4 | 5 | 6;
export const SUNDAY = 0, MONDAY = 1, TUESDAY = 2, WEDNESDAY = 3, THURSDAY = 4, FRIDAY = 5, SATURDAY = 6;

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Parses 'YYYY-MM-DD' strictly (real calendar date, four-digit year). Throws RangeError otherwise. */
export function parseIsoDate(date: string): CivilDate {
  const m = typeof date === 'string' ? ISO_DATE.exec(date) : null;
  if (m === null) throw new RangeError(`invalid date ${JSON.stringify(date)}: expected YYYY-MM-DD`);
  const year = Number(m[1]), month = Number(m[2]), day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    throw new RangeError(`invalid date ${JSON.stringify(date)}: no such calendar day`);
  }
  return { year, month, day };
}

/** True when `date` is a real calendar date written 'YYYY-MM-DD'. */
export function isIsoDate(date: string): boolean {
  try {
    parseIsoDate(date);
    return true;
  } catch {
    return false;
  }
}

export function formatIsoDate(year: number, month: number, day: number): string {
  return `${String(year).padStart(4, '0')}-${month < 10 ? '0' : ''}${month}-${day < 10 ? '0' : ''}${day}`;
}

/** Epoch day (days since 1970-01-01) of a civil date. */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

/** Civil date of an epoch day. */
export function civilFromDays(epochDay: number): CivilDate {
  const z = epochDay + 719468;
  const era = Math.floor(z / 146097);
  const dayOfEra = z - era * 146097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36524) - Math.floor(dayOfEra / 146096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** Epoch day of an ISO date string. */
export function epochDayOf(date: string): number {
  const { year, month, day } = parseIsoDate(date);
  return daysFromCivil(year, month, day);
}

/** ISO date string of an epoch day. */
export function isoDateOfEpochDay(epochDay: number): string {
  const { year, month, day } = civilFromDays(epochDay);
  return formatIsoDate(year, month, day);
}

/** `date` shifted by `days` calendar days (negative goes back). */
export function addDays(date: string, days: number): string {
  return isoDateOfEpochDay(epochDayOf(date) + days);
}

/** Day of week of an epoch day (1970-01-01 was a Thursday). */
export function weekdayOfEpochDay(epochDay: number): Weekday {
  return (((epochDay + 4) % 7) + 7) % 7 as Weekday;
}

/** Day of week of a civil date. */
export function weekdayOf(year: number, month: number, day: number): Weekday {
  return weekdayOfEpochDay(daysFromCivil(year, month, day));
}

/**
 * Day of month of the `n`-th `weekday` of a month: n = 1 is the first,
 * n = -1 the last. Throws RangeError when the month has no such day.
 */
export function nthWeekdayOfMonth(year: number, month: number, weekday: Weekday, n: number): number {
  if (n === -1) {
    const last = daysInMonth(year, month);
    return last - ((weekdayOf(year, month, last) - weekday + 7) % 7);
  }
  const first = 1 + ((weekday - weekdayOf(year, month, 1) + 7) % 7);
  const day = first + (n - 1) * 7;
  if (n < 1 || day > daysInMonth(year, month)) {
    throw new RangeError(`${year}-${month} has no weekday #${n} of kind ${weekday}`);
  }
  return day;
}
