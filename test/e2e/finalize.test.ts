/**
 * The realtime lifecycle end to end: a generated day with corrected prints (correction ≠ 0 in the
 * flat file), replayed as the live feed would have sent it (the original print, no correction
 * field) into `gammaflow live --lake L`: its prelim rows differ from the historical run's in the
 * windows holding a corrected print. `gammaflow finalize --source local:…` then makes every row
 * equal to the historical run's, exactly, with quality = final, and its report counts the
 * corrected prints and matches the option trades received live with the flat file's. A second
 * finalize changes nothing; a flat file whose ETag changed is finalized again.
 *
 * Real CLI processes on loopback.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { runCli, startCli } from '../support/cli.js';
import { duckQuery, lit } from '../support/duckdb.js';
import { nyWallClockToUtcNs } from '../../src/calendar/index.js';

const DATE = '2025-11-07';
const KEY = 'finalize-test-key';
const env = { MASSIVE_API_KEY: KEY };
const STOCKS_KEY = join('us_stocks_sip', 'trades_v1', '2025', '11', `${DATE}.csv.gz`);
let work: string;
let corrected = 0;

/** Historical rows by `window/window_start`: the parsed JSON line. */
let historical: Map<string, Record<string, unknown>>;

function rowsOfJsonl(text: string): Map<string, Record<string, unknown>> {
  const rows = new Map<string, Record<string, unknown>>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    const start = /"window_start":(\d+)/.exec(line)![1]!;
    const row = JSON.parse(line) as Record<string, unknown>;
    rows.set(`${String(row.window)}/${start}`, row);
  }
  return rows;
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'gf-e2e-finalize-'));
  // quiet_close_ms = 0: windows close on event time only, so a loaded host cannot make live drop events as late.
  writeFileSync(join(work, 'config.toml'), ['[metrics]', 'listen = "0"', '[aggregations]', 'quiet_close_ms = 0', ''].join('\n'));
  const generated = await runCli(['generate', '--out', 'data', '--date', DATE, '--ms', '--tickers', '3', '--spy-trades', '20000', '--option-trades', '5000'],
    { cwd: work, timeoutMs: 120_000 });
  assert.equal(generated.code, 0, generated.stderr);
  // Corrected prints: every 300th SPY trade of the regular session gets correction = 1.
  const path = join(work, 'data', STOCKS_KEY);
  const lines = gunzipSync(readFileSync(path)).toString('utf8').split('\n');
  const header = lines[0]!.split(',');
  const col = (name: string): number => header.indexOf(name);
  const open = nyWallClockToUtcNs(DATE, 9, 30), close = nyWallClockToUtcNs(DATE, 16, 0);
  let spy = 0;
  for (let i = 1; i < lines.length; i++) {
    const f = lines[i]!.split(',');
    if (f[col('ticker')] !== 'SPY' || f.length !== header.length) continue;
    const t = BigInt(f[col('sip_timestamp')]!);
    if (t < open || t >= close || (spy++ % 300) !== 0) continue;
    f[col('correction')] = '1';
    lines[i] = f.join(',');
    corrected++;
  }
  writeFileSync(path, gzipSync(Buffer.from(lines.join('\n'))));
  assert.ok(corrected >= 20, `${corrected} corrected prints`);
  const run = await runCli(['run', '--symbol', 'SPY', '--from', DATE, '--source', 'local:data', '--lake', 'hist-lake', '--out', 'hist.jsonl', '--no-tui'],
    { cwd: work, timeoutMs: 180_000 });
  assert.equal(run.code, 0, run.stderr);
  historical = rowsOfJsonl(readFileSync(join(work, 'hist.jsonl'), 'utf8'));
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** The rows of the lake's features table of L, by `window/window_start`. */
async function lakeRows(lake: string): Promise<Map<string, Record<string, unknown>>> {
  const rows = await duckQuery(`SELECT *, CAST(window_start AS VARCHAR) AS start_text
    FROM read_parquet(${lit(join(work, lake, 'features', 'symbol=SPY', '*', '*', '*.parquet'))}, hive_partitioning = false)`);
  return new Map(rows.map((r) => [`${String(r.window)}/${String(r.start_text)}`, r]));
}

/** Keys of the rows whose feature or diagnostic values differ from the historical ones. */
function differing(rows: Map<string, Record<string, unknown>>): string[] {
  const out: string[] = [];
  for (const [key, h] of historical) {
    const r = rows.get(key);
    if (r === undefined) { out.push(`${key} missing`); continue; }
    for (const [name, value] of Object.entries(h)) {
      if (name === 'window_start' || name === 'window_end') continue;
      if (!Object.is(value, r[name] ?? null)) { out.push(`${key} ${name}: historical ${String(value)}, lake ${String(r[name])}`); break; }
    }
  }
  return out;
}

