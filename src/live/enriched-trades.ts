/**
 * The priced option trades of a live run (greeks_flag 0: IV, delta, gamma, gadvv), kept per
 * bucket of event time for the Live page's smile, gadvv by strike and per-trade view. Pure: no
 * I/O, no clock.
 *
 * Buckets are `bucketNs` long (the greatest common divisor of the run's window sizes, so every
 * window is a whole number of buckets), aligned like the windows (windowStartOf). A range query
 * takes the buckets whose start lies in [fromNs, toNs).
 *
 * Bounded memory:
 * - per bucket, exact counts per expiry and Σ gadvv per (expiry, strike, right): every priced
 *   trade counts there;
 * - per bucket, the first `maxTradesPerBucket` trades as they came (columns in typed arrays,
 *   ~70 bytes a trade); later trades of the bucket are merged into groups of equal expiry,
 *   right, strike and IV to 0.1 vol point (sizes summed, IV size-weighted), at most
 *   `maxGroupsPerBucket` groups (further trades only count);
 * - buckets more than `retainNs` older than the newest one are dropped.
 *
 * The smile of a range has the shape of the day view's (`/api/smile`): one point per trade when
 * every trade of the range is kept and there are at most `maxPoints`; else trades of the same
 * right and strike whose IVs agree to 0.1 vol point merged, the `maxPoints` largest kept
 * (`downsampled: true`).
 */
import type { TradeSide } from '../features/value-sets.js';
import { windowStartOf } from '../features/windows.js';
import { epochDayOf, isoDateOfEpochDay } from '../calendar/civilDate.js';
import { NS_PER_MS } from '../calendar/durations.js';
import type { OptionGreeks } from '../options/enrich.js';
import { GreeksFlag, type OptionTrade } from '../formats/records.js';
import type { SmilePoints, StrikeProfile } from '../lake/web-queries.js';

export interface EnrichedTradesOptions {
  /** Bucket length, ns (every window size is a multiple of it). */
  readonly bucketNs: bigint;
  /** Trades kept one by one per bucket; default 1 000. */
  readonly maxTradesPerBucket?: number;
  /** Merged groups per bucket past that; default 4 000. */
  readonly maxGroupsPerBucket?: number;
  /** Event time kept behind the newest bucket, ns; default 24 h. */
  readonly retainNs?: bigint;
}

export interface TradeRangeQuery {
  /** Inclusive start, ns; undefined: from the oldest bucket kept. */
  readonly fromNs?: bigint;
  /** Exclusive end, ns; undefined: to the newest. */
  readonly toNs?: bigint;
  /** `YYYY-MM-DD`; undefined: every expiry. */
  readonly expiry?: string;
}

/** The smile and the gadvv profile by strike: the same shapes as the day view's (lake/web-queries.ts). */
export type LiveSmile = SmilePoints;
export type LiveStrikeProfile = StrikeProfile;

/** Per-trade columns of the trades kept one by one, in time order. */
export interface LiveTradeColumns {
  readonly t_ms: readonly number[];
  readonly expiry: readonly string[];
  readonly strike: readonly number[];
  readonly right: readonly string[];
  readonly size: readonly number[];
  readonly price: readonly number[];
  readonly underlying_price: readonly number[];
  readonly iv: readonly number[];
  readonly delta: readonly number[];
  readonly gamma: readonly number[];
  readonly gadvv: readonly number[];
  /** 'buy', 'sell', or null (unclassified or aggression off). */
  readonly side: readonly (string | null)[];
  /** Priced trades in the range (and expiry). */
  readonly trades: number;
  /** False when some of them are not listed (past a bucket's cap, or past `maxPoints`: the latest are listed). */
  readonly complete: boolean;
}

interface Group { expiryDays: number; right: 'C' | 'P'; strike: number; ivSize: number; size: number }

const SIDE_NONE = 0, SIDE_BUY = 1, SIDE_SELL = 2;

/** One bucket's trades as columns (grown by doubling up to the cap). */
class TradeColumns {
  length = 0;
  timeMs = new Float64Array(16);
  strike = new Float64Array(16);
  price = new Float64Array(16);
  underlying = new Float64Array(16);
  iv = new Float64Array(16);
  delta = new Float64Array(16);
  gamma = new Float64Array(16);
  gadvv = new Float64Array(16);
  size = new Float64Array(16);
  expiryDays = new Int32Array(16);
  /** 1 call, 0 put. */
  call = new Uint8Array(16);
  side = new Uint8Array(16);

