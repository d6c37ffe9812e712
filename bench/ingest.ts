/**
 * Ingest benchmark: gammaflow's `ingest` CLI against the
 * decompression floors and the two whole-file peers, on the same generated
 * Massive stocks-trades file, in one run.
 *
 *   npm run build && node dist/bench/ingest.js [--rows 10e6,20e6] [--repeat N] [--quick] [--json] [--seed N] [--only a,b]
 *
 * Contenders, each in its own child process under `/usr/bin/time` so wall time
 * and peak RSS are per contender (the RSS of a process includes its threads:
 * gammaflow's Parquet worker, DuckDB's and Polars' thread pools):
 * - `gzip -dc FILE > /dev/null`, `igzip -dc FILE > /dev/null` (ISA-L, when installed: the
 *   inflate floor) and Node's gunzip alone (bench/peers/gunzip.ts): floors;
 * - gammaflow with `[ingest] inflate = "isal"` (when igzip is installed) and `"zlib"`:
 *   `gammaflow ingest --source local:DIR --no-tui --json`, as a user runs it (config: all
 *   defaults except the inflater and the metrics listener, off so runs cannot collide on its port);
 * - DuckDB `COPY (SELECT * FROM read_csv(FILE)) TO … (FORMAT parquet, COMPRESSION zstd)`;
 * - Polars `scanCSV(FILE).sinkParquet(…)` (streaming).
 * With `--repeat N` the contenders run in N interleaved rounds and each one's
 * best wall time is kept (the machine may be shared: the best of a few runs is
 * the least disturbed one). Each gammaflow lake is then checked against
 * DuckDB's output with DuckDB (bench/peers/lake-check.ts); a mismatch fails the run.
 *
 * Data files live under bench/out/ (gitignored) and are reused across runs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, openSync, closeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { cpus, totalmem } from 'node:os';
import { generateLargeStocksTrades } from '../src/demo/largeStocksTrades.js';
import { DATASETS, objectKey } from '../src/formats/datasets.js';
import { loadConfig } from '../src/config/index.js';
import { findOnPath } from '../src/ingest/inflate.js';

/** dist/bench/ingest.js → the repository root. */
const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUT = join(REPO, 'bench', 'out');
const PEERS = join(REPO, 'dist', 'bench', 'peers');
const CLI = join(REPO, 'dist', 'src', 'cli', 'main.js');
const DATE = '2025-11-07';
const DATASET = DATASETS['stocks-trades'];
const TIME = '/usr/bin/time';

export interface ContenderResult {
  readonly name: string;
  readonly wallSeconds: number;
  /** Peak resident set of the contender's process, MB (MiB), from /usr/bin/time. */
  readonly peakRssMb: number;
  /** User + system CPU seconds of the process and the children it waited for (igzip), from /usr/bin/time. */
  readonly cpuSeconds?: number;
  /** Rows the contender reports having written (undefined for the decompression floors). */
  readonly rows?: number;
}

/** The settings the gammaflow CLI ran with (defaults can change between runs of this bench). */
export interface GammaflowSettings {
  readonly zstdLevel: number;
  readonly rowGroupRows: number;
  readonly batchRows: number;
}

export interface SizeResult {
  readonly rows: number;
  readonly rounds: number;
  readonly settings: GammaflowSettings;
  readonly compressedBytes: number;
  readonly contenders: ContenderResult[];
  readonly check: { readonly equal: boolean; readonly gammaflow: unknown; readonly duckdb: unknown };
}

interface Args {
  readonly rows: number[];
  /** Rounds: every contender runs once per round, interleaved, and its best wall time is reported. */
  readonly repeat: number;
  readonly json: boolean;
  readonly seed: number;
  readonly only: string[] | undefined;
}

