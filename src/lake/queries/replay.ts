/**
 * The queries of the lake feed of a replay (src/sources/replay/lake-feed.ts), in the column order
 * its chunk decoders read. Numbers come as NOT NULL DOUBLE / BIGINT columns so they copy in blocks.
 * Pure: SQL text only.
 */
import { lit, rowNumberedScan } from '../sql.js';

/**
 * A symbol's stock trades of a partition: sip_timestamp, sequence, price, size, conditions,
 * correction, exchange, id, tape, trf_id, trf_timestamp (a null optional number reads NaN,
 * trf_timestamp 0). Stream it ordered by `sip_timestamp, sequence_number NULLS LAST, filename, file_row_number`.
 */
export function replayStockTradesSql(files: readonly string[], symbol: string): string {
  const nanIfNull = (c: string): string => `coalesce(CAST(${c} AS DOUBLE), 'NaN'::DOUBLE) AS ${c}`;
  return `SELECT sip_timestamp, CAST(coalesce(sequence_number, 0) AS DOUBLE) AS sequence, CAST(price AS DOUBLE) AS price,
        CAST(size AS DOUBLE) AS size, coalesce(conditions, []::INTEGER[]) AS conditions, CAST(coalesce(correction, 0) AS DOUBLE) AS correction,
        ${nanIfNull('exchange')}, id, ${nanIfNull('tape')}, ${nanIfNull('trf_id')}, coalesce(trf_timestamp, 0) AS trf_timestamp
      FROM ${rowNumberedScan(files)}
      WHERE ticker = ${lit(symbol)}`;
}

/**
 * Option quotes of the contracts in the ticker dictionary `contracts` (id, ticker): sip_timestamp,
 * sequence, contract id, bid, ask, bid size, ask size, bid exchange, ask exchange. `scan` is the
 * partition's row-numbered scan; stream it ordered by `p.sip_timestamp, sequence, p.filename, p.file_row_number`.
 */
export function replayOptionQuotesSql(scan: string, contracts: string): string {
  return `SELECT p.sip_timestamp, CAST(coalesce(p.sequence_number, 0) AS DOUBLE) AS sequence, CAST(c.id AS DOUBLE) AS id,
        CAST(coalesce(p.bid_price, 0) AS DOUBLE) AS bid_price, CAST(coalesce(p.ask_price, 0) AS DOUBLE) AS ask_price,
        CAST(coalesce(p.bid_size, 0) AS DOUBLE) AS bid_size, CAST(coalesce(p.ask_size, 0) AS DOUBLE) AS ask_size,
        CAST(coalesce(p.bid_exchange, 0) AS DOUBLE) AS bid_exchange, CAST(coalesce(p.ask_exchange, 0) AS DOUBLE) AS ask_exchange
      FROM ${scan} AS p JOIN ${contracts} AS c ON p.ticker = c.ticker`;
}
