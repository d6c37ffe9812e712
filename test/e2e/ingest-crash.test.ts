/**
 * `kill -9` in the middle of `gammaflow ingest`, then rerun, as a user whose
 * machine died would. Several days of a few hundred thousand rows each are
 * ingested with two files in flight; the CLI is SIGKILLed at several points
 * of its JSON progress (after 20 %, 50 % and 90 % of the bytes still to read,
 * and right after a day is published). After every kill:
 *
 * - no partial day is visible: every partition readers can glob holds the
 *   whole day, and matches the manifest entry of that day file for file;
 * - the partition lock files left behind name the dead process, and the
 *   next run takes them over.
 *
 * The final rerun completes; its lake equals a clean run's exactly (DuckDB:
 * counts, no duplicate (date, ticker, sequence_number), EXCEPT ALL both ways),
 * with nothing left in staging or trash and every partition lock released.
 *
 * Ctrl-C (SIGINT) without a terminal is the graceful variant: the run stops
 * by itself, abandons what is in flight and cleans up before exiting.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { duckQuery, lit } from '../support/duckdb.js';
import { generateStocksDay, parseJsonLines, runCli, startCli } from '../support/cli.js';

const DATASET = 'stocks-trades';
/** Two large days and a small one. */
const DAYS: readonly { date: string; tickers: number; spyTrades: number }[] = [
  { date: '2025-11-05', tickers: 10, spyTrades: 200_000 },
  { date: '2025-11-06', tickers: 10, spyTrades: 200_000 },
  { date: '2025-11-07', tickers: 10, spyTrades: 60_000 },
];
const FROM = DAYS[0]!.date;
const TO = DAYS[DAYS.length - 1]!.date;
const stocksKey = (date: string): string => `us_stocks_sip/trades_v1/${date.slice(0, 4)}/${date.slice(5, 7)}/${date}.csv.gz`;

let work: string;
let data: string;
let config: string;
const rowsByDate = new Map<string, number>();
const sizeByDate = new Map<string, number>();

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'gf-e2e-crash-'));
  data = join(work, 'massive');
  const rows = await Promise.all(DAYS.map((d) => generateStocksDay(data, d.date, d, work)));
  DAYS.forEach((d, i) => {
    rowsByDate.set(d.date, rows[i]!);
    sizeByDate.set(d.date, statSync(join(data, stocksKey(d.date))).size);
  });
  config = join(work, 'config.toml');
  // Small parts and row groups, so a day is several files that must appear together.
  writeFileSync(config, [
    '[ingest]', 'concurrent_files = 2', 'batch_rows = 16384',
    '[storage]', 'file_size_mb_target = 1', 'row_group_rows = 32768',
    '[tui]', 'plain_progress_interval_s = 0.05',
    '[metrics]', 'listen = "0"',
  ].join('\n') + '\n');
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const ingestArgs = (lake: string): string[] =>
  ['ingest', '--dataset', DATASET, '--from', FROM, '--to', TO, '--source', `local:${data}`, '--lake', lake, '--json', '--config', config];

interface ManifestLine { date: string; rows: number; files: { name: string; bytes: number; rows: number }[] }

/** The published commit record of each date (LAKE/<dataset>/date=D/_manifest.json), read independently of the product. */
function latestManifest(lake: string): Map<string, ManifestLine> {
  const latest = new Map<string, ManifestLine>();
  const root = join(lake, DATASET);
  if (!existsSync(root)) return latest;
  for (const name of readdirSync(root)) {
    const path = join(root, name, '_manifest.json');
    if (!name.startsWith('date=') || !existsSync(path)) continue;
    const entry = JSON.parse(readFileSync(path, 'utf8')) as ManifestLine;
    latest.set(entry.date, entry);
  }
  return latest;
}

/** Published partitions, by date, with their parquet files and sizes. */
function visiblePartitions(lake: string): Map<string, Map<string, number>> {
  const root = join(lake, DATASET);
  const out = new Map<string, Map<string, number>>();
  if (!existsSync(root)) return out;
  for (const dir of readdirSync(root)) {
    const m = /^date=(\d{4}-\d{2}-\d{2})$/.exec(dir);
    assert.ok(m, `only date=YYYY-MM-DD partitions are visible to readers, found ${dir}`);
    const files = new Map<string, number>();
    for (const name of readdirSync(join(root, dir))) if (name.endsWith('.parquet')) files.set(name, statSync(join(root, dir, name)).size);
    out.set(m[1]!, files);
  }
  return out;
}

interface LakeView {
  /** Dates readers can see, ascending. */
  readonly visible: string[];
  /** Dates the manifest records (the next run skips them), ascending. */
  readonly recorded: string[];
}

