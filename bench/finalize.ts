/**
 * Finalize against `gammaflow run` on the same flat files: how much finalizing a day costs over
 * computing it from scratch.
 *
 *   node dist/bench/finalize.js [--spy-trades N] [--option-trades N] [--runs 2] [--json]
 *
 * Set-up (not timed): `generate --ms` writes the day; `run` into a lake gives the day to replay;
 * `replay --speed max` → `live --lake TEMPLATE --exit-on-close --all-quotes` leaves a lake as a
 * day of live leaves it (prelim feature rows, realtime tables, ledger). Timed, alternately, each
 * `--runs` times, as separate CLI processes (wall time, start-up included):
 *
 *   run       `gammaflow run --source local:data --lake FRESH` (ingest, greeks, features)
 *   finalize  `gammaflow finalize --source local:data --lake COPY-OF-TEMPLATE` (the same, plus reading
 *             the prelim rows, comparing, matching the trades against the realtime tables, the report)
 *
 * Prints the best wall time of each and the ratio finalize / run (target ≤ 1: "finalizing a day
 * takes no longer than gammaflow run on the same files").
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const DATE = '2025-11-07';
const KEY = 'bench-key';

function cli(cwd: string, args: readonly string[]): { ms: number; stderr: string } {
  const started = performance.now();
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, MASSIVE_API_KEY: KEY }, encoding: 'utf8', maxBuffer: 256 << 20 });
  const ms = performance.now() - started;
  if (r.status !== 0) throw new Error(`gammaflow ${args.join(' ')} exited ${r.status}:\n${r.stderr}`);
  return { ms, stderr: r.stderr };
}

async function liveLake(cwd: string, lake: string): Promise<void> {
  const replay = spawn(process.execPath, [CLI, 'replay', '--symbol', 'SPY', '--date', DATE, '--lake', 'hist', '--speed', 'max', '--port', '0'],
    { cwd, env: { ...process.env, MASSIVE_API_KEY: KEY }, stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      replay.stdout.setEncoding('utf8').on('data', (t: string) => {
        out += t;
        const line = out.split('\n').find((l) => l.startsWith('ws://'));
        if (line !== undefined) resolve(line.trim());
      });
      replay.once('exit', () => reject(new Error('replay exited before listening')));
    });
    cli(cwd, ['live', '--symbol', 'SPY', '--url', url, '--exit-on-close', '--all-quotes', '--no-tui', '--lake', lake]);
  } finally {
    replay.kill('SIGKILL');
  }
}

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  const { values } = parseArgs({ args: [...argv], options: {
    'spy-trades': { type: 'string', default: '100000' }, 'option-trades': { type: 'string', default: '20000' },
    runs: { type: 'string', default: '2' }, json: { type: 'boolean', default: false },
  } });
  const runs = Number(values.runs);
  const work = mkdtempSync(join(tmpdir(), 'gf-bench-finalize-'));
  try {
    writeFileSync(join(work, 'config.toml'), '[metrics]\nlisten = "0"\n');
    cli(work, ['generate', '--out', 'data', '--date', DATE, '--ms', '--tickers', '5', '--spy-trades', values['spy-trades'], '--option-trades', values['option-trades']]);
    cli(work, ['run', '--symbol', 'SPY', '--from', DATE, '--source', 'local:data', '--lake', 'hist', '--no-tui']);
    await liveLake(work, 'template');
    const times = { run: [] as number[], finalize: [] as number[] };
    let summary = '';
    const phases: string[] = [];
    for (let i = 0; i < runs; i++) {
      rmSync(join(work, 'fresh'), { recursive: true, force: true });
      times.run.push(cli(work, ['run', '--symbol', 'SPY', '--from', DATE, '--source', 'local:data', '--lake', 'fresh', '--no-tui']).ms);
      rmSync(join(work, 'copy'), { recursive: true, force: true });
      cpSync(join(work, 'template'), join(work, 'copy'), { recursive: true });
      const f = cli(work, ['finalize', '--symbol', 'SPY', '--from', DATE, '--source', 'local:data', '--lake', 'copy', '--no-tui']);
      times.finalize.push(f.ms);
      summary = f.stderr.split('\n').find((l) => l.includes(`finalize SPY ${DATE}:`)) ?? '';
      phases.push((f.stderr.split('\n').find((l) => l.includes('realtime compaction')) ?? '').replace(/^.*?finalize SPY: /, ''));
    }
    const report = JSON.parse(readFileSync(join(work, 'copy', 'finalize-reports', 'symbol=SPY', `date=${DATE}`, 'report.json'), 'utf8')) as { rows: { rowsCompared: number } };
    const best = { run: Math.min(...times.run), finalize: Math.min(...times.finalize) };
    const result = {
      spyTrades: Number(values['spy-trades']), optionTrades: Number(values['option-trades']), runs,
      runMs: times.run.map(Math.round), finalizeMs: times.finalize.map(Math.round), bestRunMs: Math.round(best.run), bestFinalizeMs: Math.round(best.finalize),
      ratio: Number((best.finalize / best.run).toFixed(3)), rowsCompared: report.rows.rowsCompared, summary: summary.replace(/^.*?finalize /, 'finalize '), phases,
    };
    if (values.json) process.stdout.write(JSON.stringify(result) + '\n');
    else {
      process.stdout.write(`finalize vs run (${result.spyTrades} SPY trades, ${result.optionTrades} option trades, best of ${runs}):\n`
        + `  run       ${result.runMs.join(', ')} ms\n  finalize  ${result.finalizeMs.join(', ')} ms\n  ratio finalize / run = ${result.ratio}\n  ${result.summary}\n`
        + phases.map((p) => `  finalize phases: ${p}\n`).join(''));
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => { process.stderr.write(`${e instanceof Error ? e.stack ?? e.message : String(e)}\n`); process.exitCode = 1; });
}
