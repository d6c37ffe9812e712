/**
 * Calendar arithmetic the generator needs, on `YYYY-MM-DD` strings. Pure, no I/O.
 *
 * Time of day inside the generator is `timeOfDayNs`: nanoseconds since 00:00
 * New York wall clock of the trading day. A whole day is 8.64e13 ns, far
 * below 2^53, so it is an exact JS number; epoch nanoseconds (which exceed
 * 2^53) are only ever assembled as strings (see epochNs.ts).
 *
 * New York offsets follow the US rule in force since 2007 (EDT from the second
 * Sunday of March to the first Sunday of November, switching at 02:00 local).
 * The switches happen on Sundays, when nothing trades, so one offset per
 * trading day is exact. Exchange holidays are not modelled: the caller chooses
 * the trading day, and listed expiries only skip weekends.
 */

export interface CalendarDate {
  readonly year: number;
  /** 1–12 */
  readonly month: number;
  /** 1–31 */
  readonly day: number;
}

const MS_PER_DAY = 86_400_000;

/** Parses and validates `YYYY-MM-DD`; throws RangeError otherwise. */
export function parseDate(date: string): CalendarDate {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) throw new RangeError(`not a YYYY-MM-DD date: ${JSON.stringify(date)}`);
  const year = Number(m[1]), month = Number(m[2]), day = Number(m[3]);
  const probe = new Date(Date.UTC(year, month - 1, day));
  if (probe.getUTCFullYear() !== year || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) {
    throw new RangeError(`not a calendar date: ${date}`);
  }
  return { year, month, day };
}

/** `YYYY-MM-DD` of a UTC-midnight epoch-ms value. */
function formatUtcDay(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}

function utcDayMs(date: string): number {
  const d = parseDate(date);
  return Date.UTC(d.year, d.month - 1, d.day);
}

/** Day of week, 0 = Sunday … 6 = Saturday. */
export function dayOfWeek(date: string): number {
  return new Date(utcDayMs(date)).getUTCDay();
}

export function isWeekday(date: string): boolean {
  const dow = dayOfWeek(date);
  return dow >= 1 && dow <= 5;
}

/** The date `days` calendar days later (negative for earlier). */
export function addDays(date: string, days: number): string {
  return formatUtcDay(utcDayMs(date) + days * MS_PER_DAY);
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

/** The n-th Sunday (1-based) of a month, as day of month. */
function nthSundayOfMonth(year: number, month: number, n: number): number {
  const firstDow = new Date(Date.UTC(year, month - 1, 1)).getUTCDay();
  return 1 + ((7 - firstDow) % 7) + 7 * (n - 1);
}

/**
 * New York's UTC offset in minutes (−240 EDT, −300 EST) in force during the
 * trading session (04:00–20:00 local) of `date`.
 */
export function newYorkUtcOffsetMinutes(date: string): number {
  const { year, month, day } = parseDate(date);
  const dstStartDay = nthSundayOfMonth(year, 3, 2);
  const dstEndDay = nthSundayOfMonth(year, 11, 1);
  const afterStart = month > 3 || (month === 3 && day >= dstStartDay);
  const beforeEnd = month < 11 || (month === 11 && day < dstEndDay);
  return afterStart && beforeEnd ? -240 : -300;
}

/**
 * Epoch milliseconds at which the New York wall clock reads 00:00 on `date`
 * (under that day's session offset): the origin of `timeOfDayNs`.
 */
export function newYorkDayStartEpochMs(date: string): number {
  return utcDayMs(date) - newYorkUtcOffsetMinutes(date) * 60_000;
}

/** `timeOfDayNs` of a New York wall-clock time `hh:mm`. */
export function wallClockNs(hours: number, minutes = 0): number {
  return (hours * 3600 + minutes * 60) * 1e9;
}
