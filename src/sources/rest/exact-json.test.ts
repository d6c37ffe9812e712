import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nanosText, parseExactJson } from './exact-json.js';

test('nanosecond keys come out as exact decimal strings; other numbers stay numbers', () => {
  const text = '{"results":[{"sip_timestamp":1762525800123456789,"participant_timestamp" : 1762525800123456001,"trf_timestamp":0,"price":680.25,"size":100}]}';
  const r = (parseExactJson(text) as { results: Record<string, unknown>[] }).results[0]!;
  assert.equal(r['sip_timestamp'], '1762525800123456789');
  assert.equal(r['participant_timestamp'], '1762525800123456001');
  assert.equal(r['trf_timestamp'], '0');
  assert.equal(r['price'], 680.25);
  assert.equal(JSON.parse(text).results[0].sip_timestamp === 1762525800123456789, true); // what plain JSON.parse yields: a rounded double
  assert.notEqual(String(JSON.parse(text).results[0].sip_timestamp), '1762525800123456789');
});

test('a key inside a string is left alone', () => {
  const r = parseExactJson('{"message":"bad \\"sip_timestamp\\":12345678901234567890 here","sip_timestamp":5}') as Record<string, unknown>;
  assert.equal(r['message'], 'bad "sip_timestamp":12345678901234567890 here');
  assert.equal(r['sip_timestamp'], '5');
});

test('nanosText accepts exact strings and safe integers only', () => {
  assert.equal(nanosText('1762525800123456789'), '1762525800123456789');
  assert.equal(nanosText(1762525800123), '1762525800123');
  assert.equal(nanosText(1.5), undefined);
  assert.equal(nanosText('12a'), undefined);
  assert.equal(nanosText(undefined), undefined);
});
