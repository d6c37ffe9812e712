/**
 * The ingest dashboard in a real terminal: the CLI runs inside tmux (its own
 * server socket, a 150×40 pane), the screen is read with `capture-pane`, and
 * `q` is typed with `send-keys`, as a person would.
 *
 * The file comes from a local S3 server through a fault proxy that stalls the
 * download after 2 MB (the connection stays open, silent): the run is
 * provably mid-file for as long as the test needs, however fast the machine.
 * The dashboard shows per-file progress (`MB / `, `MB/s`) and the metrics
 * URL (listen on port 0: the dashboard is where the chosen port is shown),
 * which is scraped mid-file. `q` ends the run: the CLI exits, nothing of the
 * day is published, and the next run ingests it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { duckQuery, lit } from '../support/duckdb.js';
import { startLocalS3Server, LOCAL_S3_CREDENTIALS, type LocalS3Server } from '../support/s3-server.js';
import { startFaultProxy, matching, type FaultProxy } from '../support/fault-proxy.js';
import { CLI_PATH, cliEnvironment, generateStocksDay, runCli } from '../support/cli.js';

const run = promisify(execFile);
const DATASET = 'stocks-trades';
const DATE = '2025-11-07';
const KEY = 'us_stocks_sip/trades_v1/2025/11/2025-11-07.csv.gz';
/** The download stalls after this many bytes (shown as `2.00 MB / ...`). */
const STALL_AFTER_BYTES = 2_000_000;

/** `tmux -V`, or undefined when tmux is not installed. */
async function tmuxVersion(): Promise<string | undefined> {
  try {
    return (await run('tmux', ['-V'])).stdout.trim();
  } catch {
    return undefined;
  }
}
const TMUX = await tmuxVersion();

let work: string;
let data: string;
let rows: number;
let s3: LocalS3Server;
let proxy: FaultProxy;
const socket = `gammaflow-e2e-${process.pid}`;

before(async () => {
  if (!TMUX) return;
  work = mkdtempSync(join(tmpdir(), 'gf-e2e-tui-'));
  data = join(work, 'massive');
  rows = await generateStocksDay(data, DATE, { tickers: 10, spyTrades: 150_000 }, work);
  s3 = await startLocalS3Server();
  proxy = await startFaultProxy(s3.endpoint);
  const bytes = readFileSync(join(data, KEY));
  assert.ok(bytes.length > 2 * STALL_AFTER_BYTES, 'the object is larger than the stall point');
  await s3.putObject(KEY, bytes);
});

