/**
 * Sharded runs: N processes (pods of a Kubernetes Indexed Job, children of an
 * AWS Batch array job, or shells on one box) each run the same command with
 * `--shard I/N` and do a disjoint share of its work list. Pure: no I/O; the
 * environment is passed in.
 *
 * A work item is one partition a job writes: (dataset, day) for ingest and
 * backfill, (dataset, day, symbol) for greeks, features and finalize.
 *
 * Assignment, the same in every process and every release:
 *   - items are grouped by (dataset, symbol);
 *   - within a group, the days are sorted and numbered 0, 1, 2...;
 *   - item k of group g goes to shard (k + offset(g)) mod N, where offset(g)
 *     is the 32-bit FNV-1a hash of the group's name (`dataset` or
 *     `dataset\u0000symbol`) mod N.
 * Round-robin over sorted days gives every shard the same number of days of
 * each dataset, ±1, whatever the range (a hash of each day would leave some
 * shards with twice the average on a year of 50 shards). The group offset
 * spreads the groups' leftover days over different shards instead of piling
 * them on shard 0. The share depends on the whole work list, so every shard
 * must be started with the same arguments (--from/--to, datasets, symbols),
 * as an Indexed Job or array job does; every item then goes to exactly one
 * shard, and no two shards write the same partition.
 */
import { GammaflowError } from '../util/errors.js';

/** Shard `index` (0-based) of `count`. */
export interface ShardSpec {
  readonly index: number;
  readonly count: number;
}

/** One partition a job writes. */
export interface WorkKey {
  readonly dataset: string;
  /** YYYY-MM-DD. */
  readonly day: string;
  readonly symbol?: string;
}

/** A bad `--shard`, `--shards`, or shard environment variable: the user's input (the CLI exits with the usage code). */
export class ShardSpecError extends GammaflowError {
  constructor(message: string, context: Record<string, string | number | undefined> = {}) {
    super('usage', message, context);
  }
}

/** The environment variables that carry a worker's index, in the order they are looked up. */
export const SHARD_INDEX_VARIABLES = ['JOB_COMPLETION_INDEX', 'AWS_BATCH_JOB_ARRAY_INDEX'] as const;
/** The environment variable with the number of shards when `--shards` is not given. */
export const SHARD_COUNT_VARIABLE = 'GAMMAFLOW_SHARDS';
/** Upper bound on N: far above any scheduler's array size, low enough to catch a typo. */
export const MAX_SHARDS = 100_000;

function wholeNumber(text: string): number | undefined {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return undefined;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : undefined;
}

function checkCount(count: number | undefined, raw: string, source: string): number {
  if (count === undefined || count < 1 || count > MAX_SHARDS) {
    throw new ShardSpecError(`${source}: "${raw}" is not a number of shards (a whole number from 1 to ${MAX_SHARDS})`, { source, value: raw });
  }
  return count;
}

function checkIndex(index: number | undefined, raw: string, count: number, source: string): number {
  if (index === undefined) throw new ShardSpecError(`${source}: "${raw}" is not a shard index (a whole number from 0)`, { source, value: raw });
  if (index >= count) {
    throw new ShardSpecError(`${source}: shard index ${index} is out of range for ${count} shard(s) (indexes are 0-based: 0 to ${count - 1})`, { source, value: raw });
  }
  return index;
}

/** `I/N` as given to `--shard`: 0-based index I of N shards. */
export function parseShard(text: string, source = '--shard'): ShardSpec {
  const m = /^\s*([^/]*)\/([^/]*)\s*$/.exec(text);
  if (!m) throw new ShardSpecError(`${source}: "${text}" is not I/N (shard I of N, 0-based, e.g. 0/4 ... 3/4)`, { source, value: text });
  const count = checkCount(wholeNumber(m[2]!), m[2]!, source);
  return { index: checkIndex(wholeNumber(m[1]!), m[1]!, count, source), count };
}

/**
 * The shard a scheduler gave this process: the index from JOB_COMPLETION_INDEX (Kubernetes Indexed
 * Job) or AWS_BATCH_JOB_ARRAY_INDEX (AWS Batch array job), N from `countFlag` (`--shards`) or
 * GAMMAFLOW_SHARDS.
 */
