// node scripts/bench-ab.mjs [--base COMMIT|BRANCH] [--benches ingest,iv,features,aggression,live]
//                           [--rounds K] [--quick] [--keep] [--no-build]
//
// Same-run A/B of the benchmarks: this working tree ("head") against --base (default HEAD~1,
// checked out into a temporary git worktree and built there). Each chosen bench runs K times
// (default 3) on each side, base and head alternating (base first in odd rounds, head first in
// even ones, so a drift of the machine's speed does not favour one side), on the same input
// files (the benches' data folders are shared between the trees); the best run of each side is
// kept and the ratio head/base printed per measure (seconds: > 1 means head is slower).
//
// The sizes (BENCHES) take ~10–30 s per run on 2 quiet cores; --quick uses smoke sizes that only
// check that every bench runs on both sides. Benchmarks measure the machine as well as the code:
// run it on a quiet host, and read a ratio within a few percent of 1 as equal.
// Exit code 0 when every bench ran on both sides, 1 when one failed, 2 for setup errors.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SetupError, build, prepareBase, removeBase, repositoryRoot, say as sayAs, tail } from './lib/base-worktree.mjs';

const say = (line) => sayAs('bench-ab', line);

/**
 * The benches (bench/run.ts names) with their arguments per size, and the measures read from
 * their --json output, each in seconds (lower is better). `dir` is a data folder shared by both
 * sides, given to the benches that take one.
 */
const BENCHES = {
  ingest: {
    args: (quick) => ['--rows', quick ? '200000' : '4e6', '--only', 'gammaflow zlib', '--json'],
    measures: {
      'gammaflow ingest (zlib) wall s': (j) => j.results[0].contenders.find((c) => c.name === 'gammaflow zlib').wallSeconds,
    },
  },
  iv: {
    args: (quick) => ['--quotes', quick ? '20000' : '2000000', '--package-quotes', quick ? '100' : '1000', '--json'],
    measures: {
      'IV solves, CPU s per 1M': (j) => 1e6 / j.results[0].solvesPerCpuSecond,
    },
  },
  features: {
    args: (quick) => ['--underlying', quick ? '10000' : '100000', '--options', quick ? '50000' : '1000000', '--no-python', '--json'],
    measures: {
      'feature engine wall s': (j) => j.engineSeconds,
    },
  },
  aggression: {
    args: (quick, dir) => ['--trades', quick ? '5000' : '100000', '--market-factor', quick ? '1' : '4', '--dir', dir, '--json'],
    measures: {
      'lake → sides wall s': (j) => j.comparisons.lakeToSides.oursSeconds,
      'csv.gz → sides (one process) wall s': (j) => j.comparisons.flatFilesToSides.oursSeconds,
    },
  },
  live: {
    args: (quick, dir) => ['--spy-trades', quick ? '20000' : '300000', '--option-trades', quick ? '5000' : '100000', '--runs', '1', '--repeat', '1',
      '--latency-seconds', '3', '--dir', dir, '--json'],
    measures: {
      'replay → pipeline at max speed, wall s': (j) => j.throughput.seconds,
      'same, CPU s of client + engine': (j) => j.throughput.cpuSeconds,
      'engine alone, CPU s per 1M messages': (j) => 1e6 / j.ceiling.engineMessagesPerSecond,
    },
  },
};

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    base: { type: 'string', default: 'HEAD~1' },
    benches: { type: 'string', default: 'ingest,iv,features,aggression,live' },
    rounds: { type: 'string', default: '3' },
    quick: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  const { readFileSync } = await import('node:fs');
  process.stdout.write(readFileSync(new URL(import.meta.url), 'utf8').split('\nimport ')[0].replace(/^\/\/ ?/gm, '') + '\n');
  process.exit(0);
}
const chosen = values.benches.split(',').map((s) => s.trim()).filter(Boolean);
const unknown = chosen.filter((b) => !(b in BENCHES));
const rounds = Number(values.rounds);
if (unknown.length > 0 || !Number.isInteger(rounds) || rounds < 1) {
  say(unknown.length > 0 ? `unknown bench ${unknown.join(', ')}; known: ${Object.keys(BENCHES).join(', ')}` : `--rounds: expected a positive integer, got ${values.rounds}`);
  process.exit(2);
}

/** The JSON document a bench printed last on stdout (one line, or the whole output indented). */
function lastJson(stdout) {
  const text = stdout.trim();
  try {
    return JSON.parse(text);
  } catch {
    const line = text.split('\n').reverse().find((l) => l.startsWith('{'));
    if (line === undefined) throw new Error('no JSON on stdout');
    return JSON.parse(line);
  }
}

