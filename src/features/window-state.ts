/**
 * What the feature engine keeps per window size and per window until it closes, and what one
 * option trade contributes to a window (computed once for all sizes).
 *
 * Pure: no I/O.
 */
import { GreeksFlag } from '../formats/records.js';
import { DIAG } from './row.js';
import type { FeatureOptionTrade } from './engine-options.js';
import { INTRINSIC_EPSILON } from './value-sets.js';
import type { WindowSpec } from './windows.js';

/** A growable buffer of float64 values. */
export class ValueBuffer {
  values = new Float64Array(64);
  length = 0;
  push(v: number): void {
    if (this.length === this.values.length) this.grow();
    this.values[this.length++] = v;
  }
  /** Doubles the capacity (values kept). */
  grow(): void {
    const next = new Float64Array(this.values.length * 2);
    next.set(this.values);
    this.values = next;
  }
}

/** Index of the underlying dollar-value buffer; option sets follow at 1 + their OPTION_VALUE_SETS position. */
export const UNDERLYING_SET = 0;
/** intrinsic counter layout: [right][known, below, above]. */
export const PUT_COUNTERS = 0, CALL_COUNTERS = 3, KNOWN = 0, BELOW = 1, ABOVE = 2;

/** Everything one window keeps until it closes. */
export class WindowState {
  readonly buffers: (ValueBuffer | undefined)[];
  openPrice = NaN; openTimeNs = 0n; openSequence = 0;
  closePrice = NaN; closeTimeNs = 0n; closeSequence = 0;
  high = -Infinity; low = Infinity;
  readonly intrinsic = new Int32Array(6);

  readonly diagnostics: Int32Array;

  constructor(readonly startNs: bigint, readonly endNs: bigint, readonly date: string, setCount: number, diagCount: number) {
    this.buffers = new Array<ValueBuffer | undefined>(setCount).fill(undefined);
    this.diagnostics = new Int32Array(diagCount);
  }
}

/** Per window size: pending windows in start order and a cache of the window the last event fell in. */
export class SizeState {
  /** Registered, not yet closed windows, ascending by start from `head`. */
  pending: WindowState[] = [];
  head = 0;
  readonly open = new Map<bigint, WindowState>();
  /** Starts of every window ever registered (open or closed): a window is created once. */
  readonly known = new Set<bigint>();
  current: WindowState | undefined;

  constructor(readonly spec: WindowSpec) {}
}

/** What one option trade adds to a window, computed once for all sizes. */
export interface OptionContribution {
  right: 'C' | 'P';
  counters: number;
  knownS: boolean;
  below: boolean;
  above: boolean;
  priced: boolean;
  unpricedDiag: number;
}

export const UNPRICED_DIAG: Readonly<Record<number, number>> = {
  [GreeksFlag.NoUnderlying]: DIAG.diag_unpriced_no_underlying,
  [GreeksFlag.StaleUnderlying]: DIAG.diag_unpriced_stale_underlying,
  [GreeksFlag.BelowIntrinsic]: DIAG.diag_unpriced_below_intrinsic,
  [GreeksFlag.AboveUpperBound]: DIAG.diag_unpriced_above_upper_bound,
  [GreeksFlag.Expired]: DIAG.diag_unpriced_expired,
  [GreeksFlag.SolverFailure]: DIAG.diag_unpriced_solver_failure,
};

/** Fills `out` (reused for every trade: a million trades a day need not be a million objects) with what e adds to a window. */
export function optionContribution(e: FeatureOptionTrade, out: OptionContribution): OptionContribution {
  const knownS = Number.isFinite(e.underlyingPrice) && Number.isFinite(e.intrinsic);
  const priced = e.greeksFlag === GreeksFlag.Ok && Number.isFinite(e.dadvv) && Number.isFinite(e.gadvv);
  out.right = e.right;
  out.counters = e.right === 'P' ? PUT_COUNTERS : CALL_COUNTERS;
  out.knownS = knownS;
  out.below = knownS && e.price < e.intrinsic - INTRINSIC_EPSILON;
  out.above = knownS && e.price > e.intrinsic + INTRINSIC_EPSILON;
  out.priced = priced;
  out.unpricedDiag = priced ? -1 : (UNPRICED_DIAG[e.greeksFlag] ?? DIAG.diag_unpriced_other);
  return out;
}
