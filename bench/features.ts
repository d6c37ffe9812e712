/**
 * Feature engine throughput and latency on one synthetic symbol-day held in
 * memory (default ~100 k underlying trades, ~1 M enriched option trades, 4
 * window sizes), against bench/features_reference.py, a straightforward
 * numpy/scipy implementation of the same spec, on the same records.
 *
 *   npx tsc -p . && node dist/bench/features.js [--underlying N] [--options N]
 *       [--windows 1m,5m,15m,30m] [--no-python] [--json]
 *
 * Measured:
 * - wall time to feed every event in event order and emit every row
 *   (realtime style: advanceTo at every event, so rows leave as windows close);
 * - peak RSS (process maxRSS, includes the ~1 M records held in memory) and
 *   the RSS growth during the run;
 * - latency to emit a 1m row after its last trade: from the advanceTo call at
 *   a minute boundary to the engine handing out the 1m row (onRow callback;
 *   rows closing at the same instant come shortest window first), split into
 *   boundaries where only shorter sizes close and those where every size closes;
 * - the Python reference's compute time (its JSON load excluded, dip p-values
 *   excluded: R's dip.test is not numpy/scipy).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { NyseCalendar, nyWallClockToUtcNs } from '../src/calendar/index.js';
import { defaultConfig } from '../src/config/schema.js';
import { FeatureEngine, featureEngineOptions } from '../src/features/engine.js';
import type { FeatureRow } from '../src/features/row.js';
import { GreeksFlag, type EnrichedOptionTrade, type UnderlyingTrade } from '../src/formats/records.js';

const DATE = '2025-11-07';
const MINUTE_NS = 60_000_000_000n;

function lcg(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 48271) % 2147483647) / 2147483647;
}

interface Day {
  readonly stocks: UnderlyingTrade[];
  readonly options: EnrichedOptionTrade[];
}

/** Sorted, deterministic synthetic records over the regular session (plus some pre/post-market prints). */
function syntheticDay(underlyingCount: number, optionCount: number): Day {
  const next = lcg(20251107);
  const open = nyWallClockToUtcNs(DATE, 9, 0), span = 7.5 * 3600;
  const times = (n: number): bigint[] => {
    const out: bigint[] = [];
    for (let i = 0; i < n; i++) out.push(open + BigInt(Math.floor(next() * span * 1e6)) * 1000n);
    return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  };
  const conditionsPool: number[][] = [[], [], [], [], [], [], [12], [37], [14, 41], [22]];
  let S = 680;
  const stocks = times(underlyingCount).map((t, i): UnderlyingTrade => {
    S = Math.round((S + (next() - 0.5) * 0.04) * 100) / 100;
    return { sipTimestampNs: t, sequence: i + 1, price: S, size: 1 + Math.floor(next() ** 3 * 2000), conditions: conditionsPool[Math.floor(next() * conditionsPool.length)]!, correction: next() < 0.001 ? 1 : 0 };
  });
  const options = times(optionCount).map((t, i): EnrichedOptionTrade => {
    const right = next() < 0.55 ? 'C' : 'P';
    const strike = 660 + 5 * Math.floor(next() * 9);
    const intrinsic = right === 'C' ? Math.max(680 - strike, 0) : Math.max(strike - 680, 0);
    const ok = next() < 0.97;
    const size = 1 + Math.floor(next() ** 4 * 200);
    const delta = 0.05 + 0.9 * next();
    return {
      sipTimestampNs: t, sequence: i + 1, ticker: 'O:SPY251107C00680000', root: 'SPY', right, strike, expiryDays: 20399, adjusted: false,
      price: Math.round((intrinsic + next() * 3) * 100) / 100, size, conditions: [], correction: 0, exchange: 1, eligible: next() < 0.98,
      underlyingPrice: 680, underlyingTimestampNs: t, tYears: 0.001, iv: ok ? 0.2 : NaN, delta: ok ? delta : NaN, gamma: ok ? 0.05 : NaN,
      intrinsic, dadvv: ok ? delta * 680 * size * 100 : NaN, gadvv: ok ? 0.05 * next() * 680 * 680 * size * 100 : NaN,
      greeksFlag: ok ? GreeksFlag.Ok : GreeksFlag.SolverFailure,
    };
  });
  return { stocks, options };
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export interface FeaturesBenchResult {
  underlyingTrades: number;
  optionTrades: number;
  windows: string[];
  rows: number;
  engineSeconds: number;
  eventsPerSecond: number;
  peakRssMb: number;
  rssGrowthMb: number;
  /** ms from advanceTo at a minute boundary to the 1m row (boundaries where the largest size does not close). */
  latencyMinuteMs: { p50: number; p99: number; max: number };
  /** Same at boundaries where the largest size closes too. */
  latencyAllSizesMs: { p50: number; max: number };
  /** Process CPU time (all threads) for the same span, every boundary: robust to a loaded machine. */
  latencyCpuMs: { p50: number; p99: number };
  /** Load average (1 min) when the run ended: other processes inflate wall-clock figures. */
  loadAverage: number;
  python?: { computeSeconds: number; loadSeconds: number; rows: number; speedup: number } | { error: string };
}

function runEngine(day: Day, windows: string[]): { rows: FeatureRow[]; seconds: number; minuteLatencies: number[]; allSizeLatencies: number[]; minuteCpu: number[] } {
  const engine = new FeatureEngine(featureEngineOptions(defaultConfig().aggregations, new NyseCalendar(), { windows }));
  const largest = windows.map((w) => featureEngineOptions(defaultConfig().aggregations, new NyseCalendar(), { windows: [w] }).windows[0]!.sizeNs)
    .reduce((a, b) => (a > b ? a : b));
  const rows: FeatureRow[] = [];
  const minuteLatencies: number[] = [];
  const allSizeLatencies: number[] = [];
  const minuteCpu: number[] = [];
  let nextBoundary = 0n;
  const { stocks, options } = day;
  let u = 0, o = 0;
  const started = performance.now();
  while (u < stocks.length || o < options.length) {
    const useStock = o >= options.length || (u < stocks.length && stocks[u]!.sipTimestampNs <= options[o]!.sipTimestampNs);
    const t = useStock ? stocks[u]!.sipTimestampNs : options[o]!.sipTimestampNs;
    if (t >= nextBoundary) {
      const boundary = (t / MINUTE_NS) * MINUTE_NS;
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      let minuteRowMs = NaN, minuteRowCpuMs = NaN;
      const closed = engine.advanceTo(boundary, (row) => {
        if (row.windowSizeNs !== MINUTE_NS || !Number.isNaN(minuteRowMs)) return;
        minuteRowMs = performance.now() - t0;
        const cpu = process.cpuUsage(cpu0);
        minuteRowCpuMs = (cpu.user + cpu.system) / 1000;
      });
      if (!Number.isNaN(minuteRowMs)) {
        (boundary % largest === 0n ? allSizeLatencies : minuteLatencies).push(minuteRowMs);
        minuteCpu.push(minuteRowCpuMs);
      }
      rows.push(...closed);
      nextBoundary = boundary + MINUTE_NS;
    }
    if (useStock) engine.onUnderlyingTrade(stocks[u++]!);
    else engine.onOptionTrade(options[o++]!);
  }
  rows.push(...engine.finish());
  return { rows, seconds: (performance.now() - started) / 1000, minuteLatencies, allSizeLatencies, minuteCpu };
}

function runPython(day: Day, windows: string[]): FeaturesBenchResult['python'] {
  const here = dirname(fileURLToPath(import.meta.url));
  const script = join(here, '..', '..', 'bench', 'features_reference.py');
  const dir = join(here, '..', '..', 'bench', 'out');
  mkdirSync(dir, { recursive: true });
  const input = join(dir, 'features-input.json');
  const config = defaultConfig().aggregations;
  const { stocks, options } = day;
  const data = {
    symbol: 'SPY', date: DATE, session_open: '09:30', session_close: '16:00', windows, contract_size: config.contract_size,
    include_corrections: config.include_corrections, exclude_conditions_high_low: config.exclude_conditions_high_low,
    exclude_conditions_open_close: config.exclude_conditions_open_close, exclude_conditions_volume: config.exclude_conditions_volume,
    stocks: {
      t: stocks.map((s) => String(s.sipTimestampNs)), seq: stocks.map((s) => s.sequence), price: stocks.map((s) => s.price),
      size: stocks.map((s) => s.size), conditions: stocks.map((s) => s.conditions), correction: stocks.map((s) => s.correction),
    },
    options: {
      t: options.map((x) => String(x.sipTimestampNs)), seq: options.map((x) => x.sequence), right: options.map((x) => x.right).join(''),
      strike: options.map((x) => x.strike), price: options.map((x) => x.price), size: options.map((x) => x.size),
      eligible: options.map((x) => (x.eligible ? 1 : 0)), S: options.map((x) => x.underlyingPrice), flag: options.map((x) => x.greeksFlag),
      dadvv: options.map((x) => (Number.isNaN(x.dadvv) ? null : x.dadvv)), gadvv: options.map((x) => (Number.isNaN(x.gadvv) ? null : x.gadvv)),
    },
  };
  writeFileSync(input, JSON.stringify(data));
  const run = spawnSync('python3', [script, input, '--no-dip'], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (run.status !== 0) return { error: (run.stderr || run.error?.message || 'python3 failed').trim().split('\n').slice(-1)[0]! };
  const out = JSON.parse(run.stdout.trim().split('\n').pop()!) as { rows: number; load_s: number; compute_s: number };
  return { computeSeconds: out.compute_s, loadSeconds: out.load_s, rows: out.rows, speedup: NaN };
}

export function main(argv: readonly string[] = process.argv.slice(2)): FeaturesBenchResult {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      underlying: { type: 'string', default: '100000' }, options: { type: 'string', default: '1000000' },
      windows: { type: 'string', default: '1m,5m,15m,30m' }, 'no-python': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false }, quick: { type: 'boolean', default: false },
    },
  });
  const underlyingCount = values.quick ? 10_000 : Number(values.underlying);
  const optionCount = values.quick ? 100_000 : Number(values.options);
  const windows = values.windows.split(',');
  const day = syntheticDay(underlyingCount, optionCount);
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  const run = runEngine(day, windows);
  const rssAfter = process.memoryUsage().rss;
  const minute = run.minuteLatencies.slice().sort((a, b) => a - b);
  const all = run.allSizeLatencies.slice().sort((a, b) => a - b);
  const cpu = run.minuteCpu.slice().sort((a, b) => a - b);
  const result: FeaturesBenchResult = {
    underlyingTrades: underlyingCount, optionTrades: optionCount, windows, rows: run.rows.length,
    engineSeconds: run.seconds, eventsPerSecond: (underlyingCount + optionCount) / run.seconds,
    peakRssMb: process.resourceUsage().maxRSS / 1024, rssGrowthMb: (rssAfter - rssBefore) / 2 ** 20,
    latencyMinuteMs: { p50: quantile(minute, 0.5), p99: quantile(minute, 0.99), max: minute[minute.length - 1] ?? NaN },
    latencyAllSizesMs: { p50: quantile(all, 0.5), max: all[all.length - 1] ?? NaN },
    latencyCpuMs: { p50: quantile(cpu, 0.5), p99: quantile(cpu, 0.99) },
    loadAverage: loadavg()[0]!,
  };
  if (!values['no-python']) {
    const python = runPython(day, windows);
    if (python !== undefined && 'computeSeconds' in python) python.speedup = python.computeSeconds / run.seconds;
    result.python = python;
  }
  if (values.json) {
    process.stdout.write(JSON.stringify(result) + '\n');
    return result;
  }
  const f = (x: number, d = 1): string => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
  const lines = [
    `## Feature engine (node ${process.version}): ${underlyingCount.toLocaleString('en-US')} underlying + ${optionCount.toLocaleString('en-US')} option trades, windows ${windows.join(', ')}`,
    '',
    '| measure | value |',
    '|---|---|',
    `| rows emitted | ${result.rows} |`,
    `| engine wall time (feed + every row, incl. dip p-values) | ${f(result.engineSeconds, 2)} s |`,
    `| events/s | ${Math.round(result.eventsPerSecond).toLocaleString('en-US')} |`,
    `| peak RSS (records in memory included) | ${f(result.peakRssMb, 0)} MB |`,
    `| RSS growth during the run | ${f(result.rssGrowthMb, 0)} MB |`,
    `| 1m row latency after its last trade, p50 / p99 / max | ${f(result.latencyMinuteMs.p50, 2)} / ${f(result.latencyMinuteMs.p99, 2)} / ${f(result.latencyMinuteMs.max, 2)} ms (target < 5 ms) |`,
    `| same at boundaries where every size closes, p50 / max | ${f(result.latencyAllSizesMs.p50, 2)} / ${f(result.latencyAllSizesMs.max, 2)} ms |`,
    `| same as process CPU time, p50 / p99 | ${f(result.latencyCpuMs.p50, 2)} / ${f(result.latencyCpuMs.p99, 2)} ms |`,
    `| load average during the run (2 cores) | ${f(result.loadAverage, 1)} |`,
  ];
  if (result.python !== undefined) {
    lines.push('error' in result.python
      ? `| numpy/scipy reference | failed: ${result.python.error} |`
      : `| numpy/scipy reference compute (no dip; JSON load ${f(result.python.loadSeconds)} s excluded) | ${f(result.python.computeSeconds, 2)} s, ${result.python.rows} rows: engine ${f(result.python.speedup)}x faster |`);
  }
  console.log(lines.join('\n'));
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