/** One run of a bench with one side's build; its measures, or an error message. */
function runBench(side, name, work) {
  const spec = BENCHES[name];
  const dir = join(work, `data-${name}`);
  const args = spec.args(values.quick, dir);
  const log = join(work, `${side.name}-${name}.log`);
  const r = spawnSync(process.execPath, [join(side.tree, 'dist', 'bench', `${name}.js`), ...args], {
    cwd: side.tree, encoding: 'utf8', maxBuffer: 256 << 20,
  });
  writeFileSync(log, `$ node dist/bench/${name}.js ${args.join(' ')}\n${r.stderr}\n${r.stdout}`);
  if (r.status !== 0) return { error: `exit ${r.status}: ${tail(r.stderr, 5)} (log ${log})` };
  try {
    const json = lastJson(r.stdout);
    return { measures: Object.fromEntries(Object.entries(spec.measures).map(([k, f]) => [k, f(json)])) };
  } catch (e) {
    return { error: `could not read its --json output (${e.message}; log ${log})` };
  }
}

const head = repositoryRoot();
const work = mkdtempSync(join(tmpdir(), 'gammaflow-bench-ab-'));
let baseTree;
let exitCode = 2;
const cleanup = () => {
  if (values.keep) { say(`kept ${work}`); return; }
  if (baseTree) removeBase(head, baseTree);
  rmSync(work, { recursive: true, force: true });
};
process.on('SIGINT', () => { cleanup(); process.exit(130); });
try {
  const base = prepareBase('bench-ab', head, values.base, work);
  baseTree = base.tree;
  if (!values['no-build']) build('bench-ab', head, 'head');
  // The ingest bench keeps its generated files under bench/out of its tree: one folder for both.
  mkdirSync(join(head, 'bench', 'out'), { recursive: true });
  if (!existsSync(join(base.tree, 'bench', 'out'))) symlinkSync(join(head, 'bench', 'out'), join(base.tree, 'bench', 'out'), 'dir');
  const sides = [{ name: 'base', tree: base.tree }, { name: 'head', tree: head }];
  /** best[bench][side][measure] = lowest seconds seen */
  const best = {};
  const failures = [];
  for (let round = 1; round <= rounds; round++) {
    for (const name of chosen) {
      const order = round % 2 === 1 ? sides : [...sides].reverse();
      for (const side of order) {
        if (failures.some((f) => f.bench === name && f.side === side.name)) continue;
        say(`round ${round}/${rounds}: ${name} (${side.name})...`);
        const started = Date.now();
        const r = runBench(side, name, work);
        if (r.error !== undefined) {
          failures.push({ bench: name, side: side.name, error: r.error });
          say(`  ${name} (${side.name}) failed: ${r.error}`);
          continue;
        }
        say(`  ${((Date.now() - started) / 1000).toFixed(1)} s: ${Object.entries(r.measures).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ')}`);
        const b = ((best[name] ??= {})[side.name] ??= {});
        for (const [k, v] of Object.entries(r.measures)) b[k] = Math.min(b[k] ?? Infinity, v);
      }
    }
  }
  const rows = [['bench', 'measure (best of each side)', 'base', 'head', 'head/base']];
  for (const name of chosen) {
    for (const measure of Object.keys(BENCHES[name].measures)) {
      const a = best[name]?.base?.[measure];
      const b = best[name]?.head?.[measure];
      const f = (x) => (x === undefined ? 'failed' : x.toFixed(3));
      rows.push([name, measure, f(a), f(b), a === undefined || b === undefined ? '' : (b / a).toFixed(3)]);
    }
  }
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  process.stdout.write(`\nbench A/B: base ${values.base} (${base.commit.slice(0, 12)}) vs head (${head}, working tree), ${rounds} round(s)${values.quick ? ', quick sizes' : ''}\n\n`);
  for (const [i, r] of rows.entries()) {
    process.stdout.write(r.map((c, j) => (j < 2 ? c.padEnd(w[j]) : c.padStart(w[j]))).join('  ') + '\n');
    if (i === 0) process.stdout.write(w.map((n) => '-'.repeat(n)).join('  ') + '\n');
  }
  for (const f of failures) process.stdout.write(`\n${f.bench} (${f.side}) failed: ${f.error}\n`);
  exitCode = failures.length > 0 ? 1 : 0;
} catch (e) {
  say(e instanceof SetupError ? e.message : (e?.stack ?? String(e)));
  exitCode = 2;
} finally {
  cleanup();
}
process.exit(exitCode);
