/** Plain stderr logging with a level (config `log.level`, hot-reloadable). */
export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
let threshold: Level = 'info';

export function setLogLevel(level: Level): void { threshold = level; }
export function enabled(level: Level): boolean { return ORDER[level] >= ORDER[threshold]; }

export const log = {
  debug: (msg: string): void => { if (enabled('debug')) process.stderr.write(`debug: ${msg}\n`); },
  info: (msg: string): void => { if (enabled('info')) process.stderr.write(`${msg}\n`); },
  warn: (msg: string): void => { if (enabled('warn')) process.stderr.write(`warning: ${msg}\n`); },
  error: (msg: string): void => { if (enabled('error')) process.stderr.write(`error: ${msg}\n`); },
  /** A line that is always printed (summaries). */
  raw: (msg: string, out: NodeJS.WritableStream = process.stderr): void => { out.write(msg + '\n'); },
};
