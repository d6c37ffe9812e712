// node scripts/compare-outputs.mjs [--base COMMIT|BRANCH] [--date YYYY-MM-DD] [--symbol SPY] [--keep] [--no-build]
//
// Checks that a change alters no output: runs the demo day end to end with this working tree
// ("head") and with --base (default HEAD~1, checked out into a temporary git worktree and built
// there), each into its own temporary folder, and compares every output row for row.
//
// The day, on both sides (the CLI of each tree, started in an empty folder so no config.toml
// applies; the day is generated at millisecond precision so that it can also be replayed):
//   generate → ingest (stocks trades, options trades and quotes, filtered to SYMBOL) → greeks →
//   features (into the lake, and with --out to CSV and JSONL) → run (into a second, empty lake) →
//   replay of that lake at max speed → live --jsonl --all-quotes --lake (ends when the replay ends).
// live takes every quote (--all-quotes): its rolling near-the-money subscription would make the
// quotes it receives depend on when each subscribe reaches the replay, so two runs would differ.
// For the same reason its config (LIVE_CONFIG) turns the quiet timer off for the length of the
// day: on a loaded host a cluster that stalls for quiet_close_ms lets the other one advance the
// watermark, and the stalled cluster's events then arrive late and are dropped.
//
// What is compared:
//   - the generated flat files, byte for byte after gunzip;
//   - every Parquet dataset of the three lakes (lake, lake-run, lake-live), read by DuckDB with its
//     hive partition columns: the column lists, then EXCEPT ALL both ways on every column except
//     IGNORED_COLUMNS; and each file's key/value metadata except IGNORED_METADATA_KEYS;
//   - each partition's _manifest.json: dataset, date, filter, schema version, row counts,
//     generation, source key and the file list (name, rows, row groups) — not sha256, mtime,
//     bytes, run id or publish time (MANIFEST_FIELDS);
//   - the other lake files (_rejects.jsonl, the realtime gap ledger, ...) and the CSV/JSONL outputs
//     line by line, JSON lines without IGNORED_JSON_KEYS.
// Run ids (`<base36 time>-<6 hex>`) are replaced by `<run>` wherever they appear in compared text.
//
// Prints one table line per output (rows on each side, equal or not) and exits 0 when every
// output is equal, 1 when one differs, 2 when a side could not be built or a step failed.
// --keep leaves the worktree and both output folders in place (their paths are printed).
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { SetupError, build, prepareBase, removeBase, repositoryRoot, say as sayAs, tail } from './lib/base-worktree.mjs';

/** Columns whose values legitimately differ between two runs of the same code. */
const IGNORED_COLUMNS = {
  // wall-clock time at which live received the event (realtime-* datasets)
  received_at: 'wall-clock arrival time of a live event',
};
/** Parquet key/value metadata that legitimately differs between two runs. */
const IGNORED_METADATA_KEYS = {
  // local:DIR etag is size-mtime of the generated file; derived datasets hash their inputs' etags
  'gammaflow.source_etag': 'local source etag is size-mtime; derived datasets hash their inputs\' etags',
};
/** JSON keys (in any JSONL line) that legitimately differ between two runs. */
const IGNORED_JSON_KEYS = {
  at_ms: 'wall-clock time of a gap-ledger record',
};
/** The _manifest.json fields compared (the others name runs, times, checksums or sizes). */
const MANIFEST_FIELDS = ['dataset', 'date', 'filter', 'schemaVersion', 'rows', 'rowsRejected', 'rowsFiltered', 'generation'];
const RUN_ID = /\b[0-9a-z]{6,10}-[0-9a-f]{6}(-[a-z])?\b/g;
/** live's config: no quiet-timer closes while the replay runs (the feed is never quiet for 10 min). */
const LIVE_CONFIG = '[aggregations]\nquiet_close_ms = 600000\n';
/** A live run that has not ended after this long is stuck. */
const LIVE_TIMEOUT_MS = 15 * 60_000;

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    base: { type: 'string', default: 'HEAD~1' },
    date: { type: 'string', default: '2025-11-07' },
    symbol: { type: 'string', default: 'SPY' },
    keep: { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  process.stdout.write(readFileSync(new URL(import.meta.url), 'utf8').split('\nimport ')[0].replace(/^\/\/ ?/gm, '') + '\n');
  process.exit(0);
}

const say = (line) => sayAs('compare-outputs', line);

/** One CLI step of a side; throws with the step's stderr when it fails. */
function cli(side, args) {
  const r = spawnSync(process.execPath, [side.cliPath, ...args], {
    cwd: side.out, encoding: 'utf8', maxBuffer: 64 << 20, env: side.env,
  });
  if (r.status !== 0) {
    throw new SetupError(`${side.name}: gammaflow ${args.join(' ')} failed (exit ${r.status}):\n${tail(r.stderr || r.stdout)}`);
  }
  return r.stdout;
}

