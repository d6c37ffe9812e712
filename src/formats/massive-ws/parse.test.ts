import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFrameJson } from './json.js';
import { parseFrame } from './parse.js';
import { parseDataFrameFast } from './scanner.js';
import { acknowledgedTopic, formatAction, formatFrame, optionQuoteContractCount, parseAction, splitTopics, topicOf, topicSubscribed } from './topics.js';
import { msOfNs, type FeedDataEvent, type StatusEvent } from './types.js';
import { formatDataEvent, formatOptionQuote, formatOptionTrade, formatStockTrade } from '../../../test/support/massive-ws-wire.js';

// 2025-11-07 14:30:00.123 UTC in ms.
const T_MS = 1762525800123;
const T_NS = 1762525800123000000n;

test('stock T becomes an UnderlyingTrade tagged with sym and the feed-only fields', () => {
  const frame = JSON.stringify([
    { ev: 'T', sym: 'SPY', x: 4, i: '52983525029461', z: 2, p: 680.25, s: 100, c: [12, 37], t: T_MS, q: 1234567, trfi: 202, trft: T_MS - 5 },
  ]);
  const r = parseFrame(frame);
  assert.equal(r.malformed, 0);
  assert.equal(r.unknown, 0);
  assert.deepEqual(r.events, [{
    kind: 'stockTrade',
    trade: {
      sym: 'SPY', sipTimestampNs: T_NS, sequence: 1234567, price: 680.25, size: 100, conditions: [12, 37], correction: 0,
      exchange: 4, tradeId: '52983525029461', tape: 2, trfId: 202, trfTimestampMs: T_MS - 5,
    },
  }]);
});

test('stock T without conditions or optional fields gets conditions [] and no extras', () => {
  const r = parseFrame(JSON.stringify([{ ev: 'T', sym: 'AAPL', p: 1.5, s: 3, t: T_MS, q: 9 }]));
  assert.deepEqual(r.events, [{
    kind: 'stockTrade', trade: { sym: 'AAPL', sipTimestampNs: T_NS, sequence: 9, price: 1.5, size: 3, conditions: [], correction: 0 },
  }]);
});

test('option T becomes an OptionTrade with the contract decoded from the OPRA ticker', () => {
  const r = parseFrame(JSON.stringify([{ ev: 'T', sym: 'O:SPY251107C00680000', x: 65, p: 2.35, s: 10, c: [209], t: T_MS, q: 77 }]));
  assert.equal(r.malformed, 0);
  assert.deepEqual(r.events, [{
    kind: 'optionTrade',
    trade: {
      sipTimestampNs: T_NS, sequence: 77, ticker: 'O:SPY251107C00680000', root: 'SPY', right: 'C', strike: 680,
      expiryDays: 20399, adjusted: false, price: 2.35, size: 10, conditions: [209], correction: 0, exchange: 65,
    },
  }]);
});

test('a trade message carrying the correction field `e` gives the print that correction (stock and option); without it, 0', () => {
  const frame = JSON.stringify([
    { ev: 'T', sym: 'SPY', x: 4, i: '1', z: 2, p: 680.25, s: 100, c: [12], t: T_MS, q: 1, e: 7 },
    { ev: 'T', sym: 'O:SPY251107C00680000', x: 65, p: 2.35, s: 10, c: [209], t: T_MS, q: 2, e: 1 },
    { ev: 'T', sym: 'SPY', x: 4, i: '2', z: 2, p: 680.25, s: 100, c: [12], t: T_MS, q: 3 },
  ]);
  assert.equal(parseDataFrameFast(frame), undefined, 'the scanner leaves `e` to the JSON path');
  const r = parseFrame(frame);
  assert.equal(r.malformed, 0);
  const corrections = r.events.map((e) => (e.kind === 'stockTrade' || e.kind === 'optionTrade' ? e.trade.correction : undefined));
  assert.deepEqual(corrections, [7, 1, 0]);
});

test('option Q becomes an OptionQuote', () => {
  const r = parseFrame(JSON.stringify([{ ev: 'Q', sym: 'O:SPXW251107P06500000', bx: 302, ax: 323, bp: 4.1, ap: 4.3, bs: 12, as: 40, t: T_MS, q: 5 }]));
  assert.deepEqual(r.events, [{
    kind: 'optionQuote',
    quote: {
      sipTimestampNs: T_NS, sequence: 5, ticker: 'O:SPXW251107P06500000', bidPrice: 4.1, askPrice: 4.3, bidSize: 12, askSize: 40,
      bidExchange: 302, askExchange: 323,
    },
  }]);
});

