/**
 * Keeps the events `gammaflow live --lake` uses, in the lake's realtime tables
 * (realtime-columns.ts), durably:
 *
 *   LAKE/realtime-stocks-trades/date=D/rt-<runId>-NNNNN.parquet
 *   LAKE/realtime-options-trades/date=D/…
 *   LAKE/realtime-options-quotes/date=D/…        D = New York date of the event time
 *
 * `flush()` (every `[live] flush_interval`, default 1 s, and at the end) writes one small, complete
 * Parquet file per table and date that received events since the last flush: written as
 * `….parquet.<pid>.tmp`, fsynced, renamed, directory fsynced. So a kill -9 loses at most the
 * events of the last interval and never leaves a file under a `*.parquet` name without its
 * footer (a leftover `.tmp` is removed by the next run). Files are sorted by (sip_timestamp,
 * sequence_number) within themselves; readers order the table the same way.
 *
 * Restart: events a previous run already stored are not stored again (a replay restarted from the
 * beginning, a feed resending after a reconnect). Per table and date, the identities
 * (realtime-columns.ts identityOf) of the stored rows at or after the earliest event waiting to
 * be flushed are loaded once (extended when an older event comes), so the common case (a
 * restart that only receives newer events) loads nothing but the high-water mark; duplicates
 * are counted (`duplicatesSkipped`).
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { nyDateOfNs } from '../calendar/index.js';
import { partitionDir } from '../lake/layout.js';
import { realtimeIdentitiesSql, realtimeMaxTimesSql } from '../lake/queries/realtime.js';
import { ParquetFileWriter } from '../lake/parquet/writer.js';
import { LakeError, errorMessage } from '../util/errors.js';
import {
  IDENTITY_COLUMNS, identityOf, identityOfRow, REALTIME_DATASETS, REALTIME_SCHEMAS, realtimeBatch,
  type RealtimeDataset, type RealtimeRecord,
} from './realtime-columns.js';

export interface RealtimeStoreOptions {
  readonly lake: string;
  readonly runId: string;
  readonly zstdLevel: number;
  readonly version: string;
}

export interface RealtimeStoreStats {
  /** Events written, per table. */
  readonly kept: Readonly<Record<RealtimeDataset, number>>;
  readonly duplicatesSkipped: number;
  readonly files: number;
  /** Events waiting for the next flush. */
  readonly pending: number;
  /** Wall-clock ms of the last completed flush. */
  readonly lastFlushMs?: number;
}

interface Partition {
  readonly dataset: RealtimeDataset;
  readonly date: string;
  pending: RealtimeRecord[];
  /** Identities of stored rows with sip_timestamp ≥ loadedFromNs (undefined: nothing loaded yet). */
  readonly stored: Set<string>;
  loadedFromNs: bigint | undefined;
  /** Highest sip_timestamp stored by earlier runs when first looked at (undefined: none). */
  storedMaxNs: bigint | undefined;
  checked: boolean;
}

const compareRecords = (a: RealtimeRecord, b: RealtimeRecord): number =>
  (a.event.sipTimestampNs < b.event.sipTimestampNs ? -1 : a.event.sipTimestampNs > b.event.sipTimestampNs ? 1 : a.event.sequence - b.event.sequence);

export class RealtimeStore {
  readonly #o: RealtimeStoreOptions;
  readonly #partitions = new Map<string, Partition>();
  readonly #kept: Record<RealtimeDataset, number> = { 'realtime-stocks-trades': 0, 'realtime-options-trades': 0, 'realtime-options-quotes': 0 };
  #duplicates = 0;
  #files = 0;
  #fileIndex = 0;
  #pending = 0;
  #lastFlushMs: number | undefined;
  #duck: DuckDBInstance | undefined;

  private constructor(options: RealtimeStoreOptions) {
    this.#o = options;
  }

  /** Opens the store; temporary files left by a killed run are removed. */
  static async open(options: RealtimeStoreOptions): Promise<RealtimeStore> {
    for (const dataset of REALTIME_DATASETS) {
      const root = join(options.lake, dataset);
      let dates: string[];
      try { dates = readdirSync(root); } catch { continue; }
      for (const d of dates) {
        let names: string[];
        try { names = readdirSync(join(root, d)); } catch { continue; }
        for (const name of names) if (name.endsWith('.tmp')) rmSync(join(root, d, name), { force: true });
      }
    }
    return new RealtimeStore(options);
  }

