/**
 * `gammaflow demo` (`npm run demo`): a generated Massive-format day, ingested
 * end to end with the dashboard, then a summary of what was written and how
 * to query it.
 */
import { existsSync } from 'node:fs';
import { resolve, join } from 'node:path';
import { parseCommand } from './args.js';
import { EXIT_OK } from './report.js';
import { lakeOption, loadCliConfig } from './common.js';
import { generateDay } from '../demo/generateDay.js';
import { ingestDays } from './ingest.js';
import { DATASETS } from '../formats/datasets.js';
import { readManifest } from '../lake/manifest.js';
import { greeksDataset } from '../formats/records.js';
import { runPipeline } from './run.js';
import { readFeatureSample } from '../lake/queries/feature-sample.js';

/** A few 5-minute feature rows of the day, as a table. */
async function printFeatureSample(lake: string, symbol: string, date: string): Promise<void> {
  const rows = await readFeatureSample(lake, symbol, date);
  if (rows.length === 0) return;
  const cols = Object.keys(rows[0]!);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? 'null').length)));
  process.stdout.write(`\nFirst 5-minute feature rows of ${symbol} on ${date} (81 features, plus 68 aggression features when quotes are in the lake; a few shown):\n`);
  process.stdout.write('  ' + cols.map((c, i) => c.padStart(width[i]!)).join('  ') + '\n');
  for (const r of rows) process.stdout.write('  ' + cols.map((c, i) => String(r[c] ?? 'null').padStart(width[i]!)).join('  ') + '\n');
}

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
  const lake = resolve(lakeOption(values.lake, config));

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

  const symbol = config.aggregations.symbol;
  process.stdout.write(`Computing greeks and features for ${symbol} ...\n`);
  const pipelineExit = await runPipeline({
    config, configPath, symbol, from: date, to: date, lake, sourceSpec: `local:${data}`,
    force: false, noTui: values['no-tui'], json: false,
  });

  process.stdout.write('\nWhat the lake holds now:\n');
  for (const [label, d] of [...datasets.map((x) => [x.name, x.name]), ['options-greeks', greeksDataset(symbol)]] as const) {
    const entry = (await readManifest(lake, d)).get(date);
    if (!entry) continue;
    const bytes = entry.files.reduce((n, f) => n + f.bytes, 0);
    process.stdout.write(`  ${label.padEnd(15)} ${entry.rows.toLocaleString('en-US').padStart(10)} rows  ${entry.files.length} file(s) ${(bytes / 1e6).toFixed(1)} MB  ${join(lake, d, `date=${date}`)}${entry.filter ? `  (${entry.filter})` : ''}\n`);
  }
  process.stdout.write(`  features        ${join(lake, 'features', `symbol=${symbol}`)}/window=*/date=${date}/\n`);
  await printFeatureSample(lake, symbol, date);
  process.stdout.write(`
Query it with any Parquet engine, e.g. DuckDB:
  SELECT ticker, count(*) AS trades, sum(price * size) AS dollar_volume
  FROM read_parquet('${lake}/stocks-trades/*/*.parquet', hive_partitioning = true)
  WHERE date = DATE '${date}' GROUP BY ticker ORDER BY dollar_volume DESC LIMIT 10;
Timestamps (sip_timestamp, ...) are BIGINT nanoseconds since the epoch: make_timestamp_ns(sip_timestamp).
Greeks:   read_parquet('${lake}/options-greeks/*/*/*.parquet', hive_partitioning = true) (symbol and date columns).
Features: read_parquet('${lake}/features/symbol=${symbol}/*/*/*.parquet', hive_partitioning = true).

See it as charts (day view, smile, gadvv by strike, downloads) in the web dashboard:
  npx gammaflow serve --lake ${lake}
then open http://127.0.0.1:8080/
`);
  return Math.max(exitCode, pipelineExit);
}
