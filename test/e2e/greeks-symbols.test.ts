/**
 * `gammaflow greeks --symbols A,B` on generated days: each symbol's options-greeks partition holds
 * the same rows as `greeks --symbol A` and `--symbol B` run one after the other (DuckDB EXCEPT ALL
 * both ways, row counts, manifest rows and files), and each day's options-trades partition is read
 * once for all the symbols (the run's log line says so).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { duckQuery, lit } from '../support/duckdb.js';
import { parseJsonLines, runCli, startCli, type CliResult } from '../support/cli.js';

const DAYS = ['2025-11-06', '2025-11-07'];
const SYMBOLS = ['SPY', 'QQQ'];

let work: string;
let config: string;
let perSymbol: string;
let together: string;

const said = (r: { stdout: string; stderr: string }): string =>
  r.stdout.split('\n').filter((l) => !l.startsWith('{"type":"progress"')).join('\n') + r.stderr;
const greeksArgs = (lake: string, symbolArgs: readonly string[]): string[] =>
  ['greeks', ...symbolArgs, '--from', DAYS[0]!, '--to', DAYS.at(-1)!, '--lake', lake, '--json', '--config', config];
const dayLines = (r: CliResult): Record<string, unknown>[] => parseJsonLines(r.stdout).filter((l) => l.type === 'day');

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'gf-e2e-symbols-'));
  const data = join(work, 'massive');
  config = join(work, 'config.toml');
  writeFileSync(config, ['[storage]', 'file_size_mb_target = 1', 'row_group_rows = 4096', '[aggregations]', 'aggression = false',
    '[tui]', 'plain_progress_interval_s = 0.05', '[metrics]', 'listen = "0"'].join('\n') + '\n');
  for (const [i, date] of DAYS.entries()) {
    const r = await runCli(['generate', '--out', data, '--date', date, '--tickers', '3', '--spy-trades', '8000', '--option-trades', '4000', '--seed', String(i + 3)],
      { cwd: work, timeoutMs: 180_000 });
    assert.equal(r.code, 0, r.stderr);
  }
  perSymbol = join(work, 'lake-per-symbol');
  const r = await runCli(['ingest', '--dataset', 'stocks-trades,options-trades', '--from', DAYS[0]!, '--to', DAYS.at(-1)!, '--source', `local:${data}`,
    '--lake', perSymbol, '--json', '--config', config], { cwd: work, timeoutMs: 300_000 });
  assert.equal(r.code, 0, said(r));
  together = join(work, 'lake-together');
  cpSync(perSymbol, together, { recursive: true });
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

test('greeks --symbols SPY,QQQ writes each symbol the partitions of its own run, reading options-trades once per day', async () => {
  for (const symbol of SYMBOLS) {
    const r = await runCli(greeksArgs(perSymbol, ['--symbol', symbol]), { cwd: work, timeoutMs: 300_000 });
    assert.equal(r.code, 0, said(r));
    assert.deepEqual(dayLines(r).map((d) => [d.symbol, d.date, d.state]), DAYS.map((d) => [symbol, d, 'computed']));
  }
  const r = await runCli(greeksArgs(together, ['--symbols', SYMBOLS.join(',')]), { cwd: work, timeoutMs: 300_000 });
  assert.equal(r.code, 0, said(r));
  assert.deepEqual(dayLines(r).map((d) => [d.symbol, d.date, d.state]).sort(),
    DAYS.flatMap((d) => SYMBOLS.map((s) => [s, d, 'computed'])).sort());
  const logs = parseJsonLines(r.stdout).filter((l) => l.type === 'log').map((l) => String(l.message));
  for (const date of DAYS) {
    assert.deepEqual(logs.filter((m) => m.startsWith(`greeks ${date}: read options-trades`)),
      [`greeks ${date}: read options-trades once for 2 symbols (SPY, QQQ)`], said(r));
  }

  for (const symbol of SYMBOLS) {
    for (const date of DAYS) {
      const partition = (lake: string): string => join(lake, 'options-greeks', `symbol=${symbol}`, `date=${date}`);
      const rel = (lake: string): string => `read_parquet(${lit(join(partition(lake), '*.parquet'))}, hive_partitioning = false)`;
      const [c] = await duckQuery(`SELECT (SELECT count(*) FROM ${rel(perSymbol)}) AS a, (SELECT count(*) FROM ${rel(together)}) AS b,
        (SELECT count(*) FROM (SELECT * FROM ${rel(perSymbol)} EXCEPT ALL SELECT * FROM ${rel(together)})) AS only_a,
        (SELECT count(*) FROM (SELECT * FROM ${rel(together)} EXCEPT ALL SELECT * FROM ${rel(perSymbol)})) AS only_b,
        (SELECT count(*) FROM ${rel(together)} WHERE underlying <> ${lit(symbol)}) AS foreign_rows`);
      assert.ok(Number(c!.a) > 50, `${symbol} ${date}: ${c!.a} rows`);
      assert.deepEqual([c!.a, c!.only_a, c!.only_b, c!.foreign_rows], [c!.b, 0n, 0n, 0n], `${symbol} ${date}: same rows as its own run`);
      const manifest = (lake: string) => {
        const m = JSON.parse(readFileSync(join(partition(lake), '_manifest.json'), 'utf8')) as { rows: number; filter: string; source: { etag: string }; files: { name: string; rows: number }[] };
        return { rows: m.rows, filter: m.filter, etag: m.source.etag, files: m.files.map((f) => [f.name, f.rows]) };
      };
      assert.deepEqual(manifest(together), manifest(perSymbol), `${symbol} ${date}: same commit record`);
    }
  }

  // Up to date afterwards: a rerun of one symbol alone, and of both, skips every day.
  const again = await runCli(greeksArgs(together, ['--symbols', 'QQQ,SPY']), { cwd: work, timeoutMs: 300_000 });
  assert.equal(again.code, 0, said(again));
  assert.deepEqual(dayLines(again).map((d) => d.state), DAYS.flatMap(() => SYMBOLS.map(() => 'skipped')));
  assert.ok(!parseJsonLines(again.stdout).some((l) => l.type === 'log' && String(l.message).includes('read options-trades once')), said(again));
});

test('with aggression on, greeks --symbols classifies each symbol\'s trades as its own run does', async () => {
  const data = join(work, 'massive');
  const aggConfig = join(work, 'aggression.toml');
  writeFileSync(aggConfig, ['[storage]', 'row_group_rows = 4096', '[aggregations]', 'aggression = true', '[metrics]', 'listen = "0"'].join('\n') + '\n');
  const date = DAYS[0]!;
  const a = join(work, 'lake-agg-per-symbol'), b = join(work, 'lake-agg-together');
  const ingest = await runCli(['ingest', '--dataset', 'stocks-trades,options-trades,options-quotes', '--from', date, '--to', date, '--source', `local:${data}`,
    '--lake', a, '--json', '--config', aggConfig], { cwd: work, timeoutMs: 300_000 });
  assert.equal(ingest.code, 0, said(ingest));
  cpSync(a, b, { recursive: true });
  const args = (lake: string, symbolArgs: readonly string[]): string[] =>
    ['greeks', ...symbolArgs, '--from', date, '--to', date, '--lake', lake, '--json', '--config', aggConfig];
  for (const symbol of SYMBOLS) {
    const r = await runCli(args(a, ['--symbol', symbol]), { cwd: work, timeoutMs: 300_000 });
    assert.equal(r.code, 0, said(r));
  }
  const r = await runCli(args(b, ['--symbols', SYMBOLS.join(',')]), { cwd: work, timeoutMs: 300_000 });
  assert.equal(r.code, 0, said(r));
  const days = dayLines(r);
  assert.deepEqual(days.map((d) => [d.symbol, d.state]), SYMBOLS.map((s) => [s, 'computed']));
  for (const symbol of SYMBOLS) {
    const rel = (lake: string): string => `read_parquet(${lit(join(lake, 'options-greeks', `symbol=${symbol}`, `date=${date}`, '*.parquet'))}, hive_partitioning = false)`;
    const [c] = await duckQuery(`SELECT (SELECT count(*) FROM ${rel(a)}) AS n, (SELECT count(*) FROM ${rel(a)} WHERE side <> 0) AS sided,
      (SELECT count(*) FROM (SELECT * FROM ${rel(a)} EXCEPT ALL SELECT * FROM ${rel(b)})) AS only_a,
      (SELECT count(*) FROM (SELECT * FROM ${rel(b)} EXCEPT ALL SELECT * FROM ${rel(a)})) AS only_b`);
    assert.ok(Number(c!.sided) > 0, `${symbol}: ${c!.sided} of ${c!.n} trades classified`);
    assert.deepEqual([c!.only_a, c!.only_b], [0n, 0n], `${symbol}: same rows and sides as its own run`);
    assert.ok(days.find((d) => d.symbol === symbol)!.aggression !== undefined, `${symbol}: aggression summary reported`);
  }
});

/** Rows only in a, and only in b, of one symbol's options-greeks over all days. */
async function difference(a: string, b: string, symbol: string): Promise<[bigint, bigint, bigint]> {
  const rel = (lake: string): string => `read_parquet(${lit(join(lake, 'options-greeks', `symbol=${symbol}`, '*', '*.parquet'))}, hive_partitioning = false)`;
  const [c] = await duckQuery(`SELECT (SELECT count(*) FROM ${rel(a)}) AS n,
    (SELECT count(*) FROM (SELECT * FROM ${rel(a)} EXCEPT ALL SELECT * FROM ${rel(b)})) AS only_a,
    (SELECT count(*) FROM (SELECT * FROM ${rel(b)} EXCEPT ALL SELECT * FROM ${rel(a)})) AS only_b`);
  return [c!.n as bigint, c!.only_a as bigint, c!.only_b as bigint];
}

