/**
 * Which local lake directories stand for an S3 lake. A command given
 * `--lake s3://bucket/prefix` runs on the lake's local partition cache
 * directory, as on a local lake; the lake modules (manifest, publish,
 * DayWriter, LakeReader) look that directory up here and, when it is an S3
 * lake's cache, read commit records from and publish to the bucket instead.
 * A directory not registered is a local lake.
 */
import { resolve } from 'node:path';
import type { ManifestEntry, ManifestFile, PartitionCheck } from '../manifest.js';
import type { RecoveryReport } from '../publish.js';
import type { LakeCheckReport } from '../check.js';

/** A partition being written on the remote store: its lock is held until `release`. */
export interface RemotePartitionWrite {
  /** Uploads a closed part (its final name) from the staging directory; resolves with its ETag. */
  uploadPart(localPath: string, name: string, bytes: number): Promise<string>;
  /**
   * The commit: uploads the rejects, writes the commit record (one PUT), deletes
   * what the record no longer names, and installs the staged directory as the
   * cached partition. Returns the record as published.
   */
  publish(stagedDir: string, entry: Omit<ManifestEntry, 'generation'>, rejectsLocalPath: string | undefined): Promise<ManifestEntry>;
  /** Deletes what this write uploaded and releases the lock (the published partition is untouched). */
  abort(uploaded: readonly string[]): Promise<void>;
  release(): Promise<void>;
}

/** What the lake modules ask of a remote lake. */
export interface RemoteLake {
  /** `s3://bucket/prefix`. */
  readonly url: string;
  /** The local cache directory the commands run on. */
  readonly cacheDir: string;
  readManifest(dataset: string): Promise<Map<string, ManifestEntry>>;
  checkPartition(entry: ManifestEntry, options: { verify?: boolean }): Promise<PartitionCheck>;
  /**
   * Makes the cache hold the published partition (commit record, parts,
   * rejects) of the current generation, downloading it when the cached copy is
   * missing or differs; undefined when the lake has no such partition.
   */
  cachePartition(dataset: string, date: string): Promise<ManifestEntry | undefined>;
  /** Whether the lake has a published partition (a commit record) of `dataset` for `date`. */
  hasPartition(dataset: string, date: string): Promise<boolean>;
  /** Names of the folders directly under a lake-relative folder (`features/symbol=SPY`), sorted. */
  listFolders(relativeDir: string): Promise<string[]>;
  beginWrite(dataset: string, date: string, runId: string): Promise<RemotePartitionWrite>;
  recover(): Promise<RecoveryReport>;
  /** `lake check` of the whole bucket prefix; `repair` recovers and deletes unnamed keys older than `graceMs`. */
  checkLake(options: { verify?: boolean; repair?: boolean; graceMs: number }): Promise<LakeCheckReport>;
}

export type { ManifestFile };

const lakes = new Map<string, RemoteLake>();

export function registerRemoteLake(lake: RemoteLake): void {
  lakes.set(resolve(lake.cacheDir), lake);
}

/** The remote lake whose cache directory is `lake`; undefined for a local lake. */
export function remoteLakeAt(lake: string): RemoteLake | undefined {
  if (lakes.size === 0) return undefined;
  return lakes.get(resolve(lake));
}
