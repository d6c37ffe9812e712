/**
 * `gammaflow run` with aggression on, as a user runs it on a fresh lake: the option trades are
 * classified while the option files stream (src/options/ingest-sides.ts). The side columns it
 * writes must equal those of `gammaflow greeks --force` afterwards, which classifies from the lake.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { duckQuery, lit } from '../support/duckdb.js';

const DATE = '2025-11-07';

test('gammaflow run classifies while ingesting; gammaflow greeks --force from the lake writes the same sides', async () => {
  const work = mkdtempSync(join(tmpdir(), 'gf-e2e-run-aggression-'));
  try {
    const generated = await runCli(['generate', '--out', 'day', '--date', DATE, '--seed', '5', '--tickers', '3',
      '--spy-trades', '3000', '--option-trades', '1500'], { cwd: work });
    assert.equal(generated.code, 0, generated.stderr);
    const run = await runCli(['run', '--symbol', 'SPY', '--from', DATE, '--source', 'local:day', '--lake', 'lake', '--out', 'run.csv',
      '--windows', '1m', '--no-tui'], { cwd: work, timeoutMs: 120_000 });
    assert.equal(run.code, 0, run.stderr);
    assert.doesNotMatch(run.stdout + run.stderr, /classifies from the lake/, 'the fresh day used the verdicts computed while ingesting');

    const glob = lit(join(work, 'lake', 'options-greeks', 'symbol=SPY', '*', '*.parquet'));
    const sides = () => duckQuery(`SELECT sequence, side, side_method, side_reason, quote_sip_timestamp, quote_bid_price, quote_ask_price
      FROM read_parquet(${glob}) ORDER BY sequence`);
    const fromRun = await sides();
    assert.ok(fromRun.length > 1000);
    assert.ok(fromRun.some((r) => r.side === 1) && fromRun.some((r) => r.side === -1), 'buys and sells');

    const greeks = await runCli(['greeks', '--symbol', 'SPY', '--from', DATE, '--to', DATE, '--lake', 'lake', '--force', '--no-tui'],
      { cwd: work, timeoutMs: 120_000 });
    assert.equal(greeks.code, 0, greeks.stderr);
    assert.deepEqual(await sides(), fromRun);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
