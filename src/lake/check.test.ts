import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync, writeSync, closeSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ColumnSpec } from '../formats/columns.js';
import { DayWriter } from './day-writer.js';
import { checkLake, listDatasets } from './check.js';
import { batchOf } from '../../test/support/parquet-columns.js';

const SCHEMA: readonly ColumnSpec[] = [{ name: 'price', type: 'float64', nullable: false }];

async function publish(lake: string, dataset: string, date: string): Promise<void> {
  const w = await DayWriter.create({ lake, dataset, date, runId: 'r1', schema: SCHEMA, rowGroupRows: 8, fileSizeTargetBytes: 1 << 20, zstdLevel: 1, useWorker: false, keyValueMetadata: {} });
  await w.append(batchOf(SCHEMA, [[1], [2], [3]]));
  await w.finish();
  await w.publish({ dataset, date, source: { description: 't', key: 'k', size: 1, etag: 'e' }, rowsFiltered: 0, schemaVersion: 1, runId: 'r1' });
}

function flipByte(path: string, at: number): void {
  const fd = openSync(path, 'r+');
  const b = Buffer.alloc(1);
  readSync(fd, b, 0, 1, at);
  b[0] = b[0]! ^ 0xff;
  writeSync(fd, b, 0, 1, at);
  closeSync(fd);
}

test('lake check: a clean lake has no problem; nested datasets are found', async () => {
  const lake = mkdtempSync(join(tmpdir(), 'gf-check-'));
  try {
    await publish(lake, 'stocks-trades', '2025-11-06');
    await publish(lake, 'features/symbol=BRK.B/window=5m', '2025-11-06');
    assert.deepEqual(await listDatasets(lake), ['features/symbol=BRK.B/window=5m', 'stocks-trades']);
    const r = await checkLake(lake, { verify: true });
    assert.deepEqual(r.problems, []);
    assert.equal(r.partitions, 2);
    assert.equal(r.filesHashed, 2);
  } finally {
    rmSync(lake, { recursive: true, force: true });
  }
});

test('lake check: corruption in place, an unlisted part, a partition without record and leftovers are reported; --repair fixes what it safely can', async () => {
  const lake = mkdtempSync(join(tmpdir(), 'gf-check-'));
  try {
    await publish(lake, 'stocks-trades', '2025-11-06');
    await publish(lake, 'stocks-trades', '2025-11-07');
    const day6 = join(lake, 'stocks-trades', 'date=2025-11-06');
    flipByte(join(day6, 'part-00000.parquet'), 20); // same size, new mtime
    copyFileSync(join(lake, 'stocks-trades', 'date=2025-11-07', 'part-00000.parquet'), join(lake, 'stocks-trades', 'date=2025-11-07', 'part-00001.parquet'));
    const bare = join(lake, 'stocks-trades', 'date=2025-11-10');
    mkdirSync(bare);
    writeFileSync(join(bare, 'part-00000.parquet'), 'x');
    mkdirSync(join(lake, '_staging', 'stocks-trades', 'date=2025-11-07.dead'), { recursive: true });

    const r = await checkLake(lake);
    assert.deepEqual(r.problems.map((p) => p.kind).sort(), ['leftover', 'mismatch', 'no_record', 'unlisted_file']);
    assert.match(r.problems.find((p) => p.kind === 'mismatch')!.message, /part-00000\.parquet does not match its checksum/);
    assert.equal(r.remaining, 4);

    const fixed = await checkLake(lake, { repair: true });
    assert.equal(fixed.remaining, 2, 'the corrupt part and the partition without record need a re-ingest');
    assert.ok(existsSync(join(lake, '_orphans', 'stocks-trades', 'date=2025-11-07', 'part-00001.parquet')), 'the unlisted part is kept, out of sight');
    assert.equal(existsSync(join(lake, '_staging', 'stocks-trades', 'date=2025-11-07.dead')), false);
    const again = await checkLake(lake);
    assert.deepEqual(again.problems.map((p) => p.kind).sort(), ['mismatch', 'no_record']);
  } finally {
    rmSync(lake, { recursive: true, force: true });
  }
});
