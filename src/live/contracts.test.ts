import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RollingContractSet, diffContracts, selectQuoteContracts, type QuoteContract } from './contracts.js';

const TODAY = 20_399; // 2025-11-07

function contract(expiryOffset: number, right: 'C' | 'P', strike: number): QuoteContract {
  const d = new Date((TODAY + expiryOffset) * 86_400_000).toISOString();
  const yymmdd = d.slice(2, 4) + d.slice(5, 7) + d.slice(8, 10);
  return { ticker: `O:SPY${yymmdd}${right}${String(strike * 1000).padStart(8, '0')}`, right, strike, expiryDays: TODAY + expiryOffset };
}

/** Strikes 600..760 step 1, both rights, expiries yesterday, today, +1, +7, +14, +30: 161 × 2 × 6 contracts. */
function chain(): QuoteContract[] {
  const out: QuoteContract[] = [];
  for (const e of [-1, 0, 1, 7, 14, 30]) for (let k = 600; k <= 760; k++) for (const r of ['C', 'P'] as const) out.push(contract(e, r, k));
  return out;
}

test('selection: near the money of the nearest unexpired expiries, at most the limit, deterministic', () => {
  const universe = chain();
  const chosen = selectQuoteContracts(universe, 680.4, TODAY, { maxContracts: 12, maxExpiries: 2 });
  // Nearest strikes to 680.4: 680 (0.4), 681 (0.6), 679 (1.4); two expiries (today, +1) × C/P → 12.
  const expected = [0, 1].flatMap((e) => [679, 680, 681].flatMap((k) => [contract(e, 'C', k), contract(e, 'P', k)])).map((c) => c.ticker).sort();
  assert.deepEqual(chosen, expected);
  assert.deepEqual(selectQuoteContracts([...universe].reverse(), 680.4, TODAY, { maxContracts: 12, maxExpiries: 2 }), chosen);
  assert.ok(!chosen.some((t) => t.includes('251106')), 'yesterday expired');
  // Never more than Massive's 1000, whatever is asked.
  assert.equal(selectQuoteContracts(universe, 680, TODAY, { maxContracts: 5000, maxExpiries: 10 }).length, 1000);
  assert.deepEqual(selectQuoteContracts(universe, Number.NaN, TODAY), []);
});

test('diff: what to unsubscribe and subscribe', () => {
  assert.deepEqual(diffContracts(new Set(['a', 'b', 'c']), ['c', 'd', 'b']), { subscribe: ['d'], unsubscribe: ['a'] });
});

test('rolling set: rolls when spot moves beyond the threshold, on a new day, and when the universe grows', () => {
  const set = new RollingContractSet({ maxContracts: 4, maxExpiries: 1, rollFraction: 0.002, minRollIntervalMs: 10_000 });
  for (let k = 670; k <= 690; k++) for (const r of ['C', 'P'] as const) set.addContract(contract(0, r, k));
  const first = set.update(680, TODAY, 0)!;
  assert.deepEqual(first.unsubscribe, []);
  // 680 (|K − S| = 0), then 679 and 681 tie at 1: the lower strike first.
  assert.deepEqual(first.subscribe, [contract(0, 'C', 679), contract(0, 'P', 679), contract(0, 'C', 680), contract(0, 'P', 680)].map((c) => c.ticker).sort());
  assert.equal(set.update(681, TODAY, 1_000), undefined, '0.15 % is within the threshold');
  const rolled = set.update(682.5, TODAY, 2_000)!;
  // Now 682 and 683 (|K − S| = 0.5) replace 679 and 680.
  assert.deepEqual(rolled.unsubscribe, [contract(0, 'C', 679), contract(0, 'C', 680), contract(0, 'P', 679), contract(0, 'P', 680)].map((c) => c.ticker).sort());
  assert.deepEqual(rolled.subscribe, [contract(0, 'C', 682), contract(0, 'C', 683), contract(0, 'P', 682), contract(0, 'P', 683)].map((c) => c.ticker).sort());
  assert.equal(set.current.size, 4);
  // A nearer contract appears (682.5 strike): picked up once the interval has passed.
  assert.ok(set.addContract({ ...contract(0, 'C', 682), ticker: 'O:SPY251107C00682500', strike: 682.5 }));
  assert.ok(!set.addContract({ ...contract(0, 'C', 682), ticker: 'O:SPY251107C00682500', strike: 682.5 }));
  assert.equal(set.update(682.5, TODAY, 5_000), undefined, 'too soon after the last roll');
  const grown = set.update(682.5, TODAY, 12_000)!;
  assert.deepEqual(grown.subscribe, ['O:SPY251107C00682500']);
  assert.equal(grown.unsubscribe.length, 1);
  assert.equal(set.rolls, 3);
  // Next day: today's contracts expired, nothing left in this universe.
  const nextDay = set.update(682.5, TODAY + 1, 13_000)!;
  assert.equal(nextDay.subscribe.length, 0);
  assert.equal(nextDay.unsubscribe.length, 4);
  assert.equal(set.current.size, 0);
});
