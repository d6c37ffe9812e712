import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultConfig, type AggregationsConfig } from '../config/schema.js';
import { describePolicyDifferences, featurePolicy, parsePolicy, policyDifferences, type FeaturePolicyInput } from './policy.js';

const base = (): FeaturePolicyInput => ({ aggregations: defaultConfig().aggregations, window: '5m', session: 'regular', aggression: true });
const withAgg = (patch: Partial<AggregationsConfig>, input: Partial<FeaturePolicyInput> = {}): FeaturePolicyInput => {
  const b = base();
  return { ...b, ...input, aggregations: { ...b.aggregations, ...patch } };
};

test('the policy id is stable: 16 hex digits, the same for the same settings', () => {
  const a = featurePolicy(base()), b = featurePolicy(base());
  assert.match(a.id, /^[0-9a-f]{16}$/);
  assert.equal(a.id, b.id);
  assert.equal(a.json, b.json);
  assert.deepEqual(Object.keys(JSON.parse(a.json) as object), Object.keys(JSON.parse(a.json) as object).sort(), 'canonical: keys sorted');
});

test('every setting that changes feature values changes the policy id', () => {
  const id = featurePolicy(base()).id;
  const changes: Array<[string, FeaturePolicyInput]> = [
    ['window', withAgg({}, { window: '1m' })],
    ['session', withAgg({}, { session: 'extended' })],
    ['aggression', withAgg({}, { aggression: false })],
    ['contract_size', withAgg({ contract_size: 10 })],
    ['risk_free_rate', withAgg({ risk_free_rate: 0.05 })],
    ['dividend_yield', withAgg({ dividend_yield: 0.01 })],
    ['max_underlying_staleness', withAgg({ max_underlying_staleness: '30s' })],
    ['min_time_to_expiry', withAgg({ min_time_to_expiry: '5m' })],
    ['min_iv', withAgg({ min_iv: 1e-4 })],
    ['max_iv', withAgg({ max_iv: 5 })],
    ['gadvv_scale', withAgg({ gadvv_scale: 2 })],
    ['include_adjusted', withAgg({ include_adjusted: true })],
    ['include_corrections', withAgg({ include_corrections: true })],
    ['exclude_conditions_high_low', withAgg({ exclude_conditions_high_low: [2] })],
    ['exclude_conditions_open_close', withAgg({ exclude_conditions_open_close: [2] })],
    ['exclude_conditions_volume', withAgg({ exclude_conditions_volume: [15] })],
    ['exclude_option_conditions', withAgg({ exclude_option_conditions: [201] })],
    ['option_roots', withAgg({ option_roots: ['SPXW'] })],
    ['aggression_fallback', withAgg({ aggression_fallback: 'tick' })],
    ['max_quote_staleness', withAgg({ max_quote_staleness: '10s' })],
    ['quote_staleness_mode', withAgg({ quote_staleness_mode: 'adaptive' })],
  ];
  const seen = new Set([id]);
  for (const [what, input] of changes) {
    const other = featurePolicy(input);
    assert.notEqual(other.id, id, what);
    seen.add(other.id);
    const diffs = policyDifferences(featurePolicy(base()), other).map((d) => d.key);
    assert.ok(diffs.length >= 1, `${what}: named`);
    assert.ok(diffs.some((k) => k.startsWith(what.replace(/^max_underlying_staleness$/, 'max_underlying_staleness_ms'))), `${what}: ${diffs.join(',')}`);
  }
  assert.equal(seen.size, changes.length + 1, 'all ids differ');
  const adaptive = withAgg({ quote_staleness_mode: 'adaptive' });
  assert.notEqual(featurePolicy(adaptive).id, featurePolicy(withAgg({ quote_staleness_mode: 'adaptive', adaptive_staleness_max: '60s' })).id,
    'adaptive bounds count in adaptive mode');
});

test('settings that do not change feature values leave the policy id alone', () => {
  const id = featurePolicy(base()).id;
  const same: Array<[string, FeaturePolicyInput]> = [
    ['allowed_lateness', withAgg({ allowed_lateness: '10s' })],
    ['late_policy', withAgg({ late_policy: 'revise' })],
    ['quiet_close_ms', withAgg({ quiet_close_ms: 1 })],
    ['symbol', withAgg({ symbol: 'QQQ' })],
    ['other windows of the run', withAgg({ windows: ['5m'] })],
    ['adaptive bounds in fixed mode', withAgg({ adaptive_staleness_max: '60s' })],
    ['the same duration written otherwise', withAgg({ max_underlying_staleness: '1m' })],
    ['the same codes in another order, repeated', withAgg({ exclude_conditions_volume: [38, 16, 15, 16] })],
  ];
  for (const [what, input] of same) assert.equal(featurePolicy(input).id, id, what);
  const noAgg = featurePolicy(withAgg({}, { aggression: false })).id;
  assert.equal(featurePolicy(withAgg({ max_quote_staleness: '30s', aggression_fallback: 'tick' }, { aggression: false })).id, noAgg,
    'aggression settings do not matter for rows without the aggression columns');
});

test('a policy reads back from its JSON; differences name the keys with both values', () => {
  const a = featurePolicy(base());
  const back = parsePolicy(a.json)!;
  assert.equal(back.id, a.id);
  assert.equal(parsePolicy('{"schema":1,"session":"regular"}'), undefined, 'an older settings record is not a policy');
  assert.equal(parsePolicy('not json'), undefined);
  assert.equal(parsePolicy(undefined), undefined);
  const b = featurePolicy(withAgg({ contract_size: 10 }, { session: 'all' }));
  const diffs = policyDifferences(a, b);
  assert.deepEqual(diffs.map((d) => d.key), ['contract_size', 'session']);
  assert.equal(describePolicyDifferences(diffs), 'contract_size: 100 → 10; session: "regular" → "all"');
  const c = featurePolicy(withAgg({}, { aggression: false }));
  assert.match(describePolicyDifferences(policyDifferences(a, c)), /aggression_fallback: "none" → \(absent\)/);
});
