import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startMassiveRestServer, type MassiveRestServer } from '../../test/support/massive-rest-server.js';
import { DATASETS } from '../formats/datasets.js';
import { ProgressTracker } from '../observe/progress.js';
import { RestClient } from '../sources/rest/client.js';
import { RateLimiter } from '../sources/rest/rate-limiter.js';
import { BackfillProgress } from './progress.js';
import { runBackfill } from './run.js';

let server: MassiveRestServer;
const work = mkdtempSync(join(tmpdir(), 'gammaflow-backfill-run-'));
const T = 1762525800000000000n;

before(async () => {
  server = await startMassiveRestServer({ today: '2026-12-07' });
  server.trades.set('SPY', [0, 1, 2].map((i) => ({ exchange: 4, id: `i${i}`, price: 680 + i, size: 10, sequence_number: i, sip_timestamp: String(T + BigInt(i)) })));
  server.contracts.push({ ticker: 'O:SPY251107C00680000', underlying_ticker: 'SPY', contract_type: 'call', exercise_style: 'american', expiration_date: '2025-11-07', strike_price: 680, shares_per_contract: 100 });
});
after(async () => { await server.stop(); rmSync(work, { recursive: true, force: true }); });

function request(lake: string, datasets: (keyof typeof DATASETS)[], days: string[], force = false) {
  const tracker = new ProgressTracker();
  const client = new RestClient({ baseUrl: server.url, apiKey: server.apiKey, limiter: new RateLimiter({ requestsPerSecond: 500, concurrency: 4 }),
    retry: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 10 }, timeoutMs: 5000 });
  return {
    tracker,
    run: () => runBackfill({
      symbol: 'SPY', days, datasets: datasets.map((d) => DATASETS[d]), lake, client, force, tickerConcurrency: 4,
      batchRows: 1024, rowGroupRows: 4096, fileSizeTargetBytes: 1 << 26, zstdLevel: 1, useWorkerWriter: false,
      tracker, progress: new BackfillProgress(tracker), version: 'test',
    }),
  };
}

test('a refused contract listing stops the run at the first day, naming the data and the plan; later days are not tried', async () => {
  server.setDeny((p) => (p.startsWith('/v3/reference/') ? 403 : undefined));
  try {
    const { run, tracker } = request(join(work, 'denied'), ['options-trades'], ['2025-11-06', '2025-11-07']);
    const r = await run();
    assert.equal(r.exitCode, 1);
    assert.deepEqual(r.outcomes.map((o) => o.state), ['failed', 'abandoned']);
    assert.equal(r.outcomes[0]!.errorCode, 'access_denied');
    assert.match(r.outcomes[0]!.message, /options-trades 2025-11-06: Massive REST refused the option contracts of SPY on 2025-11-06 \(HTTP 403: .*\).*an Options plan \(reference data\)/);
    assert.match(r.outcomes[1]!.message, /not tried/);
    assert.equal(tracker.snapshot().totals.errors, 1);
  } finally { server.setDeny(undefined); }
});

test('a day in the lake from flat files is left alone unless forced', async () => {
  const lake = join(work, 'flat');
  mkdirSync(join(lake, 'stocks-trades', 'date=2025-11-07'), { recursive: true });
  writeFileSync(join(lake, 'stocks-trades', 'date=2025-11-07', 'part-00000.parquet'), 'x');
  writeFileSync(join(lake, 'stocks-trades', 'date=2025-11-07', '_manifest.json'), JSON.stringify({
    dataset: 'stocks-trades', date: '2025-11-07', source: { description: 'local:day', key: 'us_stocks_sip/trades_v1/2025/11/2025-11-07.csv.gz', size: 1, etag: 'e' },
    files: [{ name: 'part-00000.parquet', rows: 1, bytes: 1, rowGroups: 1, sha256: 'x' }], rows: 1, rowsRejected: 0, rowsFiltered: 0, schemaVersion: 1, runId: 'r', publishedAt: 'now', generation: 1,
  }));
  const before = server.requests.length;
  const skipped = await request(lake, ['stocks-trades'], ['2025-11-07']).run();
  assert.equal(skipped.outcomes[0]!.state, 'skipped');
  assert.match(skipped.outcomes[0]!.message, /already in the lake from flat files .*--force/);
  assert.equal(server.requests.length, before);
  const forcedRun = request(lake, ['stocks-trades'], ['2025-11-07'], true);
  const forced = await forcedRun.run();
  const extra = forcedRun.tracker.snapshot().extra;
  assert.deepEqual([extra['rest_tickers'], extra['rest_pages'], extra['rest_rows'], extra['rest_429s'], extra['rest_eta']], ['1/1', 1, 3, 0, '0s']);
  assert.equal(forced.outcomes[0]!.state, 'backfilled');
  assert.equal(forced.outcomes[0]!.entry?.rows, 3);
  assert.equal(forced.outcomes[0]!.entry?.source.key, 'rest:stocks-trades/2025-11-07');
});
