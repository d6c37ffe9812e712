import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NyseCalendar } from '../calendar/index.js';
import { FinalizeSchedule } from './finalize-schedule.js';

const calendar = new NyseCalendar();
const schedule = (): FinalizeSchedule => new FinalizeSchedule({ calendar, publishHourEt: 11, retryMinMs: 60_000, retryMaxMs: 240_000 });

test('a day is due after the publish hour of the next trading day (Friday → Monday 11:00 New York), not before', () => {
  const s = schedule();
  s.noteDay('2025-11-07'); // a Friday
  const monday11 = Date.parse('2025-11-10T16:00:00Z'); // 11:00 EST
  assert.equal(s.due(monday11 - 1), undefined);
  assert.equal(s.due(Date.parse('2025-11-08T16:00:00Z')), undefined, 'not on Saturday');
  assert.equal(s.due(monday11), '2025-11-07');
  assert.deepEqual(s.days(), [{ date: '2025-11-07', state: 'waiting', attempts: 0, nextAtMs: monday11 }]);
});

test('failed attempts back off (doubling, capped); one attempt at a time, oldest day first; done days stay done', () => {
  const s = schedule();
  s.noteDay('2025-11-10');
  s.noteDay('2025-11-07');
  const t0 = Date.parse('2025-11-12T00:00:00Z');
  assert.equal(s.due(t0), '2025-11-07');
  s.started('2025-11-07');
  assert.equal(s.due(t0), undefined, 'one at a time');
  assert.deepEqual(s.days()[0], { date: '2025-11-07', state: 'running', attempts: 1, nextAtMs: undefined });
  assert.equal(s.finished('2025-11-07', false, t0), t0 + 60_000);
  assert.equal(s.due(t0 + 1), '2025-11-10', 'the other day meanwhile');
  s.started('2025-11-10');
  assert.equal(s.finished('2025-11-10', true, t0 + 2), undefined);
  assert.equal(s.due(t0 + 59_999), undefined);
  assert.equal(s.due(t0 + 60_000), '2025-11-07');
  s.started('2025-11-07');
  assert.equal(s.finished('2025-11-07', false, t0 + 60_000), t0 + 60_000 + 120_000);
  s.started('2025-11-07');
  assert.throws(() => s.started('2025-11-07'), /while running/);
  assert.equal(s.finished('2025-11-07', false, t0), t0 + 240_000);
  s.started('2025-11-07');
  assert.equal(s.finished('2025-11-07', false, t0), t0 + 240_000, 'capped at retryMax');
  s.started('2025-11-07');
  s.finished('2025-11-07', true, t0);
  s.noteDay('2025-11-07');
  assert.equal(s.due(Number.MAX_SAFE_INTEGER), undefined, 'done days stay done');
  assert.deepEqual(s.days().map((d) => `${d.date} ${d.state} ${d.attempts}`), ['2025-11-07 done 5', '2025-11-10 done 1']);
});
