/**
 * The publish protocol under a crash at every filesystem step. A day is
 * published (old: 3 rows), then replaced (new: 5 rows) through a filesystem
 * layer that stops dead at its k-th step, for every k, with and without the
 * atomic directory exchange. After each stop:
 *
 *  (a) a DuckDB glob over the dataset sees exactly one complete day, old or
 *      new, never both and never part of one (without the exchange, no day at
 *      all between its two renames);
 *  (b) recovery leaves one complete day (the new one once its commit record
 *      was durable), with nothing left in _staging or _trash; a later run that
 *      fails before publishing (its source unreadable) leaves it in place.
 *
 * Recovery itself is then stopped at each of its steps, and run again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { duckQuery, lit } from '../../test/support/duckdb.js';
import type { ColumnSpec } from '../formats/columns.js';
import { DayWriter } from './day-writer.js';
import { exchangeAvailable } from './exchange.js';
import { readManifest, partitionMatches } from './manifest.js';
import { nodePublishFs, recoverLake, type PublishFs } from './publish.js';
import { batchOf } from '../../test/support/parquet-columns.js';

const DATASET = 'stocks-trades';
const DATE = '2025-11-07';
const SCHEMA: readonly ColumnSpec[] = [
  { name: 'version', type: 'utf8', nullable: false },
  { name: 'price', type: 'float64', nullable: false },
];

class SimulatedCrash extends Error {}

/** The real filesystem steps, stopping dead (throwing SimulatedCrash) at step `crashAt` (1-based); `exchange: false` refuses the atomic swap. */
function crashingFs(crashAt: number, options: { exchange: boolean }): PublishFs & { steps: string[] } {
  const steps: string[] = [];
  const gate = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
    steps.push(name);
    if (steps.length === crashAt) throw new SimulatedCrash(`crash at step ${crashAt} (${name})`);
    return run();
  };
  return {
    steps,
    mkdirp: (dir) => gate(`mkdir ${dir}`, () => nodePublishFs.mkdirp(dir)),
    writeDurable: (path, text) => gate(`write+fsync ${path}`, () => nodePublishFs.writeDurable(path, text)),
    fsyncDir: (dir) => gate(`fsync ${dir}`, () => nodePublishFs.fsyncDir(dir)),
    rename: (from, to) => gate(`rename ${from} -> ${to}`, () => nodePublishFs.rename(from, to)),
    exchange: (a, b) => gate(`exchange ${a} <-> ${b}`, async () => options.exchange && nodePublishFs.exchange(a, b)),
    removeTree: (path) => gate(`rm -r ${path}`, () => nodePublishFs.removeTree(path)),
  };
}

async function publishDay(lake: string, version: string, rows: number, runId: string, fs?: PublishFs): Promise<void> {
  const writer = await DayWriter.create({
    lake, dataset: DATASET, date: DATE, runId, schema: SCHEMA, rowGroupRows: 2, fileSizeTargetBytes: 1, zstdLevel: 1,
    useWorker: false, keyValueMetadata: {}, ...(fs ? { publishFs: fs } : {}),
  });
  // One row group per part (fileSizeTargetBytes 1): a day is several files, so a partial day would show.
  for (let i = 0; i < rows; i++) await writer.append(batchOf(SCHEMA, [[version, i]]));
  await writer.finish();
  await writer.publish({
    dataset: DATASET, date: DATE, source: { description: 'test', key: `${version}.csv.gz`, size: rows, etag: version },
    rowsFiltered: 0, schemaVersion: 1, runId,
  });
}

/** What a reader globbing the dataset sees: rows per version. */
async function visible(lake: string): Promise<Map<string, number>> {
  const dir = join(lake, DATASET);
  if (!existsSync(dir) || readdirSync(dir).length === 0) return new Map();
  const glob = join(dir, '**', '*.parquet');
  const files = await duckQuery(`SELECT count(*) AS n FROM glob(${lit(glob)})`);
  if (files[0]!.n === 0n) return new Map();
  const rows = await duckQuery(`SELECT version, count(*) AS n FROM read_parquet(${lit(glob)}) GROUP BY version`);
  return new Map(rows.map((r) => [r.version as string, Number(r.n)]));
}

function assertOneCompleteDay(seen: Map<string, number>, when: string, allowNone = false): 'old' | 'new' | 'none' {
  if (allowNone && seen.size === 0) return 'none';
  const complete = [...seen].filter(([v, n]) => (v === 'old' && n === 3) || (v === 'new' && n === 5));
  assert.equal(seen.size, 1, `${when}: readers see exactly one version of the day, saw ${JSON.stringify([...seen])}`);
  assert.equal(complete.length, 1, `${when}: the day readers see is complete, saw ${JSON.stringify([...seen])}`);
  return complete[0]![0] as 'old' | 'new';
}

/** A lake holding the old day, made once and copied for each case. */
async function oldLake(): Promise<string> {
  const lake = mkdtempSync(join(tmpdir(), 'gf-publish-template-'));
  await publishDay(lake, 'old', 3, 'run-old');
  return lake;
}

function leftovers(lake: string): string[] {
  const out: string[] = [];
  for (const top of ['_staging', '_trash']) {
    const walk = (dir: string): void => {
      if (!existsSync(dir)) return;
      for (const name of readdirSync(dir)) {
        if (name.startsWith('date=')) out.push(join(dir, name));
        else walk(join(dir, name));
      }
    };
    walk(join(lake, top));
  }
  return out;
}

