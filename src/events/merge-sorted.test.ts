import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mulberry32 } from '../../test/support/rng.js';
import { mergeSorted } from './merge-sorted.js';
import { EventRank, compareEventKeys, type TimedEvent } from './order.js';

interface Ev extends TimedEvent {
  readonly id: string;
}

async function* chunked<T>(items: readonly T[], size: number): AsyncGenerator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

const ev = (id: string, t: number, sequence: number): Ev => ({ id, sipTimestampNs: BigInt(t), sequence });

test('events come out by time, then quote / underlying / option at equal time, then sequence, then source order', async () => {
  const quotes = [ev('q1', 10, 5), ev('q2', 20, 1)];
  const underlying = [ev('u1', 10, 9), ev('u2', 20, 0), ev('u3', 30, 0)];
  const options = [ev('o1', 5, 0), ev('o2', 10, 1), ev('o3', 10, 2), ev('o4', 20, 0)];
  const out: string[] = [];
  await mergeSorted([
    { rank: EventRank.optionTrade, chunks: chunked(options, 3), onEvent: (e) => { out.push(e.id); } },
    { rank: EventRank.underlyingTrade, chunks: chunked(underlying, 1), onEvent: (e) => { out.push(e.id); } },
    { rank: EventRank.optionQuote, chunks: chunked(quotes, 2), onEvent: (e) => { out.push(e.id); } },
  ]);
  assert.deepEqual(out, ['o1', 'q1', 'u1', 'o2', 'o3', 'q2', 'u2', 'o4', 'u3']);
});

test('random sorted sources merge into the sorted union, whatever the chunk sizes', async () => {
  const rand = mulberry32(17);
  for (let round = 0; round < 40; round++) {
    const sources = [EventRank.optionQuote, EventRank.underlyingTrade, EventRank.optionTrade].map((rank) => {
      const n = Math.floor(rand() * 60);
      const items = Array.from({ length: n }, (_, i) => ({ ...ev(`${rank}:${i}`, Math.floor(rand() * 25), Math.floor(rand() * 4)), rank, index: i }))
        .sort((a, b) => compareEventKeys(a.sipTimestampNs, 0, a.sequence, b.sipTimestampNs, 0, b.sequence) || a.index - b.index);
      return { rank, items, size: 1 + Math.floor(rand() * 7) };
    });
    const out: (Ev & { rank: number; index: number })[] = [];
    await mergeSorted(sources.map((s) => ({ rank: s.rank, chunks: chunked(s.items, s.size), onEvent: (e: (typeof s.items)[number]) => { out.push(e); } })));
    const expected = sources.flatMap((s) => s.items)
      .sort((a, b) => compareEventKeys(a.sipTimestampNs, a.rank, a.sequence, b.sipTimestampNs, b.rank, b.sequence) || a.index - b.index);
    assert.deepEqual(out.map((e) => e.id), expected.map((e) => e.id), `round ${round}`);
  }
});

test('endWith stops at the end of that source without reading the others further; chunk ends are reported before the next chunk', async () => {
  const underlying = Array.from({ length: 10 }, (_, i) => ev(`u${i}`, i * 10, 0));
  const options = [ev('o1', 15, 0), ev('o2', 35, 0)];
  const log: string[] = [];
  let underlyingChunksRead = 0;
  async function* counted(): AsyncGenerator<Ev[]> {
    for await (const c of chunked(underlying, 2)) { underlyingChunksRead++; yield c; }
  }
  await mergeSorted([
    { rank: EventRank.underlyingTrade, chunks: counted(), onEvent: (e) => { log.push(e.id); }, onChunkDone: (n, last) => { log.push(`u-chunk ${n}@${last}`); } },
    { rank: EventRank.optionTrade, chunks: chunked(options, 1), onEvent: (e) => { log.push(e.id); }, onChunkDone: (n, last) => { log.push(`o-chunk ${n}@${last}`); } },
  ], { endWith: 1 });
  assert.deepEqual(log, ['u0', 'u1', 'u-chunk 2@10', 'o1', 'o-chunk 1@15', 'u2', 'u3', 'u-chunk 2@30', 'o2', 'o-chunk 1@35']);
  assert.equal(underlyingChunksRead, 3, 'the chunk after the last option trade is read (it may hold an earlier event), no more');
});

test('a promise returned by onEvent is awaited before the next event; an error closes every source', async () => {
  const order: string[] = [];
  let closed = 0;
  async function* source(prefix: string, times: number[]): AsyncGenerator<Ev[]> {
    try {
      yield times.map((t, i) => ev(`${prefix}${i}`, t, 0));
    } finally {
      closed++;
    }
  }
  await mergeSorted([
    { rank: EventRank.underlyingTrade, chunks: source('u', [1, 3]), onEvent: async (e) => { await new Promise((r) => setTimeout(r, 5)); order.push(e.id); } },
    { rank: EventRank.optionTrade, chunks: source('o', [2]), onEvent: (e) => { order.push(e.id); } },
  ]);
  assert.deepEqual(order, ['u0', 'o0', 'u1']);
  assert.equal(closed, 2);
  closed = 0;
  await assert.rejects(mergeSorted([
    { rank: EventRank.underlyingTrade, chunks: source('u', [1, 3]), onEvent: () => { throw new Error('sink broke'); } },
    { rank: EventRank.optionTrade, chunks: source('o', [2]), onEvent: () => {} },
  ]), /sink broke/);
  assert.equal(closed, 2);
});
