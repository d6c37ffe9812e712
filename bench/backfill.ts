/**
 * `gammaflow backfill` throughput at a configured 100 requests/s, against the loopback REST server
 * (test/support/massive-rest-server.ts) serving a generated day, and the CLI's peak RSS.
 *
 *   npx tsc -p . && node dist/bench/backfill.js [--spy-trades N] [--option-trades N] [--rps 100] [--dir DIR] [--json]
 *
 * Two runs, each a fresh lake, the CLI as a user runs it (a child process under GNU time for wall time
 * and peak RSS; the server runs in this process):
 *   - stocks-trades: SPY's trades, few large pages (50,000 rows, Massive's cap): parse, spool, write;
 *   - options: the trades and quotes of every listed SPY contract, about two requests per contract:
 *     bounded by the rate limit.
 * The rows/s figure is rows published / wall time of the whole command (start-up included).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { generateDay } from '../src/demo/generateDay.js';
import { loadFlatFileDay, startMassiveRestServer } from '../test/support/massive-rest-server.js';

const DATE = '2025-11-07';
const TIME = '/usr/bin/time';
const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

interface Row {
  readonly run: string;
  readonly rows: number;
  readonly requests: number;
  readonly wallSeconds: number;
  readonly rowsPerSecond: number;
  readonly requestsPerSecond: number;
  readonly rateLimited: number;
  readonly peakRssMb: number;
}

function timedCli(args: readonly string[], cwd: string, env: Record<string, string>): Promise<{ wallSeconds: number; peakRssMb: number; stdout: string }> {
  const report = join(cwd, 'time.txt');
  return new Promise((resolve, reject) => {
    const child = spawn(TIME, ['-f', '%e %M', '-o', report, process.execPath, CLI, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) { reject(new Error(`gammaflow ${args.join(' ')} failed (${code}):\n${stderr}`)); return; }
      const [elapsed, maxRssKb] = readFileSync(report, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
      resolve({ wallSeconds: elapsed!, peakRssMb: maxRssKb! / 1024, stdout });
    });
  });
}

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<Row[]> {
  const { values } = parseArgs({ args: [...argv], options: {
    'spy-trades': { type: 'string', default: '1000000' }, 'option-trades': { type: 'string', default: '200000' },
    rps: { type: 'string', default: '100' }, dir: { type: 'string' }, json: { type: 'boolean', default: false },
  } });
  if (!existsSync(TIME)) throw new Error(`${TIME} (GNU time) is needed to measure peak RSS: apt-get install time`);
  const spyTrades = Number(values['spy-trades']), optionTrades = Number(values['option-trades']), rps = Number(values.rps);
  const dir = values.dir ?? join(tmpdir(), `gammaflow-bench-backfill-${spyTrades}-${optionTrades}`);
  const day = join(dir, 'day');
  if (!existsSync(join(day, 'us_stocks_sip'))) {
    mkdirSync(dir, { recursive: true });
    process.stderr.write(`generating ${spyTrades.toLocaleString('en-US')} SPY trades and ${optionTrades.toLocaleString('en-US')} option trades under ${day} (once)...\n`);
    await generateDay(day, { date: DATE, seed: 3, tickers: 5, otherTradesPerTicker: 50, spyTrades, options: { trades: optionTrades, expiries: 5, strikesPerSide: 25 } });
  }
  const server = await startMassiveRestServer({ today: '2026-12-07' });
  const rows: Row[] = [];
  try {
    const loaded = await loadFlatFileDay(server, day, DATE);
    process.stderr.write(`serving ${loaded.stockRows.toLocaleString('en-US')} stock trades, ${loaded.optionTradeRows.toLocaleString('en-US')} option trades, `
      + `${loaded.optionQuoteRows.toLocaleString('en-US')} option quotes, ${server.contracts.length} contracts\n`);
    writeFileSync(join(dir, 'config.toml'), `[massive]\nrest_url = "${server.url}"\nrest_requests_per_second = ${rps}\nrest_concurrency = 8\n\n[metrics]\nlisten = "0"\n`);
    for (const [run, datasets] of [['stocks-trades', 'stocks-trades'], ['options (trades + quotes)', 'options-trades,options-quotes']] as const) {
      const lake = join(dir, 'lake');
      rmSync(lake, { recursive: true, force: true });
      const before = server.requests.length;
      const r = await timedCli(['backfill', '--symbol', 'SPY', '--from', DATE, '--datasets', datasets, '--lake', lake, '--json', '--config', 'config.toml'],
        dir, { MASSIVE_API_KEY: server.apiKey });
      const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      const published = lines.filter((l) => l['type'] === 'day').reduce((n, l) => n + Number(l['rows'] ?? 0), 0);
      const rest = lines.find((l) => l['type'] === 'rest') ?? {};
      const requests = server.requests.length - before;
      const row: Row = {
        run, rows: published, requests, wallSeconds: r.wallSeconds, rowsPerSecond: published / r.wallSeconds,
        requestsPerSecond: requests / r.wallSeconds, rateLimited: Number(rest['rateLimited'] ?? 0), peakRssMb: r.peakRssMb,
      };
      rows.push(row);
      process.stderr.write(`${run}: ${published.toLocaleString('en-US')} rows, ${requests} requests in ${r.wallSeconds.toFixed(2)} s: `
        + `${Math.round(row.rowsPerSecond).toLocaleString('en-US')} rows/s, ${row.requestsPerSecond.toFixed(1)} req/s, peak RSS ${row.peakRssMb.toFixed(0)} MB\n`);
    }
  } finally {
    await server.stop();
  }
  const table = [
    `| run (rest_requests_per_second = ${rps}, rest_concurrency = 8) | rows | requests | wall s | rows/s | requests/s | 429s | peak RSS MB |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.run} | ${r.rows.toLocaleString('en-US')} | ${r.requests} | ${r.wallSeconds.toFixed(2)} | ${Math.round(r.rowsPerSecond).toLocaleString('en-US')} | ${r.requestsPerSecond.toFixed(1)} | ${r.rateLimited} | ${r.peakRssMb.toFixed(0)} |`),
  ].join('\n');
  process.stdout.write(values.json ? JSON.stringify(rows) + '\n' : table + '\n');
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((e: unknown) => { process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`); process.exitCode = 1; });
}
