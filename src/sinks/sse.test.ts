import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { regularDayRows } from '../../test/support/feature-rows.js';
import { jsonLine } from '../features/output.js';
import type { FeatureRow } from '../features/row.js';
import { createMetricsRegistry, startMetricsServer } from '../observe/metrics.js';
import { FeatureStreamHub } from './sse.js';

const dayRows = () => regularDayRows('2025-11-07');

function get(url: string): Promise<{ status: number; body: string; type: string }> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: String(res.headers['content-type']) }));
    }).on('error', reject).end();
  });
}

test('http: /features/latest holds the last row per window; /features/stream sends each row as SSE', async () => {
  const server = await startMetricsServer('127.0.0.1:0', createMetricsRegistry());
  const hub = new FeatureStreamHub({ aggression: false, windows: ['1m', '5m'], heartbeatMs: 0 });
  hub.attach(server);
  try {
    assert.deepEqual(await get(`${server.url}/features/latest`), { status: 200, body: '{}\n', type: 'application/json; charset=utf-8' });
    const received: string[] = [];
    let resolveThree!: () => void;
    const three = new Promise<void>((r) => { resolveThree = r; });
    const sse = request(`${server.url}/features/stream`, (res) => {
      assert.equal(res.headers['content-type'], 'text/event-stream; charset=utf-8');
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (c: string) => {
        buffer += c;
        for (let i = buffer.indexOf('\n\n'); i >= 0; i = buffer.indexOf('\n\n')) {
          const message = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          if (!message.startsWith(':')) received.push(message);
          if (received.length === 3) resolveThree();
        }
      });
    });
    sse.end();
    while (hub.stats().clients === 0) await new Promise((r) => setTimeout(r, 5));
    const rows = dayRows();
    const a = rows.find((r) => r.window === '1m')!, b = rows.find((r) => r.window === '5m')!;
    hub.add(a);
    hub.add(b);
    hub.add(a, { revision: 1 });
    await three;
    assert.deepEqual(received, [`data: ${jsonLine(a, false)}`, `data: ${jsonLine(b, false)}`, `event: revision\ndata: ${jsonLine(a, false)}`]);
    const latest = await get(`${server.url}/features/latest`);
    assert.equal(latest.body, `{"1m":${jsonLine(a, false)},"5m":${jsonLine(b, false)}}\n`);
    // A revision of an older 1m window does not replace the newer one in /features/latest.
    const a2 = rows.filter((r) => r.window === '1m')[1]!;
    hub.add(a2);
    hub.add(a, { revision: 2 });
    assert.equal(JSON.parse((await get(`${server.url}/features/latest`)).body)['1m'].window_start, Number(a2.windowStartNs));
    assert.equal(JSON.parse(latest.body)['5m'].window, '5m');
    // Several symbols: without ?symbol= the last row of any, with it that symbol's.
    const qqq = { ...rows.filter((r) => r.window === '1m')[5]!, symbol: 'QQQ' };
    hub.add(qqq);
    assert.equal(JSON.parse((await get(`${server.url}/features/latest`)).body)['1m'].symbol, 'QQQ');
    const spy = JSON.parse((await get(`${server.url}/features/latest?symbol=SPY`)).body);
    assert.equal(spy['1m'].window_start, Number(a2.windowStartNs));
    assert.equal(spy['5m'].symbol, 'SPY');
    assert.deepEqual(Object.keys(JSON.parse((await get(`${server.url}/features/latest?symbol=QQQ`)).body)), ['1m']);
    assert.equal((await get(`${server.url}/features/latest?symbol=IWM`)).body, '{}\n');
    sse.destroy();
  } finally {
    hub.close();
    await server.close();
  }
});

test('http: an SSE client that stops reading is disconnected (counted, logged); the others keep receiving', async () => {
  const server = await startMetricsServer('127.0.0.1:0', createMetricsRegistry());
  const logs: string[] = [];
  const hub = new FeatureStreamHub({ aggression: false, windows: ['1m'], heartbeatMs: 0, maxClientBufferedBytes: 64 * 1024, onLog: (_l, m) => logs.push(m) });
  hub.attach(server);
  const { port } = new URL(server.url);
  const stalled = connect(Number(port), '127.0.0.1');
  try {
    await new Promise<void>((resolve) => stalled.once('connect', () => resolve()));
    stalled.write('GET /features/stream HTTP/1.1\r\nHost: x\r\n\r\n');
    while (hub.stats().clients === 0) await new Promise((r) => setTimeout(r, 5));
    stalled.pause(); // never reads again: the kernel buffers fill, then the server's
    const row = dayRows()[0]!;
    for (let i = 0; i < 20_000 && hub.stats().droppedClients === 0; i++) {
      hub.add(row);
      if (i % 500 === 0) await new Promise((r) => setImmediate(r));
    }
    assert.equal(hub.stats().droppedClients, 1);
    assert.equal(hub.stats().clients, 0);
    assert.match(logs[0]!, /read too slowly/);
  } finally {
    stalled.destroy();
    hub.close();
    await server.close();
  }
});

test('http: on a non-loopback metrics bind, attaching the hub warns that the feature rows and the SSE stream are exposed', async () => {
  const warnings: string[] = [];
  // Loopback in the test, judged as remote (what 0.0.0.0 gets in production).
  const server = await startMetricsServer('127.0.0.1:0', createMetricsRegistry({ defaultMetrics: false }), { onWarn: (m) => warnings.push(m), isLoopback: () => false });
  const hub = new FeatureStreamHub({ aggression: false, windows: ['1m'], heartbeatMs: 0 });
  try {
    hub.attach(server);
    assert.equal(warnings.length, 3, warnings.join('\n'));
    assert.match(warnings[1]!, /^\/features\/latest on 127\.0\.0\.1:\d+ is reachable from other machines: the latest feature row of each window/);
    assert.match(warnings[2]!, /^\/features\/stream on 127\.0\.0\.1:\d+ is reachable from other machines: every feature row as it is emitted \(Server-Sent Events\)/);
  } finally {
    hub.close();
    await server.close();
  }
});
