/**
 * End to end: `gammaflow backfill` against a loopback server speaking Massive's REST format, serving a
 * generated day (the same day's flat files are the reference).
 *
 * 1. Parity: the day backfilled over REST (paged, with a 429 and a cut connection on the way), then
 *    `greeks` and `features`, gives the same lake rows and the same feature rows as `gammaflow run` on the
 *    flat files.
 * 2. kill -9 in the middle of a backfill, rerun: the rerun fetches only what is missing, and the lake holds
 *    every row exactly once.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJsonLines, runCli, startCli } from '../support/cli.js';
import { duckQuery, lit } from '../support/duckdb.js';
import { loadFlatFileDay, startMassiveRestServer, type MassiveRestServer } from '../support/massive-rest-server.js';

const DATE = '2025-11-07';

let work: string;
let server: MassiveRestServer;

function config(url: string, extra = ''): string {
  return `[massive]\nrest_url = "${url}"\nrest_requests_per_second = 2000\nrest_concurrency = 4\nrest_max_retries = 4\n\n[ingest]\nretry_base_ms = 20\n\n[metrics]\nlisten = "0"\n${extra}`;
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'gammaflow-backfill-e2e-'));
  const generated = await runCli(['generate', '--out', 'day', '--date', DATE, '--seed', '11', '--tickers', '3',
    '--spy-trades', '4000', '--option-trades', '2500'], { cwd: work, timeoutMs: 120_000 });
  assert.equal(generated.code, 0, generated.stderr);
  server = await startMassiveRestServer({ maxLimit: 700, today: '2026-12-07' });
  await loadFlatFileDay(server, join(work, 'day'), DATE);
});

after(async () => {
  await server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const parquet = (lake: string, dataset: string): string => lit(join(work, lake, dataset, `date=${DATE}`, '*.parquet'));

test('a day backfilled over REST, then greeks and features, equals the same day ingested from flat files', async () => {
  writeFileSync(join(work, 'config.toml'), config(server.url));
  const env = { MASSIVE_API_KEY: server.apiKey };
  // Faults on the way: a 429 without Retry-After, a 500 and a connection cut in the middle of a page.
  server.fault({ kind: 'status', status: 429 }, { match: '/v3/trades/SPY' });
  server.fault({ kind: 'status', status: 500 }, { match: '/v3/quotes/' });
  server.fault({ kind: 'cut' }, { match: 'cursor=700' });

  const flat = await runCli(['run', '--symbol', 'SPY', '--from', DATE, '--source', 'local:day', '--lake', 'flat-lake', '--out', 'flat.csv',
    '--windows', '1m,5m', '--no-tui', '--config', 'config.toml'], { cwd: work, timeoutMs: 180_000 });
  assert.equal(flat.code, 0, flat.stderr);

  const backfill = await runCli(['backfill', '--symbol', 'SPY', '--from', DATE, '--datasets', 'stocks-trades,options-trades,options-quotes',
    '--lake', 'rest-lake', '--no-tui', '--config', 'config.toml'], { cwd: work, env, timeoutMs: 180_000 });
  assert.equal(backfill.code, 0, backfill.stderr);
  assert.match(backfill.stderr, /REST: \d+ request\(s\), \d+ page\(s\), \d+ row\(s\) fetched, 1 answered 429, 2 retried/);
  assert.doesNotMatch(backfill.stderr + backfill.stdout, new RegExp(server.apiKey));

  // The raw datasets: SPY's stock trades and every SPY option trade and quote, row for row.
  for (const [dataset, where] of [['stocks-trades', `WHERE ticker = 'SPY'`], ['options-trades', `WHERE underlying = 'SPY'`], ['options-quotes', `WHERE underlying = 'SPY'`]] as const) {
    const [counts] = await duckQuery(`SELECT (SELECT count(*) FROM read_parquet(${parquet('flat-lake', dataset)}) ${where}) AS flat,
      (SELECT count(*) FROM read_parquet(${parquet('rest-lake', dataset)})) AS rest`);
    assert.ok(Number(counts!['flat']) > 0, `${dataset}: rows in the flat-file lake`);
    assert.equal(Number(counts!['rest']), Number(counts!['flat']), `${dataset}: same number of rows`);
    const diff = await duckQuery(`SELECT count(*) AS n FROM (
      (SELECT * FROM read_parquet(${parquet('flat-lake', dataset)}) ${where} EXCEPT ALL SELECT * FROM read_parquet(${parquet('rest-lake', dataset)}))
      UNION ALL
      (SELECT * FROM read_parquet(${parquet('rest-lake', dataset)}) EXCEPT ALL SELECT * FROM read_parquet(${parquet('flat-lake', dataset)}) ${where}))`);
    assert.equal(Number(diff[0]!['n']), 0, `${dataset}: the same rows`);
  }
  const [meta] = await duckQuery(`SELECT decode(value) AS v FROM parquet_kv_metadata(${parquet('rest-lake', 'stocks-trades')}) WHERE decode(key) = 'gammaflow.source'`);
  assert.equal(meta!['v'], 'rest');
  const record = JSON.parse(readFileSync(join(work, 'rest-lake', 'options-trades', `date=${DATE}`, '_manifest.json'), 'utf8'));
  assert.equal(record.source.key, `rest:options-trades/${DATE}`);
  assert.equal(record.filter, 'underlyings=SPY');

  const greeks = await runCli(['greeks', '--symbol', 'SPY', '--from', DATE, '--lake', 'rest-lake', '--no-tui', '--config', 'config.toml'], { cwd: work, timeoutMs: 120_000 });
  assert.equal(greeks.code, 0, greeks.stderr);
  const features = await runCli(['features', '--symbol', 'SPY', '--from', DATE, '--lake', 'rest-lake', '--out', 'rest.csv', '--windows', '1m,5m',
    '--no-tui', '--config', 'config.toml'], { cwd: work, timeoutMs: 120_000 });
  assert.equal(features.code, 0, features.stderr);
  const flatCsv = readFileSync(join(work, 'flat.csv'), 'utf8');
  const restCsv = readFileSync(join(work, 'rest.csv'), 'utf8');
  assert.ok(flatCsv.split('\n').length > 100);
  assert.equal(restCsv, flatCsv, 'feature rows from the REST day equal those from the flat files');
  const greeksDiff = await duckQuery(`SELECT count(*) AS n FROM (
    (SELECT * FROM read_parquet(${lit(join(work, 'flat-lake', 'options-greeks', '*', `date=${DATE}`, '*.parquet'))}) EXCEPT ALL SELECT * FROM read_parquet(${lit(join(work, 'rest-lake', 'options-greeks', '*', `date=${DATE}`, '*.parquet'))}))
    UNION ALL
    (SELECT * FROM read_parquet(${lit(join(work, 'rest-lake', 'options-greeks', '*', `date=${DATE}`, '*.parquet'))}) EXCEPT ALL SELECT * FROM read_parquet(${lit(join(work, 'flat-lake', 'options-greeks', '*', `date=${DATE}`, '*.parquet'))})))`);
  assert.equal(Number(greeksDiff[0]!['n']), 0, 'the same greeks rows');

  // A rerun finds the day there and asks for nothing but the (saved) state.
  const before = server.requests.length;
  const again = await runCli(['backfill', '--symbol', 'SPY', '--from', DATE, '--datasets', 'stocks-trades,options-trades,options-quotes',
    '--lake', 'rest-lake', '--no-tui', '--config', 'config.toml'], { cwd: work, env, timeoutMs: 60_000 });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /already backfilled/);
  assert.equal(server.requests.length, before, 'no request for a day already backfilled');
});

test('kill -9 in the middle of a backfill, then a rerun: only what is missing is fetched, no row twice', async () => {
  writeFileSync(join(work, 'config.toml'), config(server.url).replace('rest_requests_per_second = 2000', 'rest_requests_per_second = 40').replace('rest_concurrency = 4', 'rest_concurrency = 2'));
  const env = { MASSIVE_API_KEY: server.apiKey };
  const journal = join(work, 'kill-lake', '_backfill', 'options-quotes', `date=${DATE}`, 'journal.jsonl');
  const first = startCli(['backfill', '--symbol', 'SPY', '--from', DATE, '--datasets', 'options-quotes', '--lake', 'kill-lake', '--no-tui', '--config', 'config.toml'],
    { cwd: work, env, timeoutMs: 120_000 });
  const t0 = Date.now();
  while (!(existsSync(journal) && readFileSync(journal, 'utf8').split('\n').length > 20) && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 20));
  first.kill('SIGKILL');
  const killed = await first.exited;
  assert.equal(killed.signal, 'SIGKILL');
  assert.ok(!existsSync(join(work, 'kill-lake', 'options-quotes', `date=${DATE}`)), 'nothing published by the killed run');
  const pagesBefore = readFileSync(journal, 'utf8').trim().split('\n').length;

  server.requests.length = 0;
  const rerun = await runCli(['backfill', '--symbol', 'SPY', '--from', DATE, '--datasets', 'options-quotes', '--lake', 'kill-lake', '--no-tui', '--config',
    'config.toml'], { cwd: work, env, timeoutMs: 120_000 });
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.match(rerun.stderr, /resuming, \d+ of \d+ ticker\(s\) already fetched/);
  assert.equal(server.requests.filter((r) => r.path.startsWith('/v3/reference/')).length, 0, 'the contract list is not asked again');
  const spyQuotes = [...server.quotes].filter(([ticker]) => ticker.startsWith('O:SPY')).map(([, rows]) => rows);
  const quoteRows = spyQuotes.reduce((n, rows) => n + rows.length, 0);
  const pagesTotal = spyQuotes.reduce((n, rows) => n + Math.max(1, Math.ceil(rows.length / 700)), 0);
  assert.ok(server.requests.length < pagesTotal, `the rerun asked ${server.requests.length} pages of ${pagesTotal} (${pagesBefore} journaled before the kill)`);
  const [r] = await duckQuery(`SELECT count(*) AS n, count(DISTINCT (ticker, sequence_number)) AS d FROM read_parquet(${parquet('kill-lake', 'options-quotes')})`);
  assert.equal(Number(r!['n']), quoteRows, 'every served quote is in the lake');
  assert.equal(Number(r!['d']), quoteRows, 'no quote twice');
});

test('rates, then greeks with risk_free_rate = "treasury": each trade gets the curve rate at its time to expiry, in column r', async () => {
  const { TreasuryCurve } = await import('../../src/options/rates/treasury-curve.js');
  const day = { date: '2025-11-06', yield_1_month: 4.0, yield_3_month: 3.9, yield_6_month: 3.8, yield_1_year: 3.7, yield_2_year: 3.6, yield_3_year: 3.6,
    yield_5_year: 3.7, yield_7_year: 3.9, yield_10_year: 4.1, yield_20_year: 4.6, yield_30_year: 4.7 };
  server.yields.push({ ...day, date: '2025-11-05', yield_1_month: 4.2 }, day); // nothing published on the 7th yet: the 6th's curve applies
  writeFileSync(join(work, 'config.toml'), config(server.url, '\n[aggregations]\nrisk_free_rate = "treasury"\ndividend_yields = { SPY = 0.01 }\n'));
  const env = { MASSIVE_API_KEY: server.apiKey };
  const rates = await runCli(['rates', '--from', '2025-11-01', '--to', DATE, '--lake', 'rest-lake', '--no-tui', '--config', 'config.toml'], { cwd: work, env, timeoutMs: 60_000 });
  assert.equal(rates.code, 0, rates.stderr);
  assert.match(rates.stderr, /2 published date\(s\): 2 stored/);
  const greeks = await runCli(['greeks', '--symbol', 'SPY', '--from', DATE, '--lake', 'rest-lake', '--no-tui', '--config', 'config.toml'], { cwd: work, timeoutMs: 120_000 });
  assert.equal(greeks.code, 0, greeks.stderr);
  const rows = await duckQuery(`SELECT t_years, r, greeks_flag FROM read_parquet(${lit(join(work, 'rest-lake', 'options-greeks', 'symbol=SPY', `date=${DATE}`, '*.parquet'))})`);
  assert.ok(rows.length > 100);
  const { date: curveDate, ...yields } = day;
  const curve = TreasuryCurve.fromYields({ date: curveDate, yields })!;
  for (const row of rows) assert.equal(row['r'], curve.rateAt(row['t_years'] as number));
  // The generated chain's expiries are all within a month: the 6th's 1-month rate, converted (not the 5th's 4.2 %).
  assert.ok(rows.every((row) => (row['t_years'] as number) < 1 / 12));
  assert.ok(Math.abs((rows[0]!['r'] as number) - Math.log1p(0.04 / 12) * 12) < 1e-15);
  assert.ok(rows.some((row) => row['greeks_flag'] === 0), 'trades priced');
});

test('a wrong API key: exit 1, a message naming the dataset and the plan, the key never printed', async () => {
  writeFileSync(join(work, 'config.toml'), config(server.url));
  const r = await runCli(['backfill', '--symbol', 'SPY', '--from', DATE, '--datasets', 'stocks-trades', '--lake', 'denied-lake', '--no-tui', '--config', 'config.toml'],
    { cwd: work, env: { MASSIVE_API_KEY: 'not-the-key-4711' }, timeoutMs: 60_000 });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /Massive REST refused stocks-trades of SPY on 2025-11-07 \(HTTP 401: Unknown API Key\).*a Stocks plan with trades/);
  assert.doesNotMatch(r.stdout + r.stderr, /not-the-key-4711/);
  const none = await runCli(['backfill', '--symbol', 'SPY', '--from', DATE, '--lake', 'denied-lake', '--no-tui', '--config', 'config.toml'], { cwd: work, timeoutMs: 60_000 });
  assert.equal(none.code, 2, none.stderr);
  assert.match(none.stderr, /no Massive API key: set MASSIVE_API_KEY/);
});

test('two backfill shards at once do each (dataset, day) once and write what one backfill writes', async () => {
  writeFileSync(join(work, 'config.toml'), config(server.url));
  const env = { MASSIVE_API_KEY: server.apiKey };
  const datasets = ['stocks-trades', 'options-trades', 'options-quotes'];
  const one = await runCli(['backfill', '--symbol', 'SPY', '--from', DATE, '--datasets', datasets.join(','), '--lake', 'one-lake', '--json', '--config', 'config.toml'],
    { cwd: work, env, timeoutMs: 180_000 });
  assert.equal(one.code, 0, one.stderr);
  const shards = await Promise.all([0, 1].map((i) => startCli(['backfill', '--symbol', 'SPY', '--from', DATE, '--datasets', datasets.join(','),
    '--lake', 'shard-lake', '--json', '--config', 'config.toml', '--shard', `${i}/2`], { cwd: work, env, timeoutMs: 180_000 }).exited));
  const done: string[] = [];
  for (const r of shards) {
    assert.equal(r.code, 0, r.stderr);
    const lines = parseJsonLines(r.stdout);
    for (const l of lines) if (l.type === 'day') done.push(String(l.dataset));
    assert.ok(lines.some((l) => l.type === 'log' && /^shard [01]\/2: \d of 3 \(dataset, day\) items; \d belong to other shards$/.test(String(l.message))), r.stdout);
  }
  assert.deepEqual(done.sort(), [...datasets].sort(), 'each (dataset, day) by exactly one shard');
  for (const dataset of datasets) {
    const [d] = await duckQuery(`SELECT (SELECT count(*) FROM read_parquet(${parquet('one-lake', dataset)})) AS n,
      (SELECT count(*) FROM (SELECT * FROM read_parquet(${parquet('one-lake', dataset)}) EXCEPT ALL SELECT * FROM read_parquet(${parquet('shard-lake', dataset)}))) AS only_one,
      (SELECT count(*) FROM (SELECT * FROM read_parquet(${parquet('shard-lake', dataset)}) EXCEPT ALL SELECT * FROM read_parquet(${parquet('one-lake', dataset)}))) AS only_shards`);
    assert.ok(Number(d!.n) > 0, dataset);
    assert.deepEqual([Number(d!.only_one), Number(d!.only_shards)], [0, 0], `${dataset}: the same rows`);
  }
});
