import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProgressTracker } from '../observe/progress.js';
import { LakeError } from '../util/errors.js';
import { STOPPED_BEFORE_START, STOPPED_MESSAGE, withDayRun, type DayJob, type DayWork } from './day-runner.js';

interface Outcome {
  readonly day: string;
  readonly state: string;
  readonly message: string;
}

const works = (days: readonly string[], dataset = 'stocks-trades'): DayWork[] =>
  days.map((day) => ({ key: { dataset, day }, id: `${dataset}/${day}`, label: `${dataset}/date=${day}` }));

function job(run: DayJob<DayWork, Outcome>['run'], extra: Partial<DayJob<DayWork, Outcome>> = {}): DayJob<DayWork, Outcome> {
  return {
    command: 'test',
    run,
    notRun: (w, message) => ({ day: w.key.day, state: 'abandoned', message }),
    threw: (w, f) => ({ day: w.key.day, state: f.stopped ? 'abandoned' : 'failed', message: f.message }),
    ...extra,
  };
}

async function inLake<T>(body: (lake: string) => Promise<T>): Promise<T> {
  const lake = mkdtempSync(join(tmpdir(), 'gf-day-runner-'));
  try { return await body(lake); } finally { rmSync(lake, { recursive: true, force: true }); }
}

test('each day ends once: done, skipped, missing input, failed by throwing (a GammaflowError as is, others prefixed); the tracker counts them', () => inLake(async (lake) => {
  const tracker = new ProgressTracker();
  const outcomes = await withDayRun({ lake, tracker }, (run) => {
    assert.match(run.runId, /^[0-9a-z]+-[0-9a-f]{6}$/);
    return run.days(works(['2025-01-02', '2025-01-03', '2025-01-06', '2025-01-07', '2025-01-08']), job(async (w, day) => {
      switch (w.key.day) {
        case '2025-01-02': day.started(); day.done('3 rows'); return { day: w.key.day, state: 'done', message: '3 rows' };
        case '2025-01-03': day.skipped('up to date'); return { day: w.key.day, state: 'skipped', message: 'up to date' };
        case '2025-01-06': day.missingInput('no input; run X first'); return { day: w.key.day, state: 'missing', message: 'no input' };
        case '2025-01-07': throw new LakeError('test 2025-01-07: part 2 is corrupt', { date: w.key.day });
        default: throw new Error('disk full');
      }
    }));
  });
  assert.deepEqual(outcomes.map((o) => [o.day, o.state, o.message]), [
    ['2025-01-02', 'done', '3 rows'], ['2025-01-03', 'skipped', 'up to date'], ['2025-01-06', 'missing', 'no input'],
    ['2025-01-07', 'failed', 'test 2025-01-07: part 2 is corrupt'], ['2025-01-08', 'failed', 'test 2025-01-08: disk full'],
  ]);
  const s = tracker.snapshot();
  assert.equal(s.command, 'test');
  assert.deepEqual([s.daysTotal, s.daysDone, s.daysSkipped, s.daysFailed], [5, 1, 1, 3]);
  assert.deepEqual([s.filesDone, s.filesSkipped, s.filesMissing, s.filesFailed], [1, 1, 1, 2]);
  assert.equal(s.totals.errors, 3);
  assert.deepEqual(s.failures.map((f) => f.message), ['test 2025-01-07: part 2 is corrupt', 'test 2025-01-08: disk full']);
}));

test('selectWork keeps a share of the work: the others are neither queued nor given an outcome', () => inLake(async (lake) => {
  const tracker = new ProgressTracker();
  const ran: string[] = [];
  const outcomes = await withDayRun({ lake, tracker, selectWork: (k) => k.day.endsWith('3') || k.dataset === 'options-trades' }, (run) =>
    run.days([...works(['2025-01-02', '2025-01-03']), ...works(['2025-01-02'], 'options-trades')], job(async (w, day) => {
      ran.push(w.id);
      day.done('ok');
      return { day: w.key.day, state: 'done', message: 'ok' };
    })));
  assert.deepEqual(ran, ['stocks-trades/2025-01-03', 'options-trades/2025-01-02']);
  assert.equal(outcomes.length, 2);
  assert.equal(tracker.snapshot().daysTotal, 2);
}));

test('stopped by the user: the running day is abandoned with nothing published, later days did not start', () => inLake(async (lake) => {
  const tracker = new ProgressTracker();
  const stop = new AbortController();
  const outcomes = await withDayRun({ lake, tracker, signal: stop.signal }, (run) =>
    run.days(works(['2025-01-02', '2025-01-03', '2025-01-06']), job(async (w, day) => {
      if (w.key.day === '2025-01-03') {
        stop.abort();
        throw new Error('interrupted');
      }
      day.done('ok');
      return { day: w.key.day, state: 'done', message: 'ok' };
    })));
  assert.deepEqual(outcomes.map((o) => [o.state, o.message]), [['done', 'ok'], ['abandoned', STOPPED_MESSAGE], ['abandoned', STOPPED_BEFORE_START]]);
  assert.equal(tracker.snapshot().totals.errors, 0, 'a stop is not an error');
}));

test('stopAfter ends the run at the first such outcome: later days are not tried, saying why', () => inLake(async (lake) => {
  const tracker = new ProgressTracker();
  const ran: string[] = [];
  const outcomes = await withDayRun({ lake, tracker }, (run) =>
    run.days(works(['2025-01-02', '2025-01-03', '2025-01-06']), job(async (w) => {
      ran.push(w.key.day);
      throw new Error('access denied');
    }, { stopAfter: (o) => (o.state === 'failed' ? o.message : undefined) })));
  assert.deepEqual(ran, ['2025-01-02']);
  assert.deepEqual(outcomes.map((o) => [o.state, o.message]), [
    ['failed', 'test 2025-01-02: access denied'],
    ['abandoned', 'not tried: test 2025-01-02: access denied'], ['abandoned', 'not tried: test 2025-01-02: access denied'],
  ]);
  assert.equal(tracker.snapshot().totals.errors, 1, 'only the first error is reported');
}));

test('with concurrency, days overlap and the outcomes keep the work order', () => inLake(async (lake) => {
  let running = 0, most = 0;
  const outcomes = await withDayRun({ lake, tracker: new ProgressTracker() }, (run) =>
    run.days(works(['2025-01-02', '2025-01-03', '2025-01-06', '2025-01-07']), job(async (w, day) => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, w.key.day === '2025-01-02' ? 30 : 5));
      running--;
      day.done('ok');
      return { day: w.key.day, state: 'done', message: 'ok' };
    }, { concurrency: 2 })));
  assert.equal(most, 2);
  assert.deepEqual(outcomes.map((o) => o.day), ['2025-01-02', '2025-01-03', '2025-01-06', '2025-01-07']);
}));
