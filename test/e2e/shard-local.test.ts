/**
 * Sharded runs and concurrent writers on one local lake, as a user runs them:
 *
 * - two `ingest --shard I/2` processes at once over several days and three
 *   datasets write the same lake as one unsharded run: the same partitions,
 *   the same rows (DuckDB, EXCEPT ALL both ways), the same files with the
 *   same checksums in every commit record; each (dataset, day) was done by
 *   exactly one shard, and each shard says which it is in its summary; then
 *   two `greeks --shard I/2` at once equal one greeks process, and two
 *   `features --shard I/2` one features process;
 * - a shard killed with SIGKILL in the middle of its share and run again
 *   leaves no duplicate row, nothing in _staging or _trash and no lock;
 * - greeks of one dataset and ingest of another run at the same time on one
 *   lake, and a partition another process holds is refused with its holder
 *   named, while the rest of the lake is written.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { duckQuery, lit } from '../support/duckdb.js';
import { parseJsonLines, runCli, startCli, type CliResult } from '../support/cli.js';
import { lockPartition } from '../../src/lake/lock.js';

const DAYS = ['2025-11-03', '2025-11-04', '2025-11-05', '2025-11-06'];
const DATASETS = ['stocks-trades', 'options-trades', 'options-quotes'];

let work: string;
let data: string;
let config: string;
let single: string;

const ingestArgs = (lake: string, datasets: readonly string[], extra: readonly string[] = []): string[] =>
  ['ingest', '--dataset', datasets.join(','), '--from', DAYS[0]!, '--to', DAYS.at(-1)!, '--source', `local:${data}`,
    '--lake', lake, '--json', '--config', config, ...extra];

/** What a JSON run said, minus its progress ticks: for assertion messages. */
const said = (r: { stdout: string; stderr: string }): string =>
  r.stdout.split('\n').filter((l) => !l.startsWith('{"type":"progress"')).join('\n') + r.stderr;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'gf-e2e-shard-'));
  data = join(work, 'massive');
  config = join(work, 'config.toml');
  // Small parts, so a day is several files that must appear together; aggression off so greeks read no quotes.
  writeFileSync(config, ['[ingest]', 'concurrent_files = 2', 'batch_rows = 8192', '[storage]', 'file_size_mb_target = 1', 'row_group_rows = 16384',
    '[aggregations]', 'aggression = false', '[tui]', 'plain_progress_interval_s = 0.05', '[metrics]', 'listen = "0"'].join('\n') + '\n');
  for (const [i, date] of DAYS.entries()) {
    const r = await runCli(['generate', '--out', data, '--date', date, '--tickers', '5', '--spy-trades', '30000', '--option-trades', '8000', '--seed', String(i + 1)],
      { cwd: work, timeoutMs: 180_000 });
    assert.equal(r.code, 0, r.stderr);
  }
  single = join(work, 'lake-single');
  const r = await runCli(ingestArgs(single, DATASETS), { cwd: work, timeoutMs: 300_000 });
  assert.equal(r.code, 0, said(r));
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

interface PartitionRecord { rows: number; generation: number; source: unknown; files: { name: string; bytes: number; rows: number; sha256: string }[] }

/** Every partition's commit record, keyed `dataset date`, with what must not depend on who wrote it. */
function records(lake: string): Map<string, PartitionRecord> {
  const out = new Map<string, PartitionRecord>();
  for (const dataset of DATASETS) {
    const root = join(lake, dataset);
    if (!existsSync(root)) continue;
    for (const name of readdirSync(root).sort()) {
      const e = JSON.parse(readFileSync(join(root, name, '_manifest.json'), 'utf8')) as PartitionRecord & { date: string };
      out.set(`${dataset} ${e.date}`, {
        rows: e.rows, generation: e.generation, source: e.source,
        files: e.files.map((f) => ({ name: f.name, bytes: f.bytes, rows: f.rows, sha256: f.sha256 })),
      });
    }
  }
  return out;
}