for (const exchange of [true, false]) {
  test(`a crash at every step of a publish (${exchange ? 'atomic exchange' : 'two renames'}) leaves one complete day, and recovery keeps the newest`, async (t) => {
    if (exchange && !exchangeAvailable()) { t.skip('renameat2(RENAME_EXCHANGE) is not available here (koffi missing or not Linux)'); return; }
    const template = await oldLake();
    const work = mkdtempSync(join(tmpdir(), 'gf-publish-crash-'));
    try {
      let crashAt = 1;
      let completed = false;
      let sawRecordDurable = false;
      for (; !completed && crashAt < 60; crashAt++) {
        const lake = join(work, `k${crashAt}`);
        cpSync(template, lake, { recursive: true });
        const fs = crashingFs(crashAt, { exchange });
        try {
          await publishDay(lake, 'new', 5, 'run-new', fs);
          completed = true;
        } catch (e) {
          if (!(e instanceof SimulatedCrash)) throw e;
        }
        const when = `stopped at step ${crashAt} (${fs.steps.at(-1)})`;
        // Two renames leave a moment with no day between them (never a mix); the exchange never does.
        const before = assertOneCompleteDay(await visible(lake), when, !exchange);
        const recordDurable = fs.steps.some((s, i) => i < crashAt - 1 && s.startsWith('write+fsync') && s.endsWith('_manifest.json'));
        sawRecordDurable ||= recordDurable && !completed;

        await recoverLake(lake);
        const after = assertOneCompleteDay(await visible(lake), `${when}, after recovery`);
        assert.deepEqual(leftovers(lake), [], `${when}: recovery leaves nothing in _staging or _trash`);
        if (completed || recordDurable) assert.equal(after, 'new', `${when}: the staged day was complete, so it is the one kept`);
        else assert.equal(after, 'old', `${when}: the new day was not complete, the old one stays`);
        if (before === 'new') assert.equal(after, 'new', `${when}: recovery never goes back to an older day`);
        const entry = (await readManifest(lake, DATASET)).get(DATE);
        assert.equal(entry?.source.etag, after, `${when}: the commit record describes the visible day`);
        assert.ok(await partitionMatches(lake, entry!, { verify: true }), `${when}: the files match their checksums`);

        // A rerun whose source turns out unreadable: it stages, fails, aborts. The day stays.
        const failing = await DayWriter.create({
          lake, dataset: DATASET, date: DATE, runId: 'run-failing', schema: SCHEMA, rowGroupRows: 2, fileSizeTargetBytes: 1,
          zstdLevel: 1, useWorker: false, keyValueMetadata: {},
        });
        await failing.append(batchOf(SCHEMA, [['failing', 0]]));
        await failing.abort();
        await recoverLake(lake);
        assert.equal(assertOneCompleteDay(await visible(lake), `${when}, after a failed rerun`), after);
      }
      assert.ok(completed, 'the publish completes once no step is stopped');
      assert.ok(crashAt > 6, `the publish was stopped at each of its ${crashAt - 1} steps`);
      assert.ok(sawRecordDurable, 'some stops fell after the commit record was durable and before the publish finished');
    } finally {
      rmSync(work, { recursive: true, force: true });
      rmSync(template, { recursive: true, force: true });
    }
  });
}

test('recovery stopped at any of its own steps is completed by the next recovery', async (t) => {
  const template = await oldLake();
  const work = mkdtempSync(join(tmpdir(), 'gf-publish-recover-'));
  try {
    // The state after a crash right after the old day was moved to _trash (two renames): no published day.
    const stopped = join(work, 'stopped');
    cpSync(template, stopped, { recursive: true });
    const probeLake = join(work, 'probe');
    cpSync(template, probeLake, { recursive: true });
    const probe = crashingFs(Infinity, { exchange: false });
    await publishDay(probeLake, 'new', 5, 'run-new', probe);
    const stepsOfPublish = probe.steps;
    const moveAway = stepsOfPublish.findIndex((s) => s.startsWith('rename') && s.includes(`${join(DATASET, `date=${DATE}`)} ->`));
    assert.ok(moveAway >= 0, `the two-rename publish moves the old day away: ${stepsOfPublish.join('; ')}`);
    try {
      await publishDay(stopped, 'new', 5, 'run-new', crashingFs(moveAway + 2, { exchange: false }));
    } catch (e) {
      if (!(e instanceof SimulatedCrash)) throw e;
    }
    assert.equal(existsSync(join(stopped, DATASET, `date=${DATE}`)), false, 'the chosen stop leaves no published day');
    for (let k = 1; k < 30; k++) {
      const lake = join(work, `r${k}`);
      cpSync(stopped, lake, { recursive: true });
      let done = false;
      try {
        await recoverLake(lake, crashingFs(k, { exchange: exchangeAvailable() }));
        done = true;
      } catch (e) {
        if (!(e instanceof SimulatedCrash)) throw e;
      }
      await recoverLake(lake);
      assert.equal(assertOneCompleteDay(await visible(lake), `recovery stopped at step ${k}, then run again`), 'new');
      assert.deepEqual(leftovers(lake), []);
      if (done) return;
    }
    t.diagnostic('recovery did not complete within 30 steps');
    assert.fail('recovery never completed');
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(template, { recursive: true, force: true });
  }
});
