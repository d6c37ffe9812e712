/**
 * The reads of `gammaflow finalize` (features/finalize.ts): a features partition's rows, the
 * corrected prints of a flat-file day, and the flat-file trades matched against the realtime ones
 * on (ticker, ms time, price, size, exchange), the feed having no trade id.
 */
import { join } from 'node:path';
import type { DuckDBInstance } from '@duckdb/node-api';
import { errorMessage, LakeError } from '../../util/errors.js';
import { partitionDir } from '../layout.js';
import type { OptionSelection } from '../reader.js';
import { lit, optionWhere } from '../sql.js';

export type LakeRow = Readonly<Record<string, unknown>>;

/** What a day's trades are filtered to: one stock ticker, or a symbol's option contracts. */
export type TradeSelection = { readonly ticker: string } | { readonly options: OptionSelection };

/** Counts of one trade key in the flat file and in the realtime table, and how many keys have them. */
export interface TradeKeyGroup {
  readonly flatFile: number;
  readonly realtime: number;
  readonly keys: number;
}

export class FinalizeQueries {
  readonly #duck: DuckDBInstance;
  readonly #lake: string;
  constructor(duck: DuckDBInstance, lake: string) {
    this.#duck = duck;
    this.#lake = lake;
  }

  /** Every row of the given Parquet files. */
  rowsOf(files: readonly string[]): Promise<LakeRow[]> {
    return this.#query(`SELECT * FROM read_parquet([${files.map(lit).join(', ')}], hive_partitioning = false)`);
  }

  /** Rows with a correction code ≠ 0 in a flat-file day, by code. */
  async correctionsByCode(dataset: 'stocks-trades' | 'options-trades', date: string, selection: TradeSelection): Promise<Record<string, number>> {
    const rows = await this.#query(`SELECT CAST(correction AS VARCHAR) AS code, count(*) AS n FROM read_parquet(${this.#glob(dataset, date)})
      WHERE ${where(selection)} AND coalesce(correction, 0) <> 0 GROUP BY 1 ORDER BY 1`);
    return Object.fromEntries(rows.map((r) => [String(r.code), Number(r.n)]));
  }

  /** Whether a realtime table has parts for the day. */
  async hasParts(dataset: string, date: string): Promise<boolean> {
    const [r] = await this.#query(`SELECT count(*) AS n FROM glob(${this.#glob(dataset, date)})`);
    return Number(r?.n ?? 0) > 0;
  }

  /** The distinct tickers of a realtime table's day. */
  async tickers(dataset: string, date: string): Promise<string[]> {
    return (await this.#query(`SELECT DISTINCT ticker FROM read_parquet(${this.#glob(dataset, date)})`)).map((r) => String(r.ticker));
  }

  /**
   * The flat-file day's selected trades (`flatDataset`) against the realtime table's
   * (`realtimeDataset`, restricted to `realtimeTickers`: undefined = all of the selection's ticker),
   * grouped by how often each key occurs on each side.
   */
  tradeKeyGroups(flatDataset: string, realtimeDataset: string, date: string, selection: TradeSelection,
    realtimeTickers?: readonly string[]): Promise<TradeKeyGroup[]> {
    const key = `ticker, sip_timestamp // 1000000 AS ms, price, size, coalesce(exchange, -1) AS exchange`;
    const realtimeWhere = realtimeTickers === undefined ? where(selection)
      : realtimeTickers.length === 0 ? 'false' : `ticker IN (${realtimeTickers.map(lit).join(', ')})`;
    return this.#query(`WITH f AS (SELECT ${key}, count(*) AS n FROM read_parquet(${this.#glob(flatDataset, date)}) WHERE ${where(selection)} GROUP BY ALL),
        r AS (SELECT ${key}, count(*) AS n FROM read_parquet(${this.#glob(realtimeDataset, date)}) WHERE ${realtimeWhere} GROUP BY ALL)
      SELECT coalesce(f.n, 0) AS flat, coalesce(r.n, 0) AS rt, count(*) AS keys
      FROM f FULL OUTER JOIN r USING (ticker, ms, price, size, exchange) GROUP BY ALL`)
      .then((groups) => groups.map((g) => ({ flatFile: Number(g.flat), realtime: Number(g.rt), keys: Number(g.keys) })));
  }

  #glob(dataset: string, date: string): string {
    return lit(join(partitionDir(this.#lake, dataset, date), '*.parquet'));
  }

  async #query(sql: string): Promise<LakeRow[]> {
    const conn = await this.#duck.connect();
    try {
      return (await (await conn.runAndReadAll(sql)).getRowObjectsJS()) as LakeRow[];
    } catch (e) {
      throw new LakeError(`finalize: reading the lake failed: ${errorMessage(e)}`, {}, { cause: e });
    } finally {
      conn.closeSync();
    }
  }
}

function where(selection: TradeSelection): string {
  return 'ticker' in selection ? `ticker = ${lit(selection.ticker)}` : `(${optionWhere(selection.options)})`;
}
