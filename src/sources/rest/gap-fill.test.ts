import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startMassiveRestServer, type MassiveRestServer } from '../../../test/support/massive-rest-server.js';
import { LiveGapFiller } from '../../live/gap-filler.js';
import { parseFrameJson } from '../../formats/massive-ws/json.js';
import { RestClient } from './client.js';
import { RateLimiter } from './rate-limiter.js';
import { fetchGapEvents, wireTradeOfRest } from './gap-fill.js';

const T0 = 1762525800000n * 1_000_000n; // 2025-11-07 14:30:00 UTC, ns
const ms = (n: number) => T0 + BigInt(n) * 1_000_000n;
const C1 = 'O:SPY251107C00680000', C2 = 'O:SPY251107P00675000';

describe('gap fill from REST', () => {
  let server: MassiveRestServer;
  const client = () => new RestClient({ baseUrl: server.url, apiKey: server.apiKey, limiter: new RateLimiter({ requestsPerSecond: 500, concurrency: 4 }),
    retry: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 10 }, timeoutMs: 5000 });

  before(async () => {
    server = await startMassiveRestServer({ maxLimit: 3 });
    server.trades.set('SPY', Array.from({ length: 10 }, (_, i) => ({
      conditions: i === 4 ? [12] : [], exchange: 4, id: `t${i}`, price: 680 + i / 100, size: 100, sequence_number: 100 + i,
      sip_timestamp: String(ms(i * 100) + 123_456n), tape: 3, ...(i === 7 ? { correction: 1 } : {}),
    })));
    server.trades.set(C1, [0, 250, 450].map((t, i) => ({ conditions: [209], exchange: 312, price: 1.5 + i, size: 2, sequence_number: 900 + i, sip_timestamp: String(ms(t)) })));
    server.trades.set(C2, [250, 300].map((t, i) => ({ exchange: 313, price: 2.5 + i, size: 1, sequence_number: 800 + i, sip_timestamp: String(ms(t)) })));
  });
  after(async () => { await server.stop(); });

  it('stock trades of the interval, as the feed would have delivered them (ms times), corrections kept', async () => {
    const r = await fetchGapEvents(client(), { cluster: 'stocks', symbol: 'SPY', optionTickers: [], fromNs: ms(200), toNs: ms(800) });
    assert.deepEqual(r.failed, []);
    assert.equal(r.events.length, 6); // 200..700
    const trades = r.events.map((e) => (e.kind === 'stockTrade' ? e.trade : assert.fail('stock trades only')));
    assert.deepEqual(trades.map((t) => t.sequence), [102, 103, 104, 105, 106, 107]);
    assert.equal(trades[0]!.sipTimestampNs, ms(200)); // the feed's millisecond precision
    const wire = parseFrameJson(JSON.stringify([{ ev: 'T', sym: 'SPY', x: 4, i: 't2', z: 3, p: 680.02, s: 100, t: Number(ms(200) / 1_000_000n), q: 102 }])).events[0];
    assert.deepEqual(r.events[0], wire);
    assert.deepEqual(trades[2]!.conditions, [12]);
    assert.equal(trades[5]!.correction, 1);
    assert.equal(r.requests, 2); // pages of 3
  });

  it('option trades of several contracts, merged in event order (time, then sequence)', async () => {
    const r = await fetchGapEvents(client(), { cluster: 'options', symbol: 'SPY', optionTickers: [C1, C2], fromNs: ms(100), toNs: ms(500) });
    const got = r.events.map((e) => (e.kind === 'optionTrade' ? `${e.trade.ticker}@${(e.trade.sipTimestampNs - T0) / 1_000_000n}#${e.trade.sequence}` : ''));
    assert.deepEqual(got, [`${C2}@250#800`, `${C1}@250#901`, `${C2}@300#801`, `${C1}@450#902`]);
  });

  it('a contract refused by the server is reported, the others still come', async () => {
    server.setDeny((p) => (p.includes(C2) ? 403 : undefined));
    try {
      const r = await fetchGapEvents(client(), { cluster: 'options', symbol: 'SPY', optionTickers: [C1, C2], fromNs: ms(0), toNs: ms(1000) });
      assert.equal(r.events.length, 3);
      assert.equal(r.failed.length, 1);
      assert.equal(r.failed[0]!.ticker, C2);
      assert.match(r.failed[0]!.error, /HTTP 403/);
    } finally { server.setDeny(undefined); }
  });

  it('LiveGapFiller: the interval after the last event received up to the reconnect, logged as filled or not', async () => {
    const logs: string[] = [];
    const filler = new LiveGapFiller({ client: client(), symbol: 'SPY', log: (l, m) => logs.push(`${l}: ${m}`), quotedTickers: () => [C2] });
    filler.noteOptionTicker(C1);
    const lastMs = Number(ms(0) / 1_000_000n);
    filler.onGap('options', { fromMs: lastMs + 10, toMs: lastMs + 400, lastEventMs: lastMs, reason: 'code 1006' });
    assert.equal(filler.hasPending('options'), true);
    const events = await filler.fill('options');
    assert.equal(filler.hasPending('options'), false);
    // After ms 0 (delivered) up to ms 400 (exclusive): 250, 250, 300.
    assert.equal(events.length, 3);
    assert.match(logs.at(-1)!, /^info: options gap .* \(code 1006\): filled with 3 trade\(s\) from REST \(2 contract\(s\), 2 request\(s\)\)/);

    server.fault({ kind: 'status', status: 500 }, { times: 10 });
    filler.onGap('stocks', { fromMs: lastMs, toMs: lastMs + 900, lastEventMs: undefined, reason: 'heartbeat' });
    assert.deepEqual(await filler.fill('stocks'), []);
    assert.match(logs.at(-1)!, /^warn: stocks gap .*partly filled: 0 trade\(s\) from REST, but 1 contract\(s\) failed \(e.g. SPY: .*HTTP 500/);
    assert.deepEqual(filler.stats, { filled: 1, unfilled: 1 });
  });

  it('wireTradeOfRest leaves out rows without a timestamp', () => {
    assert.equal(wireTradeOfRest('SPY', { price: 1 }), undefined);
  });
});
