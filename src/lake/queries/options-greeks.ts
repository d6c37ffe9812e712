/**
 * Reads of the options-greeks table for the features job: the enriched option trades of one
 * partition in event order, and whether a partition's parts carry the trade-side columns.
 */
import type { DuckDBDataChunk, DuckDBInstance, DuckDBValue, DuckDBVector } from '@duckdb/node-api';
import type { EnrichedOptionTrade, GreeksFlag } from '../../formats/records.js';
import { LakeError } from '../../util/errors.js';
import { streamChunks } from '../duckdb-chunks.js';
import type { OptionSelection } from '../reader.js';
import { lit, optionWhere, streamedQuery } from '../sql.js';

/** An enriched option trade as the feature engine reads it, with its aggressor side (0 and NoQuote when the table has no sides). */
export interface SidedOptionTrade extends Pick<EnrichedOptionTrade,
  'sipTimestampNs' | 'sequence' | 'right' | 'price' | 'size' | 'eligible' | 'underlyingPrice' | 'intrinsic' | 'dadvv' | 'gadvv' | 'greeksFlag'> {
  /** side code: −1 sell, 0 unclassified, 1 buy. */
  readonly side: -1 | 0 | 1;
  /** side_reason code. */
  readonly sideReason: number;
}

/**
 * The selection's enriched option trades of one options-greeks partition (`files`), in
 * (sip_timestamp, sequence) order, streamed chunk by chunk: only the columns the feature engine
 * reads, plus side and side_reason with `sides`.
 */
export async function* enrichedOptionTrades(duck: DuckDBInstance, lake: string, files: readonly string[], selection: OptionSelection,
  sides: boolean): AsyncGenerator<SidedOptionTrade[]> {
  const sql = `SELECT sip_timestamp, sequence, "right" = 'C' AS is_call, price, size, eligible,
      underlying_price, intrinsic, dadvv, gadvv, greeks_flag${sides ? ', side, side_reason' : ''}
    FROM read_parquet([${files.map(lit).join(', ')}], hive_partitioning = false)
    WHERE ${optionWhere(selection)}`;
  // streamChunks checks the row count (a streamed DuckDB result can end early without an error).
  for await (const chunk of streamChunks(duck, lake, streamedQuery(sql, 'sip_timestamp, sequence'))) yield sidedOptionRecords(chunk, sides);
}

function sidedOptionRecords(chunk: DuckDBDataChunk, sides: boolean): SidedOptionTrade[] {
  const n = chunk.rowCount;
  const v = <T extends DuckDBValue>(c: number): DuckDBVector<T> => chunk.getColumnVector(c) as DuckDBVector<T>;
  const ts = v<bigint>(0), seq = v<bigint>(1), isCall = v<boolean>(2), price = v<number>(3), size = v<number>(4);
  const eligible = v<boolean>(5), S = v<number | null>(6), intrinsic = v<number | null>(7);
  const dadvv = v<number | null>(8), gadvv = v<number | null>(9), flag = v<number>(10);
  const side = sides ? v<number>(11) : undefined, reason = sides ? v<number>(12) : undefined;
  const num = (x: number | null | undefined): number => (x === null || x === undefined ? NaN : x);
  const out = new Array<SidedOptionTrade>(n);
  for (let i = 0; i < n; i++) {
    out[i] = {
      sipTimestampNs: ts.getItem(i)!, sequence: Number(seq.getItem(i)!), right: isCall.getItem(i) ? 'C' : 'P',
      price: price.getItem(i)!, size: size.getItem(i)!, eligible: eligible.getItem(i)!,
      underlyingPrice: num(S.getItem(i)), intrinsic: num(intrinsic.getItem(i)),
      dadvv: num(dadvv.getItem(i)), gadvv: num(gadvv.getItem(i)), greeksFlag: flag.getItem(i) as GreeksFlag,
      side: (side?.getItem(i) ?? 0) as -1 | 0 | 1, sideReason: reason?.getItem(i) ?? 1,
    };
  }
  return out;
}

/** Whether every one of a partition's Parquet files (`files`) has a column named `column`. */
export async function everyFileHasColumn(duck: DuckDBInstance, files: readonly string[], column: string): Promise<boolean> {
  const conn = await duck.connect();
  try {
    const reader = await conn.runAndReadAll(`SELECT count(DISTINCT file_name) AS n FROM parquet_schema([${files.map(lit).join(', ')}]) WHERE name = ${lit(column)}`);
    return Number(reader.getRows()[0]![0]) === files.length;
  } catch (e) {
    throw new LakeError(`reading the options-greeks schema failed: ${(e as Error).message}`, { lake: files[0] ?? '' }, { cause: e });
  } finally {
    conn.closeSync();
  }
}
