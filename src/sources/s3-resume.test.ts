/** openResumable with scripted in-memory responses: the edge cases a real server rarely produces on demand. */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { SourceError } from '../util/errors.js';
import { classifyS3Error } from './s3-errors.js';
import { openResumable, sameEtag, type FetchRange, type RangeResponse, type ResumableDownload } from './s3-resume.js';

const OBJECT = Buffer.from('ticker,price\nAAPL,189.5\nMSFT,410.25\nNVDA,131.0\n');
const ETAG = '"0123abcd"';

/** A body delivering `bytes` in chunks of `chunkBytes`, then ending cleanly. */
function body(bytes: Buffer, chunkBytes = 8): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkBytes) chunks.push(bytes.subarray(i, i + chunkBytes));
  return Readable.from(chunks, { objectMode: false });
}

function download(fetchRange: FetchRange, overrides: Partial<ResumableDownload> = {}): ResumableDownload {
  return {
    key: 'test.csv.gz',
    label: 's3://flatfiles/test.csv.gz',
    sizeBytes: OBJECT.length,
    etag: ETAG,
    fetchRange,
    classify: (error) => classifyS3Error(error, { key: 'test.csv.gz' }),
    policy: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
    idleTimeoutMs: 5_000,
    random: () => 0,
    ...overrides,
  };
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('openResumable', () => {
  it('resumes after a body that ends cleanly but early, from the byte where it stopped', async () => {
    const offsets: number[] = [];
    const fetchRange: FetchRange = async (offset) => {
      offsets.push(offset);
      const rest = OBJECT.subarray(offset);
      // The first response silently stops after 20 bytes (chunked encoding, no Content-Length).
      return offset === 0 ? { body: body(rest.subarray(0, 20)), etag: ETAG } : { body: body(rest), etag: ETAG, contentLength: rest.length };
    };
    const retries: Array<[number, number]> = [];
    const bytes = await collect(openResumable(download(fetchRange, { onRetry: (n, _e, offset) => retries.push([n, offset]) })));
    assert.deepEqual(bytes, OBJECT);
    assert.deepEqual(offsets, [0, 20]);
    assert.deepEqual(retries, [[1, 20]]);
  });

  it("fails with 'changed' when a response announces the wrong length", async () => {
    const fetchRange: FetchRange = async () => ({ body: body(OBJECT), etag: ETAG, contentLength: OBJECT.length + 1 });
    await assert.rejects(collect(openResumable(download(fetchRange))), (e: unknown) => e instanceof SourceError && e.code === 'changed');
  });

  it("fails with 'changed' when the server sends more bytes than the object has", async () => {
    const fetchRange: FetchRange = async () => ({ body: body(Buffer.concat([OBJECT, Buffer.from('extra')])), etag: ETAG });
    await assert.rejects(collect(openResumable(download(fetchRange))), (e: unknown) => e instanceof SourceError && e.code === 'changed');
  });

  it('does not retry a failure that is not transient', async () => {
    let calls = 0;
    const fetchRange: FetchRange = async () => {
      calls += 1;
      throw Object.assign(new Error('Bad Request'), { name: 'InvalidArgument', $metadata: { httpStatusCode: 400 } });
    };
    await assert.rejects(collect(openResumable(download(fetchRange))), (e: unknown) => e instanceof SourceError && e.code === 'source');
    assert.equal(calls, 1);
  });

  it('destroys the response body and fetches nothing more when the consumer destroys the stream', async () => {
    const bodies: Readable[] = [];
    const fetchRange: FetchRange = async (offset): Promise<RangeResponse> => {
      const response = body(OBJECT.subarray(offset), 4);
      bodies.push(response);
      return { body: response, etag: ETAG };
    };
    const stream = openResumable(download(fetchRange, { highWaterMarkBytes: 4 }));
    const first: Buffer = await new Promise((resolve) => stream.once('data', resolve));
    assert.ok(first.length > 0);
    stream.destroy();
    await new Promise((resolve) => stream.once('close', resolve));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(bodies.length, 1);
    assert.ok(bodies[0]?.destroyed);
  });

  it('fetches nothing when the signal has already aborted', async () => {
    let calls = 0;
    const fetchRange: FetchRange = async () => { calls += 1; return { body: body(OBJECT), etag: ETAG }; };
    await assert.rejects(collect(openResumable(download(fetchRange, { signal: AbortSignal.abort() }))), { name: 'AbortError' });
    assert.equal(calls, 0);
  });

  it('ends at once for an empty object', async () => {
    const fetchRange: FetchRange = async () => ({ body: body(Buffer.alloc(0)), etag: ETAG, contentLength: 0 });
    assert.equal((await collect(openResumable(download(fetchRange, { sizeBytes: 0 })))).length, 0);
  });
});

describe('sameEtag', () => {
  it('ignores quotes and the weak prefix', () => {
    assert.ok(sameEtag('"abc"', 'abc'));
    assert.ok(sameEtag('W/"abc"', '"abc"'));
    assert.ok(!sameEtag('"abc"', '"abd"'));
  });
});
