import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DATASETS, type DatasetName } from '../../formats/datasets.js';
import { ticksPageToCsv, ticksPageToCsvSlow } from './tick-page.js';

/** A deterministic pseudo-random generator (tests only). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32; };
}

const NS0 = 1762525800123456789n;

/** A REST page in Massive's format with varied values, as text (nanoseconds as exact integers). */
function page(name: DatasetName, rows: number, r: () => number, spaced: boolean): string {
  const items: string[] = [];
  for (let i = 0; i < rows; i++) {
    const f: string[] = [];
    const add = (k: string, v: string) => { if (r() < 0.93) f.push(`"${k}":${spaced ? ' ' : ''}${v}`); };
    const num = () => [String(Math.floor(r() * 1000)), (r() * 1000).toFixed(Math.floor(r() * 6)), '0.000001', '1e-7', '680.250', '-3', '0', '123456789012345678'][Math.floor(r() * 8)]!;
    add('sip_timestamp', String(NS0 + BigInt(i)));
    if (name === 'stocks-trades' || name === 'options-trades') {
      add('conditions', ['[]', '[12]', '[12,37]', '[ 2 , 7 ]'][Math.floor(r() * 4)]!);
      add('price', num()); add('size', num()); add('exchange', String(Math.floor(r() * 20)));
      add('participant_timestamp', r() < 0.1 ? 'null' : String(NS0 - BigInt(i)));
      if (r() < 0.2) add('correction', '1');
    }
    if (name === 'stocks-trades') {
      add('id', r() < 0.1 ? '"a,b \\"q\\""' : r() < 0.1 ? String(i) : `"${i * 7}"`);
      add('tape', '3'); add('trf_id', '202'); add('trf_timestamp', r() < 0.5 ? '0' : String(NS0 + 5n));
    }
    if (name === 'options-quotes') {
      for (const k of ['ask_price', 'ask_size', 'bid_price', 'bid_size']) add(k, num());
      add('ask_exchange', '5'); add('bid_exchange', '7');
    }
    if (name !== 'options-trades' || r() < 0.5) add('sequence_number', String(1000 + i));
    if (r() < 0.05) add('extra', '{"nested":1}');
    if (r() < 0.05) add('flag', 'true');
    items.push(`{${f.join(spaced ? ', ' : ',')}}`);
  }
  return `{"status":"OK","request_id":"r1",${spaced ? '\n ' : ''}"results":${spaced ? ' ' : ''}[${items.join(spaced ? ',\n' : ',')}],"next_url":"https://api.massive.com/v3/trades/X?cursor=abc"}`;
}

test('the fast path writes exactly the reference lines, on every dataset and odd formatting, or gives way to it', () => {
  let fastPages = 0, slowPages = 0;
  for (const name of ['stocks-trades', 'options-trades', 'options-quotes'] as const) {
    for (let seed = 1; seed <= 60; seed++) {
      const r = rng(seed * 7919 + name.length);
      const text = page(name, 1 + Math.floor(r() * 8), r, seed % 2 === 0);
      const ticker = name === 'stocks-trades' ? 'SPY' : 'O:SPY251107C00680000';
      const fast = ticksPageToCsv(text, DATASETS[name], ticker);
      const slow = ticksPageToCsvSlow(text, DATASETS[name], ticker);
      assert.deepEqual(fast.rows, slow.rows, `${name} seed ${seed}: ${text}`);
      assert.equal(fast.nextUrl, slow.nextUrl);
      if (fast.fast) fastPages++; else slowPages++;
    }
  }
  assert.ok(fastPages > 60, `most pages take the fast path (${fastPages} fast, ${slowPages} reference)`);
  assert.ok(slowPages > 5, 'pages with nested objects, booleans or escapes take the reference path');
});

test('empty, null and missing results; a "results" text inside a string', () => {
  for (const text of ['{"status":"OK","results":[]}', '{"status":"OK","request_id":"x"}', '{"results":null,"next_url":"u"}', '{"status":"results","results":[{"sip_timestamp":1}],"next_url":"n"}']) {
    const fast = ticksPageToCsv(text, DATASETS['options-trades'], 'O:SPY251107C00680000');
    const slow = ticksPageToCsvSlow(text, DATASETS['options-trades'], 'O:SPY251107C00680000');
    assert.deepEqual(fast.rows, slow.rows, text);
    assert.equal(fast.nextUrl, slow.nextUrl, text);
  }
  assert.equal(ticksPageToCsv('{"status":"results","results":[{"sip_timestamp":1}],"next_url":"n"}', DATASETS['options-trades'], 'O:X').fast, true);
});

test('a body that is not JSON fails (the client asks again)', () => {
  assert.throws(() => ticksPageToCsv('{"results":[{"sip_timestamp":1},', DATASETS['options-trades'], 'O:X'));
});
