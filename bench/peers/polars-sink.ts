/**
 * Peer "Polars": the whole file CSV.gz → one zstd Parquet file with the streaming
 * engine, `scanCSV(file).sinkParquet(out)`. nodejs-polars lives in bench/peers'
 * own node_modules (`npm install --prefix bench/peers`), not in gammaflow's dependencies.
 *
 *   node dist/bench/peers/polars-sink.js IN.csv.gz OUT.parquet   → prints {"rows": N}
 */
import { pathToFileURL } from 'node:url';
import { loadPolars } from '../../test/support/polars.js';

export async function polarsSink(input: string, output: string): Promise<number> {
  const pl = loadPolars();
  if (pl === undefined) throw new Error('nodejs-polars is not installed: npm install --prefix bench/peers');
  await pl.scanCSV(input).sinkParquet(output, { compression: 'zstd' }).collect();
  // The row count from the Parquet footer (metadata only, no data pages read).
  return Number((await pl.scanParquet(output).select(pl.len()).collect()).row(0)[0]);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [input, output] = process.argv.slice(2);
  if (input === undefined || output === undefined) throw new Error('usage: polars-sink.js IN.csv.gz OUT.parquet');
  process.stdout.write(JSON.stringify({ rows: await polarsSink(input, output) }) + '\n');
}
