/**
 * The lake queries of the web dashboard (src/web): what the lake holds, a day's feature rows, the
 * underlying's price series, the options-greeks smile of a time range and gadvv by strike. Every
 * series a chart draws is bounded: a query that would return more than `maxPoints` points is
 * down-sampled in DuckDB, so a full day (millions of trades) reaches the browser as at most
 * `maxPoints` points:
 *
 * - price series: min/max per time bucket (`maxPoints / 2` equal buckets over the day's first to
 *   last trade; each bucket gives its lowest and its highest trade, in time order), which keeps
 *   every spike a line chart of the raw trades would show;
 * - smile (IV against strike): trades of the same right and strike whose IVs agree to 0.1 vol
 *   point are merged into one point (size summed, IV size-weighted); when that is still too many,
 *   the `maxPoints` largest merged points are kept.
 *
 * Feature partitions may hold live files next to (or instead of) a published part file (see
 * src/sinks/lake.ts): the last occurrence of a window start (file name order, then row) wins.
 */
import { readdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { LakeError } from '../util/errors.js';
import { partitionDir } from './layout.js';
import { ensureLocalPartition } from './manifest.js';
import type { LakeReaderOptions } from './reader.js';
import { remoteLakeAt } from './s3/registry.js';
import { lit } from './sql.js';

/** One symbol's days in the lake, and which tables each day has. */
export interface InventoryDay {
  readonly date: string;
  /** Window sizes with a features partition that day, shortest first. */
  readonly windows: readonly string[];
  /** An options-greeks partition exists for the symbol that day. */
  readonly greeks: boolean;
  /** A stocks-trades partition exists that day. */
  readonly stocksTrades: boolean;
}

export interface InventorySymbol {
  readonly symbol: string;
  /** Newest first. */
  readonly days: readonly InventoryDay[];
}

export interface LakeInventory {
  readonly symbols: readonly InventorySymbol[];
}

/** A table as column names and rows of values (JSON-ready: numbers, strings, null). */
export interface FeatureTable {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly (number | string | null)[])[];
}

export interface PriceSeries {
  /** Epoch milliseconds (UTC, truncated), ascending. */
  readonly tMs: readonly number[];
  readonly price: readonly number[];
  /** Trades in the day (before down-sampling). */
  readonly trades: number;
  readonly downsampled: boolean;
}

export interface SmileQuery {
  readonly symbol: string;
  readonly date: string;
  /** Inclusive start of the trades' sip_timestamp range, ns; undefined: the whole day. */
  readonly fromNs?: bigint;
  /** Exclusive end, ns. */
  readonly toNs?: bigint;
  /** `YYYY-MM-DD`; undefined: every expiry. */
  readonly expiry?: string;
}

export interface SmilePoints {
  /** Expiries traded in the range (priced trades), with their trade counts, nearest first. */
  readonly expiries: readonly { readonly expiry: string; readonly trades: number }[];
  readonly strike: readonly number[];
  readonly iv: readonly number[];
  /** Contracts (summed over the merged trades when down-sampled). */
  readonly size: readonly number[];
  /** 'C' or 'P'. */
  readonly right: readonly string[];
  /** Priced trades in the range (and expiry). */
  readonly trades: number;
  readonly downsampled: boolean;
}

export interface StrikeProfile {
  /** Ascending. */
  readonly strike: readonly number[];
  /** Σ gadvv of priced call / put trades at each strike. */
  readonly calls: readonly number[];
  readonly puts: readonly number[];
  readonly trades: number;
}

export type FeatureExportFormat = 'csv' | 'parquet';

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const NAME_RE = /^[A-Za-z0-9._-]+$/;

/** `key=value` directory names under `dir` (the values), sorted; [] when `dir` does not exist. */
async function hiveValues(dir: string, key: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new LakeError(`cannot list ${dir}: ${(e as Error).message}`, { path: dir }, { cause: e });
  }
  return names.filter((n) => n.startsWith(`${key}=`)).map((n) => n.slice(key.length + 1)).sort();
}

async function hasParquet(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).some((n) => n.endsWith('.parquet'));
  } catch {
    return false;
  }
}

/** Window labels shortest first ('1m' < '5m' < '1h'); unknown forms last, by name. */
function windowOrder(label: string): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(label);
  if (m === null) return Number.MAX_SAFE_INTEGER;
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86_400 }[m[2] as 's' | 'm' | 'h' | 'd'];
}

/** Checks a symbol / window / date argument before it reaches a path or SQL; a LakeError names it. */
export function checkName(field: string, value: string): string {
  if (!(field === 'date' ? DATE_RE : NAME_RE).test(value)) throw new LakeError(`invalid ${field} ${JSON.stringify(value)}`, { field, value });
  return value;
}

function toNumber(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return Number(v);
}