test('status events are parsed and acknowledgements name their topic', () => {
  const r = parseFrame('[{"ev":"status","status":"connected","message":"Connected Successfully"},'
    + '{"ev":"status","status":"success","message":"subscribed to: T.SPY"},'
    + '{"ev":"status","status":"success","message":"unsubscribed to: Q.O:SPY251107C00680000"}]');
  assert.equal(r.events.length, 3);
  const [connected, sub, unsub] = r.events as StatusEvent[];
  assert.deepEqual(connected, { kind: 'status', status: 'connected', message: 'Connected Successfully' });
  assert.equal(acknowledgedTopic(connected!), undefined);
  assert.deepEqual(acknowledgedTopic(sub!), { topic: 'T.SPY', subscribed: true });
  assert.deepEqual(acknowledgedTopic(unsub!), { topic: 'Q.O:SPY251107C00680000', subscribed: false });
});

test('a frame mixes event types and keeps their order', () => {
  const r = parseFrame(JSON.stringify([
    { ev: 'T', sym: 'SPY', p: 1, s: 1, t: T_MS, q: 1 },
    { ev: 'Q', sym: 'O:SPY251107C00680000', bx: 1, ax: 2, bp: 1, ap: 1.1, bs: 1, as: 1, t: T_MS, q: 2 },
    { ev: 'T', sym: 'O:SPY251107C00680000', x: 1, p: 1.05, s: 1, t: T_MS + 1, q: 3 },
  ]));
  assert.deepEqual(r.events.map((e) => e.kind), ['stockTrade', 'optionQuote', 'optionTrade']);
});

const malformedFrames: Array<[string, string, number]> = [
  ['not JSON', '[{"ev":"T",', 1],
  ['not an array', '{"ev":"T","sym":"SPY"}', 1],
  ['event not an object', '[1, "x", null]', 3],
  ['no ev', '[{"sym":"SPY"}]', 1],
  ['status without status', '[{"ev":"status","message":"x"}]', 1],
  ['T without sym', JSON.stringify([{ ev: 'T', p: 1, s: 1, t: T_MS, q: 1 }]), 1],
  ['T price a string', JSON.stringify([{ ev: 'T', sym: 'SPY', p: '1', s: 1, t: T_MS, q: 1 }]), 1],
  ['T fractional ms', JSON.stringify([{ ev: 'T', sym: 'SPY', p: 1, s: 1, t: 1.5, q: 1 }]), 1],
  ['T without q', JSON.stringify([{ ev: 'T', sym: 'SPY', p: 1, s: 1, t: T_MS }]), 1],
  ['T conditions not ints', JSON.stringify([{ ev: 'T', sym: 'SPY', p: 1, s: 1, c: ['a'], t: T_MS, q: 1 }]), 1],
  ['option T bad ticker', JSON.stringify([{ ev: 'T', sym: 'O:SPY251399C00680000', x: 1, p: 1, s: 1, t: T_MS, q: 1 }]), 1],
  ['option T without x', JSON.stringify([{ ev: 'T', sym: 'O:SPY251107C00680000', p: 1, s: 1, t: T_MS, q: 1 }]), 1],
  ['option Q without bp', JSON.stringify([{ ev: 'Q', sym: 'O:SPY251107C00680000', bx: 1, ax: 1, ap: 1, bs: 1, as: 1, t: T_MS, q: 1 }]), 1],
];

for (const [name, frame, malformed] of malformedFrames) {
  test(`malformed is counted, not thrown: ${name}`, () => {
    const r = parseFrame(frame);
    assert.equal(r.malformed, malformed);
    assert.equal(r.unknown, 0);
    assert.deepEqual(r.events, []);
  });
}

test('unknown event types are counted and skipped, the rest of the frame survives', () => {
  const r = parseFrame(JSON.stringify([
    { ev: 'AM', sym: 'SPY' },
    { ev: 'Q', sym: 'SPY', bx: 1, bp: 1, bs: 1, ax: 1, ap: 1, as: 1, c: 1, i: [], t: T_MS, q: 1, z: 3 },
    { ev: 'T', sym: 'SPY', p: 1, s: 1, t: T_MS, q: 1 },
    { ev: 'T', sym: 'SPY', p: 'bad', s: 1, t: T_MS, q: 1 },
  ]));
  assert.equal(r.unknown, 2);
  assert.equal(r.malformed, 1);
  assert.deepEqual(r.events.map((e) => e.kind), ['stockTrade']);
});

