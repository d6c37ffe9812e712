/**
 * The one event order of gammaflow. Every path that feeds events to the enricher, the quote book
 * or the feature engine (the greeks job, the features job, the live merger, the lake replay) puts
 * them in this total order (FEATURES.md "Output rows"):
 *
 *   1. event time (`sipTimestampNs`) ascending;
 *   2. kind, at equal time: option quote, then underlying trade, then option trade. A quote or an
 *      underlying trade at the same nanosecond as an option trade is "at or before" it (the as-of
 *      rule). Quotes and underlying trades touch disjoint state (quote book vs as-of price), so
 *      their relative order changes no result; fixing it makes the order total;
 *   3. sequence number ascending (the feed's `q`; in the lake, the row's sequence or row index);
 *   4. arrival: a source's own order (the sorted input, or the order events arrived live).
 *
 * Pure: no I/O.
 */

/** Rank of each event kind at equal event time (lower first). */
export const EventRank = Object.freeze({
  optionQuote: 0,
  underlyingTrade: 1,
  optionTrade: 2,
} as const);

export type EventRank = (typeof EventRank)[keyof typeof EventRank];

/** What the order reads from a record: every trade and quote record carries both. */
export interface TimedEvent {
  readonly sipTimestampNs: bigint;
  readonly sequence: number;
}

/**
 * Rules 1–3 on two events given by their keys: negative when `a` comes first, positive when `b`
 * does, 0 when only arrival can tell them apart.
 */
export function compareEventKeys(timeA: bigint, rankA: number, sequenceA: number, timeB: bigint, rankB: number, sequenceB: number): number {
  if (timeA !== timeB) return timeA < timeB ? -1 : 1;
  if (rankA !== rankB) return rankA - rankB;
  if (sequenceA !== sequenceB) return sequenceA < sequenceB ? -1 : 1;
  return 0;
}
