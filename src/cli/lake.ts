/** `gammaflow lake check [--repair] [--verify]`: argument handling only. */
import { parseCommand } from './args.js';
import { UsageError, EXIT_OK, EXIT_FAILED } from './report.js';
import { lakeOption, loadCliConfig } from './common.js';
import { renderLakeCheck, runLakeCheck } from '../lake/check.js';
import { existsSync } from 'node:fs';
import { isS3LakeUrl } from '../lake/s3/location.js';
import { LakePathError } from '../util/errors.js';

export const LAKE_HELP = `gammaflow lake check [--lake DIR] [--verify] [--repair] [--json]

Checks every published partition against its commit record (_manifest.json): each listed file present with
its size, and its sha256 when the file was modified since it was published; parquet files no record lists;
partitions without a record; copies left in _staging/_trash by interrupted runs.

  --lake DIR      lake directory (default: storage.lake, ./lake)
  --verify        checksum every file (reads the whole lake), not only files modified since published
  --repair        complete or remove interrupted publishes, move unlisted parquet files to _orphans/
                  (takes the lake lock; a file that no longer matches its checksum needs ingest --force)
  --config FILE   config file (default ./config.toml)
  --json          the report as one JSON object on stdout

Exit code 0 when no problem remains, 1 when some do, 2 for usage errors.`;

export async function lakeCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand('lake', argv, {
    lake: { type: 'string' }, config: { type: 'string' }, verify: { type: 'boolean', default: false },
    repair: { type: 'boolean', default: false }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help) { process.stdout.write(LAKE_HELP + '\n'); return EXIT_OK; }
  if (positionals[0] !== 'check' || positionals.length > 1) throw new UsageError(`lake: expected the subcommand "check" (see gammaflow lake --help)`);
  const { config } = await loadCliConfig(values.config, values.json);
  const given = values.lake ?? config.storage.lake;
  const lake = lakeOption(values.lake, config);
  if (!isS3LakeUrl(given) && !existsSync(lake)) throw new LakePathError(`${values.lake !== undefined ? '--lake' : 'storage.lake'} ${lake}: no such directory`, { path: lake });
  const report = await runLakeCheck(lake, { verify: values.verify, repair: values.repair, graceMs: config.storage.orphan_grace_minutes * 60_000 });
  if (values.json) process.stdout.write(JSON.stringify({ type: 'lake_check', ...report }) + '\n');
  else for (const line of renderLakeCheck(report)) process.stdout.write(line + '\n');
  return report.remaining === 0 ? EXIT_OK : EXIT_FAILED;
}
