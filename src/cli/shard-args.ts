/** `--shard I/N`, `--shard-from-env` and `--shards N`: the options every sharded command shares (src/jobs/shard.ts). */
import { resolveShard, ShardSpecError, SHARD_COUNT_VARIABLE, SHARD_INDEX_VARIABLES, type ShardSpec } from '../jobs/shard.js';
import { UsageError } from './report.js';

export const SHARD_OPTIONS = {
  shard: { type: 'string' }, 'shard-from-env': { type: 'boolean', default: false }, shards: { type: 'string' },
} as const;

export const SHARD_HELP = `  --shard I/N            do shard I (0-based) of N of the work list; start N processes with the same
                         other arguments, one per shard (docs/scale-out.md)
  --shard-from-env       the shard index from ${SHARD_INDEX_VARIABLES.join(' (Kubernetes Indexed Job) or ')}
                         (AWS Batch array job); N from --shards N or ${SHARD_COUNT_VARIABLE}`;

/** The shard the flags ask for (undefined: not sharded); a bad value is a usage error naming the flag or variable. */
export function shardOption(values: { shard?: string | undefined; 'shard-from-env'?: boolean | undefined; shards?: string | undefined },
  env: Readonly<Record<string, string | undefined>> = process.env): ShardSpec | undefined {
  try {
    return resolveShard({ shard: values.shard, shardFromEnv: values['shard-from-env'], shards: values.shards }, env);
  } catch (e) {
    if (e instanceof ShardSpecError) throw new UsageError(e.message);
    throw e;
  }
}