/** Rows only in a, only in b, and b's duplicates, per dataset (DuckDB reads both lakes). */
async function compareRows(a: string, b: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const dataset of DATASETS) {
    const rel = (lake: string): string => `read_parquet(${lit(join(lake, dataset, '*', '*.parquet'))}, hive_partitioning = true)`;
    const [r] = await duckQuery(`SELECT
      (SELECT count(*) FROM ${rel(a)}) AS rows_a, (SELECT count(*) FROM ${rel(b)}) AS rows_b,
      (SELECT count(*) FROM (SELECT * FROM ${rel(a)} EXCEPT ALL SELECT * FROM ${rel(b)})) AS only_a,
      (SELECT count(*) FROM (SELECT * FROM ${rel(b)} EXCEPT ALL SELECT * FROM ${rel(a)})) AS only_b`);
    out[dataset] = `rows ${r!.rows_a}/${r!.rows_b}, only in a ${r!.only_a}, only in b ${r!.only_b}`;
  }
  return out;
}

function expectSameRows(rows: Record<string, string>, reference: Record<string, string>): void {
  for (const dataset of DATASETS) assert.match(rows[dataset]!, /^rows (\d+)\/\1, only in a 0, only in b 0$/, `${dataset}: ${rows[dataset]}`);
  assert.deepEqual(rows, reference);
}

/** Entries left under _staging/<dataset> and _trash/<dataset>, and lock files under _locks. */
function leftovers(lake: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, rel: string): void => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory() && !e.name.startsWith('date=')) walk(join(dir, e.name), join(rel, e.name));
      else out.push(join(rel, e.name));
    }
  };
  for (const top of ['_staging', '_trash', '_locks']) walk(join(lake, top), top);
  return out.filter((p) => !p.startsWith(join('_staging', '_duckdb')));
}

const dayLines = (r: CliResult): Record<string, unknown>[] => parseJsonLines(r.stdout).filter((l) => l.type === 'day');

let selfCheck: Record<string, string>;

