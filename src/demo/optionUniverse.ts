/**
 * Which contracts trade on a generated day, and how often. Pure, no I/O.
 *
 * - SPY (≈ 97 % of trades): the full chain of optionChain.ts.
 * - QQQ (≈ 2 %, when QQQ is in the stock universe): 0DTE and next day,
 *   5 strikes either side.
 * - SPY1 (≈ 1 %): an adjusted root on SPY's last expiry, 3 strikes either
 *   side, priced as if it delivered 100 SPY shares: it exists so root filters
 *   are exercised (its root ends in a digit).
 *
 * Within a root, a contract's weight is expiry weight × strike weight: 0DTE
 * takes about half the flow; strikes fall off as e^(−|K − S_ref| / w) with
 * w = 4 $ for 0DTE widening by 2 $ per later expiry.
 */
import { buildChain, listedExpiries, type OptionContract } from './optionChain.js';

export interface WeightedContract extends OptionContract {
  /** Relative share of the day's option trades. */
  readonly weight: number;
}

export interface OptionUniverseSpec {
  readonly date: string;
  readonly expiries: number;
  readonly strikesPerSide: number;
  readonly spyReferenceSpot: number;
  /** Absent when QQQ is not in the stock universe (then no QQQ options). */
  readonly qqqReferenceSpot?: number;
  /** τ (years) of an expiry seen from 09:30 on `date`. */
  readonly yearsToExpiry: (expiry: string) => number;
}

const ROOT_SHARES = { SPY: 0.97, QQQ: 0.02, SPY1: 0.01 } as const;
const EXPIRY_WEIGHTS = [0.48, 0.15, 0.1, 0.12, 0.1];

function weighChain(contracts: OptionContract[], expiries: readonly string[], referenceSpot: number, rootShare: number): WeightedContract[] {
  const raw = contracts.map((c) => {
    const e = expiries.indexOf(c.expiry);
    const expiryWeight = EXPIRY_WEIGHTS[e] ?? 0.05;
    return expiryWeight * Math.exp(-Math.abs(c.strike - referenceSpot) / (4 + 2 * e));
  });
  const total = raw.reduce((a, b) => a + b, 0);
  return contracts.map((c, i) => ({ ...c, weight: rootShare * raw[i]! / total }));
}

/** Every listed contract with its weight, sorted by OPRA ticker. */
export function listOptionUniverse(spec: OptionUniverseSpec): WeightedContract[] {
  const spyExpiries = listedExpiries(spec.date, spec.expiries);
  const spy = buildChain({ root: 'SPY', underlying: 'SPY', expiries: spyExpiries, referenceSpot: spec.spyReferenceSpot,
    strikesPerSide: spec.strikesPerSide, yearsToExpiry: spec.yearsToExpiry });
  const adjustedExpiries = spyExpiries.slice(-1);
  const adjusted = buildChain({ root: 'SPY1', underlying: 'SPY', expiries: adjustedExpiries, referenceSpot: spec.spyReferenceSpot,
    strikesPerSide: Math.min(3, spec.strikesPerSide), yearsToExpiry: spec.yearsToExpiry });
  const all = [
    ...weighChain(spy, spyExpiries, spec.spyReferenceSpot, ROOT_SHARES.SPY),
    ...weighChain(adjusted, adjustedExpiries, spec.spyReferenceSpot, ROOT_SHARES.SPY1),
  ];
  if (spec.qqqReferenceSpot !== undefined) {
    const qqqExpiries = listedExpiries(spec.date, 2);
    const qqq = buildChain({ root: 'QQQ', underlying: 'QQQ', expiries: qqqExpiries, referenceSpot: spec.qqqReferenceSpot,
      strikesPerSide: Math.min(5, spec.strikesPerSide), yearsToExpiry: spec.yearsToExpiry });
    all.push(...weighChain(qqq, qqqExpiries, spec.qqqReferenceSpot, ROOT_SHARES.QQQ));
  }
  return all.sort((a, b) => (a.ticker < b.ticker ? -1 : a.ticker > b.ticker ? 1 : 0));
}
