/**
 * Queries over a realtime table's files of one day (src/live/realtime-store.ts and
 * realtime-compact.ts). Pure: SQL text only.
 */
import { lit } from '../sql.js';

const fileList = (files: readonly string[]): string => `[${files.map(lit).join(', ')}]`;
const columnList = (columns: readonly string[]): string => columns.map((c) => `"${c}"`).join(', ');

/** Every row of the files with `columns`, files of older schemas included (union by name). */
export function realtimeRowsSql(columns: readonly string[], files: readonly string[]): string {
  return `SELECT ${columnList(columns)} FROM read_parquet(${fileList(files)}, union_by_name = true)`;
}

/** One row: the highest sip_timestamp and received_at stored. */
export function realtimeMaxTimesSql(files: readonly string[]): string {
  return `SELECT max(sip_timestamp), max(received_at) FROM read_parquet(${fileList(files)})`;
}

/** The identity columns of the rows with fromNs ≤ sip_timestamp (< toNs when given). */
export function realtimeIdentitiesSql(columns: readonly string[], files: readonly string[], fromNs: bigint, toNs: bigint | undefined): string {
  return `SELECT ${columnList(columns)}
        FROM read_parquet(${fileList(files)}) WHERE sip_timestamp >= ${fromNs}${toNs !== undefined ? ` AND sip_timestamp < ${toNs}` : ''}`;
}
