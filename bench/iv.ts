/**
 * Implied-volatility throughput and accuracy: our Let's Be Rational solver vs the npm package
 * `implied-volatility` (bisection to the cent, no dividend yield), on the same 1 M synthetic but
 * realistic option quotes, in the same run, on one core.
 *
 *   npx tsc -p . && node dist/bench/iv.js [--json] [--quotes N] [--package-quotes N|all]
 *
 * Quotes: spot 20–500, r = 4.5 %, q = 0 (the package has no dividend yield); expiries 30 % 0DTE
 * (5 minutes to 6.5 hours), 40 % 1–60 days, 30 % 60 days–2 years; strikes log-normal around
 * the forward with a spread of ~1.5 σ√T; true σ 8–120 % with a smile; calls and puts. Prices
 * are exact model prices (bsmPrice at the true σ), kept only when at least $0.01 and with a
 * time value of at least $0.01, like a quoted contract.
 *
 * Accuracy, per solver: |bsmPrice(σ̂) − price| / price (max and median; our own pricer reprices
 * both solvers' σ̂), and the share of "wrong" vols, |σ̂ − σ| > 1e-6 or no answer.
 *
 * Also times the pricing kernels' exp (src/options/pricing/exp.ts) against Math.exp on the same
 * 1 M arguments: the measurement that justifies hand-writing it.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { bsmPrice, type OptionRight } from '../src/options/pricing/bsm.js';
import { exp } from '../src/options/pricing/exp.js';
import { impliedVolatility } from '../src/options/pricing/iv.js';

type PackageSolver = (price: number, s: number, k: number, t: number, r: number, callPut: 'call' | 'put', estimate?: number) => number;
const requireCjs = createRequire(import.meta.url);
const { getImpliedVolatility } = requireCjs('implied-volatility') as { getImpliedVolatility: PackageSolver };

const RATE = 0.045;

interface Quotes {
  count: number;
  right: OptionRight[];
  spot: Float64Array;
  strike: Float64Array;
  years: Float64Array;
  sigma: Float64Array;
  price: Float64Array;
}

function lcg(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 48271) % 2147483647) / 2147483647;
}

function normal(next: () => number): number {
  let z = -6;
  for (let k = 0; k < 12; k++) z += next();
  return z;
}

export function makeQuotes(count: number, seed = 7): Quotes {
  const next = lcg(seed);
  const q: Quotes = {
    count, right: new Array<OptionRight>(count), spot: new Float64Array(count), strike: new Float64Array(count),
    years: new Float64Array(count), sigma: new Float64Array(count), price: new Float64Array(count),
  };
  let i = 0;
  while (i < count) {
    const spot = 20 * Math.pow(25, next());
    const u = next();
    const years = u < 0.3 ? (5 + next() * 385) / 525600 // 0DTE: 5 min .. 6.5 h
      : u < 0.7 ? (1 + next() * 59) / 365 : (60 + next() * 670) / 365;
    const atmVol = 0.08 + 0.5 * next() * next();
    const spread = Math.max(atmVol * Math.sqrt(years), 0.002);
    const logMoneyness = 1.5 * spread * normal(next);
    const sigma = Math.min(1.2, atmVol * (1 + 2 * logMoneyness * logMoneyness / Math.max(years, 0.02)));
    const strike = Math.round(spot * Math.exp(logMoneyness + RATE * years) * 2) / 2;
    if (strike <= 0) continue;
    const right: OptionRight = next() < 0.5 ? 'C' : 'P';
    const price = bsmPrice(right, spot, strike, years, RATE, 0, sigma);
    const intrinsic = Math.max(right === 'C' ? spot - strike * Math.exp(-RATE * years) : strike * Math.exp(-RATE * years) - spot, 0);
    if (!(price >= 0.01 && price - intrinsic >= 0.01)) continue;
    q.right[i] = right; q.spot[i] = spot; q.strike[i] = strike; q.years[i] = years; q.sigma[i] = sigma; q.price[i] = price;
    i++;
  }
  return q;
}

export interface SolverResult {
  solver: string;
  /** Quotes solved (a prefix of the same quote set). */
  quotes: number;
  /** Wall-clock rate: depressed when other processes share the cores. */
  solvesPerSecond: number;
  /** Rate per second of this process's CPU time: the one-core figure on a busy machine. */
  solvesPerCpuSecond: number;
  maxRelPriceError: number;
  medianRelPriceError: number;
  wrongVolShare: number;
  noAnswerShare: number;
}

type Solve = (q: Quotes, i: number) => number;

const ours: Solve = (q, i) => impliedVolatility(q.price[i]!, q.right[i]!, q.spot[i]!, q.strike[i]!, q.years[i]!, RATE, 0);
const npmPackage: Solve = (q, i) =>
  getImpliedVolatility(q.price[i]!, q.spot[i]!, q.strike[i]!, q.years[i]!, RATE, q.right[i] === 'C' ? 'call' : 'put');