/**
 * No partial day is visible: each published partition holds all the rows of
 * its day, and the manifest entry of the day (if any) lists exactly its files.
 *
 * A day may be visible without an entry: the product renames the staged day
 * into place, then appends the manifest line, so a kill between the two
 * leaves a complete, unrecorded day, which the next run redoes. Every entry
 * must have its partition.
 */
async function assertNoPartialDay(lake: string, when: string): Promise<LakeView> {
  const partitions = visiblePartitions(lake);
  const manifest = latestManifest(lake);
  for (const [date, files] of partitions) {
    assert.ok(files.size > 0, `${when}: ${date} is visible but empty`);
    const [r] = await duckQuery(`SELECT count(*) AS n FROM read_parquet(${lit(join(lake, DATASET, `date=${date}`, '*.parquet'))})`);
    assert.equal(r!.n, BigInt(rowsByDate.get(date)!), `${when}: ${date} is visible with a partial row count`);
    const entry = manifest.get(date);
    if (entry === undefined) continue;
    assert.equal(entry.rows, rowsByDate.get(date), `${when}: manifest rows of ${date}`);
    assert.deepEqual(new Map(entry.files.map((f) => [f.name, f.bytes])), files, `${when}: ${date} holds exactly the files of its manifest entry`);
  }
  for (const date of manifest.keys()) assert.ok(partitions.has(date), `${when}: manifest lists ${date} but its partition is missing`);
  return { visible: [...partitions.keys()].sort(), recorded: [...manifest.keys()].sort() };
}

/** Starts an ingest and SIGKILLs it once a line of its JSON output satisfies `when`; returns its pid. */
async function killWhen(lake: string, label: string, when: (line: Record<string, unknown>) => boolean): Promise<number> {
  const run = startCli(ingestArgs(lake), { cwd: work });
  let trigger: Record<string, unknown> | undefined;
  try {
    await run.waitForLine((line) => {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      if (!when(parsed)) return false;
      trigger = parsed;
      return true;
    }, 60_000);
  } catch (e) {
    run.kill('SIGKILL');
    await run.exited;
    throw new Error(`${label}: the kill point was never reached: ${(e as Error).message}`);
  }
  run.kill('SIGKILL');
  const r = await run.exited;
  assert.equal(r.signal, 'SIGKILL', `${label}: killed, not exited (code ${r.code}); stderr:\n${r.stderr}`);
  assert.ok(trigger);
  return run.pid;
}

/** The partition lock files of the dataset (`_locks/<dataset>/date=D.lock`). */
function partitionLocks(lake: string): string[] {
  const dir = join(lake, '_locks', DATASET);
  return existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.lock')).map((n) => join(dir, n)) : [];
}

/**
 * The locks a killed run leaves: one per partition it was writing, each naming
 * it; a run killed between two days may hold none.
 */
function assertDeadRunsLocks(lake: string, pid: number, label: string): void {
  for (const path of partitionLocks(lake)) {
    assert.equal((JSON.parse(readFileSync(path, 'utf8')) as { pid: number }).pid, pid, `${label}: ${path} is the dead run's`);
  }
}

/** Bytes of the days not yet published in `lake`: what a run has to read. */
function bytesToRead(lake: string): number {
  const published = latestManifest(lake);
  return DAYS.filter((d) => !published.has(d.date)).reduce((n, d) => n + sizeByDate.get(d.date)!, 0);
}

const bytesRead = (line: Record<string, unknown>): number =>
  line.type === 'progress' ? (line.totals as { bytesRead: number }).bytesRead : -1;

/** What a JSON run said, minus its progress ticks: for assertion messages. */
const said = (r: { stdout: string; stderr: string }): string =>
  r.stdout.split('\n').filter((l) => !l.startsWith('{"type":"progress"')).join('\n') + r.stderr;

async function compareLakes(a: string, b: string): Promise<Record<string, bigint>> {
  const rel = (lake: string) => `read_parquet(${lit(join(lake, DATASET, '*', '*.parquet'))}, hive_partitioning = true)`;
  const [r] = await duckQuery(`SELECT
    (SELECT count(*) FROM ${rel(a)}) AS rowsA,
    (SELECT count(*) FROM ${rel(b)}) AS rowsB,
    (SELECT count(DISTINCT (date, ticker, sequence_number)) FROM ${rel(b)}) AS distinctB,
    (SELECT count(*) FROM (SELECT * FROM ${rel(a)} EXCEPT ALL SELECT * FROM ${rel(b)})) AS onlyA,
    (SELECT count(*) FROM (SELECT * FROM ${rel(b)} EXCEPT ALL SELECT * FROM ${rel(a)})) AS onlyB`);
  return r as Record<string, bigint>;
}

