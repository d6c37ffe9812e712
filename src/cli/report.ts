/** Errors, printed for people or (with --json) for machines, in one place. */
import { GammaflowError } from '../util/errors.js';

export function printError(e: unknown, json: boolean, err: NodeJS.WritableStream = process.stderr): void {
  if (json) {
    const obj = e instanceof GammaflowError ? e.toJSON() : { error: 'Error', message: e instanceof Error ? e.message : String(e) };
    err.write(JSON.stringify({ type: 'error', ...obj }) + '\n');
    return;
  }
  if (e instanceof GammaflowError) {
    err.write(`gammaflow: ${e.message}\n`);
    return;
  }
  const msg = e instanceof Error ? (process.env.GAMMAFLOW_DEBUG ? e.stack ?? e.message : e.message) : String(e);
  err.write(`gammaflow: unexpected error: ${msg}\n`);
}

/** Exit codes: 0 ok, 1 some day/file failed, 2 usage or config error. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export class UsageError extends GammaflowError {
  constructor(message: string) {
    super('usage', message);
  }
}