test('two shards at once write the same lake as one run: partitions, rows, files and checksums', async () => {
  selfCheck = await compareRows(single, single);
  const lake = join(work, 'lake-two-shards');
  const shards = [0, 1].map((i) => startCli(ingestArgs(lake, DATASETS, ['--shard', `${i}/2`]), { cwd: work, timeoutMs: 300_000 }));
  const results = await Promise.all(shards.map((s) => s.exited));
  for (const r of results) assert.equal(r.code, 0, said(r));

  const done = results.map((r) => dayLines(r).map((d) => `${String(d.dataset)} ${String(d.date)}`).sort());
  assert.equal(done[0]!.filter((k) => done[1]!.includes(k)).length, 0, 'no (dataset, day) is done by both shards');
  assert.deepEqual([...done[0]!, ...done[1]!].sort(), DATASETS.flatMap((d) => DAYS.map((day) => `${d} ${day}`)).sort(), 'together they do the work list');
  for (const [i, r] of results.entries()) {
    assert.ok(done[i]!.length >= 5 && done[i]!.length <= 7, `shard ${i} did ${done[i]!.length} of 12 items: balanced`);
    const summary = parseJsonLines(r.stdout).find((l) => l.type === 'summary') as { extra?: Record<string, unknown> } | undefined;
    assert.match(String(summary?.extra?.shard), new RegExp(`^${i}/2 \\(${done[i]!.length} \\(dataset, day\\) items here, ${12 - done[i]!.length} left to other shards\\)$`), said(r));
    assert.ok(parseJsonLines(r.stdout).some((l) => l.type === 'log' && String(l.message) === `shard ${i}/2: ${done[i]!.length} of 12 (dataset, day) items; ${12 - done[i]!.length} belong to other shards`), said(r));
  }

  assert.deepEqual(records(lake), records(single), 'every commit record lists the same files, sizes, rows and checksums');
  expectSameRows(await compareRows(single, lake), selfCheck);
  assert.deepEqual(leftovers(lake), [], 'nothing left in _staging, _trash or _locks');

  // Greeks over the same days: two shards at once against one process.
  const greeksArgs = (l: string, extra: readonly string[] = []): string[] =>
    ['greeks', '--symbol', 'SPY', '--from', DAYS[0]!, '--to', DAYS.at(-1)!, '--lake', l, '--json', '--config', config, ...extra];
  const one = await runCli(greeksArgs(single), { cwd: work, timeoutMs: 300_000 });
  assert.equal(one.code, 0, said(one));
  const greeksShards = await Promise.all([0, 1].map((i) => startCli(greeksArgs(lake, ['--shard', `${i}/2`]), { cwd: work, timeoutMs: 300_000 }).exited));
  for (const r of greeksShards) assert.equal(r.code, 0, said(r));
  const greeksDays = greeksShards.map((r) => dayLines(r).map((d) => String(d.date)));
  assert.deepEqual(greeksDays.map((d) => d.length), [2, 2], 'four days in two shards: two each');
  assert.deepEqual([...greeksDays[0]!, ...greeksDays[1]!].sort(), DAYS);
  const greeks = (l: string): string => `read_parquet(${lit(join(l, 'options-greeks', '*', '*', '*.parquet'))}, hive_partitioning = true)`;
  const [g] = await duckQuery(`SELECT (SELECT count(*) FROM ${greeks(single)}) AS n,
    (SELECT count(*) FROM (SELECT * FROM ${greeks(single)} EXCEPT ALL SELECT * FROM ${greeks(lake)})) AS only_single,
    (SELECT count(*) FROM (SELECT * FROM ${greeks(lake)} EXCEPT ALL SELECT * FROM ${greeks(single)})) AS only_sharded`);
  assert.ok(Number(g!.n) > 1000, `greeks rows: ${g!.n}`);
  assert.deepEqual([g!.only_single, g!.only_sharded], [0n, 0n], 'sharded greeks equal one process\'s');
  assert.deepEqual(leftovers(lake), []);

  // Features of those days: two shards at once against one process, every window size of a day in one shard.
  const featuresArgs = (l: string, extra: readonly string[] = []): string[] =>
    ['features', '--symbol', 'SPY', '--from', DAYS[0]!, '--to', DAYS.at(-1)!, '--windows', '1m,5m', '--lake', l, '--json', '--config', config, ...extra];
  const oneFeatures = await runCli(featuresArgs(single), { cwd: work, timeoutMs: 300_000 });
  assert.equal(oneFeatures.code, 0, said(oneFeatures));
  const featureShards = await Promise.all([0, 1].map((i) => startCli(featuresArgs(lake, ['--shard', `${i}/2`]), { cwd: work, timeoutMs: 300_000 }).exited));
  for (const r of featureShards) assert.equal(r.code, 0, said(r));
  assert.deepEqual(featureShards.flatMap((r) => dayLines(r).map((d) => String(d.date))).sort(), DAYS);
  const features = (l: string): string => `read_parquet(${lit(join(l, 'features', '*', '*', '*', '*.parquet'))}, hive_partitioning = true)`;
  const [f] = await duckQuery(`SELECT (SELECT count(*) FROM ${features(single)}) AS n,
    (SELECT count(*) FROM (SELECT * FROM ${features(single)} EXCEPT ALL SELECT * FROM ${features(lake)})) AS only_single,
    (SELECT count(*) FROM (SELECT * FROM ${features(lake)} EXCEPT ALL SELECT * FROM ${features(single)})) AS only_sharded`);
  assert.ok(Number(f!.n) > 100, `feature rows: ${f!.n}`);
  assert.deepEqual([f!.only_single, f!.only_sharded], [0n, 0n], 'sharded features equal one process\'s');
  const outFile = await runCli(featuresArgs(lake, ['--shard', '0/2', '--out', join(work, 'f.csv')]), { cwd: work });
  assert.equal(outFile.code, 2);
  assert.match(outFile.stderr, /--out with --shard: every shard would write the same file/);
});

test('a shard killed in the middle of its share and run again leaves no duplicates', async () => {
  const lake = join(work, 'lake-killed-shard');
  const other = startCli(ingestArgs(lake, DATASETS, ['--shard', '0/2']), { cwd: work, timeoutMs: 300_000 });
  const victim = startCli(ingestArgs(lake, DATASETS, ['--shard', '1/2']), { cwd: work, timeoutMs: 300_000 });
  // Killed once a first day of its share is published and the next is being read.
  await victim.waitForLine((line) => line.includes('"type":"file"') && line.includes('"state":"done"'), 120_000);
  await victim.waitForLine((line) => {
    const l = JSON.parse(line) as { type?: string; totals?: { bytesRead?: number } };
    return l.type === 'progress' && (l.totals?.bytesRead ?? 0) > 0;
  }, 60_000).catch(() => undefined);
  victim.kill('SIGKILL');
  const killed = await victim.exited;
  assert.equal(killed.signal, 'SIGKILL', said(killed));
  const survivor = await other.exited;
  assert.equal(survivor.code, 0, `the other shard is not disturbed:\n${said(survivor)}`);
  const published = DATASETS.flatMap((d) => DAYS.filter((day) => existsSync(join(lake, d, `date=${day}`, '_manifest.json'))).map((day) => `${d} ${day}`));
  assert.ok(published.length < 12, `the killed shard had days left: ${published.join(', ')}`);

  const rerun = await runCli(ingestArgs(lake, DATASETS, ['--shard', '1/2']), { cwd: work, timeoutMs: 300_000 });
  assert.equal(rerun.code, 0, said(rerun));
  const states = dayLines(rerun).map((d) => String(d.state));
  assert.ok(states.includes('skipped') && states.includes('ingested'), `the rerun keeps what was published and does the rest: ${states.join(', ')}`);
  assert.deepEqual(records(lake), records(single));
  expectSameRows(await compareRows(single, lake), selfCheck);
  assert.deepEqual(leftovers(lake), [], 'the killed run\'s staging and locks are gone');
});

