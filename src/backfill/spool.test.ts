import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DaySpool } from './spool.js';

const lake = mkdtempSync(join(tmpdir(), 'gammaflow-spool-'));
after(() => rmSync(lake, { recursive: true, force: true }));

const rows = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => ({ key: String(from + i), line: `${from + i},SPY,${from + i}` }));

test('a page appended past the journal (killed before its journal line) is cut off on reopen; the cursor resumes', async () => {
  const s = await DaySpool.open(lake, 'stocks-trades', '2025-11-07');
  const w = await s.openTicker('SPY');
  await w.appendPage(rows(0, 3), 'http://x/next1');
  await w.close();
  await s.close();
  // A second page reached the spool, but its journal line did not (kill -9 in between).
  appendFileSync(s.spoolPath('SPY'), '3,SPY,3\n4,SPY,4\n');
  // And a torn journal line.
  appendFileSync(join(s.dir, 'journal.jsonl'), '{"ticker":"SPY","bytes":99');

  const again = await DaySpool.open(lake, 'stocks-trades', '2025-11-07');
  assert.equal(again.state('SPY').next, 'http://x/next1');
  assert.equal(again.state('SPY').rows, 3);
  const w2 = await again.openTicker('SPY');
  assert.equal(readFileSync(again.spoolPath('SPY'), 'utf8'), '0,SPY,0\n1,SPY,1\n2,SPY,2\n');
  // The page is fetched again, overlapping what is there: only new keys are written.
  const r = await w2.appendPage(rows(2, 6), undefined);
  assert.deepEqual(r, { added: 3, duplicates: 1 });
  await w2.close();
  await again.close();
  const third = await DaySpool.open(lake, 'stocks-trades', '2025-11-07');
  assert.deepEqual(third.doneTickers(), ['SPY']);
  assert.equal(third.state('SPY').rows, 6);
  assert.equal(readFileSync(third.spoolPath('SPY'), 'utf8').split('\n').filter(Boolean).length, 6);
  await third.reset(['SPY']);
  assert.equal(third.state('SPY').done, false);
  await third.close();
});

test('contract lists are saved atomically and read back', async () => {
  const s = await DaySpool.open(lake, 'options-trades', '2025-11-07');
  assert.equal(await s.loadContracts('SPY'), undefined);
  await s.saveContracts('SPY', ['O:SPY251107C00680000', 'O:SPY251107P00680000']);
  assert.deepEqual(await s.loadContracts('SPY'), ['O:SPY251107C00680000', 'O:SPY251107P00680000']);
  await s.close();
});
