/**
 * Calendar arithmetic the generator needs, on `YYYY-MM-DD` strings. Pure, no I/O.
 *
 * Time of day inside the generator is `timeOfDayNs`: nanoseconds since 00:00
 * New York wall clock of the trading day. A whole day is 8.64e13 ns, far
 * below 2^53, so it is an exact JS number; epoch nanoseconds (which exceed
 * 2^53) are only ever assembled as strings (see epochNs.ts).
 *
 * Date arithmetic and New York offsets come from src/calendar (one
 * implementation for the product and the generator); this module adds what
 * only the generator needs. Exchange holidays are not modelled here: the
 * caller chooses the trading day, and listed expiries only skip weekends.
 */
import { addDays, parseIsoDate, weekdayOf, type CivilDate } from '../calendar/civilDate.js';
import { nyWallClockToUtcMs } from '../calendar/nyTime.js';

export { addDays };


export type CalendarDate = CivilDate;

/** Parses and validates `YYYY-MM-DD`; throws RangeError otherwise. */
export function parseDate(date: string): CalendarDate {
  return parseIsoDate(date);
}

/** Day of week, 0 = Sunday … 6 = Saturday. */
export function dayOfWeek(date: string): number {
  const d = parseIsoDate(date);
  return weekdayOf(d.year, d.month, d.day);
}

export function isWeekday(date: string): boolean {
  const dow = dayOfWeek(date);
  return dow >= 1 && dow <= 5;
}

/** The `n`-th weekday after `date` (n ≥ 1). */
export function addWeekdays(date: string, n: number): string {
  let d = date;
  for (let left = n; left > 0;) {
    d = addDays(d, 1);
    if (isWeekday(d)) left--;
  }
  return d;
}

/** The first Friday on or after `date`. */
export function fridayOnOrAfter(date: string): string {
  return addDays(date, (5 - dayOfWeek(date) + 7) % 7);
}

/** Third Friday of a month: the standard monthly equity option expiry. */
export function thirdFriday(year: number, month: number): string {
  const first = `${year}-${String(month).padStart(2, '0')}-01`;
  return addDays(fridayOnOrAfter(first), 14);
}

/**
 * New York's UTC offset in minutes (−240 EDT, −300 EST) in force during the
 * trading session (04:00–20:00 local) of `date`: clocks change on Sundays at
 * 02:00, so noon's offset is the session's.
 */
export function newYorkUtcOffsetMinutes(date: string): number {
  const d = parseIsoDate(date);
  return (Date.UTC(d.year, d.month - 1, d.day, 12) - nyWallClockToUtcMs(date, 12, 0)) / 60_000;
}

/**
 * Epoch milliseconds at which the New York wall clock reads 00:00 on `date`
 * (under that day's session offset): the origin of `timeOfDayNs`.
 */
export function newYorkDayStartEpochMs(date: string): number {
  return nyWallClockToUtcMs(date, 12, 0) - 12 * 3_600_000;
}

/** `timeOfDayNs` of a New York wall-clock time `hh:mm`. */
export function wallClockNs(hours: number, minutes = 0): number {
  return (hours * 3600 + minutes * 60) * 1e9;
}
