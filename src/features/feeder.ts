/**
 * The consumer of the ordered event stream that feeds the feature engine, shared by the
 * historical features job (sources: the lake's stocks-trades and options-greeks, merged by
 * events/merge-sorted.ts) and the live pipeline (source: the feed, merged by live/merger.ts and
 * enriched on the way). Both hand it underlying trades and enriched option trades in the order of
 * events/order.ts; it passes them to one FeatureEngine, tallies the day's trades and aggressor
 * sides, and closes windows behind the stream (`advanceTo`), handing each closed row to `onRow`.
 *
 * Pure: no I/O.
 */
import { SIDE_REASON_NAMES, Side, sideName } from '../options/aggression.js';
import type { UnderlyingTrade } from '../formats/records.js';
import type { FeatureEngine, FeatureOptionTrade } from './engine.js';
import type { FeatureRow } from './row.js';

/** Aggressor sides of the option trades fed since the last tally (all of them, eligible or not). */
export interface DayAggression {
  readonly buys: number;
  readonly sells: number;
  readonly unclassified: number;
  /** 100 · (buys + sells) / trades; NaN without trades. */
  readonly classifiedPct: number;
  /** Unclassified trades by side_reason name. */
  readonly unclassifiedByReason: Readonly<Record<string, number>>;
}

/** What was fed since the last {@link FeatureFeeder.takeTally}. */
export interface FeedTally {
  readonly underlyingTrades: number;
  readonly optionTrades: number;
  /** Present when the engine takes sides (aggression on). */
  readonly aggression?: DayAggression;
}

export class FeatureFeeder {
  readonly #engine: FeatureEngine;
  readonly #onRow: (row: FeatureRow) => void;
  readonly #aggression: boolean;
  #underlyingTrades = 0;
  #optionTrades = 0;
  /** sell, unclassified, buy */
  readonly #sides = [0, 0, 0];
  readonly #reasons = new Array<number>(SIDE_REASON_NAMES.length).fill(0);

  /** `aggression`: the engine computes the aggression columns, so every option trade comes with its side. */
  constructor(engine: FeatureEngine, onRow: (row: FeatureRow) => void, aggression: boolean) {
    this.#engine = engine;
    this.#onRow = onRow;
    this.#aggression = aggression;
  }

  get engine(): FeatureEngine { return this.#engine; }

  underlyingTrade(trade: UnderlyingTrade): void {
    this.#engine.onUnderlyingTrade(trade);
    this.#underlyingTrades++;
  }

  /**
   * An enriched option trade; with aggression, its side code and (when unclassified) the
   * side_reason code. The engine keeps numbers, not the record: the caller may reuse it.
   */
  optionTrade(trade: FeatureOptionTrade, side: Side = Side.Unclassified, sideReason = 1): void {
    this.#optionTrades++;
    if (this.#aggression) {
      this.#sides[side + 1]!++;
      if (side === Side.Unclassified) this.#reasons[sideReason]!++;
      this.#engine.onOptionTrade(trade, sideName(side));
    } else {
      this.#engine.onOptionTrade(trade);
    }
  }

  /** Every event up to `timeNs` was fed: closes the windows ending at or before it. */
  advanceTo(timeNs: bigint): void {
    this.#engine.advanceTo(timeNs, this.#onRow);
  }

  /** End of the stream: closes every remaining window. */
  finish(): void {
    this.#engine.finish(this.#onRow);
  }

  /** New York dates with windows still open. */
  openDates(): string[] {
    return this.#engine.openDates();
  }

  /** The counts since the previous call, which start over. */
  takeTally(): FeedTally {
    const underlyingTrades = this.#underlyingTrades, optionTrades = this.#optionTrades;
    this.#underlyingTrades = 0;
    this.#optionTrades = 0;
    if (!this.#aggression) return { underlyingTrades, optionTrades };
    const [sells, unclassified, buys] = this.#sides as [number, number, number];
    const unclassifiedByReason = Object.fromEntries(this.#reasons.flatMap((n, code) => (n > 0 ? [[SIDE_REASON_NAMES[code]!, n]] : [])));
    this.#sides.fill(0);
    this.#reasons.fill(0);
    return {
      underlyingTrades, optionTrades,
      aggression: { buys, sells, unclassified, unclassifiedByReason, classifiedPct: optionTrades === 0 ? NaN : (100 * (buys + sells)) / optionTrades },
    };
  }
}