export function shardFromEnv(env: Readonly<Record<string, string | undefined>>, countFlag?: string): ShardSpec {
  let count: number;
  if (countFlag !== undefined) count = checkCount(wholeNumber(countFlag), countFlag, '--shards');
  else {
    const raw = env[SHARD_COUNT_VARIABLE];
    if (raw === undefined || raw.trim() === '') {
      throw new ShardSpecError(`--shard-from-env needs the number of shards: give --shards N or set ${SHARD_COUNT_VARIABLE}`, { variable: SHARD_COUNT_VARIABLE });
    }
    count = checkCount(wholeNumber(raw), raw, SHARD_COUNT_VARIABLE);
  }
  const found = SHARD_INDEX_VARIABLES.filter((name) => env[name] !== undefined && env[name]!.trim() !== '');
  if (found.length === 0) {
    throw new ShardSpecError(`--shard-from-env: neither ${SHARD_INDEX_VARIABLES.join(' nor ')} is set (a Kubernetes Indexed Job or an AWS Batch array job sets one)`,
      { variable: SHARD_INDEX_VARIABLES.join(',') });
  }
  const indexes = found.map((name) => ({ name, raw: env[name]!, index: checkIndex(wholeNumber(env[name]!), env[name]!, count, name) }));
  if (indexes.length > 1 && indexes.some((i) => i.index !== indexes[0]!.index)) {
    throw new ShardSpecError(`--shard-from-env: ${indexes.map((i) => `${i.name}=${i.raw}`).join(' and ')} disagree`, { variable: found.join(',') });
  }
  return { index: indexes[0]!.index, count };
}

/** How a command was asked to shard, before it is resolved (the flags as parsed). */
export interface ShardRequest {
  readonly shard?: string | undefined;
  readonly shardFromEnv?: boolean | undefined;
  readonly shards?: string | undefined;
}

/** The shard of a command's flags; undefined when the run is not sharded. */
export function resolveShard(request: ShardRequest, env: Readonly<Record<string, string | undefined>>): ShardSpec | undefined {
  if (request.shard !== undefined && request.shardFromEnv === true) {
    throw new ShardSpecError('--shard and --shard-from-env: give one (--shard I/N, or --shard-from-env with --shards N)');
  }
  if (request.shard !== undefined) {
    if (request.shards !== undefined) throw new ShardSpecError('--shards goes with --shard-from-env; --shard I/N already says N');
    return parseShard(request.shard);
  }
  if (request.shardFromEnv === true) return shardFromEnv(env, request.shards);
  if (request.shards !== undefined) throw new ShardSpecError('--shards N needs --shard-from-env (or give --shard I/N)');
  return undefined;
}

/** 32-bit FNV-1a of the UTF-16 code units of `text` (group names are ASCII). */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

const groupOf = (k: WorkKey): string => (k.symbol === undefined ? k.dataset : `${k.dataset}\u0000${k.symbol}`);
const idOf = (k: WorkKey): string => `${groupOf(k)}\u0000${k.day}`;

/** The shard (0-based) of each distinct item of `keys` among `count` shards, keyed like `shardOfItem` looks them up. */
export function assignShards(keys: readonly WorkKey[], count: number): ReadonlyMap<string, number> {
  const groups = new Map<string, Set<string>>();
  for (const k of keys) {
    const g = groupOf(k);
    let days = groups.get(g);
    if (days === undefined) groups.set(g, (days = new Set()));
    days.add(k.day);
  }
  const shardOf = new Map<string, number>();
  for (const [group, days] of groups) {
    const offset = fnv1a32(group) % count;
    [...days].sort().forEach((day, rank) => shardOf.set(`${group}\u0000${day}`, (rank + offset) % count));
  }
  return shardOf;
}

/** One shard's share of a work list. */
export interface ShardPlan {
  readonly shard: ShardSpec;
  /** Whether `key` (an item of the work list) is this shard's. */
  select(key: WorkKey): boolean;
  /** Distinct items of the work list that are this shard's. */
  readonly selected: number;
  /** Distinct items of the work list that other shards do. */
  readonly skipped: number;
}

/** This shard's share of `keys` (the full work list, the same in every shard). */
export function planShard(shard: ShardSpec, keys: readonly WorkKey[]): ShardPlan {
  const shardOf = assignShards(keys, shard.count);
  let selected = 0;
  for (const s of shardOf.values()) if (s === shard.index) selected++;
  return {
    shard,
    selected,
    skipped: shardOf.size - selected,
    select(key) {
      const s = shardOf.get(idOf(key));
      if (s === undefined) throw new ShardSpecError(`shard plan: ${key.dataset} ${key.day}${key.symbol !== undefined ? ` ${key.symbol}` : ''} is not in the work list the plan was made from`);
      return s === shard.index;
    },
  };
}

/** `shard 2/4: 63 of 252 days; 189 belong to other shards` (the index as given: 0-based). */
export function describeShardPlan(plan: ShardPlan, units = 'items'): string {
  const total = plan.selected + plan.skipped;
  return `shard ${plan.shard.index}/${plan.shard.count}: ${plan.selected} of ${total} ${units}; ${plan.skipped} belong to other shards`;
}