after(async () => {
  if (!TMUX) return;
  // Only our own server (its own socket); its socket file is removed too.
  const socketPath = (await tmux('display-message', '-p', '#{socket_path}').catch(() => '')).trim();
  await tmux('kill-server').catch(() => undefined);
  if (socketPath !== '') rmSync(socketPath, { force: true });
  await proxy?.close();
  await s3?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/**
 * The environment of a person's terminal: CI markers removed (under CI the CLI shows plain lines
 * instead of the dashboard, which this test is about; run-ui.test.ts covers that choice).
 */
function terminalEnvironment(): NodeJS.ProcessEnv {
  const env = cliEnvironment({ TERM: 'xterm-256color' });
  delete env['CI'];
  delete env['CONTINUOUS_INTEGRATION'];
  return env;
}

/** A tmux command on this file's private server (started with the terminal environment above). */
async function tmux(...args: string[]): Promise<string> {
  const { stdout } = await run('tmux', ['-L', socket, ...args], { env: terminalEnvironment() });
  return stdout;
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Polls the pane until `predicate` holds for its text; returns that text. */
async function waitForScreen(target: string, what: string, predicate: (screen: string) => boolean, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let screen = '';
  while (Date.now() < deadline) {
    screen = await tmux('capture-pane', '-p', '-t', target);
    if (predicate(screen)) return screen;
    await sleep(100);
  }
  throw new Error(`the screen never showed ${what}; last screen:\n${screen}`);
}

/** Waits for the pane's process to exit (remain-on-exit keeps the pane) and returns its exit status. */
/** The CLI's exit status, as written by the pane's shell into `statusFile` once the CLI has exited. */
async function waitForExit(target: string, statusFile: string, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const text = existsSync(statusFile) ? readFileSync(statusFile, 'utf8').trim() : '';
    if (/^\d+$/.test(text)) return Number(text);
    await sleep(100);
  }
  throw new Error(`the CLI did not exit within ${timeoutMs} ms; screen:\n${await tmux('capture-pane', '-p', '-t', target)}`);
}

test('the dashboard under tmux shows MB / and MB/s and the metrics URL; q stops cleanly and the rerun completes',
  { skip: TMUX ? false : 'tmux is not installed' }, async () => {
    const lake = join(work, 'lake');
    const config = join(work, 'config.toml');
    writeFileSync(config, [
      '[massive]', `s3_endpoint = "${proxy.endpoint}"`,
      '[metrics]', 'listen = "127.0.0.1:0"',
      '[tui]', 'progress_update_ms = 100',
    ].join('\n') + '\n');
    proxy.inject({ kind: 'stall', afterBodyBytes: STALL_AFTER_BYTES }, { match: matching({ method: 'GET', key: KEY }), times: 1 });
    const credentials = [`MASSIVE_S3_ACCESS_KEY_ID=${LOCAL_S3_CREDENTIALS.accessKeyId}`, `MASSIVE_S3_SECRET_ACCESS_KEY=${LOCAL_S3_CREDENTIALS.secretAccessKey}`];
    // The shell records the CLI's exit status in a file: tmux's #{pane_dead_status} is sometimes read
    // empty right after the pane dies, which made the status check flaky.
    const statusFile = join(work, 'exit-status');
    const command = ['env', ...credentials, process.execPath, CLI_PATH, 'ingest', '--dataset', DATASET, '--from', DATE,
      '--lake', lake, '--config', config].map(shellQuote).join(' ') + `; echo $? > ${shellQuote(statusFile)}`;
    const conf = join(work, 'tmux.conf');
    writeFileSync(conf, 'set -g remain-on-exit on\n');
    await tmux('-f', conf, 'new-session', '-d', '-s', 'ingest', '-x', '150', '-y', '40', '-c', work, command);
    const target = 'ingest';

    const screen = await waitForScreen(target, 'the file in flight with 2.00 MB / ... and MB/s',
      (s) => /stocks-trades 2025-11-07 .* 2\.00 MB \/ [\d.]+ MB /.test(s) && /[\d.]+ MB\/s/.test(s) && /metrics http:\/\/127\.0\.0\.1:\d+\/metrics/.test(s));
    assert.match(screen, /^gammaflow ingest  elapsed /m);
    assert.match(screen, /q quit/);
    assert.match(screen, /days  [░█]+  0\/1/);
    assert.match(screen, /inflate=(isal \(\/\S*igzip\)|zlib \(node [\d.]+\))/, 'the dashboard says which inflater runs');

    // The port chosen for listen = "...:0" is on the dashboard; scrape it mid-run.
    const url = /metrics (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(screen)![1]!;
    const metrics = await (await fetch(url)).text();
    assert.match(metrics, /^gammaflow_files_in_flight\{state="running"\} 1$/m);
    assert.match(metrics, new RegExp(`^gammaflow_bytes_read_total ${STALL_AFTER_BYTES}$`, 'm'), 'exactly the bytes before the stall');
    assert.match(metrics, /^gammaflow_files_planned 1$/m);

    await tmux('send-keys', '-t', target, 'q');
    const status = await waitForExit(target, statusFile);
    const last = await tmux('capture-pane', '-p', '-t', target);
    assert.equal(status, 1, `stopping before the day is done exits 1:\n${last}`);
    assert.match(last, /ingest finished in/);
    assert.match(last, /days: 0 done, 1 failed, 0 skipped, 0 missing of 1/);
    await assert.rejects(fetch(url), 'the metrics server closed with the run');

    // Nothing half published: no partition, no manifest entry, staging cleaned, lock released.
    assert.equal(existsSync(join(lake, DATASET, `date=${DATE}`)), false, 'the stopped day is not visible');
    assert.equal(existsSync(join(lake, DATASET, `date=${DATE}`, '_manifest.json')), false, 'no manifest entry');
    assert.deepEqual(readdirSync(join(lake, '_staging', DATASET)), [], 'the staged parts were removed');
    assert.equal(existsSync(join(lake, '_locks', DATASET, `date=${DATE}.lock`)), false, 'the partition lock is released');

    const rerun = await runCli(['ingest', '--dataset', DATASET, '--from', DATE, '--lake', lake, '--config', config, '--no-tui'],
      { cwd: work, env: { MASSIVE_S3_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId, MASSIVE_S3_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey } });
    assert.equal(rerun.code, 0, rerun.stderr);
    const [count] = await duckQuery(`SELECT count(*) AS n, count(DISTINCT (ticker, sequence_number)) AS d
      FROM read_parquet(${lit(join(lake, DATASET, '*', '*.parquet'))})`);
    assert.deepEqual(count, { n: BigInt(rows), d: BigInt(rows) });
  });
