#!/usr/bin/env node
/** The `gammaflow` command: dispatches to one module per command. */
import { printError, EXIT_USAGE, EXIT_FAILED, UsageError } from './report.js';
import { GammaflowError, LakePathError } from '../util/errors.js';
import { VERSION } from './version.js';

const HELP = `gammaflow ${VERSION}: options-flow research on Massive (Polygon.io) market data

Usage: gammaflow <command> [options]   (gammaflow <command> --help for details)

Commands:
  ingest     stream flat files (S3 or a local folder) into the Parquet lake
  greeks     per-trade IV, delta, gamma, dadvv, gadvv of one symbol's option trades (LAKE/options-greeks)
  features   windowed features (81 per window) of one symbol from the lake (LAKE/features or --out FILE)
  run        flat files → greeks → features for one symbol in one command
  generate   write a synthetic trading day in Massive's flat-file format
  demo       generate a day, ingest it with the dashboard, print how to query it
  replay     serve a lake day as Massive's realtime WebSocket feed (for gammaflow live --url)
  live       realtime features of one symbol from Massive's WebSocket feed (lake, --jsonl, SSE)
  lake       lake check [--verify] [--repair]: every partition against its commit record
  backfill   one symbol's ticks from Massive's REST API into the lake (before the flat files are out)
  rates      Treasury yields from Massive's REST API into the lake (risk_free_rate = "treasury")
  serve      a web dashboard over the lake (day charts, jobs, downloads) at http://127.0.0.1:8080
  finalize   replace a day's prelim (live) feature rows by final ones from the flat files, with a report

Environment: MASSIVE_S3_ACCESS_KEY_ID, MASSIVE_S3_SECRET_ACCESS_KEY (flat files), MASSIVE_API_KEY (realtime, REST: backfill, rates).
Config: ./config.toml or --config FILE (see config.example.toml).`;

type Command = (argv: string[]) => Promise<number>;
const COMMANDS: Record<string, () => Promise<Command>> = {
  ingest: async () => (await import('./ingest.js')).ingestCommand,
  greeks: async () => (await import('./greeks.js')).greeksCommand,
  features: async () => (await import('./features.js')).featuresCommand,
  run: async () => (await import('./run.js')).runCommand,
  generate: async () => (await import('./generate.js')).generateCommand,
  demo: async () => (await import('./demo.js')).demoCommand,
  replay: async () => (await import('./replay.js')).replayCommand,
  live: async () => (await import('./live.js')).liveCommand,
  lake: async () => (await import('./lake.js')).lakeCommand,
  backfill: async () => (await import('./backfill.js')).backfillCommand,
  rates: async () => (await import('./rates.js')).ratesCommand,
  serve: async () => (await import('./serve.js')).serveCommand,
  finalize: async () => (await import('./finalize.js')).finalizeCommand,
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(HELP + '\n');
    return name === undefined ? EXIT_USAGE : 0;
  }
  if (name === '--version' || name === '-v') { process.stdout.write(VERSION + '\n'); return 0; }
  const load = COMMANDS[name];
  if (!load) throw new UsageError(`unknown command "${name}"; commands: ${Object.keys(COMMANDS).join(', ')}`);
  return (await load())(rest);
}

const json = process.argv.includes('--json');
main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => {
    printError(e, json);
    process.exitCode = e instanceof UsageError || e instanceof LakePathError || (e instanceof GammaflowError && e.code === 'config') ? EXIT_USAGE : EXIT_FAILED;
  },
);