test('replay → live --lake (prelim, differs where prints were corrected) → finalize: every row equals the historical run, final; the report counts the corrections', { timeout: 400_000 }, async () => {
  const replay = startCli(['replay', '--symbol', 'SPY', '--date', DATE, '--lake', 'hist-lake', '--speed', 'max', '--port', '0'], { cwd: work, env, timeoutMs: 150_000 });
  try {
    const url = await replay.waitForLine((l) => l.startsWith('ws://127.0.0.1:'));
    const live = await runCli(['live', '--symbol', 'SPY', '--url', url, '--exit-on-close', '--all-quotes', '--no-tui', '--lake', 'L'], { cwd: work, env, timeoutMs: 150_000 });
    assert.equal(live.code, 0, live.stderr);
  } finally {
    replay.kill('SIGKILL');
    await replay.exited;
  }
  const prelim = await lakeRows('L');
  assert.equal(prelim.size, historical.size);
  assert.ok([...prelim.values()].every((r) => r.quality === 'prelim' && r.source === 'realtime'));
  const before = differing(prelim);
  assert.ok(before.length > 0, 'the prelim rows differ from the historical ones where a corrected print counted');

  const finalize = await runCli(['finalize', '--symbol', 'SPY', '--from', DATE, '--source', 'local:data', '--lake', 'L', '--no-tui'], { cwd: work, timeoutMs: 240_000 });
  assert.equal(finalize.code, 0, finalize.stderr);
  const summary = /finalize SPY 2025-11-07: (\d+) of (\d+) rows changed.*corrected\/cancelled prints: (\d+) stock, (\d+) option.*option trades: (\d+) matched \((\d+) uniquely\), (\d+) missing live, (\d+) not in the flat files/.exec(finalize.stderr);
  assert.ok(summary, finalize.stderr);
  assert.equal(Number(summary[1]), before.length, 'rows changed = the rows that differed');
  assert.equal(Number(summary[2]), historical.size);
  assert.equal(Number(summary[3]), corrected);
  assert.ok(Number(summary[6]) > 0 && Number(summary[7]) === 0 && Number(summary[8]) === 0, summary[0]);

  const final = await lakeRows('L');
  assert.deepEqual(differing(final), [], 'every row equals the historical one');
  assert.equal(final.size, historical.size);
  assert.ok([...final.values()].every((r) => r.quality === 'final' && r.source === 'flatfile'));

  const reportPath = join(work, 'L', 'finalize-reports', 'symbol=SPY', `date=${DATE}`, 'report.json');
  const report = JSON.parse(readFileSync(reportPath, 'utf8')) as {
    rows: { rowsCompared: number; rowsChanged: number; columns: Record<string, { changed: number; maxAbs: number; maxRel: number }> };
    correctedPrints: { stocks: Record<string, number>; stocksTotal: number };
    stockTrades: { matched: number; missingLive: number; missingFlatFile: number }; optionTrades: { matchedUniquely: number };
  };
  assert.equal(report.rows.rowsChanged, before.length);
  assert.deepEqual(report.correctedPrints.stocks, { 1: corrected });
  assert.ok(report.rows.columns.diag_underlying_corrections!.changed > 0);
  assert.ok(report.rows.columns.underlying_dollar_value_total!.maxRel > 0);
  assert.equal(report.stockTrades.missingLive, 0);
  assert.equal(report.stockTrades.missingFlatFile, 0);

  // The realtime tables of the day are compacted: one part each, every event still there once.
  for (const dataset of ['realtime-stocks-trades', 'realtime-options-trades', 'realtime-options-quotes']) {
    assert.deepEqual(readdirSync(join(work, 'L', dataset, `date=${DATE}`)).filter((n) => n.endsWith('.parquet')), ['part-00000.parquet'], dataset);
  }
  const [kept] = await duckQuery(`SELECT count(*) AS n FROM read_parquet(${lit(join(work, 'L', 'realtime-stocks-trades', '*', '*.parquet'))})`);
  assert.equal(kept!.n, BigInt(report.stockTrades.matched));

  // Idempotent: the same files again change nothing, the report stays.
  const reportBefore = readFileSync(reportPath, 'utf8');
  const again = await runCli(['finalize', '--symbol', 'SPY', '--from', DATE, '--source', 'local:data', '--lake', 'L', '--no-tui'], { cwd: work, timeoutMs: 240_000 });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /already final from the same flat files and settings; nothing changed/);
  assert.equal(readFileSync(reportPath, 'utf8'), reportBefore);

  // Massive replaced the file (another ETag): finalized again, the same rows.
  const stocksPath = join(work, 'data', STOCKS_KEY);
  const later = new Date(statSync(stocksPath).mtimeMs + 60_000);
  utimesSync(stocksPath, later, later);
  const replaced = await runCli(['finalize', '--symbol', 'SPY', '--from', DATE, '--source', 'local:data', '--lake', 'L', '--no-tui'], { cwd: work, timeoutMs: 240_000 });
  assert.equal(replaced.code, 0, replaced.stderr);
  assert.match(replaced.stderr, /finalize SPY 2025-11-07: 0 of \d+ rows changed/);
  assert.deepEqual(differing(await lakeRows('L')), []);
});
