import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startMassiveRestServer, type MassiveRestServer } from '../../../test/support/massive-rest-server.js';
import { ProgressTracker } from '../../observe/progress.js';
import { RestClient } from '../../sources/rest/client.js';
import { RateLimiter } from '../../sources/rest/rate-limiter.js';
import { runRates } from './rates-job.js';
import { readTreasuryYields, treasuryCurveFor } from './treasury-store.js';

let server: MassiveRestServer;
const lake = mkdtempSync(join(tmpdir(), 'gammaflow-rates-'));
const row = (date: string, shift: number) => ({
  date, yield_1_month: 4.0 + shift, yield_3_month: 3.9 + shift, yield_6_month: 3.8 + shift, yield_1_year: 3.7 + shift, yield_2_year: 3.6 + shift,
  yield_3_year: 3.6 + shift, yield_5_year: 3.7 + shift, yield_7_year: 3.9 + shift, yield_10_year: 4.1 + shift, yield_30_year: 4.7 + shift,
}); // no 20-year: stored as null

before(async () => {
  server = await startMassiveRestServer();
  server.yields.push(row('2025-11-05', 0), row('2025-11-06', 0.01), row('2025-11-07', 0.02));
});
after(async () => { await server.stop(); rmSync(lake, { recursive: true, force: true }); });

const client = () => new RestClient({ baseUrl: server.url, apiKey: server.apiKey, limiter: new RateLimiter({ requestsPerSecond: 100, concurrency: 2 }),
  retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 50 }, timeoutMs: 5000 });
const run = (force = false) => runRates({ lake, from: '2025-11-01', to: '2025-11-07', client: client(), force, zstdLevel: 1, tracker: new ProgressTracker(), version: 'test' });

test('rates stores one partition per published date, reads back exactly, skips unchanged dates and replaces revised ones', async () => {
  const first = await run();
  assert.deepEqual([first.stored, first.unchanged, first.exitCode], [3, 0, 0]);
  const back = await readTreasuryYields(lake);
  assert.deepEqual(back.map((d) => d.date), ['2025-11-05', '2025-11-06', '2025-11-07']);
  assert.equal(back[1]!.yields['yield_10_year'], 4.1 + 0.01);
  assert.equal(back[1]!.yields['yield_20_year'], null);
  const record = JSON.parse(readFileSync(join(lake, 'treasury-yields', 'date=2025-11-05', '_manifest.json'), 'utf8'));
  assert.equal(record.source.key, 'rest:/fed/v1/treasury-yields/2025-11-05');

  const second = await run();
  assert.deepEqual([second.stored, second.unchanged], [0, 3]);
  server.yields[2] = row('2025-11-07', 0.05); // a revision
  const third = await run();
  assert.deepEqual([third.stored, third.unchanged], [1, 2]);
  assert.equal((await readTreasuryYields(lake))[2]!.yields['yield_1_month'], 4.0 + 0.05);

  // Greeks on a Saturday take Friday's curve; before the first date there is none.
  const yields = await readTreasuryYields(lake);
  const sat = treasuryCurveFor('2025-11-08', yields, lake);
  assert.ok('curve' in sat && sat.curve.date === '2025-11-07');
  const early = treasuryCurveFor('2025-11-04', yields, lake);
  assert.ok('missing' in early && /run gammaflow rates/.test(early.missing));
});

test('a 403 on the yields endpoint fails the run naming the data and the plan', async () => {
  server.setDeny(() => 403);
  try {
    const tracker = new ProgressTracker();
    const r = await runRates({ lake, from: '2025-11-01', to: '2025-11-07', client: client(), force: false, zstdLevel: 1, tracker, version: 'test' });
    assert.equal(r.exitCode, 1);
    assert.match(tracker.snapshot().logs.map((l) => l.message).join('\n'), /Massive REST refused Treasury yields 2025-11-01\.\.2025-11-07 \(HTTP 403.*economic data/);
  } finally { server.setDeny(undefined); }
});
