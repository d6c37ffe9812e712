import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConditionSet, TradeEligibility, eligibilityRulesFromConfig } from './eligibility.js';
import { defaultConfig } from '../config/schema.js';

const defaults = () => new TradeEligibility(eligibilityRulesFromConfig(defaultConfig().aggregations));

test('ConditionSet: bitmap codes, large codes, empty and negative lists', () => {
  const s = new ConditionSet([2, 1023, 5000]);
  assert.equal(s.has(2), true);
  assert.equal(s.has(1023), true);
  assert.equal(s.has(5000), true);
  assert.equal(s.has(3), false);
  assert.equal(s.has(-1), false);
  assert.equal(s.has(4999), false);
  assert.equal(s.hasAny([]), false);
  assert.equal(s.hasAny([14, 41]), false);
  assert.equal(s.hasAny([14, 5000]), true);
});

test('underlying high/low eligibility follows the consolidated rule and corrections', () => {
  const e = defaults();
  assert.equal(e.underlyingHighLow({ conditions: [], correction: 0 }), true);
  assert.equal(e.underlyingHighLow({ conditions: [14, 41], correction: 0 }), true);
  // Any one excluded condition is enough: odd lot (37), Form T (12), average price (2).
  assert.equal(e.underlyingHighLow({ conditions: [14, 37], correction: 0 }), false);
  assert.equal(e.underlyingHighLow({ conditions: [12], correction: 0 }), false);
  assert.equal(e.underlyingHighLow({ conditions: [2], correction: 0 }), false);
  assert.equal(e.underlyingHighLow({ conditions: [], correction: 1 }), false);
  const withCorrections = new TradeEligibility({ ...eligibilityRulesFromConfig(defaultConfig().aggregations), includeCorrections: true });
  assert.equal(withCorrections.underlyingHighLow({ conditions: [], correction: 1 }), true);
  assert.equal(withCorrections.underlyingHighLow({ conditions: [37], correction: 1 }), false);
});

test('option eligibility: cancelled and compression prints, corrections, adjusted contracts', () => {
  const e = defaults();
  const ok = { conditions: [209], correction: 0, adjusted: false };
  assert.equal(e.option(ok), true);
  assert.equal(e.option({ ...ok, conditions: [] }), true);
  for (const c of [201, 203, 205, 207, 247]) assert.equal(e.option({ ...ok, conditions: [209, c] }), false, `condition ${c}`);
  assert.equal(e.option({ ...ok, conditions: [219, 233] }), true);
  assert.equal(e.option({ ...ok, correction: 1 }), false);
  assert.equal(e.option({ ...ok, adjusted: true }), false);
  const loose = new TradeEligibility({ ...eligibilityRulesFromConfig(defaultConfig().aggregations), includeAdjusted: true, includeCorrections: true, excludeOptionConditions: [] });
  assert.equal(loose.option({ conditions: [201], correction: 1, adjusted: true }), true);
});