/** Entries left under LAKE/_staging/* and LAKE/_trash/*. */
function leftovers(lake: string): string[] {
  const out: string[] = [];
  for (const top of ['_staging', '_trash']) {
    const root = join(lake, top);
    if (!existsSync(root)) continue;
    for (const d of readdirSync(root)) for (const e of readdirSync(join(root, d))) out.push(join(top, d, e));
  }
  return out;
}

test('kill -9 at 20 %, 50 %, 90 % and right after a publish never shows a partial day; the rerun equals a clean run', async () => {
  const clean = join(work, 'lake-clean');
  const cleanRun = await runCli(ingestArgs(clean), { cwd: work });
  assert.equal(cleanRun.code, 0, said(cleanRun));
  const all = DAYS.map((d) => d.date);
  assert.deepEqual(await assertNoPartialDay(clean, 'clean run'), { visible: all, recorded: all });

  const lake = join(work, 'lake-crash');
  const atFraction = (fraction: number) => ({
    label: `kill at ${fraction * 100} % of the bytes to read`,
    /** Evaluated just before the run starts, from what is still unpublished. */
    condition: () => {
      const target = fraction * bytesToRead(lake);
      return (line: Record<string, unknown>) => bytesRead(line) >= target;
    },
  });
  const kills = [
    atFraction(0.2), atFraction(0.5), atFraction(0.9),
    { label: 'kill right after a publish', condition: () => (line: Record<string, unknown>) => line.type === 'file' && line.state === 'done' },
  ];

  const views: LakeView[] = [];
  for (const kill of kills) {
    if (bytesToRead(lake) === 0) break;
    const pid = await killWhen(lake, kill.label, kill.condition());
    const view = await assertNoPartialDay(lake, kill.label);
    assertDeadRunsLocks(lake, pid, kill.label);
    views.push(view);
    assert.ok(readdirSync(join(lake, '_staging', DATASET)).length > 0 || view.visible.length === DAYS.length,
      `${kill.label}: the killed run was staging a day`);
    if (kill.label.startsWith('kill at')) assert.ok(partitionLocks(lake).length > 0, `${kill.label}: the day being staged was locked`);
  }
  // Published days survive later kills.
  for (let i = 1; i < views.length; i++) {
    for (const date of views[i - 1]!.recorded) assert.ok(views[i]!.recorded.includes(date), `${date} stays published`);
  }
  assert.ok(views[0]!.visible.length < DAYS.length, 'the first kill came before the run could finish');

  const rerun = await runCli(ingestArgs(lake), { cwd: work });
  assert.equal(rerun.code, 0, `the rerun takes the dead run's locks over and completes:\n${said(rerun)}`);
  const outcomes = parseJsonLines(rerun.stdout).filter((l) => l.type === 'day');
  const recorded = views[views.length - 1]!.recorded;
  assert.deepEqual(outcomes.map((o) => [o.date, o.state]),
    DAYS.map((d) => [d.date, recorded.includes(d.date) ? 'skipped' : 'ingested']), 'recorded days are not redone, the others are');

  assert.deepEqual(await assertNoPartialDay(lake, 'after the rerun'), { visible: all, recorded: all });
  const total = BigInt(DAYS.reduce((n, d) => n + rowsByDate.get(d.date)!, 0));
  assert.deepEqual(await compareLakes(clean, lake), { rowsA: total, rowsB: total, distinctB: total, onlyA: 0n, onlyB: 0n });
  assert.deepEqual(leftovers(lake), [], 'no staging or trash is left behind');
  assert.deepEqual(partitionLocks(lake), [], 'every partition lock is released');
});

test('Ctrl-C (SIGINT) without a terminal stops cleanly: exit 1, nothing half published, staging removed, lock released', async () => {
  const lake = join(work, 'lake-sigint');
  const run = startCli(ingestArgs(lake), { cwd: work });
  const target = 0.1 * bytesToRead(lake);
  await run.waitForLine((line) => bytesRead(JSON.parse(line) as Record<string, unknown>) >= target, 60_000);
  run.kill('SIGINT');
  const r = await run.exited;
  assert.equal(r.code, 1, `stopped before finishing: exit 1\n${said(r)}`);
  const out = parseJsonLines(r.stdout);
  assert.ok(out.some((l) => l.type === 'log' && /stopping: in-flight files are abandoned/.test(l.message as string)), said(r));
  const days = out.filter((l) => l.type === 'day');
  assert.ok(days.some((d) => d.state === 'abandoned'), `an in-flight day is reported abandoned:\n${said(r)}`);
  assert.equal(out[out.length - 1]!.type, 'summary');
  const view = await assertNoPartialDay(lake, 'after SIGINT');
  assert.deepEqual(view.visible, days.filter((d) => d.state === 'ingested').map((d) => d.date as string).sort(), 'only finished days are visible');
  assert.deepEqual(leftovers(lake), [], 'the abandoned staging was removed');
  assert.deepEqual(partitionLocks(lake), [], 'every partition lock is released');
});
