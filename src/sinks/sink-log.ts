/**
 * What the realtime sinks share: how they log (the live command's log) and when a repeated
 * condition is worth a line.
 */
export type OutputLog = (level: 'info' | 'warn' | 'error', message: string) => void;

/** 1, 10, 100, ...: the counts at which a repeated condition is logged. */
export function isPowerOfTen(n: number): boolean {
  for (let p = 1; p <= n; p *= 10) if (p === n) return true;
  return false;
}
