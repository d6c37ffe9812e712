/**
 * Window statistics throughput: the KDE curve (factored walks vs direct
 * exp per point), the dip test, sorting (built-in vs sortAscending) and the
 * full 17-statistic computeStats on shuffled input, on two families of
 * synthetic trade-like windows (lognormal dollar values with ticks/ties: a
 * coarse KDE grid; option dollar-delta-like values: a fine grid, the feature
 * engine's case). Each figure is the best of three runs.
 *
 *   npx tsc -p . && node dist/bench/statistics.js
 *
 * Figures are ns per value (Σn over windows), so they scale to a day's
 * ~10 M values per value set directly.
 */
import { pathToFileURL } from 'node:url';
import {
  computeStats, dipPValue, dipStatistic, DipScratch, evaluateKdeGrid, evaluateKdeGridDirect, KDE_GRID_POINTS, kdeGrid,
  scottBandwidth, sortAscending, STAT_NAMES_WITH_QUANTILES, StatsScratch,
} from '../src/features/statistics/index.js';

function lcg(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 48271) % 2147483647) / 2147483647;
}

/** Lognormal-ish dollar values rounded to cents, sorted: heavy tails, so a coarse grid (step ≳ 0.1 bandwidth). */
function lognormalWindow(n: number, next: () => number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let z = -6;
    for (let k = 0; k < 12; k++) z += next();
    out[i] = Math.round(Math.exp(6 + 1.5 * z) * 100) / 100;
  }
  return out.sort();
}

/**
 * Option dollar-delta-like values, sorted: |delta|·S·size·100 with size
 * skewed as in bench/features.ts; a fine grid (step 0.03–0.09 bandwidth),
 * so every kernel walks the whole grid (the feature engine's case).
 */
function dadvvWindow(n: number, next: () => number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = (0.05 + 0.9 * next()) * 680 * (1 + Math.floor(next() ** 4 * 200)) * 100;
  return out.sort();
}

const FAMILIES: readonly { name: string; window: (n: number, next: () => number) => Float64Array }[] = [
  { name: 'lognormal dollar values', window: lognormalWindow },
  { name: 'dadvv-like values', window: dadvvWindow },
];

/** A shuffled copy (arrival order), Fisher–Yates. */
function shuffle(x: Float64Array, next: () => number): Float64Array {
  const out = x.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    const t = out[i]!; out[i] = out[j]!; out[j] = t;
  }
  return out;
}

function stddevOf(x: Float64Array): number {
  let mean = 0;
  for (const v of x) mean += v;
  mean /= x.length;
  let m2 = 0;
  for (const v of x) m2 += (v - mean) ** 2;
  return Math.sqrt(m2 / (x.length - 1));
}

/** Best of three timed runs after a warm-up (the least disturbed by other processes). */
function time(label: string, totalValues: number, run: () => void): number {
  run(); // warm-up
  let ns = Infinity;
  for (let round = 0; round < 3; round++) {
    const start = process.hrtime.bigint();
    run();
    ns = Math.min(ns, Number(process.hrtime.bigint() - start));
  }
  const perValue = ns / totalValues;
  console.log(`${label.padEnd(44)} ${(ns / 1e6).toFixed(1).padStart(9)} ms  ${perValue.toFixed(1).padStart(8)} ns/value`);
  return perValue;
}

export function main(): void {
  const next = lcg(42);
  const sizes = [20, 200, 2000, 20000];
  const density = new Float64Array(KDE_GRID_POINTS);
  const grid = { start: 0, end: 0, step: 0 };
  console.log(`statistics bench (node ${process.version})`);
  for (const family of FAMILIES) for (const n of sizes) {
    const windows = Array.from({ length: Math.max(1, Math.floor(200000 / n)) }, () => family.window(n, next));
    const total = windows.length * n;
    const bandwidths = windows.map((x) => scottBandwidth(stddevOf(x), n));
    const meanStep = windows.reduce((sum, x, w) => sum + kdeGrid(x[0]!, x[n - 1]!, bandwidths[w]!, grid).step / bandwidths[w]!, 0) / windows.length;
    console.log(`-- ${family.name}, n = ${n}, ${windows.length} windows, ${total} values, mean grid step ${meanStep.toFixed(3)} bandwidths`);
    const fast = time('KDE 512-point, factored walks', total, () => {
      windows.forEach((x, w) => {
        kdeGrid(x[0]!, x[n - 1]!, bandwidths[w]!, grid);
        evaluateKdeGrid(x, n, bandwidths[w]!, grid, density);
      });
    });
    const directWindows = windows.slice(0, Math.max(1, Math.floor(windows.length / 10)));
    const direct = time('KDE 512-point, direct exp (1/10 of windows)', directWindows.length * n, () => {
      directWindows.forEach((x, w) => {
        kdeGrid(x[0]!, x[n - 1]!, bandwidths[w]!, grid);
        evaluateKdeGridDirect(x, n, bandwidths[w]!, grid, density);
      });
    });
    console.log(`${'  speed-up'.padEnd(44)} ${(direct / fast).toFixed(1)}x`);
    const dipScratch = new DipScratch();
    time('dip statistic + p-value', total, () => {
      for (const x of windows) dipPValue(dipStatistic(x, n, dipScratch), n);
    });
    const scratch = new StatsScratch();
    const out = new Float64Array(STAT_NAMES_WITH_QUANTILES.length);
    const shuffled = windows.map((x) => shuffle(x, next));
    const copies = shuffled.map((x) => x.slice());
    const fresh = (): void => copies.forEach((copy, w) => copy.set(shuffled[w]!));
    time('sort (built-in Float64Array sort)', total, () => {
      fresh();
      for (const x of copies) x.sort();
    });
    time('sort (sortAscending)', total, () => {
      fresh();
      for (const x of copies) sortAscending(x, n, scratch.sort);
    });
    time('computeStats, all 17 (incl. sort)', total, () => {
      fresh();
      for (const x of copies) computeStats(x, n, STAT_NAMES_WITH_QUANTILES, out, 0, scratch);
    });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
