/**
 * JSON bodies of Massive's REST API with their nanosecond timestamps intact.
 *
 * `sip_timestamp`, `participant_timestamp` and `trf_timestamp` are JSON
 * integers beyond 2^53: a plain `JSON.parse` rounds their last digits. The
 * values of these keys are turned into strings before parsing, so each comes
 * out as the exact decimal text. A key that appears inside a JSON string has
 * escaped quotes (`\"sip_timestamp\"`) and is never matched.
 *
 * Pure: no I/O.
 */

/** Object keys whose integer values are nanoseconds since the epoch. */
export const NANOSECOND_KEYS: readonly string[] = ['sip_timestamp', 'participant_timestamp', 'trf_timestamp'];

const EXACT_INTEGER_RE = new RegExp(`"(${NANOSECOND_KEYS.join('|')})"(\\s*):(\\s*)(-?\\d+)(?=\\s*[,}\\]])`, 'g');

/** JSON.parse, with the values of NANOSECOND_KEYS as exact decimal strings. */
export function parseExactJson(text: string): unknown {
  return JSON.parse(text.replace(EXACT_INTEGER_RE, '"$1"$2:$3"$4"'));
}

/**
 * A nanosecond value as exact decimal text: a string from parseExactJson, or a
 * number (exact only below 2^53: older millisecond data and tests). Undefined
 * when absent or not an integer.
 */
export function nanosText(value: unknown): string | undefined {
  if (typeof value === 'string') return /^-?\d+$/.test(value) ? value : undefined;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value === 'bigint') return value.toString();
  return undefined;
}
