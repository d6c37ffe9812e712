/**
 * A real S3-protocol server on 127.0.0.1 for tests: s3rver (koa + files in a
 * temporary folder) on a random free port, with the bucket `flatfiles`
 * created. Objects are uploaded through the AWS SDK (PutObject), i.e. over
 * the same protocol the product reads them with.
 *
 *   const s3 = await startLocalS3Server();
 *   await s3.putObject('us_stocks_sip/trades_v1/2025/01/2025-01-02.csv.gz', bytes);
 *   const source = new S3Source({ ...s3.credentials, endpoint: s3.endpoint });
 *   ...
 *   await s3.stop();
 *
 * Known s3rver gaps (v3.7.1): it ignores `If-Match` on GET (it does return
 * the ETag, so clients can check it themselves) and only implements the
 * checksum-less request styles, hence `WHEN_REQUIRED` checksums below.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

/** The part of s3rver's API we use (the package ships no types). */
interface S3rverInstance {
  run(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: {
  port: number;
  address: string;
  silent: boolean;
  directory: string;
  configureBuckets: { name: string }[];
}) => S3rverInstance;

const S3rver = createRequire(import.meta.url)('s3rver') as S3rverConstructor;

/** s3rver's built-in account; it verifies SigV4 signatures made with it. */
export const LOCAL_S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface StartLocalS3Options {
  /** Buckets to create; default `['flatfiles']`. */
  readonly buckets?: readonly string[];
}

export interface LocalS3Server {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  readonly port: number;
  /** The first configured bucket. */
  readonly bucket: string;
  readonly region: 'us-east-1';
  readonly credentials: typeof LOCAL_S3_CREDENTIALS;
  /** An SDK client signed for this server, for anything the helpers do not cover. */
  readonly client: S3Client;
  /** Uploads (or replaces) an object with PutObject and returns its ETag as the server reports it. */
  putObject(key: string, body: Uint8Array | string, bucket?: string): Promise<{ etag: string }>;
  deleteObject(key: string, bucket?: string): Promise<void>;
  /** Stops the server and removes its folder. */
  stop(): Promise<void>;
}

export async function startLocalS3Server(options: StartLocalS3Options = {}): Promise<LocalS3Server> {
  const buckets = options.buckets ?? ['flatfiles'];
  const bucket = buckets[0];
  if (bucket === undefined) throw new Error('startLocalS3Server needs at least one bucket');
  const directory = await mkdtemp(join(tmpdir(), 'gammaflow-s3-'));
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: LOCAL_S3_CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    endpoint,
    port,
    bucket,
    region: 'us-east-1',
    credentials: LOCAL_S3_CREDENTIALS,
    client,
    async putObject(key, body, inBucket = bucket) {
      const result = await client.send(new PutObjectCommand({ Bucket: inBucket, Key: key, Body: body }));
      if (result.ETag === undefined) throw new Error(`PutObject ${key} returned no ETag`);
      return { etag: result.ETag };
    },
    async deleteObject(key, inBucket = bucket) {
      await client.send(new DeleteObjectCommand({ Bucket: inBucket, Key: key }));
    },
    async stop() {
      client.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
