/**
 * `gammaflow live --lake` keeps the events it uses, durably: a live run killed with SIGKILL in
 * the middle of a replayed day, then a second run fed the whole day again from the start, leave
 * realtime tables that hold every event of the day exactly once (the second run skips what the
 * first stored), readable by DuckDB, and a ledger that shows the restart gap.
 *
 * Real CLI processes on loopback: generate → run (the lake to replay) → replay (paced) → live,
 * SIGKILL → replay (max) → live --exit-on-close.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, startCli } from '../support/cli.js';
import { duckQuery, lit } from '../support/duckdb.js';

const DATE = '2025-11-07';
const KEY = 'record-test-key';
const env = { MASSIVE_API_KEY: KEY };
let work: string;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'gf-e2e-record-'));
  writeFileSync(join(work, 'config.toml'), ['[metrics]', 'listen = "0"', '[aggregations]', 'quiet_close_ms = 0', '[live]', 'flush_interval = "200ms"', ''].join('\n'));
  const generated = await runCli(['generate', '--out', 'data', '--date', DATE, '--ms', '--tickers', '3', '--spy-trades', '6000', '--option-trades', '2000'],
    { cwd: work, timeoutMs: 120_000 });
  assert.equal(generated.code, 0, generated.stderr);
  const run = await runCli(['run', '--symbol', 'SPY', '--from', DATE, '--source', 'local:data', '--lake', 'lake', '--no-tui'], { cwd: work, timeoutMs: 180_000 });
  assert.equal(run.code, 0, run.stderr);
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const rtFiles = (dataset: string): string[] => {
  const dir = join(work, 'rt-lake', dataset, `date=${DATE}`);
  return existsSync(dir) ? readdirSync(dir) : [];
};

test('kill -9 live mid-day, restart on the whole day: every event stored once, no partial file, the ledger shows the gap', { timeout: 240_000 }, async () => {
  // First run: a paced replay from 09:30; killed once some events are on disk.
  const replay1 = startCli(['replay', '--symbol', 'SPY', '--date', DATE, '--lake', 'lake', '--speed', '2000x', '--start', '09:30', '--port', '0'],
    { cwd: work, env, timeoutMs: 120_000 });
  try {
    const url1 = await replay1.waitForLine((l) => l.startsWith('ws://127.0.0.1:'));
    const live1 = startCli(['live', '--symbol', 'SPY', '--url', url1, '--all-quotes', '--no-tui', '--lake', 'rt-lake'], { cwd: work, env, timeoutMs: 120_000 });
    await waitFor(() => rtFiles('realtime-stocks-trades').filter((n) => n.endsWith('.parquet')).length >= 3, 60_000);
    live1.kill('SIGKILL');
    const killed = await live1.exited;
    assert.equal(killed.signal, 'SIGKILL');
  } finally {
    replay1.kill('SIGKILL');
    await replay1.exited;
  }
  const glob = (dataset: string): string => lit(join(work, 'rt-lake', dataset, `date=${DATE}`, '*.parquet'));
  const [partial] = await duckQuery(`SELECT count(*) AS n FROM read_parquet(${glob('realtime-stocks-trades')})`);
  assert.ok((partial!.n as bigint) > 0n, 'the killed run kept events');

  // Second run: the whole day again from 04:00.
  const replay2 = startCli(['replay', '--symbol', 'SPY', '--date', DATE, '--lake', 'lake', '--speed', 'max', '--port', '0'], { cwd: work, env, timeoutMs: 120_000 });
  try {
    const url2 = await replay2.waitForLine((l) => l.startsWith('ws://127.0.0.1:'));
    const live2 = await runCli(['live', '--symbol', 'SPY', '--url', url2, '--exit-on-close', '--all-quotes', '--no-tui', '--lake', 'rt-lake'],
      { cwd: work, env, timeoutMs: 120_000 });
    assert.equal(live2.code, 0, live2.stderr);
    assert.match(live2.stderr, /no events recorded for .* before this run \(the previous run was killed\)/);
    assert.match(live2.stderr, /events kept: \d+ stock trades, \d+ option trades, \d+ quotes \([1-9]\d* already stored\)/);
  } finally {
    replay2.kill('SIGKILL');
    await replay2.exited;
  }

  for (const dataset of ['realtime-stocks-trades', 'realtime-options-trades', 'realtime-options-quotes']) {
    assert.deepEqual(rtFiles(dataset).filter((n) => !n.endsWith('.parquet') && n !== '_manifest.json'), [], `${dataset}: no temporary file left`);
  }
  // Stock trades: exactly the day's SPY trades, each once.
  const [stocks] = await duckQuery(`SELECT count(*) AS n, count(DISTINCT (sip_timestamp, sequence_number, id, exchange, price, size)) AS distinct_n,
      min(received_at) > 0 AS received FROM read_parquet(${glob('realtime-stocks-trades')})`);
  const [lakeStocks] = await duckQuery(`SELECT count(*) AS n FROM read_parquet(${lit(join(work, 'lake', 'stocks-trades', `date=${DATE}`, '*.parquet'))}) WHERE ticker = 'SPY'`);
  assert.deepEqual(stocks, { n: lakeStocks!.n, distinct_n: lakeStocks!.n, received: true });
  // Option trades and quotes: no duplicates, all of the day's.
  const [options] = await duckQuery(`SELECT count(*) AS n, count(DISTINCT (ticker, sip_timestamp, sequence_number, price, size, exchange)) AS distinct_n
    FROM read_parquet(${glob('realtime-options-trades')})`);
  const [lakeOptions] = await duckQuery(`SELECT count(*) AS n FROM read_parquet(${lit(join(work, 'lake', 'options-trades', `date=${DATE}`, '*.parquet'))}) WHERE underlying = 'SPY'`);
  assert.deepEqual(options, { n: lakeOptions!.n, distinct_n: lakeOptions!.n });
  const [quotes] = await duckQuery(`SELECT count(*) AS n, count(DISTINCT (ticker, sip_timestamp, sequence_number, bid_price, ask_price, bid_size, ask_size)) AS distinct_n
    FROM read_parquet(${glob('realtime-options-quotes')})`);
  assert.ok((quotes!.n as bigint) > 0n);
  assert.equal(quotes!.n, quotes!.distinct_n);

  // The ledger: both runs, and the restart gap between them.
  const ledger = readFileSync(join(work, 'rt-lake', 'realtime-ledger', `date=${DATE}`, 'ledger.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const starts = ledger.filter((e) => e.type === 'run_start');
  assert.equal(starts.length, 2, JSON.stringify(ledger));
  const gap = ledger.find((e) => e.type === 'gap' && e.reason === 'process_restart');
  assert.ok(gap, JSON.stringify(ledger));
  assert.ok((gap.to_ms as number) > (gap.from_ms as number));
  assert.equal(ledger.filter((e) => e.type === 'run_end').length, 1, 'only the second run ended');
  assert.equal(ledger.at(-1)!.type, 'run_end');
});
