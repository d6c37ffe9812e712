/**
 * The ordered event stream of the historical jobs: a k-way merge of sources that are each already
 * in event order (time, then sequence: the lake readers sort them), read chunk by chunk, handed
 * out one event at a time in the total order of order.ts. The greeks job merges a day's underlying
 * and option trades before the enricher; the features job merges underlying trades and enriched
 * option trades before the feature engine (through the FeatureFeeder the live pipeline uses too).
 *
 * Lifecycle: every source's first chunk is read; then, repeatedly, the first event in the order
 * among the sources' current chunks goes to its source's `onEvent` (a returned promise is awaited
 * before the next event: a writer's backpressure); when a source's chunk is used up, its
 * `onChunkDone` runs (progress, abort checks, closing windows behind the stream) and its next
 * chunk is read before any other event goes out, since that chunk may hold the next one. The
 * merge ends when every source has ended, or as soon as the source named by `endWith` has (the
 * others are not read further: the greeks job does not read underlying trades after the day's
 * last option trade). The iterators are closed however the merge ends.
 *
 * Memory: one chunk per source. Pure: no I/O of its own.
 */
import { compareEventKeys, type EventRank, type TimedEvent } from './order.js';

/** One input of the merge: events in (time, sequence) order, chunk by chunk. */
export interface SortedSource<T extends TimedEvent> {
  /** The kind of the source's events (order.ts EventRank): breaks ties at equal time. */
  readonly rank: EventRank;
  readonly chunks: AsyncIterable<readonly T[]> | AsyncIterator<readonly T[]>;
  /** Receives each event in the total order. */
  onEvent(event: T): void | Promise<void>;
  /** The source's current chunk is used up: `events` of it went out, the last at `lastTimeNs`. */
  onChunkDone?(events: number, lastTimeNs: bigint): void | Promise<void>;
}

export interface MergeSortedOptions {
  /** Index of the source whose end ends the merge; default: the merge runs until every source ends. */
  readonly endWith?: number;
}

const EMPTY: readonly TimedEvent[] = [];

function iteratorOf<T>(chunks: AsyncIterable<T> | AsyncIterator<T>): AsyncIterator<T> {
  return Symbol.asyncIterator in chunks ? chunks[Symbol.asyncIterator]() : chunks;
}

/** Runs the merge described above; resolves when it ends. */
export async function mergeSorted<const S extends readonly TimedEvent[]>(
  typedSources: { readonly [I in keyof S]: SortedSource<S[I]> }, options: MergeSortedOptions = {}): Promise<void> {
  const sources = typedSources as unknown as readonly SortedSource<TimedEvent>[];
  const k = sources.length;
  const endWith = options.endWith ?? -1;
  if (endWith >= k) throw new RangeError(`endWith ${endWith} names no source (${k} sources)`);
  const iterators = sources.map((s) => iteratorOf(s.chunks));
  const chunks: (readonly TimedEvent[])[] = new Array<readonly TimedEvent[]>(k).fill(EMPTY);
  const positions = new Array<number>(k).fill(0);
  const ended = new Array<boolean>(k).fill(false);
  const ranks = sources.map((s) => s.rank);
  try {
    for (;;) {
      // Every source that is not over has a current event.
      for (let i = 0; i < k; i++) {
        while (!ended[i] && positions[i] === chunks[i]!.length) {
          const used = chunks[i]!;
          if (used.length > 0) await sources[i]!.onChunkDone?.(used.length, used[used.length - 1]!.sipTimestampNs);
          const next = await iterators[i]!.next();
          if (next.done === true) {
            ended[i] = true;
            chunks[i] = EMPTY;
            positions[i] = 0;
            if (i === endWith) return;
          } else {
            chunks[i] = next.value;
            positions[i] = 0;
          }
        }
      }
      // Hand out events in order until one source's chunk runs out (its next chunk is read first).
      for (;;) {
        let best = -1;
        let bestEvent: TimedEvent | undefined;
        for (let i = 0; i < k; i++) {
          const chunk = chunks[i]!, p = positions[i]!;
          if (p === chunk.length) continue;
          const e = chunk[p]!;
          if (bestEvent === undefined
            || compareEventKeys(e.sipTimestampNs, ranks[i]!, e.sequence, bestEvent.sipTimestampNs, ranks[best]!, bestEvent.sequence) < 0) {
            best = i;
            bestEvent = e;
          }
        }
        if (bestEvent === undefined) return; // every source is over
        const p = ++positions[best]!;
        const pending = sources[best]!.onEvent(bestEvent);
        if (pending !== undefined) await pending;
        if (p === chunks[best]!.length) break;
      }
    }
  } finally {
    for (const it of iterators) await it.return?.(undefined);
  }
}
