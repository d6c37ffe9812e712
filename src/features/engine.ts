/**
 * FeatureEngine: the incremental window aggregator shared by the historical
 * (lake) and realtime paths. One engine serves one symbol and N window sizes.
 *
 * Lifecycle:
 *
 *     new FeatureEngine(options)
 *       -> onUnderlyingTrade(t) / onOptionTrade(e) ...   events in event-time order
 *       -> advanceTo(watermarkNs[, onRow]) -> FeatureRow[] windows whose end <= watermark
 *       -> ... -> finish() -> FeatureRow[]                every remaining window
 *
 * Event order: by SIP timestamp; at equal time underlying trades before option
 * trades (the as-of S of an option trade at the same instant already includes
 * that print), then by sequence number. The enrichment (S, greeks) happened
 * upstream (EnrichedOptionTrade), so the engine itself only needs the order for
 * open/close, and even those are chosen by (time, sequence), not by arrival.
 *
 * Grid: the first event whose New York date is D registers D; from then on
 * every window of D's session grid (windows.ts) is pending for every size and
 * is emitted once, with or without trades (historical: a day with any row of
 * the symbol emits its full grid; a day without rows emits nothing). A window
 * that overlaps the sessions of two registered days (possible with session
 * 'all' and sizes that do not divide the New York day, or 24h windows) exists
 * once, holds the in-session trades of both days, and belongs to the first
 * registered day. `registerDay(date)` declares a day without an event (the
 * realtime path at session open).
 *
 * Values: each window keeps every per-trade value of each value set
 * (value-sets.ts) in growable Float64Arrays, so memory is bounded by the
 * window's trade count; statistics are computed at close by computeStats over
 * the sorted values, which makes the result independent of arrival order
 * (realtime == historical bit for bit). Buffers of closed windows are reused.
 *
 * Late events (their window already closed by advanceTo) are dropped and
 * counted in `lateEvents`; events outside the session are ignored and counted
 * in `outOfSessionEvents`.
 *
 * Pure: no I/O.
 */
import { addDays, nyDateOfNs, nyWallClockToUtcNs } from '../calendar/index.js';
import type { UnderlyingTrade } from '../formats/records.js';
import { computeStats, StatsScratch, warmUpStatistics, type StatName } from './statistics/index.js';
import { DIAG, diagNames, type FeatureRow } from './row.js';
import { featureNames } from './names.js';
import {
  featureSegments, OPTION_VALUE_SETS, UNDERLYING_DOLLAR_VALUE,
  type FeatureSegment, type OptionQuantity, type TradeSide,
} from './value-sets.js';
import { gridStarts, inSession, sessionOf, windowStartOf, type SessionBounds, type WindowSpec } from './windows.js';
import { UnderlyingConditionRules, VOLUME, HIGH_LOW, OPEN_CLOSE } from './underlying-rules.js';
import {
  ABOVE, BELOW, CALL_COUNTERS, KNOWN, optionContribution, PUT_COUNTERS, SizeState, UNDERLYING_SET, ValueBuffer, WindowState,
  type OptionContribution,
} from './window-state.js';
import type { FeatureEngineOptions, FeatureOptionTrade } from './engine-options.js';

export { featureEngineOptions, type FeatureEngineOptions, type FeatureOptionTrade, type UnderlyingRules } from './engine-options.js';
export { UnderlyingConditionRules } from './underlying-rules.js';

/** What advanceTo returns when no window closes (shared: nothing to allocate per event). */
const NO_ROWS: readonly FeatureRow[] = Object.freeze([]);

const NO_VALUES = new Float64Array(0);
const ONLY_TOTAL: readonly StatName[] = ['total'];

export class FeatureEngine {
  readonly symbol: string;
  readonly aggression: boolean;
  readonly featureCount: number;
  readonly #options: FeatureEngineOptions;
  readonly #rules: UnderlyingConditionRules;
  readonly #sizes: SizeState[];
  readonly #segments: readonly FeatureSegment[];
  /** Buffer index of each option value set that is collected, by right: [bufferIndex, quantity, side]. */
  readonly #optionSets: { readonly C: OptionSetRoute[]; readonly P: OptionSetRoute[] } = { C: [], P: [] };
  readonly #bufferIndex = new Map<string, number>();
  readonly #setCount: number;
  readonly #diagCount: number;
  readonly #days = new Map<string, SessionBounds | undefined>();
  readonly #scratch = new StatsScratch();
  readonly #contribution: OptionContribution = { right: 'C', counters: 0, knownS: false, below: false, above: false, priced: false, unpricedDiag: -1 };
  readonly #pool: ValueBuffer[] = [];
  #watermarkNs = -1n;
  /** Cached New York day of the last event: [dayStartNs, dayEndNs) and its session. */
  #dayStartNs = 0n;
  #dayEndNs = -1n;
  #daySession: SessionBounds | undefined;
  #lateEvents = 0;
  /** Set by #windowOf when some size's window of the current event has closed. */
  #lateInEvent = false;
  #outOfSessionEvents = 0;