test('greeks --symbols --shard I/2: two shards at once split the (symbol, day) units and write what one run writes', async () => {
  const lake = join(work, 'lake-shards');
  cpSync(perSymbol, lake, { recursive: true });
  const shards = await Promise.all([0, 1].map((i) => startCli([...greeksArgs(lake, ['--symbols', SYMBOLS.join(',')]), '--force', '--shard', `${i}/2`],
    { cwd: work, timeoutMs: 300_000 }).exited));
  for (const r of shards) assert.equal(r.code, 0, said(r));
  const done = shards.map((r) => dayLines(r).map((d) => `${String(d.symbol)} ${String(d.date)}`));
  assert.equal(done[0]!.filter((k) => done[1]!.includes(k)).length, 0, 'no (symbol, day) is done by both shards');
  assert.deepEqual([...done[0]!, ...done[1]!].sort(), DAYS.flatMap((d) => SYMBOLS.map((s) => `${s} ${d}`)).sort());
  for (const symbol of SYMBOLS) {
    const [n, onlyA, onlyB] = await difference(together, lake, symbol);
    assert.ok(n > 100n, `${symbol}: ${n} rows`);
    assert.deepEqual([onlyA, onlyB], [0n, 0n], `${symbol}: sharded equals one run`);
  }
});

