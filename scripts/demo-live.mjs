// npm run demo:live [-- --speed 60x --start 09:25 --symbol SPY]
//
// The realtime path without credentials: a synthetic day at millisecond precision (the feed's
// precision) is generated into ./demo-data-ms and run through the historical pipeline into
// ./lake-live-demo (reused when already there); then `gammaflow replay` serves that lake day as
// Massive's WebSocket feed on a free local port, and `gammaflow live` connects to it with the
// dashboard, so windows close and features update as the replayed day goes by. `live` writes
// its rows to ./lake-live-demo-realtime (the historical rows stay in ./lake-live-demo for
// comparison). Ends when the replay has sent the whole day (or on q / Ctrl-C).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    speed: { type: 'string', default: '60x' },
    start: { type: 'string', default: '09:25' },
    symbol: { type: 'string', default: 'SPY' },
    date: { type: 'string', default: '2025-11-07' },
  },
});
const CLI = 'dist/src/cli/main.js';
const DATA = 'demo-data-ms';
const LAKE = 'lake-live-demo';
const LIVE_LAKE = 'lake-live-demo-realtime';
const say = (line) => process.stderr.write(`demo:live: ${line}\n`);

function step(args, label) {
  say(label);
  const r = spawnSync(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) {
    say(`gammaflow ${args[0]} failed (exit ${r.status})`);
    process.exit(r.status ?? 1);
  }
}

// 1. build when the commands are not compiled yet
if (!existsSync(CLI) || !existsSync('dist/src/cli/replay.js') || !existsSync('dist/src/cli/live.js')) {
  say('building (tsc)...');
  const b = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
}

// 2. the demo day and its lake, once
const { date, symbol } = values;
if (!existsSync(`${DATA}/us_stocks_sip/trades_v1/${date.slice(0, 4)}/${date.slice(5, 7)}/${date}.csv.gz`)) {
  step(['generate', '--out', DATA, '--date', date, '--ms', '--tickers', '20'], `generating ${date} at millisecond precision into ./${DATA}...`);
}
if (!existsSync(`${LAKE}/options-greeks/symbol=${symbol}/date=${date}`)) {
  step(['run', '--symbol', symbol, '--from', date, '--source', `local:${DATA}`, '--lake', LAKE, '--no-tui'],
    `historical pipeline (ingest → greeks → features) into ./${LAKE}...`);
}

// 3. replay (URL on its first stdout line, its log in the background) and live in front
const replay = spawn(process.execPath, [CLI, 'replay', '--symbol', symbol, '--date', date, '--lake', LAKE,
  '--speed', values.speed, '--start', values.start, '--port', '0', '--api-key-any'], { stdio: ['ignore', 'pipe', 'ignore'] });
const replayExit = new Promise((resolve) => replay.once('exit', (code) => resolve(code)));
const url = await new Promise((resolve) => {
  createInterface({ input: replay.stdout }).once('line', resolve);
  void replayExit.then(() => resolve(undefined));
});
if (url === undefined) {
  say(`gammaflow replay could not start (exit ${await replayExit}); try: node ${CLI} replay --symbol ${symbol} --date ${date} --lake ${LAKE}`);
  process.exit(1);
}
say(`replaying ${symbol} ${date} from ${values.start} New York at ${values.speed} on ${url}; starting gammaflow live (q quits)`);

// Ctrl-C reaches both children (same process group); this script only waits for them.
process.on('SIGINT', () => undefined);
const live = spawn(process.execPath, [CLI, 'live', '--symbol', symbol, '--url', url, '--exit-on-close', '--lake', LIVE_LAKE],
  { stdio: 'inherit', env: { ...process.env, MASSIVE_API_KEY: process.env.MASSIVE_API_KEY || 'demo-replay' } });
const liveCode = await new Promise((resolve) => live.once('exit', (code) => resolve(code)));
if (replay.exitCode === null) replay.kill('SIGINT');
await replayExit;
say(liveCode === 0
  ? `done: live rows in ./${LIVE_LAKE}/features, historical rows of the same day in ./${LAKE}/features`
  : `gammaflow live ended with exit code ${liveCode}`);
process.exit(liveCode ?? 1);
