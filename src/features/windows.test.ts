import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NyseCalendar, nyWallClockToUtcNs } from '../calendar/index.js';
import { gridStarts, inSession, sessionOf, windowSpecs, windowStartOf } from './windows.js';

const calendar = new NyseCalendar();
const MINUTE = 60_000_000_000n;

function grid(date: string, label: string, session: 'regular' | 'extended' | 'all' = 'regular'): bigint[] {
  const bounds = sessionOf(calendar, date, session);
  assert.ok(bounds, `${date} has a ${session} session`);
  return gridStarts(bounds, windowSpecs([label])[0]!.sizeNs);
}

test('a regular day has 390 one-minute and 78 five-minute windows from 09:30 New York', () => {
  const oneMinute = grid('2025-11-07', '1m');
  assert.equal(oneMinute.length, 390);
  assert.equal(oneMinute[0], nyWallClockToUtcNs('2025-11-07', 9, 30));
  assert.equal(oneMinute[389], nyWallClockToUtcNs('2025-11-07', 15, 59));
  assert.equal(grid('2025-11-07', '5m').length, 78);
  assert.equal(grid('2025-11-07', '30m').length, 13);
});

test('a 45m grid is aligned to the epoch: it starts at 09:15 and its last window ends at 16:00', () => {
  const starts = grid('2025-11-07', '45m');
  assert.equal(starts.length, 9);
  assert.equal(starts[0], nyWallClockToUtcNs('2025-11-07', 9, 15));
  assert.equal(starts[8]! + 45n * MINUTE, nyWallClockToUtcNs('2025-11-07', 16, 0));
  for (const s of starts) assert.equal(s % (45n * MINUTE), 0n);
  // 7m does not divide a day; 20m windows on a half day: [09:20, 09:40) ... [12:40, 13:00).
  const halfDay = grid('2025-11-28', '20m');
  assert.equal(halfDay[0], nyWallClockToUtcNs('2025-11-28', 9, 20));
  assert.equal(halfDay.length, 11);
});

test('DST change days: the grid follows New York time (2025-03-10 EDT, 2025-11-03 EST)', () => {
  const march = grid('2025-03-10', '1m');
  assert.equal(march.length, 390);
  assert.equal(march[0], 1_741_613_400_000_000_000n); // 13:30 UTC
  const november = grid('2025-11-03', '1m');
  assert.equal(november.length, 390);
  assert.equal(november[0], 1_762_180_200_000_000_000n); // 14:30 UTC
  // The whole New York calendar day is 23 h on 2025-03-09 and 25 h on 2025-11-02.
  assert.equal(grid('2025-03-09', '1h', 'all').length, 23);
  assert.equal(grid('2025-11-02', '1h', 'all').length, 25);
});

test('half days close at 13:00 (210 one-minute windows), extended sessions at 17:00', () => {
  assert.equal(grid('2025-11-28', '1m').length, 210);
  assert.equal(grid('2025-12-24', '1m').length, 210);
  assert.equal(grid('2025-11-28', '1h', 'extended').length, 13);
  assert.equal(grid('2025-11-07', '1h', 'extended').length, 16);
});

test('weekends and holidays have no regular or extended session, but a calendar day', () => {
  assert.equal(sessionOf(calendar, '2025-11-08', 'regular'), undefined);
  assert.equal(sessionOf(calendar, '2025-12-25', 'extended'), undefined);
  assert.ok(sessionOf(calendar, '2025-11-08', 'all'));
});

test('window assignment: a time at exactly start + size belongs to the next window', () => {
  const size = 5n * MINUTE;
  const start = nyWallClockToUtcNs('2025-11-07', 9, 35);
  assert.equal(windowStartOf(start, size), start);
  assert.equal(windowStartOf(start + size - 1n, size), start);
  assert.equal(windowStartOf(start + size, size), start + size);
  assert.equal(windowStartOf(-1n, size), -size);
  const session = sessionOf(calendar, '2025-11-07', 'regular')!;
  assert.equal(inSession(session, session.startNs), true);
  assert.equal(inSession(session, session.endNs), false);
  assert.equal(inSession(session, session.startNs - 1n), false);
});

test('windowSpecs keeps the labels and rejects sizes that do not divide a day or repeat', () => {
  assert.deepEqual(windowSpecs(['1m', '1h']), [{ label: '1m', sizeNs: MINUTE }, { label: '1h', sizeNs: 60n * MINUTE }]);
  assert.throws(() => windowSpecs(['7m']), RangeError);
  assert.throws(() => windowSpecs(['60m', '1h']), /repeats/);
});
