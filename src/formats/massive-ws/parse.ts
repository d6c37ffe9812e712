/**
 * The frame parser of the Massive WebSocket feed: one server text frame → typed events
 * (types.ts). Pure: no I/O.
 */
import { parseFrameJson } from './json.js';
import { parseDataFrameFast } from './scanner.js';
import type { ParsedFrame } from './types.js';

/**
 * Parses one server text frame. Never throws.
 *
 * Data frames take a single-pass scanner ({@link parseDataFrameFast}) that builds the records
 * straight from the text, without JSON.parse's intermediate objects; it gives up on anything it
 * does not fully handle (status and unknown events, a field of an unexpected type or a missing
 * one, escapes, exponents, duplicate or unknown keys, ...), and the frame then goes through
 * JSON.parse and the field checks of json.ts. Both give the same result for every frame the scanner
 * accepts (parse.test.ts compares them).
 */
export function parseFrame(text: string): ParsedFrame {
  return parseDataFrameFast(text) ?? parseFrameJson(text);
}
