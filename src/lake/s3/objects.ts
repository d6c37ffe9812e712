/**
 * The S3 calls an S3 lake makes, over the AWS SDK v3 client: small objects
 * read and written whole (commit records, locks), listings, deletes, and
 * files streamed up (multipart, one part buffer in memory) and down (to a
 * temporary name, then renamed).
 *
 * Every failure is a LakeError naming the `s3://bucket/key` and the call.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { createRequire } from 'node:module';
import type * as S3Sdk from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { LakeError } from '../../util/errors.js';
import type { S3LakeClientSettings } from './location.js';

/** One listed object. */
export interface ListedObject {
  readonly key: string;
  readonly size: number;
  readonly etag: string;
  readonly lastModifiedMs: number;
}

/** Bytes per multipart upload part: the only buffer an upload holds (S3's minimum part is 5 MiB). */
export const UPLOAD_PART_BYTES = 8 * 1024 * 1024;

/** A conditional write: create only (`If-None-Match: *`) or replace only the given version (`If-Match`). */
export type WriteCondition = { readonly ifNoneMatch: '*' } | { readonly ifMatch: string } | undefined;

/**
 * The AWS SDK (~0.13 s of CPU to load) is loaded when the first client is made, not by every command
 * that imports this module on its way to a local lake.
 */
let sdk: typeof S3Sdk | undefined;
const loadSdk = (): typeof S3Sdk => (sdk ??= createRequire(import.meta.url)('@aws-sdk/client-s3') as typeof S3Sdk);

export class S3Objects {
  readonly client: S3Client;
  private readonly sdk: typeof S3Sdk;

  constructor(readonly bucket: string, settings: S3LakeClientSettings) {
    this.sdk = loadSdk();
    this.client = new this.sdk.S3Client({
      region: settings.region,
      forcePathStyle: settings.forcePathStyle,
      ...(settings.endpoint !== undefined ? { endpoint: settings.endpoint } : {}),
      ...(settings.credentials !== undefined ? { credentials: settings.credentials } : {}),
      // Checksums only where the API requires them: many S3-compatible stores reject the newer headers.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  url(key: string): string {
    return `s3://${this.bucket}/${key}`;
  }

  private fail(what: string, key: string, e: unknown): LakeError {
    const name = (e as { name?: string }).name ?? 'Error';
    const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    return new LakeError(`S3 lake: ${what} ${this.url(key)} failed: ${name}${status !== undefined ? ` (HTTP ${status})` : ''}: ${(e as Error).message}`,
      { path: this.url(key) }, { cause: e });
  }

  /** A small object as text with its ETag; undefined when there is no such key. */
  async getText(key: string): Promise<{ text: string; etag: string } | undefined> {
    try {
      const r = await this.client.send(new this.sdk.GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const text = await r.Body!.transformToString('utf8');
      return { text, etag: r.ETag ?? '' };
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw this.fail('reading', key, e);
    }
  }

  /**
   * Writes a small object whole. With a condition, a store that honours
   * conditional writes refuses the write when the condition fails: that is
   * returned as `{ ok: false }`.
   */
  async putText(key: string, text: string, condition?: WriteCondition): Promise<{ ok: true; etag: string } | { ok: false }> {
    try {
      const r = await this.client.send(new this.sdk.PutObjectCommand({
        Bucket: this.bucket, Key: key, Body: text, ContentType: 'application/json',
        ...(condition !== undefined && 'ifNoneMatch' in condition ? { IfNoneMatch: condition.ifNoneMatch } : {}),
        ...(condition !== undefined && 'ifMatch' in condition ? { IfMatch: condition.ifMatch } : {}),
      }));
      return { ok: true, etag: r.ETag ?? '' };
    } catch (e) {
      const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (condition !== undefined && (status === 412 || status === 409)) return { ok: false };
      throw this.fail('writing', key, e);
    }
  }

  /** Every object under `prefix` (paginated). */
  async list(prefix: string): Promise<ListedObject[]> {
    const out: ListedObject[] = [];
    let token: string | undefined;
    do {
      let r;
      try {
        r = await this.client.send(new this.sdk.ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }));
      } catch (e) {
        throw this.fail('listing', prefix, e);
      }
      for (const o of r.Contents ?? []) {
        if (o.Key === undefined) continue;
        out.push({ key: o.Key, size: o.Size ?? 0, etag: o.ETag ?? '', lastModifiedMs: o.LastModified?.getTime() ?? 0 });
      }
      token = r.IsTruncated === true ? r.NextContinuationToken : undefined;
    } while (token !== undefined);
    return out;
  }

  /** The "folders" directly under `prefix` (which ends in '/'), as their names without the trailing '/'. */
  async listFolders(prefix: string): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    do {
      let r;
      try {
        r = await this.client.send(new this.sdk.ListObjectsV2Command({
          Bucket: this.bucket, Prefix: prefix, Delimiter: '/', ...(token ? { ContinuationToken: token } : {}),
        }));
      } catch (e) {
        throw this.fail('listing', prefix, e);
      }
      for (const p of r.CommonPrefixes ?? []) if (p.Prefix !== undefined) out.push(p.Prefix.slice(prefix.length).replace(/\/$/, ''));
      token = r.IsTruncated === true ? r.NextContinuationToken : undefined;
    } while (token !== undefined);
    if (out.length > 0) return out;
    // Some S3-compatible servers (s3rver 3.7) report common prefixes only one level above an object:
    // an empty answer is checked against a full listing (on a store that answers right it is empty too).
    const folders = new Set<string>();
    for (const o of await this.list(prefix)) {
      const rest = o.key.slice(prefix.length);
      const slash = rest.indexOf('/');
      if (slash > 0) folders.add(rest.slice(0, slash));
    }
    return [...folders].sort();
  }

