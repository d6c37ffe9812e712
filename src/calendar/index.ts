/** Public surface of the calendar module: New York time, the NYSE calendar, duration strings. */
export { nyWallClockToUtcMs, nyWallClockToUtcNs, utcMsToNyClock, utcMsToNyDate, utcMsToNyWallClock, nyDateOfNs, nyUtcOffsetMinutes } from './nyTime.js';
export type { NyWallClock } from './nyTime.js';
export { NyseCalendar, DEFAULT_PUBLISH_HOUR_ET } from './nyse.js';
export type { CalendarOverrides, SessionKind } from './nyse.js';
export { NS_PER_MS, parseDurationMs, parseWindow } from './durations.js';
export { addDays, isIsoDate, parseIsoDate } from './civilDate.js';
