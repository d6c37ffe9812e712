import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KeySet, hash64 } from './dedup.js';

test('KeySet: add says whether a key is new, across growth', () => {
  const s = new KeySet(4);
  for (let i = 0; i < 100_000; i++) assert.equal(s.add(`${i}|${i * 7}`), true);
  assert.equal(s.size, 100_000);
  for (let i = 0; i < 100_000; i += 997) assert.equal(s.add(`${i}|${i * 7}`), false);
  assert.equal(s.has('5|35'), true);
  assert.equal(s.has('5|36'), false);
  assert.equal(s.size, 100_000);
});

test('hash64 spreads sequence numbers: no collision among 200,000 consecutive keys', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200_000; i++) {
    const [a, b] = hash64(String(1_000_000_000 + i));
    seen.add(`${a}:${b}`);
  }
  assert.equal(seen.size, 200_000);
});
