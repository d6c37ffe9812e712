/**
 * The listed option contracts of a generated day and their known volatilities. Pure, no I/O.
 *
 * - Expiries (in this order of preference, then sorted): the trading day
 *   itself (0DTE: SPY lists daily expiries), the next two weekdays, the
 *   Friday a week or more out (a weekly), the next standard monthly (third
 *   Friday) after that, then further Fridays and monthlies if more are asked for.
 * - Strikes: $1 apart, `strikesPerSide` either side of the reference spot
 *   rounded to the dollar; a call and a put at each.
 * - Volatility: every contract has one constant σ, from a smile in
 *   standardised log-moneyness z = ln(K/S_ref) / (σ_atm √τ):
 *   σ = σ_atm(τ) · (1 − 0.12 z + 0.02 z²), clamped to [0.05, 1.5], with
 *   σ_atm(τ) = 0.13 + 0.07 e^(−τ_days/3) (0DTE ≈ 0.20, a month ≈ 0.13) and τ
 *   the time from 09:30 New York on the trading day to 16:00 on the expiry.
 *   The negative skew makes puts dearer than calls; 0DTE wings are steepest.
 */
import type { OptionRight } from '../options/pricing/bsm.js';
import { addDays, addWeekdays, fridayOnOrAfter, parseDate, thirdFriday } from './newYorkCalendar.js';

export interface OptionContract {
  /** OPRA ticker, e.g. `O:SPY251107C00680000`. */
  readonly ticker: string;
  /** OPRA root, e.g. `SPY`, `QQQ`, `SPY1` (adjusted). */
  readonly root: string;
  /** Stock ticker whose trades price the contract. */
  readonly underlying: string;
  /** Expiry date `YYYY-MM-DD` (expires 16:00 New York). */
  readonly expiry: string;
  readonly right: OptionRight;
  /** Strike, dollars. */
  readonly strike: number;
  /** The contract's true volatility (annualised, 365-day years). */
  readonly sigma: number;
}

/** `O:` + root + YYMMDD + C|P + strike × 1000 in 8 digits. */
export function opraTicker(root: string, expiry: string, right: OptionRight, strikeDollars: number): string {
  parseDate(expiry);
  const strikeMillis = Math.round(strikeDollars * 1000);
  if (!(strikeMillis > 0 && strikeMillis < 1e8)) throw new RangeError(`strike out of OPRA range: ${strikeDollars}`);
  return `O:${root}${expiry.slice(2, 4)}${expiry.slice(5, 7)}${expiry.slice(8, 10)}${right}${String(strikeMillis).padStart(8, '0')}`;
}

/** `count` expiries listed on `date` (ascending, distinct, weekdays, first is `date`). */
export function listedExpiries(date: string, count: number): string[] {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`expiries must be a positive integer, got ${count}`);
  const weekly = fridayOnOrAfter(addDays(date, 7));
  const { year, month } = parseDate(weekly);
  let monthly = thirdFriday(year, month);
  if (monthly <= weekly) monthly = month === 12 ? thirdFriday(year + 1, 1) : thirdFriday(year, month + 1);
  const preferred = [date, addWeekdays(date, 1), addWeekdays(date, 2), weekly, monthly];
  const chosen: string[] = [];
  for (const e of preferred) if (chosen.length < count && !chosen.includes(e)) chosen.push(e);
  for (let friday = addDays(weekly, 7); chosen.length < count; friday = addDays(friday, 7)) {
    if (!chosen.includes(friday)) chosen.push(friday);
  }
  return chosen.sort();
}

/** The smile of the module comment: σ for strike K given reference spot and τ (years). */
export function smileVol(strike: number, referenceSpot: number, yearsToExpiry: number): number {
  const tauDays = yearsToExpiry * 365;
  const atm = 0.13 + 0.07 * Math.exp(-tauDays / 3);
  const z = Math.log(strike / referenceSpot) / (atm * Math.sqrt(yearsToExpiry));
  const sigma = atm * (1 - 0.12 * z + 0.02 * z * z);
  return Math.min(1.5, Math.max(0.05, sigma));
}

export interface ChainSpec {
  readonly root: string;
  readonly underlying: string;
  readonly expiries: readonly string[];
  /** Spot the strikes and the smile are centred on, dollars. */
  readonly referenceSpot: number;
  readonly strikesPerSide: number;
  /** τ (years) of an expiry as seen from the start of the session; see module comment. */
  readonly yearsToExpiry: (expiry: string) => number;
}

/** Calls and puts at every strike and expiry, sorted by OPRA ticker. */
export function buildChain(spec: ChainSpec): OptionContract[] {
  const atmStrike = Math.round(spec.referenceSpot);
  const contracts: OptionContract[] = [];
  for (const expiry of spec.expiries) {
    const tau = spec.yearsToExpiry(expiry);
    for (let k = atmStrike - spec.strikesPerSide; k <= atmStrike + spec.strikesPerSide; k++) {
      if (k <= 0) continue;
      const sigma = smileVol(k, spec.referenceSpot, tau);
      for (const right of ['C', 'P'] as const) {
        contracts.push({ ticker: opraTicker(spec.root, expiry, right, k), root: spec.root, underlying: spec.underlying, expiry, right, strike: k, sigma });
      }
    }
  }
  return contracts.sort((a, b) => (a.ticker < b.ticker ? -1 : a.ticker > b.ticker ? 1 : 0));
}
