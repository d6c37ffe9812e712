import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BoundedQueue } from './queue.js';

test('FIFO order, depth and high-water mark', async () => {
  const q = new BoundedQueue<number>({ capacity: 4 });
  q.push(1); q.push(2); q.push(3);
  assert.equal(q.depth, 3);
  assert.deepEqual(await q.next(), { value: 1, done: false });
  q.push(4);
  assert.equal(q.highWaterDepth, 3);
  assert.deepEqual([q.shift(), q.shift(), q.shift(), q.shift()], [2, 3, 4, undefined]);
  assert.equal(q.depth, 0);
});

test('a full queue drops the oldest, counts and reports it', () => {
  const drops: Array<[number, number]> = [];
  const q = new BoundedQueue<number>({ capacity: 3, onDrop: (total, item) => drops.push([total, item]) });
  for (let i = 1; i <= 6; i++) q.push(i);
  assert.equal(q.dropped, 3);
  assert.deepEqual(drops, [[1, 1], [2, 2], [3, 3]]);
  assert.deepEqual([q.shift(), q.shift(), q.shift()], [4, 5, 6]);
  assert.equal(q.highWaterDepth, 3);
});

test('pressure fires at pauseDepth and clears at resumeDepth, once each (hysteresis)', () => {
  const signals: boolean[] = [];
  const q = new BoundedQueue<number>({ capacity: 10, pauseDepth: 4, resumeDepth: 1, onPressure: (p) => signals.push(p) });
  for (let i = 0; i < 6; i++) q.push(i);
  assert.deepEqual(signals, [true]);
  assert.equal(q.pressured, true);
  q.shift(); q.shift(); q.shift(); q.shift();
  assert.deepEqual(signals, [true]);
  q.shift();
  assert.deepEqual(signals, [true, false]);
  assert.equal(q.pressured, false);
  q.push(9); q.push(9);
  assert.deepEqual(signals, [true, false]);
});

test('a waiting consumer receives the next push directly', async () => {
  const q = new BoundedQueue<string>({ capacity: 2 });
  const pending = q.next();
  q.push('a');
  assert.deepEqual(await pending, { value: 'a', done: false });
  assert.equal(q.depth, 0);
});

test('end: drain then done; pushes after end are ignored', async () => {
  const q = new BoundedQueue<number>({ capacity: 5 });
  q.push(1); q.push(2);
  q.end();
  q.push(3);
  const seen: number[] = [];
  for await (const v of q) seen.push(v);
  assert.deepEqual(seen, [1, 2]);
  assert.deepEqual(await q.next(), { value: undefined, done: true });
});

test('fail: drain then reject; waiting consumers reject at once', async () => {
  const q = new BoundedQueue<number>({ capacity: 5 });
  q.push(1);
  q.fail(new Error('boom'));
  assert.deepEqual(await q.next(), { value: 1, done: false });
  await assert.rejects(q.next(), /boom/);

  const q2 = new BoundedQueue<number>({ capacity: 5 });
  const pending = q2.next();
  q2.fail(new Error('gone'));
  await assert.rejects(pending, /gone/);
});

test('breaking out of for-await clears and ends the queue', async () => {
  const q = new BoundedQueue<number>({ capacity: 5 });
  q.push(1); q.push(2); q.push(3);
  for await (const v of q) { assert.equal(v, 1); break; }
  assert.equal(q.depth, 0);
  assert.equal(q.closed, true);
});

test('capacity must be a positive integer', () => {
  assert.throws(() => new BoundedQueue({ capacity: 0 }), RangeError);
  assert.throws(() => new BoundedQueue({ capacity: 1.5 }), RangeError);
});

test('nextBatch: everything queued (up to max) at once; waits like next while empty; end and fail as next', async () => {
  const q = new BoundedQueue<number>({ capacity: 10, pauseDepth: 6, resumeDepth: 2 });
  const pressure: boolean[] = [];
  const p = new BoundedQueue<number>({ capacity: 10, pauseDepth: 3, resumeDepth: 1, onPressure: (on) => pressure.push(on) });
  for (let i = 0; i < 5; i++) { q.push(i); p.push(i); }
  assert.deepEqual(await q.nextBatch(3), { value: [0, 1, 2], done: false });
  assert.deepEqual(await q.nextBatch(100), { value: [3, 4], done: false });
  assert.deepEqual(await p.nextBatch(100), { value: [0, 1, 2, 3, 4], done: false });
  assert.deepEqual(pressure, [true, false], 'draining in a batch releases the pressure like shifts do');
  const waiting = q.nextBatch(100);
  q.push(7);
  q.push(8);
  assert.deepEqual(await waiting, { value: [7], done: false }, 'a waiting consumer gets the first push');
  assert.deepEqual(await q.nextBatch(100), { value: [8], done: false });
  q.push(9);
  q.end();
  assert.deepEqual(await q.nextBatch(100), { value: [9], done: false });
  assert.deepEqual(await q.nextBatch(100), { value: undefined, done: true });
  const f = new BoundedQueue<number>({ capacity: 4 });
  f.push(1);
  f.fail(new Error('gone'));
  assert.deepEqual(await f.nextBatch(10), { value: [1], done: false });
  await assert.rejects(f.nextBatch(10), /gone/);
});
