import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventMerger, compareEvents } from './merger.js';
import { decodeOpra } from '../formats/opra.js';
import type { FeedCluster, FeedDataEvent } from '../formats/massive-ws/types.js';

const MS = 1_000_000n;
const SECOND = 1_000n * MS;
const T0 = 1_762_527_600_000n * MS; // 2025-11-07 10:00 New York

function stock(offsetMs: number, sequence: number): FeedDataEvent {
  return {
    kind: 'stockTrade',
    trade: { sym: 'SPY', sipTimestampNs: T0 + BigInt(offsetMs) * MS, sequence, price: 680, size: 100, conditions: [], correction: 0 },
  };
}

function option(offsetMs: number, sequence: number): FeedDataEvent {
  const ticker = 'O:SPY251121C00680000';
  const c = decodeOpra(ticker);
  assert.ok(c.ok);
  return {
    kind: 'optionTrade',
    trade: {
      sipTimestampNs: T0 + BigInt(offsetMs) * MS, sequence, ticker, root: c.contract.root, right: c.contract.right,
      strike: c.contract.strike, expiryDays: c.contract.expiryDays, adjusted: false, price: 10, size: 1, conditions: [], correction: 0, exchange: 1,
    },
  };
}

function quote(offsetMs: number, sequence: number): FeedDataEvent {
  return {
    kind: 'optionQuote',
    quote: {
      sipTimestampNs: T0 + BigInt(offsetMs) * MS, sequence, ticker: 'O:SPY251121C00680000',
      bidPrice: 9.9, askPrice: 10.1, bidSize: 5, askSize: 5, bidExchange: 1, askExchange: 1,
    },
  };
}

const label = (e: FeedDataEvent): string =>
  `${e.kind}@${(e.kind === 'optionQuote' ? e.quote.sipTimestampNs - T0 : e.trade.sipTimestampNs - T0) / MS}#${e.kind === 'optionQuote' ? e.quote.sequence : e.trade.sequence}`;

function merger(lateness = 2n * SECOND, quietCloseMs = 5_000): EventMerger {
  return new EventMerger({ clusters: ['stocks', 'options'], allowedLatenessNs: lateness, quietCloseMs, startMs: 0 });
}

test('total order at equal time: quote, underlying trade, option trade, then sequence', () => {
  const events = [option(0, 2), option(0, 1), stock(0, 9), quote(0, 7), stock(0, 3), quote(-1, 99)];
  const sorted = [...events].sort(compareEvents).map(label);
  assert.deepEqual(sorted, [
    'optionQuote@-1#99', 'optionQuote@0#7', 'stockTrade@0#3', 'stockTrade@0#9', 'optionTrade@0#1', 'optionTrade@0#2',
  ]);
});

test('the watermark is the slowest active cluster minus the lateness; events come out in order', () => {
  const m = merger();
  const out: string[] = [];
  const take = (e: FeedDataEvent): void => { out.push(label(e)); };
  m.push('options', option(1_000, 1), 10);
  m.push('options', option(5_000, 2), 10);
  // The stocks cluster has sent nothing and is not quiet yet: nothing moves.
  assert.equal(m.release(10, take), undefined);
  assert.deepEqual(out, []);
  m.push('stocks', stock(1_000, 1), 20);
  m.push('stocks', stock(3_500, 2), 20);
  // min(5 000, 3 500) − 2 000 = 1 500 ms: both events at 1 000 ms, underlying first.
  assert.equal(m.release(20, take), T0 + 1_500n * MS);
  assert.deepEqual(out, ['stockTrade@1000#1', 'optionTrade@1000#1']);
  m.push('stocks', stock(9_000, 3), 30);
  assert.equal(m.release(30, take), T0 + 3_000n * MS); // options now the slowest (5 000)
  assert.deepEqual(out.slice(2), []);
  assert.equal(m.depth, 3);
  m.drain(take);
  assert.deepEqual(out.slice(2), ['stockTrade@3500#2', 'optionTrade@5000#2', 'stockTrade@9000#3']);
  assert.equal(m.watermarkNs, T0 + 9_000n * MS);
  assert.equal(m.releasedEvents, 5);
});

