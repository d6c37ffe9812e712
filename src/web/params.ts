/** Query parameters of the web API, and the errors that name a bad one (HTTP 400) or what is not there (404). */
import type { Context } from 'hono';
import { GammaflowError } from '../util/errors.js';

/** A request error that names the bad parameter: HTTP 400. */
export class BadRequest extends GammaflowError {
  constructor(message: string) { super('bad_request', message); }
}

/** What the lake or the live session does not hold: HTTP 404. */
export class NotFound extends GammaflowError {
  constructor(message: string) { super('not_found', message); }
}

export function required(c: Context, name: string): string {
  const v = c.req.query(name);
  if (v === undefined || v === '') throw new BadRequest(`missing query parameter ${name}`);
  return v;
}

export function optionalMs(c: Context, name: string): bigint | undefined {
  const v = c.req.query(name);
  if (v === undefined || v === '') return undefined;
  if (!/^\d{1,15}$/.test(v)) throw new BadRequest(`query parameter ${name}: expected epoch milliseconds, got ${JSON.stringify(v)}`);
  return BigInt(v) * 1_000_000n;
}

/** The `max_points` a request asks for (fewer than the server's limit, e.g. a few per pixel of the chart), capped by the limit. */
export function pointsLimit(c: Context, limit: number): number {
  const v = c.req.query('max_points');
  if (v === undefined || v === '') return limit;
  if (!/^\d{1,9}$/.test(v) || Number(v) < 2) throw new BadRequest(`query parameter max_points: expected an integer ≥ 2, got ${JSON.stringify(v)}`);
  return Math.min(limit, Number(v));
}
