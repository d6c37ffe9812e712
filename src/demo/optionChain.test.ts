import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildChain, listedExpiries, opraTicker, smileVol } from './optionChain.js';
import { decodeOpra } from '../formats/opra.js';

describe('optionChain', () => {
  it('formats OPRA tickers', () => {
    assert.equal(opraTicker('SPY', '2025-11-07', 'C', 680), 'O:SPY251107C00680000');
    assert.equal(opraTicker('SPY1', '2025-12-19', 'P', 672.5), 'O:SPY1251219P00672500');
    assert.throws(() => opraTicker('SPY', '2025-11-07', 'C', 0));
  });

  it('lists 0DTE, the next two weekdays, a weekly and a monthly', () => {
    assert.deepEqual(listedExpiries('2025-11-07', 5), ['2025-11-07', '2025-11-10', '2025-11-11', '2025-11-14', '2025-11-21']);
    assert.deepEqual(listedExpiries('2025-11-20', 5), ['2025-11-20', '2025-11-21', '2025-11-24', '2025-11-28', '2025-12-19']);
    assert.deepEqual(listedExpiries('2025-11-07', 2), ['2025-11-07', '2025-11-10']);
    assert.equal(new Set(listedExpiries('2025-11-07', 9)).size, 9);
  });

  it('has a smile: puts dearer than calls, steeper and higher for 0DTE', () => {
    const zeroDte = 6.5 / 24 / 365, month = 30 / 365;
    assert.ok(smileVol(670, 680, zeroDte) > smileVol(680, 680, zeroDte));
    assert.ok(smileVol(670, 680, zeroDte) > smileVol(690, 680, zeroDte));
    assert.ok(smileVol(680, 680, zeroDte) > smileVol(680, 680, month));
    for (const k of [600, 650, 680, 700, 760]) {
      for (const tau of [zeroDte, month]) {
        const s = smileVol(k, 680, tau);
        assert.ok(s >= 0.05 && s <= 1.5);
      }
    }
  });

  it('builds calls and puts at $1 strikes, sorted, readable by the product\'s OPRA decoder', () => {
    const chain = buildChain({ root: 'SPY', underlying: 'SPY', expiries: ['2025-11-07'], referenceSpot: 680.4, strikesPerSide: 2, yearsToExpiry: () => 0.001 });
    assert.equal(chain.length, 10);
    assert.deepEqual([...new Set(chain.map((c) => c.strike))].sort(), [678, 679, 680, 681, 682]);
    assert.deepEqual(chain.map((c) => c.ticker), [...chain.map((c) => c.ticker)].sort());
    for (const c of chain) {
      const decoded = decodeOpra(c.ticker);
      assert.ok(decoded.ok, c.ticker);
      assert.deepEqual([decoded.contract.root, decoded.contract.expiry, decoded.contract.right, decoded.contract.strike],
        [c.root, c.expiry, c.right, c.strike]);
    }
    const adjusted = decodeOpra(opraTicker('SPY1', '2025-12-19', 'P', 672));
    assert.ok(adjusted.ok && adjusted.contract.adjusted && adjusted.contract.root === 'SPY1');
  });
});