function parse(argv: readonly string[]): Args {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      rows: { type: 'string' }, quick: { type: 'boolean', default: false }, json: { type: 'boolean', default: false },
      seed: { type: 'string', default: '1' }, only: { type: 'string' }, repeat: { type: 'string', default: '1' },
    },
  });
  const rows = (values.quick ? '1e6' : values.rows ?? '10e6,20e6').split(',').map((r) => Number(r.trim()));
  for (const r of rows) if (!Number.isInteger(r) || r < 1) throw new Error(`--rows: expected positive integers such as 10e6, got ${values.rows}`);
  const repeat = Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 1) throw new Error(`--repeat: expected a positive integer, got ${values.repeat}`);
  return { rows, repeat, json: values.json, seed: Number(values.seed), only: values.only?.split(',') };
}

/** bench/out/data-ROWS/<Massive key>: a local source root per row count. */
function sourceRoot(rows: number, seed: number): string {
  return join(OUT, seed === 1 ? `data-${rows}` : `data-${rows}-seed${seed}`);
}

async function ensureFile(rows: number, seed: number, log: (line: string) => void): Promise<string> {
  const file = join(sourceRoot(rows, seed), objectKey(DATASET, DATE));
  if (existsSync(file)) return file;
  mkdirSync(dirname(file), { recursive: true });
  log(`generating ${rows.toLocaleString('en-US')} rows → ${file}`);
  const started = performance.now();
  await generateLargeStocksTrades(file + '.partial', rows, seed, { date: DATE });
  renameSync(file + '.partial', file);
  log(`generated in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return file;
}

/**
 * Runs `command args` under /usr/bin/time; stdout goes to `stdoutPath` (or is
 * returned when undefined). Throws with stderr when the command fails.
 */
export function timed(command: string, args: readonly string[], stdoutPath?: string): { wallSeconds: number; peakRssMb: number; cpuSeconds: number; stdout: string } {
  const report = join(OUT, 'time.txt');
  const out = stdoutPath === undefined ? 'pipe' : openSync(stdoutPath, 'w');
  try {
    const child = spawnSync(TIME, ['-f', '%e %M %U %S', '-o', report, command, ...args], {
      stdio: ['ignore', out, 'pipe'], maxBuffer: 1 << 28, encoding: 'utf8',
    });
    if (child.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${child.status}):\n${child.stderr}`);
    const [elapsed, maxRssKb, user, system] = readFileSync(report, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
    return { wallSeconds: elapsed!, peakRssMb: maxRssKb! / 1024, cpuSeconds: user! + system!, stdout: child.stdout ?? '' };
  } finally {
    if (typeof out === 'number') closeSync(out);
  }
}

const lastJson = (stdout: string): Record<string, unknown> => JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;

