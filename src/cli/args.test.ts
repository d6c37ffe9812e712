import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csvList } from './args.js';

test('csvList trims, drops empty items and keeps each item once, in the order first given', () => {
  assert.deepEqual(csvList('stocks-trades,stocks-trades'), ['stocks-trades']);
  assert.deepEqual(csvList(' options-quotes, stocks-trades ,options-quotes,,stocks-trades'), ['options-quotes', 'stocks-trades']);
  assert.deepEqual(csvList('SPY,QQQ,SPY,IWM'), ['SPY', 'QQQ', 'IWM']);
  assert.equal(csvList(' , '), undefined);
  assert.equal(csvList(undefined), undefined);
});
