import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DATASETS } from '../../formats/datasets.js';
import { SourceError } from '../../util/errors.js';
import { ticksPageToCsv } from './tick-page.js';

test('a page of ticks becomes keyed spool lines and its next_url', () => {
  const p = ticksPageToCsv('{"status":"OK","results":[{"sip_timestamp":1762525800123456789,"price":1.5,"size":2,"sequence_number":7}],"next_url":"https://api.massive.com/x?cursor=1"}',
    DATASETS['options-quotes'], 'O:SPY251107C00680000');
  assert.equal(p.nextUrl, 'https://api.massive.com/x?cursor=1');
  assert.deepEqual(p.rows, [{ key: '7', line: '7,O:SPY251107C00680000,,,,,,,7,1762525800123456789' }]);
});

test('empty, null and missing results are no rows; a results that is not an array is an error', () => {
  for (const text of ['{"status":"OK","results":[]}', '{"status":"OK","request_id":"x"}', '{"results":null,"next_url":""}']) {
    const p = ticksPageToCsv(text, DATASETS['options-trades'], 'O:X');
    assert.deepEqual([p.rows, p.nextUrl], [[], undefined], text);
  }
  assert.throws(() => ticksPageToCsv('{"results":{}}', DATASETS['options-trades'], 'O:X'), SourceError);
});

test('a body that is not JSON throws (the client asks again)', () => {
  assert.throws(() => ticksPageToCsv('{"results":[{"sip_timestamp":1},', DATASETS['options-trades'], 'O:X'), SyntaxError);
});
