/**
 * Several underlyings' greeks in one pass against one run per underlying, on a synthetic day.
 *
 *   npx tsc -p . && node dist/bench/symbols.js [--json] [--trades N] [--symbols SPY,QQQ,AAPL] [--runs R] [--dir DIR]
 *
 * The day (demo generator: SPY and QQQ have option chains, the other tickers only stock trades)
 * is generated once and ingested into DIR/lake. Then, R times each, on the same lake:
 *   - one pass: runGreeks with all the symbols (each day's options-trades read once);
 *   - N × one: runGreeks once per symbol (options-trades read N times).
 * Both recompute (force) and publish every symbol's partition. Reported: seconds (best of R) and
 * the ratio; a symbol without options still costs the per-symbol scan of options-trades.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { generateDay } from '../src/demo/generateDay.js';
import { runIngest } from '../src/ingest/run.js';
import { DATASETS } from '../src/formats/datasets.js';
import { LocalSource } from '../src/sources/local.js';
import { ProgressTracker } from '../src/observe/progress.js';
import { optionDerivedColumns } from '../src/options/contract-columns.js';
import { defaultConfig } from '../src/config/schema.js';
import { runGreeks } from '../src/options/greeks-job.js';

const DATE = '2025-11-07';

async function ensureLake(dir: string, trades: number): Promise<string> {
  const root = join(dir, 'flatfiles');
  const lake = join(dir, 'lake');
  if (existsSync(join(lake, 'options-trades', `date=${DATE}`))) return lake;
  mkdirSync(dir, { recursive: true });
  process.stderr.write(`generating ${trades.toLocaleString('en-US')} option trades under ${root} (once)...\n`);
  await generateDay(root, { date: DATE, seed: 5, tickers: 5, otherTradesPerTicker: Math.max(100, trades / 10), spyTrades: Math.max(20_000, 2 * trades),
    options: { trades, quotes: false, expiries: 8, strikesPerSide: 30 } });
  const r = await runIngest({
    datasets: [DATASETS['stocks-trades'], DATASETS['options-trades']], days: [DATE], lake, source: new LocalSource(root), force: true,
    concurrentFiles: 2, batchRows: 65_536, rowGroupRows: 131_072, fileSizeTargetBytes: 128 << 20, zstdLevel: 3, useWorkerWriter: true,
    derivedFor: (d) => (d.filterKind === 'underlyings' ? optionDerivedColumns() : undefined),
    expectedPublishMs: () => 0, tracker: new ProgressTracker(), version: 'bench',
  });
  if (r.exitCode !== 0) throw new Error(`ingest failed: ${JSON.stringify(r.outcomes)}`);
  return lake;
}

async function timed(body: () => Promise<number>): Promise<{ seconds: number; rows: number }> {
  const started = performance.now();
  const rows = await body();
  return { seconds: (performance.now() - started) / 1000, rows };
}

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<unknown> {
  const { values } = parseArgs({ args: [...argv], options: {
    json: { type: 'boolean', default: false }, trades: { type: 'string', default: '1000000' },
    symbols: { type: 'string', default: 'SPY,QQQ,AAPL' }, runs: { type: 'string', default: '3' },
    dir: { type: 'string', default: join(tmpdir(), 'gammaflow-bench-symbols') },
  } });
  const trades = Number(values.trades), runs = Number(values.runs);
  const symbols = values.symbols.split(',').map((s) => s.trim().toUpperCase()).filter((s) => s.length > 0);
  if (!Number.isInteger(trades) || trades <= 0) throw new Error(`--trades: expected a positive integer, got ${values.trades}`);
  if (!Number.isInteger(runs) || runs <= 0) throw new Error(`--runs: expected a positive integer, got ${values.runs}`);
  if (symbols.length < 2) throw new Error('--symbols: give at least two underlyings');
  const lake = await ensureLake(join(values.dir, String(trades)), trades);
  const config = { ...defaultConfig(), aggregations: { ...defaultConfig().aggregations, aggression: false } };
  const greeks = async (some: readonly string[]): Promise<number> => {
    const r = await runGreeks({ lake, symbol: some[0]!, symbols: some, days: [DATE], config, tracker: new ProgressTracker(), force: true, version: 'bench' });
    if (r.exitCode !== 0) throw new Error(`greeks failed: ${JSON.stringify(r.outcomes.map((o) => o.message))}`);
    return r.outcomes.reduce((n, o) => n + (o.rows ?? 0), 0);
  };
  let onePass = Infinity, perSymbol = Infinity, rowsOnePass = 0, rowsPerSymbol = 0;
  for (let i = 0; i < runs; i++) {
    const a = await timed(() => greeks(symbols));
    onePass = Math.min(onePass, a.seconds); rowsOnePass = a.rows;
    const b = await timed(async () => { let n = 0; for (const s of symbols) n += await greeks([s]); return n; });
    perSymbol = Math.min(perSymbol, b.seconds); rowsPerSymbol = b.rows;
  }
  if (rowsOnePass !== rowsPerSymbol) throw new Error(`one pass wrote ${rowsOnePass} rows, the per-symbol runs ${rowsPerSymbol}`);
  const result = { date: DATE, optionTrades: trades, symbols, runs, rows: rowsOnePass, onePassSeconds: onePass, perSymbolSeconds: perSymbol, speedup: perSymbol / onePass };
  if (values.json) console.log(JSON.stringify(result));
  else {
    console.log(`greeks of ${symbols.join(', ')} on ${DATE} (${trades.toLocaleString('en-US')} option trades generated, ${rowsOnePass.toLocaleString('en-US')} written; best of ${runs})`);
    console.log(`  one pass for ${symbols.length} symbols   ${onePass.toFixed(2)} s`);
    console.log(`  ${symbols.length} × one symbol          ${perSymbol.toFixed(2)} s`);
    console.log(`  speed-up                  ${(perSymbol / onePass).toFixed(2)}×`);
  }
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((e: unknown) => { console.error(e); process.exitCode = 1; });
}
