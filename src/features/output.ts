/**
 * Writing feature rows: to a file chosen by extension (Parquet, CSV, JSON
 * lines), or into the lake as one partition per (symbol, window, day):
 *
 *   LAKE/features/symbol=SPY/window=5m/date=YYYY-MM-DD/part-00000.parquet
 *
 * published atomically with a manifest entry like every lake dataset
 * (DayWriter: staged, then renamed into place). The lake dataset name is
 * `features/symbol=SPY/window=5m`, so its manifest is
 * LAKE/_manifest/features/symbol=SPY/window=5m.jsonl. DuckDB reads every
 * partition with hive partitioning:
 *   read_parquet('LAKE/features/*\/*\/*\/*.parquet', hive_partitioning = true)
 *
 * A single output file is written to `<path>.<pid>.tmp` and renamed when
 * complete, so a crash never leaves a truncated file under the final name.
 *
 * Text formats: timestamps are exact integer nanoseconds (JSON lines: bare
 * integer literals, exact for Python/DuckDB; JavaScript's JSON.parse rounds
 * them beyond 2^53), floats in shortest round-trip form, nulls as an empty
 * CSV field / JSON null.
 */
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { extname } from 'node:path';
import { DayWriter } from '../lake/day-writer.js';
import { partitionMatches, readManifest, type ManifestEntry } from '../lake/manifest.js';
import { ParquetFileWriter } from '../lake/parquet/writer.js';
import { LakeError } from '../util/errors.js';
import { describePolicyDifferences, policyDifferences, type FeaturePolicy } from './policy.js';
import {
  featureLakeSchema, FEATURES_LAKE_SCHEMA_VERSION, lakeRowsToBatch, partitionFilter, provenanceMetadata, readPartitionFilter,
  type RowProvenance, type RowQuality, type RowSource,
} from './provenance.js';
import { featureRowColumnNames, featureRowSchema, rowEntries, rowsToBatch, type FeatureRow } from './row.js';

export type FeatureOutputFormat = 'parquet' | 'csv' | 'jsonl';

/** Bumped whenever the feature row layout changes; written into Parquet metadata and the manifest. */
export const FEATURES_SCHEMA_VERSION = FEATURES_LAKE_SCHEMA_VERSION;

/** The output format of a path, by extension (.parquet, .csv, .jsonl / .ndjson); throws RangeError otherwise. */
export function outputFormatOf(path: string): FeatureOutputFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.parquet') return 'parquet';
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  throw new RangeError(`cannot tell the output format of ${JSON.stringify(path)}: use a .parquet, .csv or .jsonl file name`);
}

/** Lake dataset name of one symbol and window size. */
export function featureDataset(symbol: string, window: string): string {
  return `features/symbol=${symbol}/window=${window}`;
}

export interface FeatureWriterOptions {
  readonly aggression: boolean;
  /** Parquet only. */
  readonly rowGroupRows?: number;
  readonly zstdLevel?: number;
  readonly keyValueMetadata?: Readonly<Record<string, string>>;
  /** Parquet only: a lake file, with the quality and source columns and the policy in its metadata. */
  readonly lake?: { readonly provenance: RowProvenance; readonly policy: FeaturePolicy };
}

/**
 * Streams feature rows into one file: open → append(rows)* → close(), or
 * abort(). The file appears under its final name only at close().
 */
export class FeatureFileWriter {
  readonly format: FeatureOutputFormat;
  readonly #tmpPath: string;
  readonly #aggression: boolean;
  readonly #provenance: RowProvenance | undefined;
  #parquet: ParquetFileWriter | undefined;
  #fd: number | undefined;
  #rows = 0;
  #bytes = 0;