test('with option_roots, a root\'s trades go to every symbol of the pass, as in each symbol\'s own run', async () => {
  const rootsConfig = join(work, 'roots.toml');
  writeFileSync(rootsConfig, ['[storage]', 'row_group_rows = 4096', '[aggregations]', 'aggression = false', 'option_roots = ["SPY1"]', '[metrics]', 'listen = "0"'].join('\n') + '\n');
  const a = join(work, 'lake-roots-per-symbol'), b = join(work, 'lake-roots-together');
  cpSync(perSymbol, a, { recursive: true });
  cpSync(perSymbol, b, { recursive: true });
  const args = (lake: string, symbolArgs: readonly string[]): string[] =>
    ['greeks', ...symbolArgs, '--from', DAYS[0]!, '--to', DAYS.at(-1)!, '--lake', lake, '--json', '--config', rootsConfig];
  for (const symbol of SYMBOLS) {
    const r = await runCli(args(a, ['--symbol', symbol]), { cwd: work, timeoutMs: 300_000 });
    assert.equal(r.code, 0, said(r));
  }
  const r = await runCli(args(b, ['--symbols', SYMBOLS.join(',')]), { cwd: work, timeoutMs: 300_000 });
  assert.equal(r.code, 0, said(r));
  assert.deepEqual(dayLines(r).map((d) => d.state), DAYS.flatMap(() => SYMBOLS.map(() => 'computed')));
  for (const symbol of SYMBOLS) {
    const [n, onlyA, onlyB] = await difference(a, b, symbol);
    assert.ok(n > 50n, `${symbol}: ${n} rows`);
    assert.deepEqual([onlyA, onlyB], [0n, 0n], `${symbol}: same rows as its own run`);
  }
  const qqqRoots = await duckQuery(`SELECT DISTINCT root FROM read_parquet(${lit(join(b, 'options-greeks', 'symbol=QQQ', '*', '*.parquet'))}) ORDER BY root`);
  assert.deepEqual(qqqRoots.map((row) => row.root), ['QQQ', 'SPY1'], 'QQQ\'s partition holds the extra root\'s trades too');
});

test('greeks --symbol and --symbols together is a usage error', async () => {
  const r = await runCli(greeksArgs(together, ['--symbol', 'SPY', '--symbols', 'SPY,QQQ']), { cwd: work, timeoutMs: 60_000 });
  assert.equal(r.code, 2, said(r));
  assert.match(r.stderr, /--symbol and --symbols: use one of them/);
});