test('format* is the inverse of parseFrame and writes the wire key order', () => {
  const wire = [
    { ev: 'T', sym: 'SPY', x: 4, i: '7', z: 2, p: 680.25, s: 100, c: [12], t: T_MS, q: 1, trfi: 202, trft: T_MS - 5 },
    { ev: 'T', sym: 'SPY', p: 1, s: 2, t: T_MS, q: 2 },
    { ev: 'T', sym: 'O:SPY251107C00680000', x: 65, p: 2.35, s: 10, c: [209], t: T_MS, q: 77 },
    { ev: 'T', sym: 'O:SPY251107C00680000', x: 65, p: 2.35, s: 10, t: T_MS, q: 78 },
    { ev: 'Q', sym: 'O:SPY251107C00680000', bx: 1, ax: 2, bp: 1, ap: 1.1, bs: 3, as: 4, t: T_MS, q: 2 },
  ];
  const text = JSON.stringify(wire);
  const events = parseFrame(text).events as FeedDataEvent[];
  assert.equal(formatFrame(events.map(formatDataEvent)), text);
});

test('format functions truncate ns to the feed ms', () => {
  const base = { sipTimestampNs: T_NS + 999_999n, sequence: 1, price: 1, size: 1, conditions: [], correction: 0 };
  assert.equal(formatStockTrade({ ...base, sym: 'SPY' }).t, T_MS);
  assert.equal(formatOptionTrade({
    ...base, ticker: 'O:SPY251107C00680000', root: 'SPY', right: 'C', strike: 680, expiryDays: 20399, adjusted: false, exchange: 1,
  }).t, T_MS);
  assert.equal(formatOptionQuote({
    sipTimestampNs: T_NS, sequence: 3, ticker: 'O:X', bidPrice: 1, askPrice: 2, bidSize: 3, askSize: 4, bidExchange: 5, askExchange: 6,
  }).t, T_MS);
  assert.equal(msOfNs(-1n), -1);
  assert.equal(msOfNs(-1_000_000n), -1);
});

test('client actions round-trip; anything else is rejected', () => {
  assert.deepEqual(parseAction(formatAction('subscribe', 'T.SPY,Q.O:SPY251107C00680000')),
    { action: 'subscribe', params: 'T.SPY,Q.O:SPY251107C00680000' });
  assert.deepEqual(parseAction(formatAction('auth', 'k')), { action: 'auth', params: 'k' });
  assert.equal(parseAction('{"action":"delete","params":"x"}'), undefined);
  assert.equal(parseAction('{"action":"auth","params":3}'), undefined);
  assert.equal(parseAction('nope'), undefined);
  assert.deepEqual(splitTopics(' T.SPY, ,Q.O:X '), ['T.SPY', 'Q.O:X']);
});

test('topics: per event, wildcard per channel, option quote contract count', () => {
  const events = parseFrame(JSON.stringify([
    { ev: 'T', sym: 'SPY', p: 1, s: 1, t: T_MS, q: 1 },
    { ev: 'T', sym: 'O:SPY251107C00680000', x: 1, p: 1, s: 1, t: T_MS, q: 1 },
    { ev: 'Q', sym: 'O:SPY251107C00680000', bx: 1, ax: 2, bp: 1, ap: 1.1, bs: 1, as: 1, t: T_MS, q: 2 },
  ])).events as FeedDataEvent[];
  assert.deepEqual(events.map(topicOf), ['T.SPY', 'T.O:SPY251107C00680000', 'Q.O:SPY251107C00680000']);
  assert.equal(topicSubscribed(new Set(['T.*']), 'T.QQQ'), true);
  assert.equal(topicSubscribed(new Set(['T.*']), 'Q.O:X'), false);
  assert.equal(topicSubscribed(new Set(['T.SPY']), 'T.SPYG'), false);
  assert.equal(optionQuoteContractCount(['Q.O:A', 'T.O:A', 'Q.O:B', 'T.SPY']), 2);
});

