/**
 * America/New_York wall clock ⇄ UTC, DST-aware, without a time-zone database.
 *
 * New York is UTC−5 (EST) outside daylight saving time and UTC−4 (EDT) inside.
 * Daylight saving time starts at 02:00 EST (07:00 UTC) and ends at 02:00 EDT
 * (06:00 UTC) on these days:
 *   - 2007 onwards (Energy Policy Act of 2005): 2nd Sunday of March → 1st Sunday of November;
 *   - 1987–2006: 1st Sunday of April → last Sunday of October;
 *   - 1976–1986 and 1970–1973: last Sunday of April → last Sunday of October;
 *   - 1974: January 6 and 1975: February 23 (energy crisis) → last Sunday of October.
 * Instants before 1970 are rejected (RangeError). Future years follow the 2007 rule.
 *
 * Wall-clock times that do not exist or exist twice are resolved as
 * JavaScript's `Date` and Temporal's `'compatible'` mode do: a time in the
 * spring-forward gap (02:00–02:59 on the March day) is read with the offset in
 * force before the gap, i.e. 02:30 becomes 03:30 EDT; a time in the fall-back
 * overlap (01:00–01:59 on the November day) is the earlier instant (EDT).
 *
 * Pure: no I/O.
 */
import { civilFromDays, daysFromCivil, formatIsoDate, isoDateOfEpochDay, nthWeekdayOfMonth, parseIsoDate, SUNDAY } from './civilDate.js';
import { NS_PER_MS } from './durations.js';

export const MS_PER_DAY = 86_400_000;
const MS_PER_HOUR = 3_600_000;
const MS_PER_MINUTE = 60_000;

/** UTC offsets of New York in minutes (local = UTC + offset). */
export const EST_OFFSET_MINUTES = -300;
export const EDT_OFFSET_MINUTES = -240;

/** First year whose offsets this module knows. */
export const FIRST_SUPPORTED_YEAR = 1970;

interface DstInterval {
  /** First instant of EDT (epoch ms). */
  readonly startUtcMs: number;
  /** First instant of EST again (epoch ms). */
  readonly endUtcMs: number;
}

/** Start and end days (month, day) of DST in a year, per the US rule in force that year. */
function dstDays(year: number): { startMonth: number; startDay: number; endMonth: number; endDay: number } {
  if (year >= 2007) {
    return { startMonth: 3, startDay: nthWeekdayOfMonth(year, 3, SUNDAY, 2), endMonth: 11, endDay: nthWeekdayOfMonth(year, 11, SUNDAY, 1) };
  }
  const endDay = nthWeekdayOfMonth(year, 10, SUNDAY, -1);
  if (year >= 1987) return { startMonth: 4, startDay: nthWeekdayOfMonth(year, 4, SUNDAY, 1), endMonth: 10, endDay };
  if (year === 1974) return { startMonth: 1, startDay: 6, endMonth: 10, endDay };
  if (year === 1975) return { startMonth: 2, startDay: 23, endMonth: 10, endDay };
  return { startMonth: 4, startDay: nthWeekdayOfMonth(year, 4, SUNDAY, -1), endMonth: 10, endDay };
}

const dstCache = new Map<number, DstInterval>();

function dstInterval(year: number): DstInterval {
  let interval = dstCache.get(year);
  if (interval === undefined) {
    if (!(year >= FIRST_SUPPORTED_YEAR)) {
      throw new RangeError(`New York time is only supported from ${FIRST_SUPPORTED_YEAR} (got year ${year})`);
    }
    const d = dstDays(year);
    interval = {
      startUtcMs: daysFromCivil(year, d.startMonth, d.startDay) * MS_PER_DAY + 7 * MS_PER_HOUR, // 02:00 EST
      endUtcMs: daysFromCivil(year, d.endMonth, d.endDay) * MS_PER_DAY + 6 * MS_PER_HOUR, // 02:00 EDT
    };
    dstCache.set(year, interval);
  }
  return interval;
}

/**
 * New York's UTC offset in minutes at an instant (−240 during DST, −300 otherwise).
 * The UTC year is the right year to look up: transitions never happen near New Year.
 */
export function nyUtcOffsetMinutes(utcMs: number): number {
  if (!Number.isFinite(utcMs)) throw new RangeError(`invalid instant ${utcMs}`);
  const { year } = civilFromDays(Math.floor(utcMs / MS_PER_DAY));
  const { startUtcMs, endUtcMs } = dstInterval(year);
  return utcMs >= startUtcMs && utcMs < endUtcMs ? EDT_OFFSET_MINUTES : EST_OFFSET_MINUTES;
}

