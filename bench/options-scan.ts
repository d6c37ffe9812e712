/**
 * The filtered options-quotes scan: `gammaflow ingest --dataset options-quotes --underlyings SPY`
 * on a full-market file, against the inflate floors on the same file, in one run.
 *
 *   npm run build && node dist/bench/options-scan.js [--rows 8e6] [--roots 1000] [--repeat N] [--quick] [--json] [--only a,b]
 *
 * The file (generated once under bench/out/, gzip level 6 like gzip's default): `--rows` quote
 * rows in Massive's options-quotes format and ticker-then-time order, over `--roots` synthetic
 * 3-letter roots plus SPY (SPY ≈ 5 % of the rows, 800 contracts; the other roots 80 contracts
 * each, row counts varying ±50 % per root).
 *
 * Contenders, each its own process under /usr/bin/time (wall, peak RSS):
 * - `igzip -dc FILE > /dev/null` (ISA-L, the floor; skipped when igzip is absent) and Node's gunzip;
 * - gammaflow with `[ingest] inflate = "isal"` and with `"zlib"`: the CLI as a user runs it
 *   (`--source local:DIR --no-tui --json --force`, metrics off).
 * Each gammaflow run's lake must hold exactly the file's SPY rows (checked from the day line).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { cpus, loadavg } from 'node:os';
import { CsvFileSink } from '../src/demo/csvFileSink.js';
import { OPTIONS_QUOTES_HEADER } from '../src/demo/optionFlow.js';
import { Rng } from '../src/demo/prng.js';
import { DATASETS, objectKey } from '../src/formats/datasets.js';
import { findOnPath } from '../src/ingest/inflate.js';
import { timed, type ContenderResult } from './ingest.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUT = join(REPO, 'bench', 'out');
const PEERS = join(REPO, 'dist', 'bench', 'peers');
const CLI = join(REPO, 'dist', 'src', 'cli', 'main.js');
const DATE = '2025-11-07';
const DATASET = DATASETS['options-quotes'];
const SESSION_OPEN_NS = 1_762_525_800_000_000_000n; // 09:30 New York
const SESSION_NS = 6.5 * 3600 * 1e9;
const SPY_SHARE = 0.05;

export interface ScanResult {
  readonly rows: number;
  readonly roots: number;
  readonly spyRows: number;
  readonly compressedBytes: number;
  readonly rounds: number;
  readonly loadAverage: number[];
  readonly contenders: ContenderResult[];
}

/** `count` distinct sorted 3-letter roots, none of them SPY. */
function syntheticRoots(count: number): string[] {
  const roots = new Set<string>();
  for (let i = 0; roots.size < count; i++) {
    const code = (i * 7919) % 17_576;
    const root = String.fromCharCode(65 + Math.floor(code / 676), 65 + (Math.floor(code / 26) % 26), 65 + (code % 26));
    if (root !== 'SPY') roots.add(root);
  }
  return [...roots].sort();
}

/** The contracts of a root: expiries × strikes × (C, P), in ticker order. */
function contracts(root: string, expiries: readonly string[], strikes: number): string[] {
  const out: string[] = [];
  for (const e of expiries) {
    for (let k = 0; k < strikes; k++) {
      const strike = String((100 + 5 * k) * 1000).padStart(8, '0');
      out.push(`O:${root}${e}C${strike}`, `O:${root}${e}P${strike}`);
    }
  }
  return out.sort();
}

