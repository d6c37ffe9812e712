/**
 * Duration and window-size strings as written in config.toml.
 *
 * Durations ("250ms", "2s", "60s", "5m", "1h"): a whole number and a unit
 * ms | s | m | h, no spaces; "0s" is allowed. Window sizes ("1m", "45m",
 * "2h"): a positive whole number of s | m | h that divides one day
 * (86 400 s) exactly, so every window grid aligns with midnight UTC.
 *
 * Both parsers throw RangeError with a message that quotes the input; the
 * config layer prefixes it with the key. Pure: no I/O.
 */

const DURATION = /^(\d+)(ms|s|m|h)$/;
const WINDOW = /^(\d+)(s|m|h)$/;
const MS_PER_UNIT = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;
const SECONDS_PER_UNIT = { s: 1, m: 60, h: 3_600 } as const;
export const SECONDS_PER_DAY = 86_400;
/** Nanoseconds in a millisecond (BigInt: event times are int64 nanoseconds). */
export const NS_PER_MS = 1_000_000n;
const NS_PER_SECOND = 1_000_000_000n;

/** Milliseconds of a duration string such as "250ms", "2s", "5m" or "1h". */
export function parseDurationMs(text: string): number {
  const m = typeof text === 'string' ? DURATION.exec(text) : null;
  if (m === null) {
    throw new RangeError(`invalid duration ${JSON.stringify(text)}: expected a whole number followed by ms, s, m or h (e.g. "250ms", "60s", "5m", "1h")`);
  }
  const ms = Number(m[1]) * MS_PER_UNIT[m[2] as keyof typeof MS_PER_UNIT];
  if (!Number.isSafeInteger(ms)) throw new RangeError(`invalid duration ${JSON.stringify(text)}: too large`);
  return ms;
}

/** Nanoseconds (BigInt) of a window size such as "1m", "45m" or "2h"; it must divide one day. */
export function parseWindow(text: string): bigint {
  const m = typeof text === 'string' ? WINDOW.exec(text) : null;
  if (m === null) {
    throw new RangeError(`invalid window ${JSON.stringify(text)}: expected a whole number followed by s, m or h (e.g. "30s", "1m", "15m", "1h")`);
  }
  const seconds = Number(m[1]) * SECONDS_PER_UNIT[m[2] as keyof typeof SECONDS_PER_UNIT];
  if (seconds === 0 || !Number.isSafeInteger(seconds) || SECONDS_PER_DAY % seconds !== 0) {
    throw new RangeError(`invalid window ${JSON.stringify(text)}: the size must be positive and divide one day (86400 s) exactly, e.g. "1m", "45m", "2h"`);
  }
  return BigInt(seconds) * NS_PER_SECOND;
}
