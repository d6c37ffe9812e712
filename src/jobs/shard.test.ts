import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assignShards, describeShardPlan, fnv1a32, parseShard, planShard, resolveShard, shardFromEnv, ShardSpecError, type WorkKey } from './shard.js';

const usage = (pattern: RegExp) => (e: unknown): boolean => e instanceof ShardSpecError && e.code === 'usage' && pattern.test(e.message);

/** Trading-day-like dates: weekdays of 2025 (enough for balance checks; the calendar does not matter here). */
function weekdays(n: number): string[] {
  const out: string[] = [];
  for (let t = Date.UTC(2025, 0, 2); out.length < n; t += 86_400_000) {
    const d = new Date(t);
    if (d.getUTCDay() !== 0 && d.getUTCDay() !== 6) out.push(d.toISOString().slice(0, 10));
  }
  return out;
}

test('parseShard reads I/N with a 0-based index', () => {
  assert.deepEqual(parseShard('0/4'), { index: 0, count: 4 });
  assert.deepEqual(parseShard('3/4'), { index: 3, count: 4 });
  assert.deepEqual(parseShard(' 0/1 '), { index: 0, count: 1 });
});

test('parseShard names what is wrong', () => {
  assert.throws(() => parseShard('4/4'), usage(/--shard: shard index 4 is out of range for 4 shard\(s\) \(indexes are 0-based: 0 to 3\)/));
  assert.throws(() => parseShard('1-4'), usage(/--shard: "1-4" is not I\/N/));
  assert.throws(() => parseShard('1/0'), usage(/--shard: "0" is not a number of shards/));
  assert.throws(() => parseShard('-1/4'), usage(/--shard: "-1" is not a shard index/));
  assert.throws(() => parseShard('a/4'), usage(/"a" is not a shard index/));
  assert.throws(() => parseShard('1/4/5'), usage(/is not I\/N/));
  assert.throws(() => parseShard('1.5/4'), usage(/"1.5" is not a shard index/));
  assert.throws(() => parseShard('0/1000001'), usage(/not a number of shards \(a whole number from 1 to 100000\)/));
});

test('shardFromEnv takes the index from Kubernetes or AWS Batch and N from --shards or GAMMAFLOW_SHARDS', () => {
  assert.deepEqual(shardFromEnv({ JOB_COMPLETION_INDEX: '7', GAMMAFLOW_SHARDS: '50' }), { index: 7, count: 50 });
  assert.deepEqual(shardFromEnv({ AWS_BATCH_JOB_ARRAY_INDEX: '49' }, '50'), { index: 49, count: 50 });
  assert.deepEqual(shardFromEnv({ AWS_BATCH_JOB_ARRAY_INDEX: '3', GAMMAFLOW_SHARDS: '9' }, '4'), { index: 3, count: 4 }, 'the flag wins over the variable');
  assert.deepEqual(shardFromEnv({ JOB_COMPLETION_INDEX: '2', AWS_BATCH_JOB_ARRAY_INDEX: '2' }, '4'), { index: 2, count: 4 });
});

test('shardFromEnv names the variable that is missing or wrong', () => {
  assert.throws(() => shardFromEnv({ JOB_COMPLETION_INDEX: '1' }), usage(/give --shards N or set GAMMAFLOW_SHARDS/));
  assert.throws(() => shardFromEnv({ JOB_COMPLETION_INDEX: '1', GAMMAFLOW_SHARDS: 'ten' }), usage(/GAMMAFLOW_SHARDS: "ten" is not a number of shards/));
  assert.throws(() => shardFromEnv({}, '4'), usage(/neither JOB_COMPLETION_INDEX nor AWS_BATCH_JOB_ARRAY_INDEX is set/));
  assert.throws(() => shardFromEnv({ JOB_COMPLETION_INDEX: '' }, '4'), usage(/neither JOB_COMPLETION_INDEX/));
  assert.throws(() => shardFromEnv({ JOB_COMPLETION_INDEX: '4' }, '4'), usage(/JOB_COMPLETION_INDEX: shard index 4 is out of range for 4/));
  assert.throws(() => shardFromEnv({ AWS_BATCH_JOB_ARRAY_INDEX: 'x' }, '4'), usage(/AWS_BATCH_JOB_ARRAY_INDEX: "x" is not a shard index/));
  assert.throws(() => shardFromEnv({ JOB_COMPLETION_INDEX: '1', AWS_BATCH_JOB_ARRAY_INDEX: '2' }, '4'), usage(/JOB_COMPLETION_INDEX=1 and AWS_BATCH_JOB_ARRAY_INDEX=2 disagree/));
  assert.throws(() => shardFromEnv({ JOB_COMPLETION_INDEX: '1' }, '0'), usage(/--shards: "0" is not a number of shards/));
});