  /** Deletes keys (1000 per request); a key already gone is not an error. */
  async deleteKeys(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      let r;
      try {
        r = await this.client.send(new this.sdk.DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }));
      } catch (e) {
        throw this.fail('deleting', batch[0]!, e);
      }
      const failed = r.Errors?.[0];
      if (failed !== undefined) throw new LakeError(`S3 lake: deleting ${this.url(failed.Key ?? '')} failed: ${failed.Code}: ${failed.Message}`, { path: this.url(failed.Key ?? '') });
    }
  }

  /**
   * Uploads a local file to `key`, reading it one {@link UPLOAD_PART_BYTES}
   * part at a time (a single PUT when it fits in one). Returns the ETag.
   */
  async uploadFile(path: string, key: string, size: number): Promise<string> {
    const fh = await open(path, 'r');
    try {
      if (size <= UPLOAD_PART_BYTES) {
        const body = Buffer.alloc(size);
        await readFully(fh, body, 0);
        try {
          const r = await this.client.send(new this.sdk.PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentLength: size }));
          return r.ETag ?? '';
        } catch (e) {
          throw this.fail('uploading', key, e);
        }
      }
      let uploadId: string | undefined;
      try {
        uploadId = (await this.client.send(new this.sdk.CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key }))).UploadId;
        if (uploadId === undefined) throw new Error('no UploadId in the reply');
        const parts: { ETag: string; PartNumber: number }[] = [];
        const buffer = Buffer.alloc(UPLOAD_PART_BYTES);
        for (let offset = 0, partNumber = 1; offset < size; offset += UPLOAD_PART_BYTES, partNumber++) {
          const n = Math.min(UPLOAD_PART_BYTES, size - offset);
          await readFully(fh, buffer.subarray(0, n), offset);
          const r = await this.client.send(new this.sdk.UploadPartCommand({
            Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: buffer.subarray(0, n), ContentLength: n,
          }));
          parts.push({ ETag: r.ETag ?? '', PartNumber: partNumber });
        }
        const done = await this.client.send(new this.sdk.CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
        return done.ETag ?? '';
      } catch (e) {
        if (uploadId !== undefined) {
          await this.client.send(new this.sdk.AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId })).catch(() => {});
        }
        throw e instanceof LakeError ? e : this.fail('uploading', key, e);
      }
    } finally {
      await fh.close();
    }
  }

  /** Downloads `key` to `path` (through `path.part`, renamed when complete); returns its sha256. */
  async downloadFile(key: string, path: string): Promise<{ bytes: number; sha256: string }> {
    const temp = `${path}.part`;
    try {
      const r = await this.client.send(new this.sdk.GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const hash = createHash('sha256');
      let bytes = 0;
      const body = r.Body as Readable;
      body.on('data', (chunk: Buffer) => { hash.update(chunk); bytes += chunk.length; });
      await pipeline(body, createWriteStream(temp));
      await rename(temp, path);
      return { bytes, sha256: hash.digest('hex') };
    } catch (e) {
      await rm(temp, { force: true });
      throw this.fail('downloading', key, e);
    }
  }

  /** The sha256 of an object, streamed. */
  async sha256(key: string): Promise<string> {
    try {
      const r = await this.client.send(new this.sdk.GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const hash = createHash('sha256');
      for await (const chunk of r.Body as Readable) hash.update(chunk as Buffer);
      return hash.digest('hex');
    } catch (e) {
      throw this.fail('reading', key, e);
    }
  }

  destroy(): void {
    this.client.destroy();
  }
}

async function readFully(fh: import('node:fs/promises').FileHandle, into: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < into.length) {
    const { bytesRead } = await fh.read(into, done, into.length - done, position + done);
    if (bytesRead === 0) throw new LakeError(`the file being uploaded ended early (at byte ${position + done})`, {});
    done += bytesRead;
  }
}

function isNotFound(e: unknown): boolean {
  const name = (e as { name?: string }).name;
  const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return name === 'NoSuchKey' || name === 'NotFound' || status === 404;
}