/** Solves the first `count` quotes `repeats` times after a warm-up; keeps the fastest pass. */
function run(name: string, solve: Solve, q: Quotes, count: number, repeats: number): SolverResult {
  const out = new Float64Array(count);
  const warm = Math.min(20_000, Math.ceil(count / 10));
  for (let i = 0; i < warm; i++) out[i] = solve(q, i);
  let bestWall = Infinity;
  let bestCpu = Infinity;
  for (let r = 0; r < repeats; r++) {
    const cpuStart = process.cpuUsage();
    const start = process.hrtime.bigint();
    for (let i = 0; i < count; i++) out[i] = solve(q, i);
    bestWall = Math.min(bestWall, Number(process.hrtime.bigint() - start) / 1e9);
    const cpu = process.cpuUsage(cpuStart);
    bestCpu = Math.min(bestCpu, (cpu.user + cpu.system) / 1e6);
  }
  const errors = new Float64Array(count);
  let wrong = 0, noAnswer = 0;
  for (let i = 0; i < count; i++) {
    const v = out[i]!;
    if (!(v > 0 && v < Infinity)) {
      noAnswer++; wrong++; errors[i] = Infinity;
      continue;
    }
    if (Math.abs(v - q.sigma[i]!) > 1e-6) wrong++;
    errors[i] = Math.abs(bsmPrice(q.right[i]!, q.spot[i]!, q.strike[i]!, q.years[i]!, RATE, 0, v) - q.price[i]!) / q.price[i]!;
  }
  errors.sort();
  return {
    solver: name,
    quotes: count,
    solvesPerSecond: count / bestWall,
    solvesPerCpuSecond: count / bestCpu,
    maxRelPriceError: errors[count - 1]!,
    medianRelPriceError: errors[count >> 1]!,
    wrongVolShare: wrong / count,
    noAnswerShare: noAnswer / count,
  };
}

export interface ExpResult {
  mathExpNs: number;
  kernelExpNs: number;
}

/** ns per call of Math.exp and of the kernels' exp over the same arguments (fastest of 5 passes). */
function timeExp(count: number): ExpResult {
  const next = lcg(11);
  const args = new Float64Array(count);
  for (let i = 0; i < count; i++) args[i] = -40 * next(); // the solver's range: e^{−(h²+t²)/2}, e^{−z²/2}
  const sumMath = (): number => { let s = 0; for (let i = 0; i < count; i++) s += Math.exp(args[i]!); return s; };
  const sumKernel = (): number => { let s = 0; for (let i = 0; i < count; i++) s += exp(args[i]!); return s; };
  let mathExpNs = Infinity, kernelExpNs = Infinity, check = 0;
  for (let r = 0; r < 5; r++) {
    let start = process.hrtime.bigint();
    check += sumMath();
    mathExpNs = Math.min(mathExpNs, Number(process.hrtime.bigint() - start) / count);
    start = process.hrtime.bigint();
    check -= sumKernel();
    kernelExpNs = Math.min(kernelExpNs, Number(process.hrtime.bigint() - start) / count);
  }
  if (!(Math.abs(check) < 1e-9 * count)) throw new Error(`exp sums disagree by ${check}`);
  return { mathExpNs, kernelExpNs };
}

export function main(argv: readonly string[] = process.argv.slice(2)): SolverResult[] {
  const json = argv.includes('--json');
  const option = (name: string, fallback: number): number => {
    const at = argv.indexOf(name);
    const value = at >= 0 ? argv[at + 1] : undefined;
    return value === undefined ? fallback : value === 'all' ? Infinity : Number(value);
  };
  const count = option('--quotes', 1_000_000);
  // The package needs ~1 ms per solve (100 bisection steps, series CDF): 1 M quotes would take
  // ~25 minutes, so by default it solves the first 10 000 of the same quotes.
  const packageCount = Math.min(count, option('--package-quotes', 10_000));
  const quotes = makeQuotes(count);
  const results = [
    run('gammaflow impliedVolatility (Let\'s Be Rational)', ours, quotes, count, 3),
    run('npm implied-volatility 1.0.0 (bisection)', npmPackage, quotes, packageCount, 1),
  ];
  const expTiming = timeExp(Math.min(count, 1_000_000));
  if (json) {
    console.log(JSON.stringify({ bench: 'iv', node: process.version, quotes: count, results, exp: expTiming }, null, 1));
  } else {
    const e = (x: number): string => (x === Infinity ? '∞' : x.toExponential(2));
    console.log(`IV solves on one core, ${count.toLocaleString('en-US')} quotes (node ${process.version})\n`);
    console.log('| solver | quotes | solves/s (wall) | solves/s (CPU) | max rel price err | median rel price err | wrong vols (>1e-6) | no answer |');
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of results) {
      const rate = (x: number): string => (x >= 1e5 ? `${(x / 1e6).toFixed(2)} M` : `${Math.round(x)}`);
      console.log(`| ${r.solver} | ${r.quotes.toLocaleString('en-US')} | ${rate(r.solvesPerSecond)} | ${rate(r.solvesPerCpuSecond)} | ${e(r.maxRelPriceError)} | ${e(r.medianRelPriceError)} | ${(100 * r.wrongVolShare).toFixed(3)} % | ${(100 * r.noAnswerShare).toFixed(3)} % |`);
    }
    console.log(`\nexp: Math.exp ${expTiming.mathExpNs.toFixed(2)} ns, pricing kernels' exp ${expTiming.kernelExpNs.toFixed(2)} ns per call (${(expTiming.mathExpNs / expTiming.kernelExpNs).toFixed(2)}x)`);
  }
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
