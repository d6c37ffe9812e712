/** Small helpers shared by the command parsers: option parsing with clear usage errors. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './report.js';

export type Options = NonNullable<ParseArgsConfig['options']>;

export function parseCommand<T extends Options>(command: string, argv: string[], options: T): ReturnType<typeof parseArgs<{ options: T; allowPositionals: true; strict: true }>> {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(`${command}: ${(e as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, '')} (see gammaflow ${command} --help)`);
  }
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

export function requireDate(name: string, value: string | undefined): string {
  if (value === undefined) throw new UsageError(`--${name} YYYY-MM-DD is required`);
  if (!DATE_RE.test(value) || Number.isNaN(Date.parse(value + 'T00:00:00Z')) || new Date(value + 'T00:00:00Z').toISOString().slice(0, 10) !== value) {
    throw new UsageError(`--${name}: "${value}" is not a date (YYYY-MM-DD)`);
  }
  return value;
}

/** A comma-separated option as a list: items trimmed, empty ones dropped, each item once (first occurrence kept, in order). */
export function csvList(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const list = [...new Set(value.split(',').map((s) => s.trim()).filter((s) => s !== ''))];
  return list.length > 0 ? list : undefined;
}

/** `--from` (required) and `--to` (default: --from), validated and in order. */
export function requireDateRange(values: { from?: string | undefined; to?: string | undefined }): { from: string; to: string } {
  const from = requireDate('from', values.from);
  const to = requireDate('to', values.to ?? values.from);
  if (to < from) throw new UsageError(`--to ${to} is before --from ${from}`);
  return { from, to };
}

/** `--symbol`, or the config's `aggregations.symbol`, upper-cased and checked. */
export function symbolOption(value: string | undefined, fallback: string): string {
  const symbol = (value ?? fallback).trim().toUpperCase();
  if (!/^[A-Z0-9][A-Z0-9.]*$/.test(symbol)) throw new UsageError(`--symbol: "${symbol}" is not a ticker`);
  return symbol;
}
