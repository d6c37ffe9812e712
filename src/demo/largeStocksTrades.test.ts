import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateLargeStocksTrades, rowsPerTicker } from './largeStocksTrades.js';
import { STOCKS_TRADES_HEADER } from './stockTrades.js';
import { stockUniverse } from './symbols.js';
import { readCsvFile, sha256File } from '../../test/support/demo-csv.js';

let root: string;
before(async () => { root = await mkdtemp(join(tmpdir(), 'gammaflow-large-')); });
after(async () => { await rm(root, { recursive: true, force: true }); });

describe('generateLargeStocksTrades', () => {
  it('splits rows over tickers exactly, SPY the busiest', () => {
    const universe = stockUniverse(1, 24);
    const counts = rowsPerTicker(universe, 100_003, 1);
    assert.equal(counts.reduce((a, b) => a + b, 0), 100_003);
    const spy = counts[universe.findIndex((s) => s.ticker === 'SPY')]!;
    assert.equal(spy, Math.max(...counts));
  });

  it('writes the requested rows in Massive format, sorted, deterministically', async () => {
    const path = join(root, 'a.csv.gz');
    const result = await generateLargeStocksTrades(path, 30_000, 3);
    assert.equal(result.rows, 30_000);
    const t = readCsvFile(path);
    assert.equal(t.header, STOCKS_TRADES_HEADER);
    assert.equal(t.rows.length, 30_000);
    assert.ok(new Set(t.rows.map((r) => r[0])).size >= 5);
    for (let i = 1; i < t.rows.length; i++) {
      const [a, b] = [t.field(i - 1, 'ticker'), t.field(i, 'ticker')];
      assert.ok(a <= b);
      if (a === b) {
        assert.ok(BigInt(t.field(i - 1, 'sip_timestamp')) <= BigInt(t.field(i, 'sip_timestamp')));
        assert.ok(Number(t.field(i - 1, 'sequence_number')) < Number(t.field(i, 'sequence_number')));
      }
      assert.match(t.field(i, 'sip_timestamp'), /^\d{19}$/);
    }
    const again = join(root, 'b.csv.gz');
    assert.deepEqual(await generateLargeStocksTrades(again, 30_000, 3), result);
    assert.equal(sha256File(again), sha256File(path));
  });
});
