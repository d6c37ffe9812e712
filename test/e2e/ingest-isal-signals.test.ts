/**
 * `gammaflow ingest` with ISA-L (igzip child processes) stopped every way a user
 * or the system stops it: Ctrl-C (SIGINT, graceful), SIGTERM and kill -9. No igzip
 * process outlives the CLI, and nothing is half-published. Skipped with a message
 * where igzip is absent (`apt-get install isal`).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateStocksDay, startCli } from '../support/cli.js';
import { childProcessesNamed } from '../support/processes.js';
import { findOnPath } from '../../src/ingest/inflate.js';

const needsIgzip = findOnPath('igzip') === undefined ? 'igzip (Intel ISA-L) is not on PATH: apt-get install isal' : false;
const DATASET = 'stocks-trades';
const DAYS = ['2025-11-06', '2025-11-07'];

let work: string;
let data: string;
let config: string;

before(async () => {
  if (needsIgzip) return;
  work = mkdtempSync(join(tmpdir(), 'gf-e2e-isal-'));
  data = join(work, 'massive');
  for (const date of DAYS) await generateStocksDay(data, date, { tickers: 10, spyTrades: 250_000 }, work);
  config = join(work, 'config.toml');
  writeFileSync(config, ['[ingest]', 'inflate = "isal"', 'concurrent_files = 1', '[tui]', 'plain_progress_interval_s = 0.05', '[metrics]', 'listen = "0"'].join('\n') + '\n');
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** True while /proc shows `pid` as a live (not zombie) process. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function waitUntilGone(pids: readonly number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = pids.filter(alive);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGKILL'] as const) {
  test(`${signal} while igzip inflates: no igzip process is left, nothing is half-published`, { skip: needsIgzip }, async () => {
    const lake = join(work, `lake-${signal}`);
    const cli = startCli(['ingest', '--dataset', DATASET, '--from', DAYS[0]!, '--to', DAYS[1]!, '--source', `local:${data}`,
      '--lake', lake, '--json', '--config', config], { cwd: work });
    await cli.waitForLine((line) => {
      const l = JSON.parse(line) as { type: string; inFlight?: { bytesDone: number; bytesTotal: number }[] };
      return l.type === 'progress' && (l.inFlight ?? []).some((f) => f.bytesDone > 0 && f.bytesDone < f.bytesTotal);
    });
    const igzips = (await childProcessesNamed('igzip', cli.pid)).map((p) => p.pid);
    assert.equal(igzips.length, 1, `one igzip child while the first file is read:\n${cli.stderr()}`);
    cli.kill(signal);
    const r = await cli.exited;
    if (signal === 'SIGINT') {
      assert.equal(r.code, 1, `a stopped run exits 1:\n${r.stderr}`);
    } else {
      assert.equal(r.signal, signal);
    }
    assert.deepEqual(await waitUntilGone(igzips, 5000), [], `igzip ${igzips.join(', ')} exits with the CLI`);
    for (const date of DAYS) {
      // A day is either published with its commit record or absent: never a partition without its record.
      const partition = join(lake, DATASET, `date=${date}`);
      if (existsSync(partition)) assert.match(readFileSync(join(partition, '_manifest.json'), 'utf8'), new RegExp(`"date":"${date}"`));
    }
  });
}
