/**
 * Where things live in a lake. Pure path arithmetic.
 *
 *   LAKE/<dataset>/date=YYYY-MM-DD/part-00000.parquet   published partitions (what readers glob)
 *   LAKE/<dataset>/date=YYYY-MM-DD/_manifest.json       the partition's commit record (source ETag, files, checksums)
 *   LAKE/<dataset>/date=YYYY-MM-DD/_rejects.jsonl       the day's quarantined malformed rows
 *   LAKE/_staging/<dataset>/date=YYYY-MM-DD.<runId>/    a day being written (never globbed by readers)
 *   LAKE/_trash/<dataset>/date=YYYY-MM-DD.<runId>/      a replaced day, deleted after the publish
 *   LAKE/_locks/<dataset>/date=YYYY-MM-DD.lock          the process writing that partition (pid, start time, host: lock.ts)
 *   LAKE/.lock                                          a process holding the whole lake (lake check --repair: lock.ts)
 *
 * Readers skip names that start with `_` or `.` (Spark, Trino and Hive do so
 * by rule; a `*.parquet` glob does by its pattern).
 */
import { join } from 'node:path';

export const PARTITION_PREFIX = 'date=';
export const partitionDir = (lake: string, dataset: string, date: string): string => join(lake, dataset, `${PARTITION_PREFIX}${date}`);
export const stagingRoot = (lake: string): string => join(lake, '_staging');
export const trashRoot = (lake: string): string => join(lake, '_trash');
export const stagingDir = (lake: string, dataset: string, date: string, runId: string): string => join(lake, '_staging', dataset, `${PARTITION_PREFIX}${date}.${runId}`);
export const trashDir = (lake: string, dataset: string, date: string, runId: string): string => join(lake, '_trash', dataset, `${PARTITION_PREFIX}${date}.${runId}`);
export const lockPath = (lake: string): string => join(lake, '.lock');
export const locksRoot = (lake: string): string => join(lake, '_locks');
export const LOCK_SUFFIX = '.lock';
export const partitionLockPath = (lake: string, dataset: string, date: string): string => join(lake, '_locks', dataset, `${PARTITION_PREFIX}${date}${LOCK_SUFFIX}`);
export const partFileName = (index: number): string => `part-${String(index).padStart(5, '0')}.parquet`;
/** The commit record inside each partition. */
export const PARTITION_MANIFEST = '_manifest.json';
/** Quarantined rows inside each partition. */
export const REJECTS_FILE = '_rejects.jsonl';

/** Lakes written before per-partition records: one append-only log per dataset, and rejects in a tree of their own. */
export const legacyManifestPath = (lake: string, dataset: string): string => join(lake, '_manifest', `${dataset}.jsonl`);
export const legacyRejectsDir = (lake: string, dataset: string, date: string): string => join(lake, '_rejects', dataset, `${PARTITION_PREFIX}${date}`);

/** `date=2025-11-07.<runId>` → { date, runId }; undefined for any other name. */
export function parseCopyName(name: string): { date: string; runId: string } | undefined {
  const m = /^date=(\d{4}-\d{2}-\d{2})\.(.+)$/.exec(name);
  return m ? { date: m[1]!, runId: m[2]! } : undefined;
}
