import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { duckQuery, lit } from '../../test/support/duckdb.js';
import { NyseCalendar, nyWallClockToUtcNs } from '../calendar/index.js';
import { defaultConfig } from '../config/schema.js';
import { readManifest } from '../lake/manifest.js';
import { FeatureEngine, featureEngineOptions } from './engine.js';
import { FEATURE_NAMES } from './names.js';
import { FeatureFileWriter, featureDataset, outputFormatOf, publishFeatureDay } from './output.js';
import { featurePolicy } from './policy.js';
import { FINAL_FLATFILE } from './provenance.js';
import { DIAG_NAMES, featureRowColumnNames, type FeatureRow } from './row.js';

function sampleRows(): FeatureRow[] {
  const e = new FeatureEngine(featureEngineOptions(defaultConfig().aggregations, new NyseCalendar(), { windows: ['30m'] }));
  const t0 = nyWallClockToUtcNs('2025-11-07', 10, 0);
  for (let i = 0; i < 10; i++) e.onUnderlyingTrade({ sipTimestampNs: t0 + BigInt(i) * 1000n + 7n, sequence: i, price: 680 + i / 100, size: 100 + i, conditions: [], correction: 0 });
  return [...e.finish()];
}

function withTempDir(body: (dir: string) => Promise<void> | void): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gammaflow-features-'));
    try { await body(dir); } finally { rmSync(dir, { recursive: true, force: true }); }
  };
}

test('outputFormatOf picks the format by extension', () => {
  assert.equal(outputFormatOf('a/b.parquet'), 'parquet');
  assert.equal(outputFormatOf('x.CSV'), 'csv');
  assert.equal(outputFormatOf('x.jsonl'), 'jsonl');
  assert.equal(outputFormatOf('x.ndjson'), 'jsonl');
  assert.throws(() => outputFormatOf('x.txt'), /\.parquet, \.csv or \.jsonl/);
});

test('Parquet: DuckDB reads every column, exact ns timestamps and nulls for undefined features', withTempDir(async (dir) => {
  const rows = sampleRows();
  const path = join(dir, 'spy.parquet');
  const w = new FeatureFileWriter(path, { aggression: false });
  w.append(rows);
  const result = w.close();
  assert.equal(result.rows, 13);
  assert.deepEqual(readdirSync(dir), ['spy.parquet'], 'no temporary file is left');
  const described = await duckQuery(`DESCRIBE SELECT * FROM read_parquet(${lit(path)})`);
  assert.deepEqual(described.map((r) => r.column_name), featureRowColumnNames(false));
  const got = await duckQuery(`SELECT * FROM read_parquet(${lit(path)}) ORDER BY window_start`);
  assert.equal(got.length, 13);
  const full = got.find((r) => r.window_start === nyWallClockToUtcNs('2025-11-07', 10, 0))!;
  assert.ok(full, 'the 10:00 window');
  assert.equal(full.symbol, 'SPY');
  assert.equal(full.window, '30m');
  assert.equal(full.window_end, nyWallClockToUtcNs('2025-11-07', 10, 30));
  const expected = rows.find((r) => r.windowStartNs === full.window_start)!;
  FEATURE_NAMES.forEach((name, i) => {
    const v = expected.features[i]!;
    assert.equal(full[name], Number.isNaN(v) ? null : v, name);
  });
  assert.equal(full.diag_underlying_trades, 10);
  const empty = got[0]!;
  assert.equal(empty.underlying_dollar_value_total, 0);
  assert.equal(empty.underlying_price_open, null);
}));

test('CSV and JSON lines: header/keys in schema order, empty field / null for undefined, exact timestamps', withTempDir((dir) => {
  const rows = sampleRows();
  for (const name of ['f.csv', 'f.jsonl']) {
    const w = new FeatureFileWriter(join(dir, name), { aggression: false });
    w.append(rows.slice(0, 5));
    w.append(rows.slice(5));
    w.close();
  }
  const csv = readFileSync(join(dir, 'f.csv'), 'utf8').trimEnd().split('\n');
  assert.equal(csv.length, 14);
  assert.deepEqual(csv[0]!.split(','), featureRowColumnNames(false));
  const empty = csv[1]!.split(',');
  assert.equal(empty[0], 'SPY');
  assert.equal(empty[1], '30m');
  assert.equal(empty[2], String(rows[0]!.windowStartNs));
  assert.equal(empty[4], ''); // open of an empty window
  assert.equal(empty[8], '0'); // underlying_dollar_value_total
  const full = csv[2]!.split(',');
  assert.equal(full[4], '680');
  assert.equal(Number(full[8]), rows[1]!.features[4]);
  const lines = readFileSync(join(dir, 'f.jsonl'), 'utf8').trimEnd().split('\n');
  assert.equal(lines.length, 13);
  const first = JSON.parse(lines[1]!) as Record<string, unknown>;
  assert.deepEqual(Object.keys(first), featureRowColumnNames(false));
  assert.equal(first.underlying_price_open, 680);
  assert.match(lines[1]!, new RegExp(`"window_start":${rows[1]!.windowStartNs},`));
  assert.equal(first[DIAG_NAMES[0]], 10);
  assert.equal((JSON.parse(lines[0]!) as Record<string, unknown>).underlying_price_open, null);
}));

test('publishFeatureDay: LAKE/features/symbol=SPY/window=30m/date=D/part-00000.parquet with a manifest entry', withTempDir(async (lake) => {
  const rows = sampleRows();
  const entry = await publishFeatureDay({
    lake, symbol: 'SPY', window: '30m', date: '2025-11-07', runId: 'r1', rows, aggression: false,
    source: { description: 'test', key: 'stocks-trades/date=2025-11-07', size: 10, etag: 'abc' },
    policy: featurePolicy({ aggregations: defaultConfig().aggregations, window: '30m', session: 'regular', aggression: false }), provenance: FINAL_FLATFILE,
    rowGroupRows: 1000, zstdLevel: 1,
  });
  const part = join(lake, 'features', 'symbol=SPY', 'window=30m', 'date=2025-11-07', 'part-00000.parquet');
  assert.ok(existsSync(part));
  assert.equal(entry.rows, 13);
  const manifest = await readManifest(lake, featureDataset('SPY', '30m'));
  assert.equal(manifest.get('2025-11-07')?.source.etag, 'abc');
  const got = await duckQuery(`SELECT symbol, "window", CAST("date" AS VARCHAR) AS "date", count(*) AS n FROM read_parquet(${lit(join(lake, 'features', '*', '*', '*', '*.parquet'))}, hive_partitioning = true) GROUP BY ALL`);
  assert.equal(got.length, 1);
  assert.equal(got[0]!.n, 13n);
  assert.equal(String(got[0]!.date), '2025-11-07');
  const [provenance] = await duckQuery(`SELECT count(*) FILTER (WHERE quality = 'final' AND source = 'flatfile') AS final FROM read_parquet(${lit(part)})`);
  assert.equal(provenance?.final, 13n, 'every lake row says final, from flat files');
  const meta = Object.fromEntries((await duckQuery(`SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata(${lit(part)})`)).map((r) => [r.k, r.v]));
  assert.equal(meta['gammaflow.schema_version'], '2');
  assert.equal(meta['gammaflow.policy_id'], entry.filter && (JSON.parse(entry.filter) as { policy_id: string }).policy_id);
  assert.match(String(meta['gammaflow.policy']), /"window_ms":1800000/);
}));