  constructor(options: FeatureEngineOptions) {
    if (options.windows.length === 0) throw new RangeError('at least one window size is required');
    if (!(options.contractSize > 0)) throw new RangeError(`contractSize must be positive, got ${options.contractSize}`);
    this.#options = options;
    this.symbol = options.symbol;
    this.aggression = options.aggression ?? false;
    this.#diagCount = diagNames(this.aggression).length;
    this.featureCount = featureNames(this.aggression).length;
    this.#rules = new UnderlyingConditionRules(options.underlyingRules);
    this.#sizes = options.windows.map((spec) => new SizeState(spec));
    this.#segments = featureSegments(this.aggression);
    this.#bufferIndex.set(UNDERLYING_DOLLAR_VALUE, UNDERLYING_SET);
    let index = 1;
    for (const set of OPTION_VALUE_SETS) {
      if (set.aggression && !this.aggression) continue;
      this.#bufferIndex.set(set.name, index);
      this.#optionSets[set.right].push({ buffer: index, quantity: set.quantity, side: set.side });
      index++;
    }
    this.#setCount = index;
    // A realtime session's first rows should be as fast as the rest (once per process).
    warmUpStatistics();
  }

  /** Events whose window (of at least one size) had already been closed by advanceTo: dropped there. */
  get lateEvents(): number { return this.#lateEvents; }
  /** Events outside the session filter (ignored). */
  get outOfSessionEvents(): number { return this.#outOfSessionEvents; }
  /** The highest watermark passed to advanceTo. */
  get watermarkNs(): bigint { return this.#watermarkNs; }
  /** Registered New York dates, in registration order. */
  get days(): string[] { return [...this.#days.keys()]; }

  /** New York dates that own at least one registered window not closed yet (their rows are incomplete). */
  openDates(): string[] {
    const dates = new Set<string>();
    for (const size of this.#sizes) for (let i = size.head; i < size.pending.length; i++) dates.add(size.pending[i]!.date);
    return [...dates];
  }

  /**
   * Declares that `date` (New York) has data: its whole grid becomes pending
   * (idempotent). Events register their day themselves.
   */
  registerDay(date: string): void {
    if (this.#days.has(date)) return;
    const session = sessionOf(this.#options.calendar, date, this.#options.session);
    this.#days.set(date, session);
    if (session === undefined) return;
    for (const size of this.#sizes) {
      const added: WindowState[] = [];
      for (const start of gridStarts(session, size.spec.sizeNs)) {
        if (size.known.has(start)) continue;
        size.known.add(start);
        const window = new WindowState(start, start + size.spec.sizeNs, date, this.#setCount, this.#diagCount);
        size.open.set(start, window);
        added.push(window);
      }
      if (added.length === 0) continue;
      const rest = size.pending.slice(size.head);
      size.pending = rest.length === 0 || rest[rest.length - 1]!.startNs < added[0]!.startNs
        ? rest.concat(added)
        : rest.concat(added).sort((a, b) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0));
      size.head = 0;
    }
  }

  onUnderlyingTrade(t: UnderlyingTrade): void {
    if (!this.#enter(t.sipTimestampNs)) return;
    const correction = t.correction !== 0 && !this.#rules.includeCorrections;
    const fields = correction ? 0 : this.#rules.fieldsOf(t.conditions);
    const dollarValue = t.price * t.size;
    this.#lateInEvent = false;
    for (const size of this.#sizes) {
      const w = this.#windowOf(size, t.sipTimestampNs);
      if (w === undefined) continue;
      const d = w.diagnostics;
      d[DIAG.diag_underlying_trades]!++;
      if (correction) { d[DIAG.diag_underlying_corrections]!++; continue; }
      if (fields & VOLUME) {
        d[DIAG.diag_underlying_volume_trades]!++;
        this.#buffer(w, UNDERLYING_SET).push(dollarValue);
      }
      if (fields & HIGH_LOW) {
        d[DIAG.diag_underlying_high_low_trades]!++;
        if (t.price > w.high) w.high = t.price;
        if (t.price < w.low) w.low = t.price;
      }
      if (fields & OPEN_CLOSE) {
        d[DIAG.diag_underlying_open_close_trades]!++;
        const ts = t.sipTimestampNs, seq = t.sequence;
        if (Number.isNaN(w.openPrice) || ts < w.openTimeNs || (ts === w.openTimeNs && seq < w.openSequence)) {
          w.openPrice = t.price; w.openTimeNs = ts; w.openSequence = seq;
        }
        if (Number.isNaN(w.closePrice) || ts > w.closeTimeNs || (ts === w.closeTimeNs && seq >= w.closeSequence)) {
          w.closePrice = t.price; w.closeTimeNs = ts; w.closeSequence = seq;
        }
      }
    }
    if (this.#lateInEvent) this.#lateEvents++;
  }

  /**
   * An enriched option trade of the symbol. `side` is its aggressor side
   * against the prevailing quote (undefined = unclassified); ignored unless
   * aggression is enabled.
   */
  onOptionTrade(e: FeatureOptionTrade, side?: TradeSide): void {
    if (!this.#enter(e.sipTimestampNs)) return;
    const c = e.eligible ? optionContribution(e, this.#contribution) : undefined;
    // Each value once per event (not per window size): no per-size arithmetic or boxing.
    const premium = e.price * e.size * this.#options.contractSize;
    const dadvv = e.dadvv, gadvv = e.gadvv;
    const routes = this.#optionSets[e.right];
    this.#lateInEvent = false;
    for (const size of this.#sizes) {
      const w = this.#windowOf(size, e.sipTimestampNs);
      if (w === undefined) continue;
      const d = w.diagnostics;
      d[DIAG.diag_option_trades]!++;
      if (c === undefined) { d[DIAG.diag_option_ineligible]!++; continue; }
      d[c.right === 'P' ? DIAG.diag_puts : DIAG.diag_calls]!++;
      if (c.knownS) {
        w.intrinsic[c.counters + KNOWN]!++;
        if (c.below) w.intrinsic[c.counters + BELOW]!++;
        if (c.above) w.intrinsic[c.counters + ABOVE]!++;
      } else {
        d[DIAG.diag_unknown_underlying]!++;
      }
      if (c.priced) d[DIAG.diag_priced]!++;
      else { d[DIAG.diag_unpriced]!++; d[c.unpricedDiag]!++; }
      if (this.aggression) d[side === 'buy' ? DIAG.diag_aggressive_buys : side === 'sell' ? DIAG.diag_aggressive_sells : DIAG.diag_unclassified]!++;
      for (const route of routes) {
        if (route.side !== undefined && route.side !== side) continue;
        if (route.quantity !== 'premium' && !c.priced) continue;
        const value = route.quantity === 'premium' ? premium : route.quantity === 'dadvv' ? dadvv : gadvv;
        // Stored here rather than through push(): V8 boxed the double passed to it (~110 B of garbage per trade).
        const b = this.#buffer(w, route.buffer);
        if (b.length === b.values.length) b.grow();
        b.values[b.length++] = value;
      }
    }
    if (this.#lateInEvent) this.#lateEvents++;
  }

  /**
   * Closes every pending window whose end <= watermarkNs (empty ones
   * included) and returns their rows, ordered by window end, then by window
   * size (shortest first). A watermark below a previous one closes nothing.
   * `onRow`, when given, receives each row as soon as it is computed, in that
   * order: a realtime caller can publish the 1m row before the longer windows
   * closing at the same instant are computed.
   */
  advanceTo(watermarkNs: bigint, onRow?: (row: FeatureRow) => void): readonly FeatureRow[] {
    if (watermarkNs > this.#watermarkNs) this.#watermarkNs = watermarkNs;
    return this.#close(this.#watermarkNs, onRow);
  }

  /** Closes and returns every remaining window of the registered days (end of a historical run or replay). */
  finish(onRow?: (row: FeatureRow) => void): readonly FeatureRow[] {
    for (const size of this.#sizes) {
      const last = size.pending[size.pending.length - 1];
      if (last !== undefined && last.endNs > this.#watermarkNs) this.#watermarkNs = last.endNs;
    }
    return this.#close(this.#watermarkNs, onRow);
  }

  #close(watermarkNs: bigint, onRow: ((row: FeatureRow) => void) | undefined): readonly FeatureRow[] {
    // The realtime path calls this once per event and almost always nothing closes: no allocation then.
    let any = false;
    for (const size of this.#sizes) {
      if (size.head < size.pending.length && size.pending[size.head]!.endNs <= watermarkNs) { any = true; break; }
    }
    if (!any) return NO_ROWS;
    const closing: { window: WindowState; size: SizeState }[] = [];
    for (const size of this.#sizes) {
      while (size.head < size.pending.length && size.pending[size.head]!.endNs <= watermarkNs) {
        const w = size.pending[size.head++]!;
        size.open.delete(w.startNs);
        if (size.current === w) size.current = undefined;
        closing.push({ window: w, size });
      }
      if (size.head > 1024 && size.head * 2 > size.pending.length) {
        size.pending = size.pending.slice(size.head);
        size.head = 0;
      }
    }
    if (closing.length > 1) {
      closing.sort((a, b) => (a.window.endNs < b.window.endNs ? -1 : a.window.endNs > b.window.endNs ? 1
        : a.size.spec.sizeNs < b.size.spec.sizeNs ? -1 : a.size.spec.sizeNs > b.size.spec.sizeNs ? 1 : 0));
    }
    return closing.map(({ window, size }) => {
      const row = this.#rowOf(size.spec, window);
      onRow?.(row);
      return row;
    });
  }

  /** Registers the event's day if new; true when the event is inside the session. */
  #enter(timeNs: bigint): boolean {
    if (timeNs < this.#dayStartNs || timeNs >= this.#dayEndNs) {
      const date = nyDateOfNs(timeNs);
      this.registerDay(date);
      this.#dayStartNs = nyWallClockToUtcNs(date, 0, 0);
      this.#dayEndNs = nyWallClockToUtcNs(addDays(date, 1), 0, 0);
      this.#daySession = this.#days.get(date);
    }
    if (this.#daySession === undefined || !inSession(this.#daySession, timeNs)) {
      this.#outOfSessionEvents++;
      return false;
    }
    return true;
  }

  /** The open window of this size holding timeNs, or undefined (counted as late) when it has closed. */
  #windowOf(size: SizeState, timeNs: bigint): WindowState | undefined {
    const cur = size.current;
    if (cur !== undefined && timeNs >= cur.startNs && timeNs < cur.endNs) return cur;
    const start = windowStartOf(timeNs, size.spec.sizeNs);
    const w = size.open.get(start);
    if (w === undefined) {
      if (!size.known.has(start)) throw new Error(`internal: in-session time ${timeNs} has no registered ${size.spec.label} window`);
      this.#lateInEvent = true;
      return undefined;
    }
    size.current = w;
    return w;
  }

  #buffer(w: WindowState, index: number): ValueBuffer {
    let b = w.buffers[index];
    if (b === undefined) {
      b = this.#pool.pop() ?? new ValueBuffer();
      w.buffers[index] = b;
    }
    return b;
  }

  #rowOf(spec: WindowSpec, w: WindowState): FeatureRow {
    const out = new Float64Array(this.featureCount);
    let offset = 0;
    for (const segment of this.#segments) {
      switch (segment.kind) {
        case 'ohlc':
          out[offset] = w.openPrice;
          out[offset + 1] = w.high === -Infinity ? NaN : w.high;
          out[offset + 2] = w.low === Infinity ? NaN : w.low;
          out[offset + 3] = w.closePrice;
          offset += 4;
          break;
        case 'stats': {
          const b = w.buffers[this.#bufferIndex.get(segment.set)!];
          computeStats(b?.values ?? NO_VALUES, b?.length ?? 0, segment.stats, out, offset, this.#scratch);
          offset += segment.stats.length;
          break;
        }
        case 'sum': {
          const b = w.buffers[this.#bufferIndex.get(segment.set)!];
          computeStats(b?.values ?? NO_VALUES, b?.length ?? 0, ONLY_TOTAL, out, offset, this.#scratch);
          offset += 1;
          break;
        }
        case 'intrinsic_pct': {
          const base = segment.right === 'P' ? PUT_COUNTERS : CALL_COUNTERS;
          const known = w.intrinsic[base + KNOWN]!;
          const hits = w.intrinsic[base + (segment.relation === 'below' ? BELOW : ABOVE)]!;
          out[offset++] = known === 0 ? NaN : (100 * hits) / known;
          break;
        }
      }
    }
    for (let i = 0; i < w.buffers.length; i++) {
      const b = w.buffers[i];
      if (b === undefined) continue;
      b.length = 0;
      if (this.#pool.length < 256) this.#pool.push(b);
      w.buffers[i] = undefined;
    }
    return {
      symbol: this.symbol, window: spec.label, windowSizeNs: spec.sizeNs,
      windowStartNs: w.startNs, windowEndNs: w.endNs, date: w.date,
      features: out, diagnostics: w.diagnostics,
    };
  }
}

interface OptionSetRoute {
  readonly buffer: number;
  readonly quantity: OptionQuantity;
  readonly side: TradeSide | undefined;
}
