/**
 * Provenance of the feature rows kept in the lake. Every row of a features
 * partition carries two columns after the diagnostics:
 *
 *   quality  utf8  'prelim' (computed live from the realtime feed; may still change)
 *                  | 'final' (computed from the published flat files)
 *   source   utf8  'realtime' | 'flatfile' | 'rest' (where the events came from)
 *
 * and every file's key-value metadata carries `gammaflow.schema_version`,
 * `gammaflow.policy_id` and `gammaflow.policy` (policy.ts). The manifest
 * `filter` of a features partition is `partitionFilter()`: schema version,
 * policy and provenance, so a reader of the manifest alone knows them too.
 *
 * Files written outside the lake (--out, --jsonl) keep the plain row layout.
 *
 * Pure: no I/O.
 */
import type { ColumnBatch, ColumnSpec, Utf8Column } from '../formats/columns.js';
import { parsePolicy, type FeaturePolicy } from './policy.js';
import { featureRowSchema, rowsToBatch, type FeatureRow } from './row.js';

export type RowQuality = 'prelim' | 'final';
export type RowSource = 'realtime' | 'flatfile' | 'rest';

export interface RowProvenance {
  readonly quality: RowQuality;
  /** The source of the rows, and of the partition as a whole (file metadata). */
  readonly source: RowSource;
  /** A row's own source where it differs from `source` (a live window completed by trades fetched from REST). */
  readonly sourceOf?: (row: FeatureRow) => RowSource;
}

export const PRELIM_REALTIME: RowProvenance = Object.freeze({ quality: 'prelim', source: 'realtime' });
export const FINAL_FLATFILE: RowProvenance = Object.freeze({ quality: 'final', source: 'flatfile' });

/** Bumped whenever the feature row layout in the lake changes (2: quality, source, policy). */
export const FEATURES_LAKE_SCHEMA_VERSION = 2;

/** The columns of a feature row in the lake: the row, then quality and source. */
export function featureLakeSchema(aggression: boolean): ColumnSpec[] {
  return [
    ...featureRowSchema(aggression),
    { name: 'quality', type: 'utf8', nullable: false, doc: 'prelim (realtime, may change) or final (flat files)' },
    { name: 'source', type: 'utf8', nullable: false, doc: 'realtime, flatfile or rest' },
  ];
}

function constantUtf8(value: string, rows: number): Utf8Column {
  const bytes1 = new TextEncoder().encode(value);
  const bytes = new Uint8Array(bytes1.length * rows);
  const offsets = new Int32Array(rows + 1);
  for (let i = 0; i < rows; i++) {
    bytes.set(bytes1, i * bytes1.length);
    offsets[i + 1] = (i + 1) * bytes1.length;
  }
  return { type: 'utf8', offsets, bytes };
}

function utf8Of(values: readonly string[]): Utf8Column {
  const encoded = values.map((v) => new TextEncoder().encode(v));
  const offsets = new Int32Array(values.length + 1);
  for (let i = 0; i < encoded.length; i++) offsets[i + 1] = offsets[i]! + encoded[i]!.length;
  const bytes = new Uint8Array(offsets[values.length]!);
  encoded.forEach((b, i) => bytes.set(b, offsets[i]!));
  return { type: 'utf8', offsets, bytes };
}

/** Rows as one batch in featureLakeSchema order. */
export function lakeRowsToBatch(rows: readonly FeatureRow[], aggression: boolean, provenance: RowProvenance): ColumnBatch {
  const batch = rowsToBatch(rows, aggression);
  const sources = provenance.sourceOf === undefined ? constantUtf8(provenance.source, batch.rows) : utf8Of(rows.map(provenance.sourceOf));
  return { rows: batch.rows, columns: [...batch.columns, constantUtf8(provenance.quality, batch.rows), sources] };
}

/** Key-value metadata of every features file in the lake. */
export function provenanceMetadata(policy: FeaturePolicy, provenance: RowProvenance): Record<string, string> {
  return {
    'gammaflow.schema_version': String(FEATURES_LAKE_SCHEMA_VERSION),
    'gammaflow.policy_id': policy.id,
    'gammaflow.policy': policy.json,
    'gammaflow.quality': provenance.quality,
    'gammaflow.row_source': provenance.source,
  };
}

/** The manifest `filter` of a features partition: schema version, policy and provenance as one JSON object. */
export function partitionFilter(policy: FeaturePolicy, provenance: RowProvenance): string {
  return JSON.stringify({
    schema_version: FEATURES_LAKE_SCHEMA_VERSION, policy_id: policy.id, policy: policy.settings,
    quality: provenance.quality, source: provenance.source,
  });
}

/** What a manifest `filter` says about a features partition (undefined parts: an older layout). */
export function readPartitionFilter(filter: string | undefined): { policy?: FeaturePolicy; quality?: RowQuality; source?: RowSource } {
  if (filter === undefined) return {};
  let value: { quality?: unknown; source?: unknown };
  try { value = JSON.parse(filter) as typeof value; } catch { return {}; }
  if (value === null || typeof value !== 'object') return {};
  const policy = parsePolicy(filter);
  const quality = value.quality === 'prelim' || value.quality === 'final' ? value.quality : undefined;
  const source = value.source === 'realtime' || value.source === 'flatfile' || value.source === 'rest' ? value.source : undefined;
  return { ...(policy ? { policy } : {}), ...(quality ? { quality } : {}), ...(source ? { source } : {}) };
}
