/**
 * Where things live in a lake. Pure path arithmetic.
 *
 *   LAKE/<dataset>/date=YYYY-MM-DD/part-00000.parquet   published partitions (what readers glob)
 *   LAKE/_manifest/<dataset>.jsonl                      one line per published day (source ETag, files, checksums)
 *   LAKE/_rejects/<dataset>/date=YYYY-MM-DD/rejects.jsonl  quarantined malformed rows
 *   LAKE/_staging/<dataset>/date=YYYY-MM-DD.<runId>/    a day being written (never globbed by readers)
 *   LAKE/_trash/<dataset>/date=YYYY-MM-DD.<runId>/      a replaced day, deleted after the publish
 *   LAKE/.lock                                          the run writing to this lake (pid, start time, host: lock.ts)
 */
import { join } from 'node:path';

export const partitionDir = (lake: string, dataset: string, date: string): string => join(lake, dataset, `date=${date}`);
export const manifestPath = (lake: string, dataset: string): string => join(lake, '_manifest', `${dataset}.jsonl`);
export const rejectsDir = (lake: string, dataset: string, date: string): string => join(lake, '_rejects', dataset, `date=${date}`);
export const stagingRoot = (lake: string): string => join(lake, '_staging');
export const stagingDir = (lake: string, dataset: string, date: string, runId: string): string => join(lake, '_staging', dataset, `date=${date}.${runId}`);
export const trashDir = (lake: string, dataset: string, date: string, runId: string): string => join(lake, '_trash', dataset, `date=${date}.${runId}`);
export const lockPath = (lake: string): string => join(lake, '.lock');
export const partFileName = (index: number): string => `part-${String(index).padStart(5, '0')}.parquet`;
export const REJECTS_FILE = 'rejects.jsonl';