/** Writes the file; returns its row counts. Rows of a contract are in time order. */
async function generate(path: string, rows: number, rootCount: number): Promise<{ rows: number; spyRows: number }> {
  const rng = new Rng(20251107);
  const roots = [...syntheticRoots(rootCount), 'SPY'].sort();
  const spyRows = Math.round(rows * SPY_SHARE);
  const weights = roots.map((r) => (r === 'SPY' ? 0 : 0.5 + rng.uniform()));
  const total = weights.reduce((a, b) => a + b, 0);
  const perRoot = roots.map((r, i) => (r === 'SPY' ? spyRows : Math.floor((rows - spyRows) * weights[i]! / total)));
  perRoot[0]! += rows - perRoot.reduce((a, b) => a + b, 0);
  const sink = await CsvFileSink.open(path, OPTIONS_QUOTES_HEADER, { gzipLevel: 6 });
  const times = new Float64Array(1 << 16);
  for (let r = 0; r < roots.length; r++) {
    const root = roots[r]!;
    const list = root === 'SPY'
      ? contracts(root, ['251107', '251110', '251111', '251114', '251121', '251128', '251219', '260116'], 50)
      : contracts(root, ['251114', '251121', '251219', '260116'], 10);
    const n = perRoot[r]!;
    for (let c = 0; c < list.length; c++) {
      const count = Math.floor(n * (c + 1) / list.length) - Math.floor(n * c / list.length);
      const t = times.subarray(0, count);
      for (let i = 0; i < count; i++) t[i] = Math.floor(rng.uniform() * SESSION_NS);
      t.sort();
      let mid = 100 + Math.floor(rng.uniform() * 2000);
      let text = '';
      for (let i = 0; i < count; i++) {
        mid = Math.max(10, mid + Math.round((rng.uniform() - 0.5) * 6));
        const half = 1 + Math.floor(rng.uniform() * 5);
        text += `${list[c]},${300 + Math.floor(rng.uniform() * 20)},${((mid + half) / 100).toFixed(2)},${1 + Math.floor(rng.uniform() * 50)},` +
          `${300 + Math.floor(rng.uniform() * 20)},${((mid - half) / 100).toFixed(2)},${1 + Math.floor(rng.uniform() * 50)},${i + 1},${SESSION_OPEN_NS + BigInt(t[i]!)}\n`;
      }
      sink.addRows(text, count);
      if (sink.full) await sink.flush();
    }
  }
  await sink.close();
  return { rows, spyRows };
}