/**
 * Epoch ms of a New York wall-clock time on `date` ('YYYY-MM-DD');
 * hour 0–23, minute 0–59, second 0–59 (integers). Gap and overlap times are
 * resolved as described in the module comment.
 */
export function nyWallClockToUtcMs(date: string, hour: number, minute: number, second = 0): number {
  const { year, month, day } = parseIsoDate(date);
  checkField('hour', hour, 23);
  checkField('minute', minute, 59);
  checkField('second', second, 59);
  const wallAsUtcMs = daysFromCivil(year, month, day) * MS_PER_DAY + hour * MS_PER_HOUR + minute * MS_PER_MINUTE + second * 1000;
  const asEdt = wallAsUtcMs - EDT_OFFSET_MINUTES * MS_PER_MINUTE;
  if (nyUtcOffsetMinutes(asEdt) === EDT_OFFSET_MINUTES) return asEdt; // includes the earlier of two overlapping instants
  // Standard time, or the spring-forward gap (read with the pre-gap EST offset).
  return wallAsUtcMs - EST_OFFSET_MINUTES * MS_PER_MINUTE;
}

function checkField(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`invalid ${name} ${value}: expected an integer 0–${max}`);
  }
}

/** New York wall-clock reading of an instant. */
export interface NyWallClock {
  /** 'YYYY-MM-DD' in New York. */
  readonly date: string;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly millisecond: number;
  /** UTC offset in minutes in force at that instant (−240 or −300). */
  readonly offsetMinutes: number;
}

/** Splits an instant (epoch ms) into its New York date and time of day. */
export function utcMsToNyWallClock(utcMs: number): NyWallClock {
  const offsetMinutes = nyUtcOffsetMinutes(utcMs);
  const localMs = utcMs + offsetMinutes * MS_PER_MINUTE;
  const epochDay = Math.floor(localMs / MS_PER_DAY);
  const msOfDay = localMs - epochDay * MS_PER_DAY;
  const { year, month, day } = civilFromDays(epochDay);
  return {
    date: formatIsoDate(year, month, day),
    hour: Math.floor(msOfDay / MS_PER_HOUR),
    minute: Math.floor((msOfDay % MS_PER_HOUR) / MS_PER_MINUTE),
    second: Math.floor((msOfDay % MS_PER_MINUTE) / 1000),
    millisecond: msOfDay % 1000,
    offsetMinutes,
  };
}

/**
 * The New York day of the latest lookup, [startUtcMs, endUtcMs): timestamps
 * arrive mostly in order, so nearly every call is a range check.
 */
let lastDay = { startUtcMs: 0, endUtcMs: 0, date: '' };

/** New York wall-clock time of an instant in epoch ms, `HH:MM:SS` (e.g. `09:35:00`). */
export function utcMsToNyClock(utcMs: number): string {
  const t = utcMsToNyWallClock(utcMs);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(t.hour)}:${two(t.minute)}:${two(t.second)}`;
}

/** New York calendar date ('YYYY-MM-DD') of an instant in epoch ms. */
export function utcMsToNyDate(utcMs: number): string {
  if (utcMs >= lastDay.startUtcMs && utcMs < lastDay.endUtcMs) return lastDay.date;
  const localMs = utcMs + nyUtcOffsetMinutes(utcMs) * MS_PER_MINUTE;
  const epochDay = Math.floor(localMs / MS_PER_DAY);
  const date = isoDateOfEpochDay(epochDay);
  lastDay = { startUtcMs: nyWallClockToUtcMs(date, 0, 0), endUtcMs: nyWallClockToUtcMs(isoDateOfEpochDay(epochDay + 1), 0, 0), date };
  return date;
}

/**
 * New York calendar date of an instant in epoch nanoseconds (e.g. a SIP
 * timestamp). Sub-millisecond digits never change the date, so the value is
 * floored to ms in BigInt before any conversion to `number`.
 */
export function nyDateOfNs(ns: bigint): string {
  if (ns < 0n) throw new RangeError(`New York time is only supported from ${FIRST_SUPPORTED_YEAR} (got ${ns} ns)`);
  return utcMsToNyDate(Number(ns / NS_PER_MS));
}

/** Epoch ns (BigInt) of a New York wall-clock time; see {@link nyWallClockToUtcMs}. */
export function nyWallClockToUtcNs(date: string, hour: number, minute: number, second = 0): bigint {
  return BigInt(nyWallClockToUtcMs(date, hour, minute, second)) * NS_PER_MS;
}