test('an event at or behind the released watermark is late and not buffered; the watermark never goes back', () => {
  const m = merger();
  const take = (): void => {};
  m.push('stocks', stock(10_000, 1), 0);
  m.push('options', option(10_000, 1), 0);
  assert.equal(m.release(0, take), T0 + 8_000n * MS);
  assert.equal(m.push('options', option(8_000, 2), 0), 'late'); // exactly at the watermark
  assert.equal(m.push('options', option(8_001, 3), 0), 'buffered');
  assert.equal(m.push('stocks', stock(100, 2), 0), 'late');
  assert.equal(m.lateEvents, 2);
  assert.equal(m.depth, 3); // the two at 10 000 ms and the one at 8 001 ms
  // A cluster going quiet and a slower candidate cannot move the watermark backwards.
  assert.equal(m.release(1, take), T0 + 8_000n * MS);
});

test('a quiet cluster stops holding the watermark; a quiet feed advances it with the wall clock', () => {
  const m = merger(2n * SECOND, 5_000);
  const out: string[] = [];
  const take = (e: FeedDataEvent): void => { out.push(label(e)); };
  m.push('stocks', stock(1_000, 1), 100);
  m.push('stocks', stock(2_500, 2), 100);
  assert.equal(m.release(4_999, take), undefined); // options registered at 0, not quiet before 5 000
  assert.equal(m.release(5_000, take), T0 + 500n * MS); // options quiet: stocks alone (2 500 − 2 000)
  assert.deepEqual(out, []);
  // Stocks quiet too (last arrival 100 + 5 000): the event clock runs on from 2 500 ms with the wall clock.
  assert.equal(m.release(5_100, take), T0 + 2_500n * MS + 5_000n * MS - 2_000n * MS);
  assert.deepEqual(out, ['stockTrade@1000#1', 'stockTrade@2500#2']);
});

test('an ended cluster does not hold the watermark back', () => {
  const m = merger();
  const take = (): void => {};
  m.push('stocks', stock(4_000, 1), 0);
  assert.equal(m.release(0, take), undefined);
  m.endCluster('options');
  assert.equal(m.release(0, take), T0 + 2_000n * MS);
});

test('over the memory bound the oldest events are released early and the watermark follows them', () => {
  const m = new EventMerger({ clusters: ['stocks', 'options'], allowedLatenessNs: 2n * SECOND, quietCloseMs: 5_000, startMs: 0, maxBufferedEvents: 3 });
  const out: string[] = [];
  const take = (e: FeedDataEvent): void => { out.push(label(e)); };
  for (let i = 0; i < 5; i++) m.push('stocks', stock(i * 1_000, i), 0);
  // The options cluster has sent nothing: normally nothing moves; the bound releases the two oldest.
  assert.equal(m.release(0, take), T0 + 1_000n * MS);
  assert.deepEqual(out, ['stockTrade@0#0', 'stockTrade@1000#1']);
  assert.equal(m.forcedReleases, 2);
  assert.equal(m.depth, 3);
  assert.equal(m.push('options', option(500, 1), 0), 'late');
});

test('runs + heap: random arrivals (in order per cluster, with stragglers) come out in the total order, each once', () => {
  let seed = 7;
  const rand = (): number => { seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31; return seed / 2 ** 31; };
  const m = merger(200n * MS);
  const out: FeedDataEvent[] = [];
  const take = (e: FeedDataEvent): void => { out.push(e); };
  const at = { stocks: 0, options: 0 };
  let pushed = 0;
  for (let i = 0; i < 5_000; i++) {
    const cluster = rand() < 0.4 ? 'stocks' : 'options';
    // Mostly forward in time; now and then an event up to 150 ms back (still inside the lateness).
    at[cluster] += Math.floor(rand() * 3);
    const offset = rand() < 0.05 ? Math.max(0, at[cluster] - Math.floor(rand() * 150)) : at[cluster];
    const seq = Math.floor(rand() * 4);
    const e = cluster === 'stocks' ? stock(offset, seq) : rand() < 0.5 ? quote(offset, seq) : option(offset, seq);
    if (m.push(cluster, e, 0) === 'buffered') pushed++;
    if (rand() < 0.2) {
      const before = out.length;
      const w = m.release(0, take);
      for (const r of out.slice(before)) assert.ok(w !== undefined && (r.kind === 'optionQuote' ? r.quote.sipTimestampNs : r.trade.sipTimestampNs) <= w);
    }
  }
  m.drain(take);
  assert.equal(out.length, pushed);
  for (let i = 1; i < out.length; i++) assert.ok(compareEvents(out[i - 1]!, out[i]!) <= 0, `out of order at ${i}: ${label(out[i - 1]!)} then ${label(out[i]!)}`);
  // Equal keys keep their arrival order (a stable sort of the arrivals gives the same sequence).
  assert.equal(m.depth, 0);
});

