/**
 * `npm run bench`: runs every benchmark module's exported `main(argv)` in turn,
 * in this process (each bench that needs isolation spawns its own children).
 *
 *   node dist/bench/run.js [--only ingest,iv] [--quick]
 *
 * `--quick` gives each bench a small smoke-test size instead of its default.
 * A bench that throws is reported and the others still run; the exit code is 1
 * if any failed. Modules not built yet (another engineer's bench in progress)
 * are skipped with a note.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

interface BenchModule {
  main(argv?: readonly string[]): unknown;
}

/** Bench modules (dist/bench/NAME.js) with the arguments of their `--quick` smoke size. */
export const BENCHES: readonly { readonly name: string; readonly quickArgs: readonly string[] }[] = [
  { name: 'ingest', quickArgs: ['--quick'] },
  { name: 'options-scan', quickArgs: ['--quick'] },
  { name: 'parquet-writer', quickArgs: ['500000'] },
  { name: 'iv', quickArgs: ['--quotes', '100000'] },
  { name: 'statistics', quickArgs: [] },
  { name: 'features', quickArgs: ['--quick', '--no-python'] },
  { name: 'greeks', quickArgs: ['--trades', '20000'] },
  { name: 'symbols', quickArgs: ['--trades', '5000', '--runs', '1'] },
  { name: 'aggression', quickArgs: ['--trades', '20000'] },
  { name: 'live', quickArgs: ['--spy-trades', '20000', '--option-trades', '5000', '--latency-seconds', '3'] },
  { name: 'backfill', quickArgs: ['--spy-trades', '50000', '--option-trades', '10000'] },
  { name: 'finalize', quickArgs: ['--spy-trades', '20000', '--option-trades', '5000', '--runs', '1'] },
  { name: 'web', quickArgs: ['--runs', '2'] },
];

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  const { values } = parseArgs({ args: [...argv], options: { only: { type: 'string' }, quick: { type: 'boolean', default: false } } });
  const only = values.only?.split(',');
  const unknown = only?.filter((n) => !BENCHES.some((b) => b.name === n)) ?? [];
  if (unknown.length > 0) throw new Error(`unknown bench ${unknown.join(', ')}; known: ${BENCHES.map((b) => b.name).join(', ')}`);
  const here = dirname(fileURLToPath(import.meta.url));
  const failed: string[] = [];
  for (const bench of BENCHES) {
    if (only !== undefined && !only.includes(bench.name)) continue;
    const file = join(here, `${bench.name}.js`);
    if (!existsSync(file)) {
      process.stderr.write(`\n== ${bench.name}: skipped (${file} is not built)\n`);
      continue;
    }
    process.stderr.write(`\n== ${bench.name}\n`);
    const started = performance.now();
    try {
      const module = (await import(pathToFileURL(file).href)) as BenchModule;
      await module.main(values.quick ? bench.quickArgs : []);
      process.stderr.write(`== ${bench.name}: done in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    } catch (e) {
      failed.push(bench.name);
      process.stderr.write(`== ${bench.name}: FAILED: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    }
  }
  if (failed.length > 0) process.stderr.write(`\nfailed: ${failed.join(', ')}\n`);
  return failed.length > 0 ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exitCode = await main();