/** replay of lake-run at max speed, and live against it until the replay's end. */
async function replayToLive(side, date, symbol) {
  const replay = spawn(process.execPath, [side.cliPath, 'replay', '--symbol', symbol, '--date', date, '--lake', 'lake-run',
    '--speed', 'max', '--port', '0', '--api-key-any'], { cwd: side.out, env: side.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let replayErr = '';
  replay.stderr.on('data', (b) => { replayErr += b; });
  const replayExit = new Promise((res) => replay.once('exit', (code) => res(code)));
  const url = await new Promise((res) => {
    createInterface({ input: replay.stdout }).once('line', res);
    void replayExit.then(() => res(undefined));
  });
  if (url === undefined) throw new SetupError(`${side.name}: gammaflow replay did not start (exit ${await replayExit}):\n${tail(replayErr)}`);
  replay.stdout.resume();
  writeFileSync(join(side.out, 'live.toml'), LIVE_CONFIG);
  const jsonl = createWriteStream(join(side.out, 'live.jsonl'));
  const live = spawn(process.execPath, [side.cliPath, 'live', '--symbol', symbol, '--url', url, '--exit-on-close',
    '--jsonl', '--all-quotes', '--lake', 'lake-live', '--config', 'live.toml', '--no-tui'], { cwd: side.out, env: side.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let liveErr = '';
  live.stderr.on('data', (b) => { liveErr += b; });
  live.stdout.pipe(jsonl);
  const timer = setTimeout(() => { live.kill('SIGINT'); }, LIVE_TIMEOUT_MS);
  const liveCode = await new Promise((res) => live.once('close', (code) => res(code)));
  clearTimeout(timer);
  await new Promise((res) => jsonl.end(res));
  if (replay.exitCode === null) replay.kill('SIGINT');
  const replayCode = await replayExit;
  if (liveCode !== 0) throw new SetupError(`${side.name}: gammaflow live failed (exit ${liveCode}):\n${tail(liveErr)}`);
  if (replayCode !== 0) throw new SetupError(`${side.name}: gammaflow replay ended with exit ${replayCode}:\n${tail(replayErr)}`);
}

/** The demo day, end to end, with one side's CLI in its own folder. */
async function runDay(side, date, symbol) {
  const t0 = Date.now();
  const range = ['--from', date, '--to', date];
  say(`${side.name}: generate, ingest, greeks, features, run, replay → live in ${side.out}`);
  cli(side, ['generate', '--out', 'data', '--date', date, '--ms', '--tickers', '20']);
  cli(side, ['ingest', '--dataset', 'stocks-trades,options-trades,options-quotes', ...range, '--source', 'local:data',
    '--lake', 'lake', '--underlyings', symbol, '--no-tui']);
  cli(side, ['greeks', '--symbol', symbol, ...range, '--lake', 'lake', '--no-tui']);
  cli(side, ['features', '--symbol', symbol, ...range, '--lake', 'lake', '--no-tui']);
  cli(side, ['features', '--symbol', symbol, ...range, '--lake', 'lake', '--no-tui', '--out', 'features.csv']);
  cli(side, ['features', '--symbol', symbol, ...range, '--lake', 'lake', '--no-tui', '--out', 'features.jsonl']);
  cli(side, ['run', '--symbol', symbol, ...range, '--source', 'local:data', '--lake', 'lake-run', '--no-tui']);
  await replayToLive(side, date, symbol);
  say(`${side.name}: done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

// ---------------------------------------------------------------- comparison

/** Files under dir (relative paths), skipping the lake's _staging, _trash, _orphans and _duckdb folders. */
function listFiles(dir, sub = '') {
  const out = [];
  if (!existsSync(join(dir, sub))) return out;
  for (const e of readdirSync(join(dir, sub), { withFileTypes: true })) {
    const rel = sub ? `${sub}/${e.name}` : e.name;
    if (e.isDirectory()) {
      if (['_staging', '_trash', '_orphans', '_duckdb', '_backfill'].includes(e.name)) continue;
      out.push(...listFiles(dir, rel));
    } else if (e.isFile()) {
      out.push(rel);
    }
  }
  return out.sort();
}

const normalize = (text) => text.replace(RUN_ID, '<run>');

function stripKeys(value) {
  if (Array.isArray(value)) return value.map(stripKeys);
  if (value === null || typeof value !== 'object') return value;
  const out = {};
  for (const [k, v] of Object.entries(value)) if (!(k in IGNORED_JSON_KEYS)) out[k] = stripKeys(v);
  return out;
}

/** Lines of a text output, normalized; `json` strips IGNORED_JSON_KEYS from each line. */
function textLines(path, json) {
  const raw = path.endsWith('.gz') ? gunzipSync(readFileSync(path)).toString('utf8') : readFileSync(path, 'utf8');
  const lines = raw.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.map((l) => normalize(json && l.trim() ? JSON.stringify(stripKeys(JSON.parse(l))) : l));
}

function compareLines(a, b) {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return `first difference at line ${i + 1}: base ${JSON.stringify((a[i] ?? '<none>').slice(0, 120))} head ${JSON.stringify((b[i] ?? '<none>').slice(0, 120))}`;
  }
  return '';
}

function manifestView(path) {
  const m = JSON.parse(readFileSync(path, 'utf8'));
  const view = {};
  for (const f of MANIFEST_FIELDS) view[f] = m[f];
  view.sourceKey = m.source?.key === undefined ? undefined : normalize(m.source.key);
  view.files = (m.files ?? []).map((f) => ({ name: normalize(f.name), rows: f.rows, rowGroups: f.rowGroups }));
  return view;
}

const sql = (s) => `'${s.replace(/'/g, "''")}'`;

async function rowsOf(conn, query) {
  const reader = await conn.runAndReadAll(query);
  return reader.getRowObjectsJS();
}

/** One Parquet dataset (a top folder of a lake) on both sides. */
async function compareDataset(conn, baseDir, headDir) {
  const glob = (d) => sql(`${d}/**/*.parquet`);
  const scan = (d) => `read_parquet(${glob(d)}, hive_partitioning = true, union_by_name = true)`;
  const describe = async (d) => (await rowsOf(conn, `DESCRIBE SELECT * FROM ${scan(d)}`)).map((r) => `${r.column_name} ${r.column_type}`);
  const count = async (d) => Number((await rowsOf(conn, `SELECT count(*) AS n FROM ${scan(d)}`))[0].n);
  const [colsA, colsB, nA, nB] = [await describe(baseDir), await describe(headDir), await count(baseDir), await count(headDir)];
  const notes = [];
  if (colsA.join(',') !== colsB.join(',')) {
    const onlyA = colsA.filter((c) => !colsB.includes(c));
    const onlyB = colsB.filter((c) => !colsA.includes(c));
    notes.push(`columns differ: base only [${onlyA.join(', ')}], head only [${onlyB.join(', ')}]${onlyA.length + onlyB.length === 0 ? ' (order)' : ''}`);
  }
  const names = colsA.map((c) => c.slice(0, c.indexOf(' '))).filter((c) => colsB.some((x) => x.startsWith(`${c} `)) && !(c in IGNORED_COLUMNS));
  const list = names.map((c) => `"${c.replace(/"/g, '""')}"`).join(', ');
  const missing = async (from, to) => Number((await rowsOf(conn,
    `SELECT count(*) AS n FROM (SELECT ${list} FROM ${scan(from)} EXCEPT ALL SELECT ${list} FROM ${scan(to)})`))[0].n);
  try {
    const [baseOnly, headOnly] = [await missing(baseDir, headDir), await missing(headDir, baseDir)];
    if (baseOnly || headOnly) notes.push(`${baseOnly} row(s) only in base, ${headOnly} only in head`);
  } catch (e) {
    notes.push(`rows not comparable: ${e.message.split('\n')[0]}`);
  }
  const kv = async (d) => (await rowsOf(conn, `SELECT file_name, decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata(${glob(d)})`))
    .filter((r) => !(r.k in IGNORED_METADATA_KEYS))
    .map((r) => `${normalize(relative(d, r.file_name))} ${r.k}=${normalize(String(r.v))}`).sort();
  const kvDiff = compareLines(await kv(baseDir), await kv(headDir));
  if (kvDiff) notes.push(`file metadata: ${kvDiff}`);
  return { base: nA, head: nB, note: notes.join('; ') };
}

async function compareTrees(baseOut, headOut) {
  const results = [];
  const add = (output, base, head, note) => results.push({ output, base, head, equal: !note, note });
  const filesA = listFiles(baseOut);
  const filesB = listFiles(headOut);
  for (const f of filesA.filter((x) => !filesB.includes(x))) add(f, 'present', 'missing', 'only in base');
  for (const f of filesB.filter((x) => !filesA.includes(x))) add(f, 'missing', 'present', 'only in head');
  const both = filesA.filter((x) => filesB.includes(x));

  // Parquet datasets: the top folders of each lake holding .parquet files
  const datasets = [...new Set(both.filter((f) => f.endsWith('.parquet')).map((f) => f.split('/').slice(0, 2).join('/')))];
  const inst = await DuckDBInstance.create(':memory:');
  const conn = await inst.connect();
  try {
    for (const d of datasets) {
      const r = await compareDataset(conn, join(baseOut, d), join(headOut, d));
      add(`${d} (parquet)`, r.base, r.head, r.note);
    }
  } finally {
    conn.closeSync();
    inst.closeSync();
  }
  for (const f of both.filter((x) => !x.endsWith('.parquet'))) {
    const [a, b] = [join(baseOut, f), join(headOut, f)];
    if (f.endsWith('_manifest.json')) {
      const [ma, mb] = [JSON.stringify(manifestView(a)), JSON.stringify(manifestView(b))];
      add(f, manifestView(a).files.length + ' file(s)', manifestView(b).files.length + ' file(s)', ma === mb ? '' : `manifest differs: base ${ma.slice(0, 200)} head ${mb.slice(0, 200)}`);
    } else if (f.startsWith('data/')) {
      const [la, lb] = [textLines(a, false), textLines(b, false)];
      add(f, la.length, lb.length, compareLines(la, lb));
    } else if (f.endsWith('.json')) {
      const [ja, jb] = [a, b].map((p) => normalize(JSON.stringify(stripKeys(JSON.parse(readFileSync(p, 'utf8'))))));
      add(f, 1, 1, ja === jb ? '' : `differs: base ${ja.slice(0, 200)} head ${jb.slice(0, 200)}`);
    } else {
      const [la, lb] = [textLines(a, f.endsWith('.jsonl')), textLines(b, f.endsWith('.jsonl'))];
      add(f, la.length, lb.length, compareLines(la, lb));
    }
  }
  return results;
}

function printTable(results) {
  const rows = [['output', 'base rows', 'head rows', 'equal'], ...results.map((r) => [r.output, String(r.base), String(r.head), r.equal ? 'yes' : 'NO'])];
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const [i, r] of rows.entries()) {
    process.stdout.write(r.map((c, j) => (j === 0 ? c.padEnd(w[j]) : c.padStart(w[j]))).join('  ') + '\n');
    if (i === 0) process.stdout.write(w.map((n) => '-'.repeat(n)).join('  ') + '\n');
  }
  for (const r of results.filter((x) => !x.equal)) process.stdout.write(`\n${r.output}: ${r.note}\n`);
}

// ---------------------------------------------------------------- main

const head = repositoryRoot();
const work = mkdtempSync(join(tmpdir(), 'gammaflow-compare-'));
let baseTree;
let exitCode = 2;
const cleanup = () => {
  if (values.keep) { say(`kept ${work}`); return; }
  if (baseTree) removeBase(head, baseTree);
  rmSync(work, { recursive: true, force: true });
};
process.on('SIGINT', () => { cleanup(); process.exit(130); });
try {
  const base = prepareBase('compare-outputs', head, values.base, work);
  baseTree = base.tree;
  if (!values['no-build']) build('compare-outputs', head, 'head');
  const env = { ...process.env, MASSIVE_API_KEY: 'compare-outputs', CI: '1' };
  const sides = [
    { name: `base ${values.base}`, tree: base.tree, out: join(work, 'base-out') },
    { name: 'head', tree: head, out: join(work, 'head-out') },
  ].map((s) => ({ ...s, cliPath: join(s.tree, 'dist/src/cli/main.js'), env }));
  for (const s of sides) {
    mkdirSync(s.out, { recursive: true });
    await runDay(s, values.date, values.symbol);
  }
  const results = await compareTrees(sides[0].out, sides[1].out);
  process.stdout.write(`\nbase ${values.base} (${base.commit.slice(0, 12)}) vs head (${head}, working tree), demo day ${values.date} ${values.symbol}\n`);
  process.stdout.write(`ignored: columns ${Object.keys(IGNORED_COLUMNS).join(', ')}; file metadata ${Object.keys(IGNORED_METADATA_KEYS).join(', ')}; JSON keys ${Object.keys(IGNORED_JSON_KEYS).join(', ')}; run ids\n\n`);
  printTable(results);
  const differing = results.filter((r) => !r.equal).length;
  process.stdout.write(differing === 0 ? `\nall ${results.length} outputs equal\n` : `\n${differing} of ${results.length} outputs differ\n`);
  exitCode = differing === 0 ? 0 : 1;
} catch (e) {
  say(e instanceof SetupError ? e.message : (e?.stack ?? String(e)));
  exitCode = 2;
} finally {
  cleanup();
}
process.exit(exitCode);