/** An event at T0 + `ns` (ns resolution, so different times can share a Number() key). */
const templates = { stockTrade: stock(0, 0), optionQuote: quote(0, 0), optionTrade: option(0, 0) };
function eventAtNs(kind: FeedDataEvent['kind'], ns: bigint, sequence: number): FeedDataEvent {
  const e = templates[kind];
  const set = { sipTimestampNs: T0 + ns, sequence };
  return e.kind === 'optionQuote' ? { kind: e.kind, quote: { ...e.quote, ...set } } : e.kind === 'stockTrade'
    ? { kind: e.kind, trade: { ...e.trade, ...set } } : { kind: e.kind, trade: { ...e.trade, ...set } };
}

const timeOf = (e: FeedDataEvent): bigint => (e.kind === 'optionQuote' ? e.quote.sipTimestampNs : e.trade.sipTimestampNs);

test('runs grow, slide and shrink: many events on three clusters, random releases, stragglers and ties, in the reference order', () => {
  let seed = 20_251_107;
  const rand = (): number => { seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31; return seed / 2 ** 31; };
  const third = 'indices' as FeedCluster; // any key works as a cluster
  const clusters: FeedCluster[] = ['stocks', 'options', third];
  const lateness = 3n * MS;
  let m = new EventMerger({ clusters, allowedLatenessNs: lateness, quietCloseMs: 50, startMs: 0 });
  let buffered: FeedDataEvent[] = []; // in arrival order
  let out: FeedDataEvent[] = [];
  const take = (e: FeedDataEvent): void => { out.push(e); };
  let releases: { w: bigint; count: number }[] = [];
  let nowMs = 0;
  let late = 0;
  const push = (cluster: FeedCluster, e: FeedDataEvent): void => {
    const w = m.watermarkNs;
    const outcome = m.push(cluster, e, nowMs);
    assert.equal(outcome, w !== undefined && timeOf(e) <= w ? 'late' : 'buffered');
    if (outcome === 'buffered') buffered.push(e);
    else late++;
  };
  const release = (): void => {
    const before = out.length;
    const w = m.release(nowMs, take);
    for (const r of out.slice(before)) assert.ok(w !== undefined && timeOf(r) <= w);
    if (w !== undefined) releases.push({ w, count: out.length });
  };
  const check = (): void => {
    assert.equal(m.depth, 0);
    assert.equal(m.lateEvents, late);
    // The reference: every buffered event in the total order, arrival breaking ties (a stable sort).
    const expected = [...buffered].sort(compareEvents);
    assert.equal(out.length, expected.length);
    for (let i = 0; i < expected.length; i++) {
      if (out[i] !== expected[i]) assert.fail(`differs at ${i}: ${label(out[i]!)} vs ${label(expected[i]!)}`);
    }
    // Each release handed out everything at or before its watermark that had arrived by then
    // (a later event at or before it would have been late).
    for (const { w, count } of releases) {
      if (count < expected.length) assert.ok(timeOf(expected[count]!) > w);
    }
  };

  // 1. One cluster alone, far beyond a run's first capacities (the others hold the watermark
  // back), then all of it: the run empties and gives its storage back; then it is used again.
  for (let i = 0; i < 70_000; i++) push('stocks', eventAtNs('stockTrade', BigInt(i) * 1_000n, i));
  assert.equal(m.depth, 70_000);
  m.endCluster('options');
  m.endCluster(third);
  release();
  assert.equal(m.depth, 3_000); // behind the lateness
  nowMs = 100; // every cluster quiet: the wall clock moves the watermark past them all
  release();
  assert.equal(m.depth, 0);
  for (let i = 0; i < 5_000; i++) push('stocks', eventAtNs('stockTrade', 200n * MS + BigInt(i), i));
  m.drain(take);
  check();

  // 2. The three clusters together on one event clock, in steps of 100 ns (the clusters often
  // meet at the very same time; Number() of these times has a 256 ns step, so keys often tie
  // between different times), a few ms held behind the lateness (thousands of events per run).
  m = new EventMerger({ clusters, allowedLatenessNs: lateness, quietCloseMs: 50, startMs: 0 });
  buffered = [];
  out = [];
  releases = [];
  late = 0;
  nowMs = 0;
  let clock = 0n;
  for (let i = 0; i < 80_000; i++) {
    const r = rand();
    const cluster = r < 0.3 ? 'stocks' : r < 0.85 ? 'options' : third;
    clock += rand() < 0.2 ? 0n : 100n * BigInt(Math.floor(rand() * 6));
    let ns = clock;
    if (rand() < 0.05) ns -= BigInt(Math.floor(rand() * 300)); // a little back: often the same key, an earlier time
    else if (rand() < 0.01) ns -= BigInt(Math.floor(rand() * 5_000_000)); // straggler, up to 5 ms back (some late)
    const seq = Math.floor(rand() * 3);
    const kind = cluster === 'options' ? (rand() < 0.5 ? 'optionQuote' : 'optionTrade') : cluster === 'stocks' ? 'stockTrade' : rand() < 0.5 ? 'stockTrade' : 'optionQuote';
    push(cluster, eventAtNs(kind, ns, seq));
    // Sometimes the same time, kind and sequence again, on this cluster or another (arrival decides).
    if (rand() < 0.03) push(rand() < 0.5 ? cluster : 'stocks', eventAtNs(kind === 'optionTrade' ? 'optionQuote' : kind, ns, seq));
    if (rand() < 0.001) { // a burst without releases: the runs grow
      for (let k = 0; k < 5_000; k++) {
        const c = clusters[k % 3]!;
        clock += 100n * BigInt(Math.floor(rand() * 2));
        push(c, eventAtNs(c === 'options' ? 'optionTrade' : 'stockTrade', clock, k % 4));
      }
    }
    if (i % 30_000 === 29_999) {
      // A silence: every cluster quiet, the wall clock moves the watermark; the feed resumes after it.
      nowMs += 60;
      release();
      clock = m.watermarkNs! - T0 + MS;
    }
    if (i % 1_000 === 0) nowMs++;
    if (rand() < 0.05) release();
  }
  m.drain(take);
  check();
  assert.ok(releases.length > 1_000);
  assert.ok(late > 0 && late < buffered.length / 50, `${late} late of ${buffered.length}`);
  assert.ok(m.highWaterDepth > 20_000, `high water ${m.highWaterDepth}`);
});