test('resolveShard: one way of sharding at a time', () => {
  assert.equal(resolveShard({}, { JOB_COMPLETION_INDEX: '1' }), undefined, 'no flag: not sharded, whatever the environment says');
  assert.deepEqual(resolveShard({ shard: '1/2' }, {}), { index: 1, count: 2 });
  assert.deepEqual(resolveShard({ shardFromEnv: true, shards: '3' }, { JOB_COMPLETION_INDEX: '2' }), { index: 2, count: 3 });
  assert.throws(() => resolveShard({ shard: '1/2', shardFromEnv: true }, {}), usage(/give one/));
  assert.throws(() => resolveShard({ shard: '1/2', shards: '2' }, {}), usage(/--shards goes with --shard-from-env/));
  assert.throws(() => resolveShard({ shards: '2' }, {}), usage(/--shards N needs --shard-from-env/));
});

test('fnv1a32 is the reference FNV-1a', () => {
  assert.equal(fnv1a32(''), 0x811c9dc5);
  assert.equal(fnv1a32('a'), 0xe40c292c);
  assert.equal(fnv1a32('foobar'), 0xbf9cf968);
});

test('every item goes to exactly one shard, and the shards together cover the work list', () => {
  const days = weekdays(60);
  const keys: WorkKey[] = ['stocks-trades', 'options-trades', 'options-quotes'].flatMap((dataset) => days.map((day) => ({ dataset, day })));
  for (const n of [1, 2, 3, 4, 7, 50, 200]) {
    const plans = Array.from({ length: n }, (_, i) => planShard({ index: i, count: n }, keys));
    for (const k of keys) assert.equal(plans.filter((p) => p.select(k)).length, 1, `${k.dataset} ${k.day} with ${n} shards`);
    assert.equal(plans.reduce((s, p) => s + p.selected, 0), keys.length);
    for (const p of plans) assert.equal(p.selected + p.skipped, keys.length);
  }
});

test('each shard gets the same number of days of each dataset, plus or minus one', () => {
  const days = weekdays(252);
  for (const n of [4, 50]) {
    for (const dataset of ['options-quotes', 'options-trades']) {
      const keys = days.map((day) => ({ dataset, day }));
      const counts = new Array<number>(n).fill(0);
      for (const s of assignShards(keys, n).values()) counts[s]!++;
      assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `${dataset}, ${n} shards: ${counts.join(',')}`);
    }
    // Two datasets together: the leftover days of the two groups do not land on the same shards only.
    const both = ['options-quotes', 'options-trades'].flatMap((dataset) => days.map((day) => ({ dataset, day })));
    const counts = new Array<number>(n).fill(0);
    for (const s of assignShards(both, n).values()) counts[s]!++;
    assert.ok(Math.max(...counts) - Math.min(...counts) <= 2, `both, ${n} shards: ${counts.join(',')}`);
  }
});

test('the assignment does not depend on the order of the work list or on duplicates', () => {
  const days = weekdays(30);
  const keys: WorkKey[] = days.flatMap((day) => [{ dataset: 'options-greeks', day, symbol: 'SPY' }, { dataset: 'options-greeks', day, symbol: 'QQQ' }]);
  const shuffled = [...keys].reverse().concat(keys.slice(0, 5));
  const a = assignShards(keys, 4), b = assignShards(shuffled, 4);
  assert.deepEqual([...a.entries()].sort(), [...b.entries()].sort());
});

test('the assignment is pinned: a release that changes it moves partitions between the shards of a running job', () => {
  const days = weekdays(8);
  const shards = (dataset: string, symbol?: string): number[] => {
    const keys = days.map((day) => ({ dataset, day, ...(symbol !== undefined ? { symbol } : {}) }));
    const assigned = assignShards(keys, 3);
    return keys.map((k) => [0, 1, 2].find((i) => planShard({ index: i, count: 3 }, keys).select(k))!).map((s, i) => {
      assert.equal(s, [...assigned.values()][i]);
      return s;
    });
  };
  // offset = fnv1a32(group) % 3 (1 for both groups here), then round-robin over the sorted days.
  assert.equal(fnv1a32('options-trades') % 3, 1);
  assert.deepEqual(shards('options-trades'), [1, 2, 0, 1, 2, 0, 1, 2]);
  assert.equal(fnv1a32('features\u0000SPY') % 3, 1);
  assert.deepEqual(shards('features', 'SPY'), [1, 2, 0, 1, 2, 0, 1, 2]);
  assert.notDeepEqual(shards('options-quotes'), shards('features', 'QQQ'), 'another group, another offset');
});

test('a key outside the work list is a clear error, not a silent skip', () => {
  const p = planShard({ index: 0, count: 2 }, [{ dataset: 'stocks-trades', day: '2025-01-02' }]);
  assert.throws(() => p.select({ dataset: 'stocks-trades', day: '2025-01-03' }), usage(/stocks-trades 2025-01-03 is not in the work list/));
});

test('describeShardPlan says which shard and how many items it left to the others', () => {
  const keys = weekdays(10).map((day) => ({ dataset: 'stocks-trades', day }));
  const plan = planShard({ index: 1, count: 4 }, keys);
  assert.match(describeShardPlan(plan, '(dataset, day) items'), /^shard 1\/4: [23] of 10 \(dataset, day\) items; [78] belong to other shards$/);
});