async function ensureFile(rows: number, roots: number, log: (line: string) => void): Promise<{ root: string; file: string; spyRows: number }> {
  const root = join(OUT, `options-quotes-${rows}-${roots}`);
  const file = join(root, objectKey(DATASET, DATE));
  const meta = `${file}.json`;
  if (existsSync(file) && existsSync(meta)) return { root, file, spyRows: (JSON.parse(readFileSync(meta, 'utf8')) as { spyRows: number }).spyRows };
  mkdirSync(dirname(file), { recursive: true });
  log(`generating ${rows.toLocaleString('en-US')} option quotes over ${roots} roots + SPY → ${file}`);
  const started = performance.now();
  const r = await generate(file + '.tmp', rows, roots);
  renameSync(file + '.tmp', file);
  writeFileSync(meta, JSON.stringify(r) + '\n');
  log(`generated in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return { root, file, spyRows: r.spyRows };
}

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<ScanResult> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      rows: { type: 'string', default: '8e6' }, roots: { type: 'string', default: '1000' }, repeat: { type: 'string', default: '1' },
      quick: { type: 'boolean', default: false }, json: { type: 'boolean', default: false }, only: { type: 'string' },
    },
  });
  const rows = values.quick ? 400_000 : Number(values.rows);
  const rootCount = values.quick ? 100 : Number(values.roots);
  const repeat = Number(values.repeat);
  if (!Number.isInteger(rows) || rows < 1000) throw new Error(`--rows: expected an integer ≥ 1000 such as 8e6, got ${values.rows}`);
  if (!Number.isInteger(rootCount) || rootCount < 1) throw new Error(`--roots: expected a positive integer, got ${values.roots}`);
  if (!Number.isInteger(repeat) || repeat < 1) throw new Error(`--repeat: expected a positive integer, got ${values.repeat}`);
  const only = values.only?.split(',');
  const want = (name: string): boolean => only === undefined || only.includes(name);
  const log = (line: string): void => { process.stderr.write(line + '\n'); };
  log(`options-scan bench: node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const { root, file, spyRows } = await ensureFile(rows, rootCount, log);
  const work = join(OUT, 'options-scan-run');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const configs = {
    isal: join(work, 'isal.toml'),
    zlib: join(work, 'zlib.toml'),
  };
  for (const [kind, path] of Object.entries(configs)) writeFileSync(path, `[ingest]\ninflate = "${kind}"\n[metrics]\nlisten = "0"\n`);
  const igzip = findOnPath('igzip');
  readFileSync(file); // into the page cache

  const best = new Map<string, ContenderResult>();
  const run = (name: string, f: () => ContenderResult): void => {
    if (!want(name)) return;
    const r = f();
    log(`  ${name}: ${r.wallSeconds.toFixed(2)} s, ${r.peakRssMb.toFixed(0)} MB peak RSS${r.rows === undefined ? '' : `, ${r.rows.toLocaleString('en-US')} rows kept`}`);
    const previous = best.get(name);
    best.set(name, previous === undefined ? r : { ...(r.wallSeconds < previous.wallSeconds ? r : previous), peakRssMb: Math.max(r.peakRssMb, previous.peakRssMb) });
  };
  const gammaflow = (kind: 'isal' | 'zlib'): ContenderResult => {
    const lake = join(work, `lake-${kind}`);
    rmSync(lake, { recursive: true, force: true });
    const r = timed(process.execPath, [CLI, 'ingest', '--dataset', DATASET.name, '--underlyings', 'SPY', '--from', DATE, '--to', DATE,
      '--source', `local:${root}`, '--lake', lake, '--config', configs[kind], '--no-tui', '--json', '--force']);
    const day = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l['type'] === 'day');
    if (day?.['state'] !== 'ingested') throw new Error(`gammaflow ingest (${kind}) did not ingest the day: ${JSON.stringify(day)}`);
    if (Number(day['rows']) !== spyRows) throw new Error(`gammaflow ingest (${kind}) kept ${String(day['rows'])} rows, the file has ${spyRows} SPY rows`);
    return { name: `gammaflow ${kind}`, wallSeconds: r.wallSeconds, peakRssMb: r.peakRssMb, cpuSeconds: r.cpuSeconds, rows: Number(day['rows']) };
  };
  for (let round = 0; round < repeat; round++) {
    log(`round ${round + 1}/${repeat}`);
    if (igzip !== undefined) {
      run('igzip -dc', () => {
        const r = timed(igzip, ['-dc', file], '/dev/null');
        return { name: 'igzip -dc', wallSeconds: r.wallSeconds, peakRssMb: r.peakRssMb, cpuSeconds: r.cpuSeconds };
      });
    }
    run('node gunzip', () => {
      const r = timed(process.execPath, [join(PEERS, 'gunzip.js'), file]);
      return { name: 'node gunzip', wallSeconds: r.wallSeconds, peakRssMb: r.peakRssMb, cpuSeconds: r.cpuSeconds };
    });
    if (igzip !== undefined) run('gammaflow isal', () => gammaflow('isal'));
    run('gammaflow zlib', () => gammaflow('zlib'));
  }
  rmSync(work, { recursive: true, force: true });
  const result: ScanResult = {
    rows, roots: rootCount + 1, spyRows, compressedBytes: statSync(file).size, rounds: repeat,
    loadAverage: loadavg(), contenders: [...best.values()],
  };
  process.stdout.write((values.json ? JSON.stringify(result) : markdownTable(result)) + '\n');
  return result;
}

/** One table: wall, ratio to the igzip floor, M rows/s scanned, peak RSS. */
export function markdownTable(r: ScanResult): string {
  const floor = r.contenders.find((c) => c.name === 'igzip -dc');
  const lines = [
    `### ${r.rows.toLocaleString('en-US')} option quotes, ${r.roots} roots, ${(r.compressedBytes / 1e6).toFixed(0)} MB gzip; SPY ${r.spyRows.toLocaleString('en-US')} rows`,
    '',
    '| contender | wall s | CPU s | × igzip floor | M rows/s | peak RSS MB |',
    '|---|---:|---:|---:|---:|---:|',
  ];
  for (const c of r.contenders) {
    lines.push(`| ${c.name} | ${c.wallSeconds.toFixed(2)} | ${c.cpuSeconds?.toFixed(2) ?? ''} | ${floor === undefined ? '' : (c.wallSeconds / floor.wallSeconds).toFixed(2)} | ${(r.rows / c.wallSeconds / 1e6).toFixed(2)} | ${c.peakRssMb.toFixed(0)} |`);
  }
  lines.push('', `Best wall time of ${r.rounds} round(s) (CPU s: user + system of that run, igzip children included); load average at the end ${r.loadAverage.map((l) => l.toFixed(1)).join(' ')}; × igzip floor = wall / igzip's wall (≤ 1.25 is the target for gammaflow isal).`);
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