test('over the memory bound, forced releases come out oldest first (runs, stragglers and ties), later pushes behind them are late', () => {
  let seed = 99;
  const rand = (): number => { seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31; return seed / 2 ** 31; };
  const max = 64;
  // A lateness far beyond the stream: nothing moves the watermark but the bound.
  const m = new EventMerger({ clusters: ['stocks', 'options'], allowedLatenessNs: 3_600n * SECOND, quietCloseMs: 5_000, startMs: 0, maxBufferedEvents: max });
  const waiting: FeedDataEvent[] = []; // the reference buffer, in the total order (arrival last)
  const out: FeedDataEvent[] = [];
  const take = (e: FeedDataEvent): void => {
    // Always the first of what waits.
    assert.equal(e, waiting[0], `released ${label(e)}, expected ${label(waiting[0]!)}`);
    waiting.shift();
    out.push(e);
  };
  const at = { stocks: 0n, options: 0n };
  for (let i = 0; i < 20_000; i++) {
    const cluster = rand() < 0.4 ? 'stocks' : 'options';
    at[cluster] += BigInt(Math.floor(rand() * 400));
    const ns = rand() < 0.03 ? at[cluster] - BigInt(Math.floor(rand() * 20_000)) : at[cluster];
    const kind = cluster === 'stocks' ? 'stockTrade' : rand() < 0.5 ? 'optionQuote' : 'optionTrade';
    const e = eventAtNs(kind, ns, Math.floor(rand() * 3));
    const w = m.watermarkNs;
    const outcome = m.push(cluster, e, 0);
    assert.equal(outcome, w !== undefined && timeOf(e) <= w ? 'late' : 'buffered');
    if (outcome === 'buffered') {
      // Insert after everything not after it (arrival order among equals).
      let j = waiting.length;
      while (j > 0 && compareEvents(waiting[j - 1]!, e) > 0) j--;
      waiting.splice(j, 0, e);
    }
    m.release(0, take);
    assert.ok(m.depth <= max);
    assert.equal(m.depth, waiting.length);
    if (out.length > 0) assert.equal(m.watermarkNs, timeOf(out[out.length - 1]!));
  }
  // Forced, or at the time of a forced one (then at or before the watermark it set).
  assert.equal(m.releasedEvents, out.length);
  assert.ok(m.forcedReleases <= out.length && m.forcedReleases > 10_000);
  assert.ok(m.lateEvents > 0, 'stragglers behind the forced watermark are late');
  for (let i = 1; i < out.length; i++) assert.ok(compareEvents(out[i - 1]!, out[i]!) <= 0);
});