async function benchSize(rows: number, args: Args, log: (line: string) => void): Promise<SizeResult> {
  const file = await ensureFile(rows, args.seed, log);
  const work = join(OUT, `run-${rows}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  // One config per inflater: `[ingest] inflate` pinned, metrics off so runs cannot collide on its port.
  const configs = { isal: join(work, 'isal.toml'), zlib: join(work, 'zlib.toml') };
  for (const [kind, path] of Object.entries(configs)) writeFileSync(path, `[ingest]\ninflate = "${kind}"\n[metrics]\nlisten = "0"\n`);
  const config = configs.zlib;
  const igzip = findOnPath('igzip');
  const lakes = { isal: join(work, 'lake-isal'), zlib: join(work, 'lake-zlib') };
  const duckdbOut = join(work, 'duckdb.parquet');
  const polarsOut = join(work, 'polars.parquet');
  const want = (name: string): boolean => args.only === undefined || args.only.includes(name);

  const best = new Map<string, ContenderResult>();
  const run = (name: string, round: number, f: () => ContenderResult): void => {
    if (!want(name)) return;
    log(`${rows.toLocaleString('en-US')} rows, round ${round + 1}/${args.repeat}: ${name}…`);
    const r = f();
    log(`  ${r.wallSeconds.toFixed(2)} s, ${r.peakRssMb.toFixed(0)} MB peak RSS${r.rows === undefined ? '' : `, ${r.rows.toLocaleString('en-US')} rows`}`);
    const previous = best.get(name);
    best.set(name, previous === undefined ? r : {
      ...(r.wallSeconds < previous.wallSeconds ? r : previous),
      peakRssMb: Math.max(r.peakRssMb, previous.peakRssMb),
    });
  };
  // Reads the file once so every contender starts from the page cache.
  readFileSync(file);
  for (let round = 0; round < args.repeat; round++) {
    run('gzip -dc', round, () => {
      const r = timed('gzip', ['-dc', file], '/dev/null');
      return { name: 'gzip -dc', wallSeconds: r.wallSeconds, peakRssMb: r.peakRssMb, cpuSeconds: r.cpuSeconds };
    });
    if (igzip !== undefined) {
      run('igzip -dc', round, () => {
        const r = timed(igzip, ['-dc', file], '/dev/null');
        return { name: 'igzip -dc', wallSeconds: r.wallSeconds, peakRssMb: r.peakRssMb, cpuSeconds: r.cpuSeconds };
      });
    }
    run('node gunzip', round, () => {
      const r = timed(process.execPath, [join(PEERS, 'gunzip.js'), file]);
      return { name: 'node gunzip', wallSeconds: r.wallSeconds, peakRssMb: r.peakRssMb, cpuSeconds: r.cpuSeconds };
    });
    for (const kind of ['isal', 'zlib'] as const) {
      if (kind === 'isal' && igzip === undefined) continue;
      run(`gammaflow ${kind}`, round, () => {
        const lake = lakes[kind];
        rmSync(lake, { recursive: true, force: true });
        const r = timed(process.execPath, [CLI, 'ingest', '--dataset', DATASET.name, '--from', DATE, '--to', DATE,
          '--source', `local:${sourceRoot(rows, args.seed)}`, '--lake', lake, '--config', configs[kind], '--no-tui', '--json', '--force']);
        const day = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l['type'] === 'day');
        if (day?.['state'] !== 'ingested') throw new Error(`gammaflow ingest (${kind}) did not ingest the day: ${JSON.stringify(day)}`);
        return { name: `gammaflow ${kind}`, wallSeconds: r.wallSeconds, peakRssMb: r.peakRssMb, cpuSeconds: r.cpuSeconds, rows: Number(day['rows']) };
      });
    }
    run('duckdb', round, () => {
      const r = timed(process.execPath, [join(PEERS, 'duckdb-copy.js'), file, duckdbOut]);
      return { name: 'duckdb', wallSeconds: r.wallSeconds, peakRssMb: r.peakRssMb, cpuSeconds: r.cpuSeconds, rows: Number(lastJson(r.stdout)['rows']) };
    });
    run('polars', round, () => {
      const r = timed(process.execPath, [join(PEERS, 'polars-sink.js'), file, polarsOut]);
      return { name: 'polars', wallSeconds: r.wallSeconds, peakRssMb: r.peakRssMb, cpuSeconds: r.cpuSeconds, rows: Number(lastJson(r.stdout)['rows']) };
    });
  }
  const contenders = [...best.values()];

  let check: SizeResult['check'] = { equal: false, gammaflow: 'not run', duckdb: 'not run' };
  const kinds = (['isal', 'zlib'] as const).filter((k) => best.has(`gammaflow ${k}`));
  if (kinds.length > 0 && want('duckdb')) {
    // Every gammaflow lake of this run must equal DuckDB's output.
    for (const kind of kinds) {
      const glob = join(lakes[kind], DATASET.name, `date=${DATE}`, '*.parquet');
      const r = spawnSync(process.execPath, [join(PEERS, 'lake-check.js'), glob, duckdbOut], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`lake check failed:\n${r.stderr}`);
      const one = lastJson(r.stdout) as unknown as SizeResult['check'];
      log(`  output check (gammaflow ${kind} vs DuckDB, read by DuckDB): ${one.equal ? 'equal' : 'DIFFERENT'} ${JSON.stringify(one.gammaflow)}${one.equal ? '' : ` vs ${JSON.stringify(one.duckdb)}`}`);
      check = kind === kinds[0] || !one.equal ? one : check;
    }
  }
  const compressedBytes = statSync(file).size;
  const { config: effective } = await loadConfig(config);
  rmSync(work, { recursive: true, force: true });
  const settings = { zstdLevel: effective.storage.zstd_level, rowGroupRows: effective.storage.row_group_rows, batchRows: effective.ingest.batch_rows };
  return { rows, rounds: args.repeat, settings, compressedBytes, contenders, check };
}

const repeatNote = (r: SizeResult): string => (r.rounds === 1 ? 'one round' : `${r.rounds} interleaved rounds`);

/** Markdown table of one size: wall, M rows/s, MB/s compressed, peak RSS, ratios to DuckDB and Polars (throughput). */
export function markdownTable(r: SizeResult): string {
  const byName = new Map(r.contenders.map((c) => [c.name, c]));
  const duck = byName.get('duckdb'), polars = byName.get('polars');
  const mb = r.compressedBytes / 1e6;
  const lines = [
    `### ${r.rows.toLocaleString('en-US')} rows, ${mb.toFixed(0)} MB gzip`,
    '',
    `gammaflow settings (config defaults): zstd level ${r.settings.zstdLevel}, row groups of ${r.settings.rowGroupRows.toLocaleString('en-US')} rows, batches of ${r.settings.batchRows.toLocaleString('en-US')} rows.`,
    '',
    '| contender | wall s | CPU s | M rows/s | MB/s (gz) | peak RSS MB | × igzip floor | × DuckDB | × Polars |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const floor = byName.get('igzip -dc');
  for (const c of r.contenders) {
    const ratio = (peer: ContenderResult | undefined): string => (peer === undefined || peer === c ? '' : (peer.wallSeconds / c.wallSeconds).toFixed(2));
    const overFloor = floor === undefined ? '' : (c.wallSeconds / floor.wallSeconds).toFixed(2);
    lines.push(`| ${c.name} | ${c.wallSeconds.toFixed(2)} | ${c.cpuSeconds?.toFixed(2) ?? ''} | ${(r.rows / c.wallSeconds / 1e6).toFixed(2)} | ${(mb / c.wallSeconds).toFixed(1)} | ${c.peakRssMb.toFixed(0)} | ${overFloor} | ${ratio(duck)} | ${ratio(polars)} |`);
  }
  lines.push('', `Best wall time of ${repeatNote(r)} (CPU s: user + system of that run, igzip children included); peak RSS is the highest seen. × igzip floor = wall / \`igzip -dc\`'s wall (1 = inflate alone); × DuckDB, × Polars = throughput relative to the peer (its wall time / this one's), > 1 is faster. gammaflow's output vs DuckDB's: ${r.check.equal ? 'equal (rows, tickers, timestamp range, Σ row hashes)' : 'NOT equal or not checked'}.`);
  return lines.join('\n');
}

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<SizeResult[]> {
  const args = parse(argv);
  if (!existsSync(TIME)) throw new Error(`${TIME} (GNU time) is needed to measure peak RSS per process: apt-get install time`);
  mkdirSync(OUT, { recursive: true });
  const log = (line: string): void => { process.stderr.write(line + '\n'); };
  log(`ingest bench: node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`);
  const results: SizeResult[] = [];
  for (const rows of args.rows) results.push(await benchSize(rows, args, log));
  if (args.json) process.stdout.write(JSON.stringify({ node: process.version, cpus: cpus().length, results }) + '\n');
  else process.stdout.write(results.map(markdownTable).join('\n\n') + '\n');
  const mismatch = results.find((r) => args.only === undefined && !r.check.equal);
  if (mismatch !== undefined) throw new Error(`gammaflow's output differs from DuckDB's on ${mismatch.rows} rows: ${JSON.stringify(mismatch.check)}`);
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