  constructor(readonly path: string, options: FeatureWriterOptions) {
    this.format = outputFormatOf(path);
    this.#aggression = options.aggression;
    this.#provenance = options.lake?.provenance;
    this.#tmpPath = `${path}.${process.pid}.tmp`;
    if (options.lake !== undefined && this.format !== 'parquet') throw new RangeError('lake feature files are Parquet');
    if (this.format === 'parquet') {
      const schema = options.lake ? featureLakeSchema(options.aggression) : featureRowSchema(options.aggression);
      this.#parquet = new ParquetFileWriter(this.#tmpPath, schema, {
        rowGroupRows: options.rowGroupRows ?? 65_536,
        ...(options.zstdLevel !== undefined ? { zstdLevel: options.zstdLevel } : {}),
        keyValueMetadata: {
          'gammaflow.features_schema_version': String(FEATURES_SCHEMA_VERSION),
          ...(options.lake ? provenanceMetadata(options.lake.policy, options.lake.provenance) : {}),
          ...options.keyValueMetadata,
        },
      });
      return;
    }
    try {
      this.#fd = openSync(this.#tmpPath, 'w');
    } catch (e) {
      throw new LakeError(`cannot create ${this.#tmpPath}: ${(e as Error).message}`, { path }, { cause: e });
    }
    if (this.format === 'csv') this.#write(featureRowColumnNames(options.aggression).join(',') + '\n');
  }

  get rowsWritten(): number { return this.#rows; }

  append(rows: readonly FeatureRow[]): void {
    if (rows.length === 0) return;
    this.#rows += rows.length;
    if (this.#parquet !== undefined) {
      this.#parquet.append(this.#provenance ? lakeRowsToBatch(rows, this.#aggression, this.#provenance) : rowsToBatch(rows, this.#aggression));
      return;
    }
    const lines = rows.map((row) => (this.format === 'csv' ? csvLine(row, this.#aggression) : jsonLine(row, this.#aggression)));
    this.#write(lines.join('\n') + '\n');
  }

  /** Finishes the file and moves it to its final name. */
  close(): { path: string; rows: number; bytes: number } {
    if (this.#parquet !== undefined) {
      this.#bytes = this.#parquet.close().bytes;
      this.#parquet = undefined;
    } else if (this.#fd !== undefined) {
      closeSync(this.#fd);
      this.#fd = undefined;
    }
    renameSync(this.#tmpPath, this.path);
    return { path: this.path, rows: this.#rows, bytes: this.#bytes };
  }

  /** Drops the partial file. */
  abort(): void {
    if (this.#parquet !== undefined) { this.#parquet.abort(); this.#parquet = undefined; }
    if (this.#fd !== undefined) { closeSync(this.#fd); this.#fd = undefined; }
    rmSync(this.#tmpPath, { force: true });
  }

  #write(text: string): void {
    const bytes = Buffer.from(text, 'utf8');
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(this.#fd!, bytes, offset);
    this.#bytes += bytes.length;
  }
}

function csvField(value: string | number | bigint | null): string {
  if (value === null) return '';
  if (typeof value === 'string') return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
  return String(value);
}

/** One CSV line (no newline) in featureRowSchema order. */
export function csvLine(row: FeatureRow, aggression: boolean): string {
  return rowEntries(row, aggression).map(([, v]) => csvField(v)).join(',');
}

/** One JSON object (no newline) in featureRowSchema order; timestamps as exact integer literals. */
export function jsonLine(row: FeatureRow, aggression: boolean): string {
  const parts = rowEntries(row, aggression).map(([k, v]) => `${JSON.stringify(k)}:${typeof v === 'bigint' ? v.toString() : JSON.stringify(v)}`);
  return `{${parts.join(',')}}`;
}

export interface PublishFeatureDayOptions {
  readonly lake: string;
  readonly symbol: string;
  readonly window: string;
  readonly date: string;
  readonly runId: string;
  readonly rows: readonly FeatureRow[];
  readonly aggression: boolean;
  /** What the rows were computed from (input partitions and their checksums), recorded in the manifest. */
  readonly source: ManifestEntry['source'];
  /** The settings the rows were computed under (recorded in the files and, with the provenance, as the manifest `filter`). */
  readonly policy: FeaturePolicy;
  readonly provenance: RowProvenance;
  readonly rowGroupRows: number;
  readonly zstdLevel: number;
}

/** Writes and atomically publishes one (symbol, window, day) lake partition. */
export async function publishFeatureDay(o: PublishFeatureDayOptions): Promise<ManifestEntry> {
  const dataset = featureDataset(o.symbol, o.window);
  const writer = await DayWriter.create({
    lake: o.lake, dataset, date: o.date, runId: o.runId, schema: featureLakeSchema(o.aggression),
    rowGroupRows: o.rowGroupRows, fileSizeTargetBytes: Number.MAX_SAFE_INTEGER, zstdLevel: o.zstdLevel, useWorker: false,
    keyValueMetadata: {
      'gammaflow.features_schema_version': String(FEATURES_SCHEMA_VERSION), 'gammaflow.source': o.source.key,
      ...provenanceMetadata(o.policy, o.provenance),
    },
  });
  try {
    await writer.append(lakeRowsToBatch(o.rows, o.aggression, o.provenance));
    await writer.finish();
    return await writer.publish({
      dataset, date: o.date, source: o.source, filter: partitionFilter(o.policy, o.provenance), rowsFiltered: 0,
      schemaVersion: FEATURES_SCHEMA_VERSION, runId: o.runId,
    });
  } catch (e) {
    await writer.abort();
    throw e;
  }
}

/** What the lake holds for one features partition, from its latest manifest entry. */
export interface PublishedFeaturePartition {
  readonly entry: ManifestEntry;
  readonly policy?: FeaturePolicy;
  readonly quality?: RowQuality;
  readonly source?: RowSource;
}

/** The published partition of (symbol, window, date), or undefined when none is (or its files are not all there). */
export async function publishedFeaturePartition(lake: string, symbol: string, window: string, date: string): Promise<PublishedFeaturePartition | undefined> {
  const entry = (await readManifest(lake, featureDataset(symbol, window))).get(date);
  if (entry === undefined || !(await partitionMatches(lake, entry))) return undefined;
  return { entry, ...readPartitionFilter(entry.filter) };
}

/**
 * Why rows of `policy` must not go into the published partition, or undefined when they may:
 * a partition computed under another policy is named with the keys that differ (the caller
 * refuses unless told to replace it). A partition of an older layout (no policy recorded) may
 * be replaced.
 */
export function policyConflict(existing: PublishedFeaturePartition | undefined, policy: FeaturePolicy, where: string): string | undefined {
  if (existing?.policy === undefined || existing.policy.id === policy.id) return undefined;
  return `${where} holds rows computed under policy ${existing.policy.id}, this run uses ${policy.id}; `
    + `they differ in ${describePolicyDifferences(policyDifferences(existing.policy, policy))}`;
}
