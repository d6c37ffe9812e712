/**
 * The risk-free curve from the US Treasury's daily constant-maturity (CMT)
 * yields, as Massive serves them (`/fed/v1/treasury-yields`: percent, per tenor).
 *
 * Each tenor's quoted yield is converted to a continuously compounded rate:
 *
 * - bills (1, 3 and 6 months) are quoted as investment yields (coupon-equivalent,
 *   simple interest on an actual/365 year): 1 + y·τ = e^{r·τ}, so r = ln(1 + y·τ) / τ;
 * - notes and bonds (1 year and longer) as bond-equivalent yields (semi-annual
 *   compounding): (1 + y/2)^{2τ} = e^{r·τ}, so r = 2·ln(1 + y/2);
 *
 * then interpolated linearly in maturity τ (years) between the tenors published
 * that day; below the shortest the 1-month rate is held, above the longest the
 * 30-year (tenors missing that day are skipped). A trade uses the curve of the
 * latest date published on or before its own date.
 *
 * Pure: no I/O.
 */

export interface Tenor {
  /** Field of Massive's treasury-yields row, e.g. `yield_3_month`. */
  readonly field: string;
  /** Maturity in years. */
  readonly years: number;
  /** How the yield is quoted. */
  readonly basis: 'investment' | 'bond_equivalent';
}

export const TENORS: readonly Tenor[] = [
  { field: 'yield_1_month', years: 1 / 12, basis: 'investment' },
  { field: 'yield_3_month', years: 0.25, basis: 'investment' },
  { field: 'yield_6_month', years: 0.5, basis: 'investment' },
  { field: 'yield_1_year', years: 1, basis: 'bond_equivalent' },
  { field: 'yield_2_year', years: 2, basis: 'bond_equivalent' },
  { field: 'yield_3_year', years: 3, basis: 'bond_equivalent' },
  { field: 'yield_5_year', years: 5, basis: 'bond_equivalent' },
  { field: 'yield_7_year', years: 7, basis: 'bond_equivalent' },
  { field: 'yield_10_year', years: 10, basis: 'bond_equivalent' },
  { field: 'yield_20_year', years: 20, basis: 'bond_equivalent' },
  { field: 'yield_30_year', years: 30, basis: 'bond_equivalent' },
];

/** One day's published yields, in percent (null: not published that day). */
export interface TreasuryYields {
  /** `YYYY-MM-DD` */
  readonly date: string;
  readonly yields: Readonly<Record<string, number | null | undefined>>;
}

/** A quoted yield (a fraction: 0.0425 for 4.25 %) as a continuously compounded rate. */
export function continuousRate(yieldFraction: number, tenor: Tenor): number {
  if (tenor.basis === 'investment') return Math.log1p(yieldFraction * tenor.years) / tenor.years;
  return 2 * Math.log1p(yieldFraction / 2);
}

/** Something that gives r for a time to expiry in years (greeks call it per trade). */
export interface RateCurve {
  rateAt(tYears: number): number;
}

export class TreasuryCurve implements RateCurve {
  /** Maturities (years) and continuous rates of the tenors published, ascending. */
  readonly years: readonly number[];
  readonly rates: readonly number[];

  constructor(readonly date: string, points: ReadonlyArray<{ years: number; rate: number }>) {
    if (points.length === 0) throw new RangeError(`no Treasury yield published on ${date}`);
    const sorted = [...points].sort((a, b) => a.years - b.years);
    this.years = sorted.map((p) => p.years);
    this.rates = sorted.map((p) => p.rate);
  }

  static fromYields(y: TreasuryYields): TreasuryCurve | undefined {
    const points: { years: number; rate: number }[] = [];
    for (const tenor of TENORS) {
      const v = y.yields[tenor.field];
      if (typeof v !== 'number' || !Number.isFinite(v)) continue;
      points.push({ years: tenor.years, rate: continuousRate(v / 100, tenor) });
    }
    return points.length === 0 ? undefined : new TreasuryCurve(y.date, points);
  }

  rateAt(tYears: number): number {
    const ys = this.years, rs = this.rates;
    const n = ys.length;
    if (!(tYears > ys[0]!)) return rs[0]!; // also NaN: the shortest rate
    if (tYears >= ys[n - 1]!) return rs[n - 1]!;
    let hi = 1;
    while (ys[hi]! < tYears) hi++;
    const lo = hi - 1;
    const w = (tYears - ys[lo]!) / (ys[hi]! - ys[lo]!);
    return rs[lo]! + w * (rs[hi]! - rs[lo]!);
  }

  /** Identity for "did the inputs change" checks: date and rates. */
  get id(): string {
    return `${this.date}:${this.rates.map((r) => r.toPrecision(12)).join(',')}`;
  }
}

/**
 * The curve to use on `date`: that of the latest published date on or before
 * it with at least one tenor. `days` in any order.
 */
export function curveOn(date: string, days: readonly TreasuryYields[]): TreasuryCurve | undefined {
  let best: TreasuryYields | undefined;
  let bestCurve: TreasuryCurve | undefined;
  for (const d of days) {
    if (d.date > date || (best !== undefined && d.date <= best.date)) continue;
    const c = TreasuryCurve.fromYields(d);
    if (c === undefined) continue;
    best = d;
    bestCurve = c;
  }
  return bestCurve;
}
