/** A sharded run says which shard it is and how much it leaves to the others: in its log, and in the summary's extras. */
import type { ProgressTracker } from '../observe/progress.js';
import { describeShardPlan, planShard, type ShardPlan, type ShardSpec, type WorkKey } from './shard.js';

export function announceShard(tracker: Pick<ProgressTracker, 'log' | 'setExtra'>, plan: ShardPlan, units: string): void {
  tracker.setExtra('shard', `${plan.shard.index}/${plan.shard.count} (${plan.selected} ${units} here, ${plan.skipped} left to other shards)`);
  tracker.log('info', describeShardPlan(plan, units));
}

/** This shard's days of one (dataset, symbol) work list, announced; all the days when the run is not sharded. */
export function shardDays(tracker: Pick<ProgressTracker, 'log' | 'setExtra'>, shard: ShardSpec | undefined, days: readonly string[],
  group: { dataset: string; symbol?: string }): string[] {
  if (shard === undefined) return [...days];
  const key = (day: string): WorkKey => ({ ...group, day });
  const plan = planShard(shard, days.map(key));
  announceShard(tracker, plan, 'days');
  return days.filter((day) => plan.select(key(day)));
}