test('greeks of one dataset and ingest of another at once on one lake; a partition held elsewhere is refused, naming its holder', async () => {
  const lake = join(work, 'lake-two-jobs');
  // Stock and option trades in place; options-quotes still to ingest.
  const base = await runCli(ingestArgs(lake, ['stocks-trades', 'options-trades']), { cwd: work, timeoutMs: 300_000 });
  assert.equal(base.code, 0, said(base));
  const reference = join(work, 'lake-two-jobs-reference');
  cpSync(lake, reference, { recursive: true });

  // This test process writes one options-quotes partition meanwhile (as another gammaflow would).
  const held = lockPartition(lake, 'options-quotes', DAYS[1]!, { command: 'gammaflow ingest --dataset options-quotes (the test)' });
  let results: CliResult[];
  try {
    const greeksArgs = (l: string): string[] => ['greeks', '--symbol', 'SPY', '--from', DAYS[0]!, '--to', DAYS.at(-1)!, '--lake', l, '--json', '--config', config];
    const quotes = startCli(ingestArgs(lake, ['options-quotes']), { cwd: work, timeoutMs: 300_000 });
    const greeks = startCli(greeksArgs(lake), { cwd: work, timeoutMs: 300_000 });
    results = await Promise.all([quotes.exited, greeks.exited]);
    const sequential = await runCli(greeksArgs(reference), { cwd: work, timeoutMs: 300_000 });
    assert.equal(sequential.code, 0, said(sequential));
  } finally {
    held.release();
  }
  const [quotes, greeksRun] = results;
  assert.equal(greeksRun!.code, 0, `greeks ran beside the ingest:\n${said(greeksRun!)}`);
  assert.equal(quotes!.code, 1, `the held day failed:\n${said(quotes!)}`);
  const outcomes = dayLines(quotes!);
  assert.deepEqual(outcomes.map((d) => [d.date, d.state]), DAYS.map((day) => [day, day === DAYS[1] ? 'failed' : 'ingested']));
  assert.match(String(outcomes[1]!.message), new RegExp(`another gammaflow process is writing to the partition options-quotes/date=${DAYS[1]} of the lake .*: pid ${process.pid} .*\\(gammaflow ingest --dataset options-quotes \\(the test\\)\\)`));

  const greeks = (l: string): string => `read_parquet(${lit(join(l, 'options-greeks', '*', '*', '*.parquet'))})`;
  const [g] = await duckQuery(`SELECT (SELECT count(*) FROM ${greeks(lake)}) AS n,
    (SELECT count(*) FROM (SELECT * FROM ${greeks(lake)} EXCEPT ALL SELECT * FROM ${greeks(reference)})) AS only_concurrent,
    (SELECT count(*) FROM (SELECT * FROM ${greeks(reference)} EXCEPT ALL SELECT * FROM ${greeks(lake)})) AS only_alone`);
  assert.ok(Number(g!.n) > 0);
  assert.deepEqual([g!.only_concurrent, g!.only_alone], [0n, 0n], 'greeks wrote what they write alone');
  const rerun = await runCli(ingestArgs(lake, ['options-quotes']), { cwd: work, timeoutMs: 300_000 });
  assert.equal(rerun.code, 0, said(rerun));
  assert.deepEqual(records(lake), records(single), 'once free, the held day is written like the others');
});