test('the scanner gives the JSON path\'s result for every data frame it accepts, and gives up on the rest', () => {
  const frames: string[] = [
    ...malformedFrames.map(([, f]) => f),
    JSON.stringify([{ ev: 'T', sym: 'SPY', x: 4, i: '52983525029461', z: 2, p: 680.25, s: 100, c: [12, 37], t: T_MS, q: 1234567, trfi: 202, trft: T_MS - 5 }]),
    JSON.stringify([{ ev: 'T', sym: 'SPY', i: '7', p: 1.5, s: 3, t: T_MS, q: 9 }]),
    JSON.stringify([{ ev: 'T', sym: 'O:SPY251107C00680000', x: 65, p: 2.35, s: 10, c: [], t: T_MS, q: 77 }]),
    JSON.stringify([{ ev: 'Q', sym: 'O:SPXW251107P06500000', bx: 302, ax: 323, bp: 4.1, ap: 4.3, bs: 12, as: 40, t: T_MS, q: 5 }]),
    '[]', ' [ ] ', '[{}]', '[{"ev":"T"}]',
    // Whitespace, key order, number forms JSON.parse reads the same way.
    ' [ { "q" : 1 , "t" : 1762525800123 , "s" : 0.5 , "p" : -0.0 , "sym" : "SPY" , "ev" : "T" } ] ',
    '[{"ev":"T","sym":"SPY","p":680.1234567890,"s":100.0,"t":1762525800123,"q":3,"c":[ 1 , 2 ]}]',
    '[{"ev":"Q","sym":"O:SPY251107C00680000","bx":1,"ax":2,"bp":0.05,"ap":0.1,"bs":1,"as":2,"t":1762525800123,"q":1}]',
    // The stock shapes the scanner builds as one literal (x, i, z; x, i, z, trfi, trft) and the others.
    JSON.stringify([
      { ev: 'T', sym: 'SPY', x: 4, i: '52983525029461', z: 2, p: 680.25, s: 100, c: [12], t: T_MS, q: 1 },
      { ev: 'T', sym: 'SPY', x: 12, i: '9', z: 2, p: 680.26, s: 5, t: T_MS, q: 2, trfi: 202, trft: T_MS - 1 },
      { ev: 'T', sym: 'SPY', x: 12, z: 2, p: 680.26, s: 5, t: T_MS, q: 3, trfi: 202 },
      { ev: 'T', sym: 'SPY', i: '10', p: 680.26, s: 5, t: T_MS + 1, q: 4, trft: T_MS },
    ]),
    // Condition lists: longer, shorter, repeated, empty, after each other (the scanner shares equal neighbours).
    JSON.stringify([[1, 2, 3], [1, 2], [1, 2], [], [4], [4], [1, 2, 3, 5], [1, 2, 3]].map((c, k) => (
      { ev: 'T', sym: 'SPY', x: 4, i: String(k), z: 2, p: 680, s: 1, c, t: T_MS, q: k }))),
    // Forms it leaves to JSON.parse.
    '[{"ev":"T","sym":"SPY","p":6.8e2,"s":1,"t":1762525800123,"q":1}]',
    '[{"ev":"T","sym":"SPY","p":1,"s":1,"t":1762525800123,"q":1,"p":2}]',
    '[{"ev":"T","sym":"S\\u0050Y","p":1,"s":1,"t":1762525800123,"q":1}]',
    '[{"ev":"T","sym":"SPY","p":01,"s":1,"t":1762525800123,"q":1}]',
    '[{"ev":"T","sym":"SPY","p":1,"s":1,"t":1762525800123,"q":1,"x":4.5,"z":"2","i":7}]',
    '[{"ev":"T","sym":"SPY","p":1,"s":1,"t":1762525800123,"q":1,"ds":"x"}]',
    '[{"ev":"T","sym":"SPY","p":1,"s":1,"t":1762525800123,"q":1}] x',
    '[{"ev":"T","sym":"SPY","p":1,"s":1,"t":1762525800123,"q":1},{"ev":"status","status":"success","message":"m"}]',
    '[{"ev":"Q","sym":"SPY","bx":1,"ax":2,"bp":1,"ap":1,"bs":1,"as":1,"t":1762525800123,"q":1}]',
    '[{"ev":"T","sym":"SPY","p":1234567890123456,"s":1,"t":1762525800123,"q":1}]',
  ];
  // Random prices and sizes: the scanner's numbers are JSON.parse's numbers.
  let seed = 11;
  const rand = (): number => { seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31; return seed / 2 ** 31; };
  for (let i = 0; i < 200; i++) {
    const digits = 1 + Math.floor(rand() * 6);
    const p = (rand() * 10 ** (1 + Math.floor(rand() * 5))).toFixed(digits);
    frames.push(`[{"ev":"T","sym":"O:SPY251107C00680000","x":1,"p":${p},"s":${Math.floor(rand() * 1000)},"t":${T_MS + i},"q":${i}}]`);
  }
  let accepted = 0;
  for (const f of frames) {
    const fast = parseDataFrameFast(f);
    if (fast === undefined) continue;
    accepted++;
    assert.deepStrictEqual(fast, parseFrameJson(f), f);
    assert.deepStrictEqual(parseFrame(f), parseFrameJson(f), f);
  }
  assert.ok(accepted >= 211, `accepted ${accepted}`);
  for (const f of frames) assert.deepStrictEqual(parseFrame(f), parseFrameJson(f), f);
});
