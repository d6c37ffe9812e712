/**
 * Greeks enrichment throughput on a synthetic day with 1 M SPY option trades, from the lake.
 *
 *   npx tsc -p . && node dist/bench/greeks.js [--json] [--trades N] [--dir DIR] [--skip-iv]
 *
 * 1. IV solves per second on one core, our solver vs npm `implied-volatility`, with accuracy:
 *    bench/iv.ts, run on 1 M quotes (its own table).
 * 2. The day (generated once with the demo generator and ingested into DIR/lake; reused by later
 *    runs), then, each on the same lake rows:
 *    - read: stream the symbol's stocks trades and option trades in time order into records
 *      (LakeReader, DuckDB sort + chunk conversion): the floor of any lake-fed enrichment;
 *    - enrich (CPU): the as-of merge + enrichment + column building on records already in
 *      memory (what the realtime path pays per event);
 *    - read + enrich: enrichDay() with a sink that drops the batches;
 *    - job: runGreeks(), i.e. read + enrich + Parquet write (worker thread) + publish.
 * The goal: enrichment faster than reading the lake.
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
import { LakeReader, type LakeOptionTrade } from '../src/lake/reader.js';
import { enrichDay, runGreeks, GreeksBatchBuilder } from '../src/options/greeks-job.js';
import { OptionEnricher, emptyOptionGreeks, enrichmentParamsFromConfig } from '../src/options/enrich.js';
import type { UnderlyingTrade } from '../src/formats/records.js';
import { main as ivMain, type SolverResult } from './iv.js';

const DATE = '2025-11-07';

interface Stage {
  stage: string;
  seconds: number;
  optionRowsPerSecond: number;
  note: string;
}

async function ensureLake(dir: string, trades: number): Promise<string> {
  const root = join(dir, 'flatfiles');
  const lake = join(dir, 'lake');
  if (existsSync(join(lake, 'options-trades', `date=${DATE}`))) return lake;
  mkdirSync(dir, { recursive: true });
  process.stderr.write(`generating ${trades.toLocaleString('en-US')} option trades under ${root} (once)...\n`);
  await generateDay(root, { date: DATE, seed: 5, tickers: 10, otherTradesPerTicker: 100, spyTrades: Math.max(100_000, 2 * trades), options: { trades, quotes: false, expiries: 8, strikesPerSide: 30 } });
  const r = await runIngest({
    datasets: [DATASETS['stocks-trades'], DATASETS['options-trades']], days: [DATE], lake, source: new LocalSource(root), force: true,
    concurrentFiles: 2, batchRows: 65_536, rowGroupRows: 131_072, fileSizeTargetBytes: 128 << 20, zstdLevel: 3, useWorkerWriter: true,
    derivedFor: (d) => (d.filterKind === 'underlyings' ? optionDerivedColumns() : undefined),
    expectedPublishMs: () => 0, tracker: new ProgressTracker(), version: 'bench',
  });
  if (r.exitCode !== 0) throw new Error(`ingest failed: ${JSON.stringify(r.outcomes)}`);
  return lake;
}

async function timed<T>(f: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const start = performance.now();
  const value = await f();
  return { seconds: (performance.now() - start) / 1000, value };
}

/** Runs bench/iv.ts, capturing its output when we print JSON. */
async function ivSection(json: boolean, quotes: number): Promise<SolverResult[]> {
  if (!json) return ivMain(['--quotes', String(quotes)]);
  const log = console.log;
  console.log = () => {};
  try { return ivMain(['--json', '--quotes', String(quotes)]); } finally { console.log = log; }
}

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<unknown> {
  const { values } = parseArgs({ args: [...argv], options: {
    json: { type: 'boolean', default: false }, trades: { type: 'string', default: '1000000' },
    dir: { type: 'string' }, 'skip-iv': { type: 'boolean', default: false },
  } });
  const trades = Number(values.trades);
  const dir = values.dir ?? join(tmpdir(), `gammaflow-bench-greeks-${trades}`);
  const iv = values['skip-iv'] ? [] : await ivSection(values.json, 1_000_000);

  const lake = await ensureLake(dir, trades);
  const config = defaultConfig();
  const params = enrichmentParamsFromConfig(config.aggregations);
  const batchRows = config.ingest.batch_rows;
  const stages: Stage[] = [];

  // Job first, so its peak RSS is not inflated by the in-memory stage below.
  const job = await timed(() => runGreeks({ lake, symbol: 'SPY', days: [DATE], config, tracker: new ProgressTracker(), force: true, version: 'bench' }));
  const outcome = job.value.outcomes[0]!;
  if (outcome.state !== 'computed') throw new Error(`greeks job: ${outcome.state} ${outcome.message ?? ''}`);
  const optionRows = outcome.rows!;
  const jobRssMb = process.resourceUsage().maxRSS / 1024;

  const reader = await LakeReader.open(lake, { tempDirectory: join(dir, 'duckdb-tmp') });
  try {
    const underlying: UnderlyingTrade[] = [];
    const options: LakeOptionTrade[] = [];
    // Streamed and dropped, as the job consumes them (holding 3 M records would time the GC instead).
    let readOptions = 0, readUnderlying = 0;
    const read = await timed(async () => {
      const counting = async (it: AsyncIterable<unknown[]>): Promise<number> => { let n = 0; for await (const c of it) n += c.length; return n; };
      [readOptions, readUnderlying] = await Promise.all([
        counting(reader.optionTrades(DATE, { underlying: 'SPY' })), counting(reader.underlyingTrades(DATE, 'SPY'))]);
    });
    const readAndEnrich = await timed(() => enrichDay(reader, DATE, 'SPY', [], params, batchRows, { batch: () => {} }));
    for await (const chunk of reader.optionTrades(DATE, { underlying: 'SPY' })) for (const t of chunk) options.push(t);
    for await (const chunk of reader.underlyingTrades(DATE, 'SPY')) for (const t of chunk) underlying.push(t);

    const enrich = await timed(async () => {
      const enricher = new OptionEnricher(params);
      const builder = new GreeksBatchBuilder(batchRows);
      const g = emptyOptionGreeks();
      let ui = 0;
      for (const o of options) {
        while (ui < underlying.length && underlying[ui]!.sipTimestampNs <= o.sipTimestampNs) enricher.onUnderlyingTrade(underlying[ui++]!);
        enricher.compute(o, g);
        builder.add(o, g);
        if (builder.full) builder.take();
      }
      builder.take();
    });
    const ivOnly = await timed(async () => {
      const enricher = new OptionEnricher(params);
      const g = emptyOptionGreeks();
      let ui = 0;
      for (const o of options) {
        while (ui < underlying.length && underlying[ui]!.sipTimestampNs <= o.sipTimestampNs) enricher.onUnderlyingTrade(underlying[ui++]!);
        enricher.compute(o, g);
      }
    });
    const rate = (s: number) => optionRows / s;
    stages.push(
      { stage: 'read lake (records, time order)', seconds: read.seconds, optionRowsPerSecond: rate(read.seconds), note: `${readOptions.toLocaleString('en-US')} option + ${readUnderlying.toLocaleString('en-US')} SPY trades, streamed` },
      { stage: 'enrich in memory (as-of + IV + greeks)', seconds: ivOnly.seconds, optionRowsPerSecond: rate(ivOnly.seconds), note: 'compute() only' },
      { stage: 'enrich in memory + output columns', seconds: enrich.seconds, optionRowsPerSecond: rate(enrich.seconds), note: 'compute() + GreeksBatchBuilder' },
      { stage: 'read + enrich (enrichDay, no write)', seconds: readAndEnrich.seconds, optionRowsPerSecond: rate(readAndEnrich.seconds), note: '' },
      { stage: 'job: read + enrich + Parquet + publish', seconds: job.seconds, optionRowsPerSecond: rate(job.seconds), note: `peak RSS ${jobRssMb.toFixed(0)} MB` },
    );
  } finally {
    reader.close();
  }

  const result = { bench: 'greeks', node: process.version, optionTrades: optionRows, lake, iv, stages };
  if (values.json) {
    console.log(JSON.stringify(result, null, 1));
  } else {
    console.log(`\nGreeks enrichment, ${optionRows.toLocaleString('en-US')} SPY option trades of one day (node ${process.version}, lake ${lake})\n`);
    console.log('| stage | seconds | option trades/s | note |');
    console.log('|---|---:|---:|---|');
    for (const s of stages) console.log(`| ${s.stage} | ${s.seconds.toFixed(2)} | ${(s.optionRowsPerSecond / 1e6).toFixed(2)} M | ${s.note} |`);
  }
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