  stats(): RealtimeStoreStats {
    return {
      kept: { ...this.#kept }, duplicatesSkipped: this.#duplicates, files: this.#files, pending: this.#pending,
      ...(this.#lastFlushMs !== undefined ? { lastFlushMs: this.#lastFlushMs } : {}),
    };
  }

  add(record: RealtimeRecord): void {
    const date = nyDateOfNs(record.event.sipTimestampNs);
    const key = `${record.dataset}/${date}`;
    let p = this.#partitions.get(key);
    if (p === undefined) {
      this.#partitions.set(key, p = { dataset: record.dataset, date, pending: [], stored: new Set(), loadedFromNs: undefined, storedMaxNs: undefined, checked: false });
    }
    p.pending.push(record);
    this.#pending++;
  }

  /** Writes what arrived since the last flush: one fsynced file per table and date. */
  async flush(nowMs = Date.now()): Promise<void> {
    for (const p of this.#partitions.values()) {
      if (p.pending.length === 0) continue;
      const records = p.pending;
      p.pending = [];
      this.#pending -= records.length;
      records.sort(compareRecords);
      const fresh = await this.#withoutStored(p, records);
      if (fresh.length > 0) await this.#write(p, fresh);
    }
    this.#lastFlushMs = nowMs;
  }

  /** The highest event time stored for a table on a date (earlier runs and this one), or undefined. */
  async storedMaxNs(dataset: RealtimeDataset, date: string): Promise<{ maxSipNs: bigint; maxReceivedNs: bigint } | undefined> {
    const files = this.#filesOf(dataset, date);
    if (files.length === 0) return undefined;
    const rows = await this.#query(realtimeMaxTimesSql(files));
    const [sip, rec] = rows[0] ?? [];
    return typeof sip === 'bigint' && typeof rec === 'bigint' ? { maxSipNs: sip, maxReceivedNs: rec } : undefined;
  }

  /** The store's DuckDB instance (created on first use). */
  async duck(): Promise<DuckDBInstance> {
    this.#duck ??= await DuckDBInstance.create(':memory:', { threads: '1', memory_limit: '256MB' });
    return this.#duck;
  }

  /** The dates this store has received events for. */
  dates(): string[] {
    return [...new Set([...this.#partitions.values()].map((p) => p.date))].sort();
  }

  close(): void {
    this.#duck?.closeSync();
    this.#duck = undefined;
  }

  async #withoutStored(p: Partition, records: RealtimeRecord[]): Promise<RealtimeRecord[]> {
    if (!p.checked) {
      p.checked = true;
      p.storedMaxNs = (await this.storedMaxNs(p.dataset, p.date))?.maxSipNs;
    }
    if (p.storedMaxNs === undefined) return records;
    const earliest = records[0]!.event.sipTimestampNs;
    if (earliest <= p.storedMaxNs && (p.loadedFromNs === undefined || earliest < p.loadedFromNs)) {
      const upper = p.loadedFromNs;
      const files = this.#filesOf(p.dataset, p.date);
      const rows = await this.#query(realtimeIdentitiesSql(IDENTITY_COLUMNS[p.dataset], files, earliest, upper));
      for (const row of rows) p.stored.add(identityOfRow(row));
      p.loadedFromNs = earliest;
    }
    const out: RealtimeRecord[] = [];
    for (const r of records) {
      if (r.event.sipTimestampNs > p.storedMaxNs) { out.push(r); continue; }
      const id = identityOf(r);
      if (p.stored.has(id)) { this.#duplicates++; continue; }
      p.stored.add(id);
      out.push(r);
    }
    return out;
  }

  #filesOf(dataset: RealtimeDataset, date: string): string[] {
    const dir = partitionDir(this.#o.lake, dataset, date);
    try {
      return readdirSync(dir).filter((n) => n.endsWith('.parquet')).sort().map((n) => join(dir, n));
    } catch {
      return [];
    }
  }

  async #query(sql: string): Promise<unknown[][]> {
    const conn = await (await this.duck()).connect();
    try {
      return (await conn.runAndReadAll(sql)).getRows() as unknown[][];
    } catch (e) {
      throw new LakeError(`reading the realtime table failed: ${errorMessage(e)}`, { lake: this.#o.lake }, { cause: e });
    } finally {
      conn.closeSync();
    }
  }

  async #write(p: Partition, records: readonly RealtimeRecord[]): Promise<void> {
    const dir = partitionDir(this.#o.lake, p.dataset, p.date);
    mkdirSync(dir, { recursive: true });
    const name = `rt-${this.#o.runId}-${String(this.#fileIndex++).padStart(5, '0')}.parquet`;
    const tmp = join(dir, `${name}.${process.pid}.tmp`);
    const writer = new ParquetFileWriter(tmp, REALTIME_SCHEMAS[p.dataset], {
      rowGroupRows: Math.max(1, records.length), zstdLevel: this.#o.zstdLevel,
      keyValueMetadata: {
        'gammaflow.schema_version': '1', 'gammaflow.dataset': p.dataset, 'gammaflow.date': p.date,
        'gammaflow.source_key': `live/${this.#o.runId}`, 'gammaflow.version': this.#o.version,
      },
    });
    try {
      writer.append(realtimeBatch(p.dataset, records));
      writer.close();
      await fsyncPath(tmp, true);
      await rename(tmp, join(dir, name));
      await fsyncPath(dir, false);
    } catch (e) {
      try { writer.abort(); } catch { /* already closed */ }
      rmSync(tmp, { force: true });
      throw new LakeError(`writing ${join(dir, name)} failed: ${errorMessage(e)}`, { path: dir }, { cause: e });
    }
    this.#files++;
    this.#kept[p.dataset] += records.length;
  }
}

/**
 * fsync on the thread pool (a blocking fsync on a busy disk would stall the event loop, and with
 * it the feed clients and the quiet-feed timer). Directory fsync failures are ignored (some
 * filesystems refuse it); a file's are not.
 */
async function fsyncPath(path: string, mustSucceed: boolean): Promise<void> {
  try {
    const fh = await open(path, 'r');
    try { await fh.sync(); } finally { await fh.close(); }
  } catch (e) {
    if (mustSucceed) throw e;
  }
}
