/**
 * `gammaflow demo` (`npm run demo`): a generated Massive-format day, ingested
 * end to end with the dashboard, then a summary of what was written and how
 * to query it.
 */
import { existsSync } from 'node:fs';
import { resolve, join } from 'node:path';
import { parseCommand } from './args.js';
import { EXIT_OK } from './report.js';
import { loadCliConfig } from './common.js';
import { generateDay } from '../demo/generateDay.js';
import { ingestDays } from './ingest.js';
import { DATASETS } from '../formats/datasets.js';
import { readManifest } from '../lake/manifest.js';

export const DEMO_HELP = `gammaflow demo [--date YYYY-MM-DD] [--data DIR] [--lake DIR] [--no-tui] [--config FILE]

Generates a synthetic trading day in Massive's format under --data (default ./demo-data),
ingests stocks trades, option trades and SPY option quotes into --lake (default ./lake)
with the live dashboard, and prints what it wrote and how to query it.`;

export async function demoCommand(argv: string[]): Promise<number> {
  const { values } = parseCommand('demo', argv, {
    date: { type: 'string' }, data: { type: 'string' }, lake: { type: 'string' }, config: { type: 'string' },
    'no-tui': { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help) { process.stdout.write(DEMO_HELP + '\n'); return EXIT_OK; }
  const date = values.date ?? '2025-11-07';
  const data = resolve(values.data ?? 'demo-data');
  const { config, path: configPath } = await loadCliConfig(values.config, false);
  const lake = resolve(values.lake ?? config.storage.lake);

  const marker = join(data, DATASETS['stocks-trades'].prefix, date.slice(0, 4), date.slice(5, 7), `${date}.csv.gz`);
  if (!existsSync(marker)) {
    process.stdout.write(`Generating a synthetic Massive-format day (${date}) under ${data} ...\n`);
    const day = await generateDay(data, { date });
    for (const f of day.files) process.stdout.write(`  ${f.dataset.padEnd(15)} ${f.rows.toLocaleString('en-US').padStart(10)} rows  ${(f.bytes / 1e6).toFixed(1)} MB\n`);
  } else {
    process.stdout.write(`Using the generated day already under ${data}\n`);
  }

  process.stdout.write(`Ingesting into ${lake} ...\n`);
  const datasets = [DATASETS['stocks-trades'], DATASETS['options-trades'], DATASETS['options-quotes']];
  const { exitCode } = await ingestDays({
    config, configPath, datasets, from: date, to: date, lake, sourceSpec: `local:${data}`,
    force: false, noTui: values['no-tui'], json: false, underlyings: [config.aggregations.symbol],
  });

  process.stdout.write('\nWhat the lake holds now:\n');
  for (const d of datasets) {
    const entry = (await readManifest(lake, d.name)).get(date);
    if (!entry) continue;
    const bytes = entry.files.reduce((n, f) => n + f.bytes, 0);
    process.stdout.write(`  ${d.name.padEnd(15)} ${entry.rows.toLocaleString('en-US').padStart(10)} rows  ${entry.files.length} file(s) ${(bytes / 1e6).toFixed(1)} MB  ${join(lake, d.name, `date=${date}`)}${entry.filter ? `  (${entry.filter})` : ''}\n`);
  }
  process.stdout.write(`
Query it with any Parquet engine, e.g. DuckDB:
  SELECT ticker, count(*) AS trades, sum(price * size) AS dollar_volume
  FROM read_parquet('${lake}/stocks-trades/*/*.parquet', hive_partitioning = true)
  WHERE date = DATE '${date}' GROUP BY ticker ORDER BY dollar_volume DESC LIMIT 10;
Timestamps (sip_timestamp, ...) are BIGINT nanoseconds since the epoch: make_timestamp_ns(sip_timestamp).
`);
  return exitCode;
}