  push(t: OptionTrade, g: OptionGreeks, side: TradeSide | undefined): void {
    if (this.length === this.timeMs.length) this.#grow();
    const i = this.length++;
    this.timeMs[i] = Number(t.sipTimestampNs / NS_PER_MS) + Number(t.sipTimestampNs % NS_PER_MS) / 1e6;
    this.strike[i] = t.strike; this.price[i] = t.price; this.underlying[i] = g.underlyingPrice;
    this.iv[i] = g.iv; this.delta[i] = g.delta; this.gamma[i] = g.gamma; this.gadvv[i] = g.gadvv;
    this.size[i] = t.size; this.expiryDays[i] = t.expiryDays; this.call[i] = t.right === 'C' ? 1 : 0;
    this.side[i] = side === 'buy' ? SIDE_BUY : side === 'sell' ? SIDE_SELL : SIDE_NONE;
  }

  #grow(): void {
    const n = this.timeMs.length * 2;
    const f = (a: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> => { const b = new Float64Array(n); b.set(a); return b; };
    this.timeMs = f(this.timeMs); this.strike = f(this.strike); this.price = f(this.price); this.underlying = f(this.underlying);
    this.iv = f(this.iv); this.delta = f(this.delta); this.gamma = f(this.gamma); this.gadvv = f(this.gadvv); this.size = f(this.size);
    const e = new Int32Array(n); e.set(this.expiryDays); this.expiryDays = e;
    const c = new Uint8Array(n); c.set(this.call); this.call = c;
    const s = new Uint8Array(n); s.set(this.side); this.side = s;
  }
}

interface StrikeSums { readonly expiryDays: number; readonly strike: number; calls: number; puts: number; trades: number }

class Bucket {
  readonly trades = new TradeColumns();
  /** Trades past the cap, merged; key expiry|right|strike|iv in 0.1 vol points. */
  readonly groups = new Map<string, Group>();
  /** Priced trades per expiry (epoch day). */
  readonly expiries = new Map<number, number>();
  /** Σ gadvv per expiry|strike. */
  readonly strikes = new Map<string, StrikeSums>();
  constructor(readonly startNs: bigint) {}
}

const ivKey = (iv: number): number => Math.round(iv * 1000);

export class LiveEnrichedTrades {
  readonly bucketNs: bigint;
  readonly #maxTrades: number;
  readonly #maxGroups: number;
  readonly #retainNs: bigint;
  /** By start, in insertion order (event time is mostly increasing; late trades are not added). */
  readonly #buckets = new Map<bigint, Bucket>();
  #newestNs: bigint | undefined;
  #added = 0;

  constructor(o: EnrichedTradesOptions) {
    if (o.bucketNs <= 0n) throw new RangeError('bucketNs must be positive');
    this.bucketNs = o.bucketNs;
    this.#maxTrades = o.maxTradesPerBucket ?? 1_000;
    this.#maxGroups = o.maxGroupsPerBucket ?? 4_000;
    this.#retainNs = o.retainNs ?? 24n * 3_600_000_000_000n;
  }

