/**
 * Compaction of a day of a realtime table: the small per-flush files `rt-<run>-NNNNN.parquet`
 * (realtime-store.ts) rewritten as parts of `storage.file_size_mb_target`, sorted by
 * (sip_timestamp, sequence_number), published like every lake day (DayWriter: staged, the
 * partition replaced by rename, manifest entry `LAKE/_manifest/realtime-*.jsonl`). A reader sees
 * either the small files or the compacted ones, never both or neither. `gammaflow finalize` runs
 * it for the day it finalized (the day is over: live writes no more events of that date).
 */
import { readdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { DuckDBDataChunk, DuckDBInstance, DuckDBListVector, DuckDBVector } from '@duckdb/node-api';
import type { Column, ColumnBatch, ColumnSpec } from '../formats/columns.js';
import { DayWriter } from '../lake/day-writer.js';
import { partitionDir } from '../lake/layout.js';
import { copyValues, intList, streamChunks } from '../lake/duckdb-chunks.js';
import { realtimeRowsSql } from '../lake/queries/realtime.js';
import { streamedQuery } from '../lake/sql.js';
import { REALTIME_SCHEMAS, type RealtimeDataset } from './realtime-columns.js';

export interface CompactOptions {
  readonly lake: string;
  readonly dataset: RealtimeDataset;
  readonly date: string;
  readonly runId: string;
  readonly rowGroupRows: number;
  readonly fileSizeTargetBytes: number;
  readonly zstdLevel: number;
  readonly version: string;
}

/** Compacts the day when it holds per-flush files; returns the files before and the rows, or undefined when there was nothing to do. */
export async function compactRealtimeDay(duck: DuckDBInstance, o: CompactOptions): Promise<{ files: number; rows: number } | undefined> {
  const dir = partitionDir(o.lake, o.dataset, o.date);
  let names: string[];
  try { names = readdirSync(dir).filter((n) => n.endsWith('.parquet')).sort(); } catch { return undefined; }
  if (!names.some((n) => n.startsWith('rt-'))) return undefined;
  const files = names.map((n) => join(dir, n));
  const schema = REALTIME_SCHEMAS[o.dataset];
  const writer = await DayWriter.create({
    lake: o.lake, dataset: o.dataset, date: o.date, runId: o.runId, schema, rowGroupRows: o.rowGroupRows,
    fileSizeTargetBytes: o.fileSizeTargetBytes, zstdLevel: o.zstdLevel, useWorker: true,
    keyValueMetadata: { 'gammaflow.schema_version': '1', 'gammaflow.dataset': o.dataset, 'gammaflow.date': o.date, 'gammaflow.version': o.version },
  });
  try {
    const select = realtimeRowsSql(schema.map((c) => c.name), files);
    for await (const chunk of streamChunks(duck, o.lake, streamedQuery(select, 'sip_timestamp, sequence_number'))) {
      await writer.append(chunkToBatch(chunk, schema));
    }
    await writer.finish();
    const entry = await writer.publish({
      dataset: o.dataset, date: o.date, rowsFiltered: 0, schemaVersion: 1, runId: o.runId,
      source: { description: `compaction of ${names.length} realtime files`, key: `${o.dataset}/date=${o.date}`, size: 0,
        etag: createHash('sha256').update(names.join('\n')).digest('hex').slice(0, 16) },
    });
    return { files: names.length, rows: entry.rows };
  } catch (e) {
    await writer.abort();
    throw e;
  }
}

const encoder = new TextEncoder();
const EMPTY: Uint8Array = new Uint8Array(0);

/** A DuckDB chunk of the columns of `schema`, in its order, as a batch. */
function chunkToBatch(chunk: DuckDBDataChunk, schema: readonly ColumnSpec[]): ColumnBatch {
  const n = chunk.rowCount;
  const columns = schema.map((spec, c): Column => {
    const vector = chunk.getColumnVector(c);
    const valid = new Uint8Array(n);
    const mark = (i: number, v: unknown): boolean => { const ok = v !== null && v !== undefined; valid[i] = ok ? 1 : 0; return ok; };
    const validity = (): { valid?: Uint8Array } => (valid.every((b) => b === 1) ? {} : { valid });
    switch (spec.type) {
      case 'utf8': {
        const parts: Uint8Array[] = [];
        const offsets = new Int32Array(n + 1);
        const encoded = new Map<string, Uint8Array>(); // tickers repeat: encode each once per chunk
        let total = 0;
        for (let i = 0; i < n; i++) {
          const v = (vector as DuckDBVector<string | null>).getItem(i);
          let bytes: Uint8Array = EMPTY;
          if (mark(i, v)) {
            bytes = encoded.get(v!) ?? EMPTY;
            if (bytes === EMPTY && v !== '') encoded.set(v!, bytes = encoder.encode(v!));
          }
          parts.push(bytes);
          total += bytes.length;
          offsets[i + 1] = total;
        }
        const bytes = new Uint8Array(total);
        parts.forEach((b, i) => bytes.set(b, offsets[i]!));
        return { type: 'utf8', offsets, bytes, ...validity() };
      }
      case 'int32': {
        const values = new Int32Array(n);
        for (let i = 0; i < n; i++) { const v = (vector as DuckDBVector<number | null>).getItem(i); if (mark(i, v)) values[i] = v!; }
        return { type: 'int32', values, ...validity() };
      }
      case 'int64': {
        const values = new BigInt64Array(n);
        if (!spec.nullable) { copyValues(vector, n, values); return { type: 'int64', values }; }
        for (let i = 0; i < n; i++) { const v = (vector as DuckDBVector<bigint | null>).getItem(i); if (mark(i, v)) values[i] = v!; }
        return { type: 'int64', values, ...validity() };
      }
      case 'float64': {
        const values = new Float64Array(n);
        if (!spec.nullable) { copyValues(vector, n, values); return { type: 'float64', values }; }
        for (let i = 0; i < n; i++) { const v = (vector as DuckDBVector<number | null>).getItem(i); if (mark(i, v)) values[i] = v!; }
        return { type: 'float64', values, ...validity() };
      }
      case 'list_int32': {
        const lists: (readonly number[])[] = [];
        for (let i = 0; i < n; i++) lists.push(intList(vector as DuckDBListVector, i));
        const offsets = new Int32Array(n + 1);
        lists.forEach((l, i) => { offsets[i + 1] = offsets[i]! + l.length; });
        const values = new Int32Array(offsets[n]!);
        lists.forEach((l, i) => values.set(l, offsets[i]!));
        return { type: 'list_int32', offsets, values };
      }
      default:
        throw new RangeError(`realtime tables have no ${spec.type} column (${spec.name})`);
    }
  });
  return { rows: n, columns };
}