export class WebLakeReader {
  private constructor(readonly lake: string, private readonly instance: DuckDBInstance) {}

  static async open(lake: string, options: LakeReaderOptions = {}): Promise<WebLakeReader> {
    const config: Record<string, string> = { memory_limit: options.memoryLimit ?? '512MB', threads: String(options.threads ?? 2) };
    if (options.tempDirectory !== undefined) config.temp_directory = options.tempDirectory;
    return new WebLakeReader(lake, await DuckDBInstance.create(':memory:', config));
  }

  close(): void {
    this.instance.closeSync();
  }

  /** `key=value` folder names under a lake-relative folder (the values), sorted: listed in the bucket for an S3 lake. */
  async #hiveValues(relativeDir: string, key: string): Promise<string[]> {
    const remote = remoteLakeAt(this.lake);
    if (remote === undefined) return hiveValues(join(this.lake, ...relativeDir.split('/')), key);
    return (await remote.listFolders(relativeDir)).filter((n) => n.startsWith(`${key}=`)).map((n) => n.slice(key.length + 1)).sort();
  }

  /** Whether a partition is there: Parquet files in it, or (S3 lake) a commit record in the bucket. */
  async #hasPartition(dataset: string, date: string): Promise<boolean> {
    const remote = remoteLakeAt(this.lake);
    return remote === undefined ? hasParquet(partitionDir(this.lake, dataset, date)) : remote.hasPartition(dataset, date);
  }

  /** Symbols with feature partitions, their days and window sizes (directory listing, no Parquet read). */
  async inventory(): Promise<LakeInventory> {
    const symbols: InventorySymbol[] = [];
    for (const symbol of await this.#hiveValues('features', 'symbol')) {
      const byDate = new Map<string, string[]>();
      for (const window of await this.#hiveValues(`features/symbol=${symbol}`, 'window')) {
        for (const date of await this.#hiveValues(`features/symbol=${symbol}/window=${window}`, 'date')) {
          if (!DATE_RE.test(date) || !(await this.#hasPartition(`features/symbol=${symbol}/window=${window}`, date))) continue;
          let list = byDate.get(date);
          if (list === undefined) byDate.set(date, (list = []));
          list.push(window);
        }
      }
      const days: InventoryDay[] = [];
      for (const date of [...byDate.keys()].sort().reverse()) {
        days.push({
          date,
          windows: byDate.get(date)!.sort((a, b) => windowOrder(a) - windowOrder(b) || a.localeCompare(b)),
          greeks: await this.#hasPartition(`options-greeks/symbol=${symbol}`, date),
          stocksTrades: await this.#hasPartition('stocks-trades', date),
        });
      }
      if (days.length > 0) symbols.push({ symbol, days });
    }
    return { symbols };
  }

  /**
   * The SELECT of a day's feature rows in window order. A published partition (part files only)
   * holds each window once; live files (`live-*.parquet`) may repeat a window (a revision, or a
   * day both published and appended to): then the last occurrence (file name, then row) wins, found
   * on the two key columns and joined back (a window function over all 150 columns is slow).
   */
  async featureRowsSql(symbol: string, date: string, window: string): Promise<string> {
    const dataset = `features/symbol=${checkName('symbol', symbol)}/window=${checkName('window', window)}`;
    await ensureLocalPartition(this.lake, dataset, checkName('date', date));
    const dir = partitionDir(this.lake, dataset, date);
    let names: string[] = [];
    try {
      names = (await readdir(dir)).filter((n) => n.endsWith('.parquet'));
    } catch {
      // missing partition: reported below
    }
    if (names.length === 0) throw new LakeError(`no features for ${symbol} ${window} on ${date} in ${this.lake}`, { symbol, window, date, path: dir });
    const glob = lit(join(dir, '*.parquet'));
    if (names.every((n) => n.startsWith('part-'))) return `SELECT * FROM read_parquet(${glob}, hive_partitioning = false, union_by_name = true) ORDER BY window_start`;
    const scan = `read_parquet(${glob}, filename = true, file_row_number = true, hive_partitioning = false, union_by_name = true)`;
    return `WITH keep AS (SELECT filename AS f, file_row_number AS r FROM ${scan}
        QUALIFY row_number() OVER (PARTITION BY window_start ORDER BY filename DESC, file_row_number DESC) = 1)
      SELECT p.* EXCLUDE (filename, file_row_number) FROM ${scan} AS p SEMI JOIN keep ON p.filename = keep.f AND p.file_row_number = keep.r
      ORDER BY window_start`;
  }

  /** The span [first window start, last window end) of a day's feature rows, ns. */
  async featureSpan(symbol: string, date: string, window: string): Promise<{ fromNs: bigint; toNs: bigint }> {
    await this.featureRowsSql(symbol, date, window); // checks the names and that the partition exists
    const glob = lit(join(partitionDir(this.lake, `features/symbol=${symbol}/window=${window}`, date), '*.parquet'));
    return this.#withConnection(async (conn) => {
      // Two columns only (a revision in a live file has the same bounds as the row it replaces).
      const [from, to] = (await conn.runAndReadAll(`SELECT min(window_start), max(window_end) FROM read_parquet(${glob}, hive_partitioning = false)`)).getRows()[0]!;
      return { fromNs: BigInt(from as bigint), toNs: BigInt(to as bigint) };
    });
  }

  /** A day's feature rows; `window_start` / `window_end` become `window_start_ms` / `window_end_ms` (epoch ms). */
  async featureRows(symbol: string, date: string, window: string): Promise<FeatureTable> {
    const sql = await this.featureRowsSql(symbol, date, window);
    return this.#withConnection(async (conn) => {
      const reader = await conn.runAndReadAll(sql);
      const names = reader.columnNames();
      const columns = names.map((n) => (n === 'window_start' || n === 'window_end' ? `${n}_ms` : n));
      const rows = reader.getRows().map((row) => row.map((v, i): number | string | null => {
        const name = names[i]!;
        if (name === 'window_start' || name === 'window_end') return Number(BigInt(v as bigint) / 1_000_000n);
        if (typeof v === 'string') return v;
        return toNumber(v);
      }));
      return { columns, rows };
    });
  }

  /** Writes a day's feature rows (lake columns, timestamps in ns) to `path` as CSV (with a header) or Parquet. */
  async exportFeatureRows(symbol: string, date: string, window: string, format: FeatureExportFormat, path: string): Promise<void> {
    const sql = await this.featureRowsSql(symbol, date, window);
    const options = format === 'csv' ? "(FORMAT csv, HEADER true)" : "(FORMAT parquet, COMPRESSION zstd)";
    await this.#withConnection((conn) => conn.run(`COPY (${sql}) TO ${lit(path)} ${options}`));
  }

  /** A temporary directory for an export; the caller removes it with {@link removeExportDir}. */
  static async exportDir(): Promise<string> {
    return mkdtemp(join(tmpdir(), 'gammaflow-export-'));
  }

  static async removeExportDir(dir: string): Promise<void> {
    await rm(dir, { recursive: true, force: true });
  }

  /**
   * The symbol's trade prices of a day (corrections left out), optionally only in [fromNs, toNs),
   * at most `maxPoints` points (min/max per bucket beyond).
   */
  async underlyingPrices(symbol: string, date: string, maxPoints: number, range: { fromNs?: bigint; toNs?: bigint } = {}): Promise<PriceSeries> {
    await ensureLocalPartition(this.lake, 'stocks-trades', checkName('date', date));
    const dir = partitionDir(this.lake, 'stocks-trades', date);
    if (!(await hasParquet(dir))) throw new LakeError(`no stocks-trades partition for ${date} in ${this.lake}`, { date, path: dir });
    const trades = `SELECT sip_timestamp, price FROM read_parquet(${lit(join(dir, '*.parquet'))}, hive_partitioning = false)
      WHERE ticker = ${lit(checkName('symbol', symbol))} AND coalesce(correction, 0) = 0 AND price > 0`
      + (range.fromNs !== undefined ? ` AND sip_timestamp >= ${range.fromNs}` : '') + (range.toNs !== undefined ? ` AND sip_timestamp < ${range.toNs}` : '');
    return this.#withConnection(async (conn) => {
      // One scan of the (full-market) partition into a temporary table of the symbol's trades; the rest reads that.
      await conn.run(`CREATE TEMP TABLE price_trades AS ${trades}`);
      const [count, first, last] = (await conn.runAndReadAll('SELECT count(*), min(sip_timestamp), max(sip_timestamp) FROM price_trades')).getRows()[0]!;
      const n = Number(count);
      if (n <= maxPoints || n === 0) {
        const rows = (await conn.runAndReadAll('SELECT CAST(sip_timestamp // 1000000 AS DOUBLE), price FROM price_trades ORDER BY sip_timestamp')).getRows();
        return { tMs: rows.map((r) => Number(r[0])), price: rows.map((r) => Number(r[1])), trades: n, downsampled: false };
      }
      const buckets = Math.max(1, Math.floor(maxPoints / 2));
      const span = BigInt(last as bigint) - BigInt(first as bigint) + 1n;
      const width = (span + BigInt(buckets) - 1n) / BigInt(buckets);
      const rows = (await conn.runAndReadAll(`
        WITH b AS (SELECT (sip_timestamp - ${String(first)}) // ${width} AS bucket, sip_timestamp, price FROM price_trades),
        agg AS (SELECT bucket, arg_min(sip_timestamp, price) AS t_lo, min(price) AS p_lo, arg_max(sip_timestamp, price) AS t_hi, max(price) AS p_hi
                FROM b GROUP BY bucket)
        SELECT t, p FROM (SELECT t_lo AS t, p_lo AS p FROM agg UNION ALL SELECT t_hi, p_hi FROM agg WHERE t_hi <> t_lo)
        ORDER BY t`)).getRows();
      return { tMs: rows.map((r) => Number(BigInt(r[0] as bigint) / 1_000_000n)), price: rows.map((r) => Number(r[1])), trades: n, downsampled: true };
    });
  }

  /** The options-greeks scan of a symbol-day's priced trades in a range; throws a LakeError when the partition is missing. */
  async #pricedTrades(q: SmileQuery): Promise<string> {
    await ensureLocalPartition(this.lake, `options-greeks/symbol=${checkName('symbol', q.symbol)}`, checkName('date', q.date));
    const dir = partitionDir(this.lake, `options-greeks/symbol=${q.symbol}`, q.date);
    if (!(await hasParquet(dir))) {
      throw new LakeError(`no options-greeks partition for ${q.symbol} on ${q.date} in ${this.lake} (run gammaflow greeks)`, { symbol: q.symbol, date: q.date, path: dir });
    }
    const conditions = ['greeks_flag = 0', 'iv IS NOT NULL', 'gadvv IS NOT NULL'];
    if (q.fromNs !== undefined) conditions.push(`sip_timestamp >= ${q.fromNs}`);
    if (q.toNs !== undefined) conditions.push(`sip_timestamp < ${q.toNs}`);
    return `SELECT strike, "right", iv, size, gadvv, expiry FROM read_parquet(${lit(join(dir, '*.parquet'))}, hive_partitioning = false)
      WHERE ${conditions.join(' AND ')}`;
  }

  /** IV against strike of the priced trades in a range (and expiry), at most `maxPoints` points. */
  async smile(q: SmileQuery, maxPoints: number): Promise<SmilePoints> {
    const all = await this.#pricedTrades(q);
    const selected = q.expiry === undefined ? all : `SELECT * FROM (${all}) WHERE expiry = DATE ${lit(checkName('date', q.expiry))}`;
    return this.#withConnection(async (conn) => {
      const expiries = (await conn.runAndReadAll(`SELECT strftime(expiry, '%Y-%m-%d'), count(*) FROM (${all}) GROUP BY expiry ORDER BY expiry`)).getRows()
        .map(([e, n]) => ({ expiry: String(e), trades: Number(n) }));
      const n = Number((await conn.runAndReadAll(`SELECT count(*) FROM (${selected})`)).getRows()[0]![0]);
      const downsampled = n > maxPoints;
      const sql = downsampled
        ? `SELECT strike, "right", sum(iv * size) / sum(size) AS iv, sum(size) AS size FROM (${selected})
           GROUP BY strike, "right", round(iv * 1000) ORDER BY size DESC, strike, "right", iv LIMIT ${maxPoints}`
        : `SELECT strike, "right", iv, size FROM (${selected}) ORDER BY strike, "right", iv`;
      const rows = (await conn.runAndReadAll(sql)).getRows();
      return {
        expiries, trades: n, downsampled,
        strike: rows.map((r) => Number(r[0])), right: rows.map((r) => String(r[1])), iv: rows.map((r) => Number(r[2])), size: rows.map((r) => Number(r[3])),
      };
    });
  }

  /** Σ gadvv of the priced call and put trades per strike, in a range (and expiry). */
  async gadvvByStrike(q: SmileQuery): Promise<StrikeProfile> {
    const all = await this.#pricedTrades(q);
    const selected = q.expiry === undefined ? all : `SELECT * FROM (${all}) WHERE expiry = DATE ${lit(checkName('date', q.expiry))}`;
    return this.#withConnection(async (conn) => {
      const rows = (await conn.runAndReadAll(`SELECT strike,
          coalesce(sum(gadvv) FILTER (WHERE "right" = 'C'), 0), coalesce(sum(gadvv) FILTER (WHERE "right" = 'P'), 0), count(*)
        FROM (${selected}) GROUP BY strike ORDER BY strike`)).getRows();
      return {
        strike: rows.map((r) => Number(r[0])), calls: rows.map((r) => Number(r[1])), puts: rows.map((r) => Number(r[2])),
        trades: rows.reduce((s, r) => s + Number(r[3]), 0),
      };
    });
  }

  async #withConnection<T>(work: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    const conn = await this.instance.connect();
    try {
      return await work(conn);
    } catch (e) {
      if (e instanceof LakeError) throw e;
      throw new LakeError(`reading the lake failed: ${(e as Error).message}`, { lake: this.lake }, { cause: e });
    } finally {
      conn.closeSync();
    }
  }
}