  /** Priced trades added so far. */
  get added(): number { return this.#added; }

  /** Adds one enriched trade; trades without greeks (greeks_flag ≠ 0) are left out. */
  add(t: OptionTrade, g: OptionGreeks, side: TradeSide | undefined): void {
    if (g.greeksFlag !== GreeksFlag.Ok || !(g.iv === g.iv) || !(g.gadvv === g.gadvv)) return;
    const startNs = windowStartOf(t.sipTimestampNs, this.bucketNs);
    let b = this.#buckets.get(startNs);
    if (b === undefined) {
      b = new Bucket(startNs);
      this.#buckets.set(startNs, b);
      if (this.#newestNs === undefined || startNs > this.#newestNs) {
        this.#newestNs = startNs;
        this.#evict();
      }
    }
    this.#added++;
    b.expiries.set(t.expiryDays, (b.expiries.get(t.expiryDays) ?? 0) + 1);
    const sk = `${t.expiryDays}|${t.strike}`;
    let s = b.strikes.get(sk);
    if (s === undefined) b.strikes.set(sk, (s = { expiryDays: t.expiryDays, strike: t.strike, calls: 0, puts: 0, trades: 0 }));
    if (t.right === 'C') s.calls += g.gadvv; else s.puts += g.gadvv;
    s.trades++;
    if (b.trades.length < this.#maxTrades) {
      b.trades.push(t, g, side);
      return;
    }
    const gk = `${t.expiryDays}|${t.right}|${t.strike}|${ivKey(g.iv)}`;
    const group = b.groups.get(gk);
    if (group !== undefined) {
      group.ivSize += g.iv * t.size;
      group.size += t.size;
    } else if (b.groups.size < this.#maxGroups) {
      b.groups.set(gk, { expiryDays: t.expiryDays, right: t.right, strike: t.strike, ivSize: g.iv * t.size, size: t.size });
    }
    // Past both caps the trade only counts (expiries, strikes): the smile is then marked down-sampled.
  }

  #evict(): void {
    const oldest = this.#newestNs! - this.#retainNs;
    for (const [start] of this.#buckets) if (start < oldest) this.#buckets.delete(start);
  }

  #inRange(q: TradeRangeQuery): Bucket[] {
    const out: Bucket[] = [];
    for (const b of this.#buckets.values()) {
      if (q.fromNs !== undefined && b.startNs < q.fromNs) continue;
      if (q.toNs !== undefined && b.startNs >= q.toNs) continue;
      out.push(b);
    }
    return out.sort((a, b) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0));
  }

  /** IV against strike of the priced trades in a range (and expiry), at most `maxPoints` points. */
  smile(q: TradeRangeQuery, maxPoints: number): LiveSmile {
    const buckets = this.#inRange(q);
    const expiry = q.expiry === undefined ? undefined : epochDayOf(q.expiry);
    const perExpiry = new Map<number, number>();
    for (const b of buckets) for (const [e, n] of b.expiries) perExpiry.set(e, (perExpiry.get(e) ?? 0) + n);
    const expiries = [...perExpiry].sort((a, b) => a[0] - b[0]).map(([e, n]) => ({ expiry: isoDateOfEpochDay(e), trades: n }));
    const trades = expiry === undefined ? [...perExpiry.values()].reduce((s, n) => s + n, 0) : (perExpiry.get(expiry) ?? 0);
    const strike: number[] = [], iv: number[] = [], size: number[] = [], right: string[] = [];
    let kept = 0;
    for (const b of buckets) {
      const c = b.trades;
      for (let i = 0; i < c.length; i++) if (expiry === undefined || c.expiryDays[i] === expiry) kept++;
    }
    if (kept === trades && trades <= maxPoints) {
      const points: [number, string, number, number][] = [];
      for (const b of buckets) {
        const c = b.trades;
        for (let i = 0; i < c.length; i++) {
          if (expiry !== undefined && c.expiryDays[i] !== expiry) continue;
          points.push([c.strike[i]!, c.call[i] ? 'C' : 'P', c.iv[i]!, c.size[i]!]);
        }
      }
      points.sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0) || a[2] - b[2]);
      for (const p of points) { strike.push(p[0]); right.push(p[1]); iv.push(p[2]); size.push(p[3]); }
      return { expiries, strike, iv, size, right, trades, downsampled: false };
    }
    // Merged: equal right, strike and IV to 0.1 vol point, whatever the expiry (as the day view).
    const merged = new Map<string, { strike: number; right: string; ivSize: number; size: number }>();
    const merge = (r: 'C' | 'P', k: number, v: number, ivSize: number, sz: number): void => {
      const key = `${r}|${k}|${ivKey(v)}`;
      const m = merged.get(key);
      if (m === undefined) merged.set(key, { strike: k, right: r, ivSize, size: sz });
      else { m.ivSize += ivSize; m.size += sz; }
    };
    for (const b of buckets) {
      const c = b.trades;
      for (let i = 0; i < c.length; i++) {
        if (expiry !== undefined && c.expiryDays[i] !== expiry) continue;
        merge(c.call[i] ? 'C' : 'P', c.strike[i]!, c.iv[i]!, c.iv[i]! * c.size[i]!, c.size[i]!);
      }
      for (const g of b.groups.values()) {
        if (expiry !== undefined && g.expiryDays !== expiry) continue;
        merge(g.right, g.strike, g.ivSize / g.size, g.ivSize, g.size);
      }
    }
    const points = [...merged.values()].map((m) => ({ strike: m.strike, right: m.right, iv: m.ivSize / m.size, size: m.size }));
    points.sort((a, b) => b.size - a.size || a.strike - b.strike || (a.right < b.right ? -1 : a.right > b.right ? 1 : 0) || a.iv - b.iv);
    for (const p of points.slice(0, maxPoints)) { strike.push(p.strike); right.push(p.right); iv.push(p.iv); size.push(p.size); }
    return { expiries, strike, iv, size, right, trades, downsampled: true };
  }

  /** Σ gadvv of the priced call and put trades per strike, ascending, in a range (and expiry): exact. */
  gadvvByStrike(q: TradeRangeQuery): LiveStrikeProfile {
    const expiry = q.expiry === undefined ? undefined : epochDayOf(q.expiry);
    const sums = new Map<number, { calls: number; puts: number }>();
    let trades = 0;
    for (const b of this.#inRange(q)) {
      for (const s of b.strikes.values()) {
        if (expiry !== undefined && s.expiryDays !== expiry) continue;
        let m = sums.get(s.strike);
        if (m === undefined) sums.set(s.strike, (m = { calls: 0, puts: 0 }));
        m.calls += s.calls;
        m.puts += s.puts;
        trades += s.trades;
      }
    }
    const strikes = [...sums.keys()].sort((a, b) => a - b);
    return { strike: strikes, calls: strikes.map((k) => sums.get(k)!.calls), puts: strikes.map((k) => sums.get(k)!.puts), trades };
  }

  /** The trades kept one by one in a range (and expiry), in time order; the latest `maxPoints` when there are more. */
  trades(q: TradeRangeQuery, maxPoints: number): LiveTradeColumns {
    const expiry = q.expiry === undefined ? undefined : epochDayOf(q.expiry);
    const rows: { b: TradeColumns; i: number }[] = [];
    let trades = 0;
    for (const b of this.#inRange(q)) {
      for (const [e, n] of b.expiries) if (expiry === undefined || e === expiry) trades += n;
      const c = b.trades;
      for (let i = 0; i < c.length; i++) if (expiry === undefined || c.expiryDays[i] === expiry) rows.push({ b: c, i });
    }
    rows.sort((x, y) => x.b.timeMs[x.i]! - y.b.timeMs[y.i]!);
    const listed = rows.length > maxPoints ? rows.slice(rows.length - maxPoints) : rows;
    const col = <T>(f: (c: TradeColumns, i: number) => T): T[] => listed.map(({ b, i }) => f(b, i));
    return {
      t_ms: col((c, i) => c.timeMs[i]!),
      expiry: col((c, i) => isoDateOfEpochDay(c.expiryDays[i]!)),
      strike: col((c, i) => c.strike[i]!),
      right: col((c, i) => (c.call[i] ? 'C' : 'P')),
      size: col((c, i) => c.size[i]!),
      price: col((c, i) => c.price[i]!),
      underlying_price: col((c, i) => c.underlying[i]!),
      iv: col((c, i) => c.iv[i]!),
      delta: col((c, i) => c.delta[i]!),
      gamma: col((c, i) => c.gamma[i]!),
      gadvv: col((c, i) => c.gadvv[i]!),
      side: col((c, i) => (c.side[i] === SIDE_BUY ? 'buy' : c.side[i] === SIDE_SELL ? 'sell' : null)),
      trades, complete: listed.length === trades,
    };
  }
}

/** The bucket length for a set of window sizes: their greatest common divisor. */
export function bucketNsOf(windowSizesNs: readonly bigint[]): bigint {
  const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? a : gcd(b, a % b));
  const g = windowSizesNs.reduce((acc, s) => gcd(acc, s), 0n);
  if (g <= 0n) throw new RangeError('no window size');
  return g;
}
