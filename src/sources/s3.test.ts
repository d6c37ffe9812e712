/**
 * S3Source against a real S3-protocol server (s3rver) on 127.0.0.1, through
 * a fault-injecting proxy: real SDK, real sockets, real byte counts.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { after, afterEach, before, describe, it } from 'node:test';
import { startFaultProxy, matching, type FaultProxy } from '../../test/support/fault-proxy.js';
import { startLocalS3Server, type LocalS3Server } from '../../test/support/s3-server.js';
import { SourceError } from '../util/errors.js';
import { S3Source, type S3SourceOptions } from './s3.js';
import type { ObjectInfo } from './source.js';

const MiB = 1 << 20;
const BIG_KEY = 'us_stocks_sip/trades_v1/2025/01/2025-01-02.csv.gz';
const SMALL_KEYS = ['us_stocks_sip/trades_v1/2025/01/2025-01-03.csv.gz', 'us_stocks_sip/trades_v1/2025/01/2025-01-06.csv.gz'];
const bigBytes = seededBytes(8 * MiB, 20250102);
const bigSha256 = sha256(bigBytes);

/** Deterministic incompressible bytes (xorshift32), so failures reproduce. */
function seededBytes(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let state = seed >>> 0 || 1;
  for (let i = 0; i + 4 <= length; i += 4) {
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    out.writeUInt32LE(state, i);
  }
  return out;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function sha256OfStream(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Resolves with the error the stream fails with; rejects if it ends cleanly. */
async function streamError(stream: Readable): Promise<unknown> {
  try {
    for await (const _chunk of stream) { /* drain */ }
  } catch (error) {
    return error;
  }
  throw new Error('stream ended without error');
}

function assertSourceError(error: unknown, code: string): SourceError {
  assert.ok(error instanceof SourceError, `expected a SourceError, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
  return error;
}

describe('S3Source against a local S3 server behind a fault proxy', () => {
  let s3: LocalS3Server;
  let proxy: FaultProxy;
  let bigEtag: string;
  const sources: S3Source[] = [];

  /** A source talking to the proxy, with fast backoff (5 ms doubling, pinned jitter). */
  function makeSource(overrides: Partial<S3SourceOptions> = {}): S3Source {
    const source = new S3Source({
      endpoint: proxy.endpoint,
      ...s3.credentials,
      maxAttempts: 4,
      retryBaseMs: 5,
      retryMaxMs: 40,
      idleTimeoutMs: 5_000,
      random: () => 0.5,
      ...overrides,
    });
    sources.push(source);
    return source;
  }

  const gets = (key = BIG_KEY) => proxy.requests.filter((r) => r.method === 'GET' && r.key === key);

  before(async () => {
    s3 = await startLocalS3Server();
    proxy = await startFaultProxy(s3.endpoint);
    bigEtag = (await s3.putObject(BIG_KEY, bigBytes)).etag;
    for (const key of SMALL_KEYS) await s3.putObject(key, `ticker,price\nAAPL,${key.length}\n`);
    await s3.putObject('us_options_opra/trades_v1/2025/01/2025-01-02.csv.gz', 'elsewhere');
  });
  afterEach(() => proxy.reset());
  after(async () => {
    for (const source of sources) source.close();
    await proxy.close();
    await s3.stop();
  });

  it('describes itself without credentials', () => {
    const source = makeSource({ accessKeyId: 'AKIDEXAMPLE1', secretAccessKey: 'do-not-print-me' });
    assert.equal(source.description, `s3://flatfiles at ${proxy.endpoint}`);
    assert.ok(!source.description.includes('do-not-print-me'));
    assert.equal(new S3Source({ accessKeyId: 'a', secretAccessKey: 'b' }).description, 's3://flatfiles at https://files.massive.com');
  });

  it('lists the objects under a prefix with sizes and ETags', async () => {
    const listed: ObjectInfo[] = [];
    for await (const info of makeSource().list('us_stocks_sip/trades_v1/2025/01/')) listed.push(info);
    assert.deepEqual(listed.map((o) => o.key), [BIG_KEY, ...SMALL_KEYS]);
    assert.equal(listed[0]?.size, bigBytes.length);
    assert.equal(listed[0]?.etag, bigEtag);
  });

  it('stats an object: size, ETag and modification time', async () => {
    const info = await makeSource().stat(BIG_KEY);
    assert.equal(info.key, BIG_KEY);
    assert.equal(info.size, bigBytes.length);
    assert.equal(info.etag, bigEtag);
    assert.ok(info.lastModified instanceof Date);
  });

  it('streams a whole object byte for byte, pinned to its ETag', async () => {
    const source = makeSource();
    const retries: number[] = [];
    const stream = source.open(await source.stat(BIG_KEY), { onRetry: (_n, _e, offset) => retries.push(offset) });
    assert.equal(await sha256OfStream(stream), bigSha256);
    assert.deepEqual(retries, []);
    assert.equal(gets().length, 1);
    assert.equal(gets()[0]?.headers['if-match'], bigEtag);
    assert.equal(gets()[0]?.headers['range'], undefined);
  });

  it('does not buffer ahead of a consumer that stops reading', async () => {
    const source = makeSource();
    const stream = source.open(await source.stat(BIG_KEY));
    stream.pause();
    const first: Buffer = await new Promise((resolve) => stream.once('readable', () => resolve(stream.read() as Buffer)));
    assert.ok(first.length > 0);
    await new Promise((resolve) => setTimeout(resolve, 200));
    // The network delivered far more than this meanwhile; the stream holds at most its 1 MiB window (+ one chunk).
    assert.ok(stream.readableLength <= MiB + 64 * 1024, `buffered ${stream.readableLength} bytes`);
    stream.destroy();
  });

  it('maps a missing key to not_found naming the key', async () => {
    const source = makeSource();
    const statError = await source.stat('us_stocks_sip/trades_v1/2099/01/2099-01-02.csv.gz').catch((e: unknown) => e);
    assert.match(assertSourceError(statError, 'not_found').message, /2099-01-02\.csv\.gz/);
    const openError = await streamError(source.open({ key: 'no/such/key.csv.gz', size: 10, etag: '"x"' }));
    assert.match(assertSourceError(openError, 'not_found').message, /no\/such\/key\.csv\.gz/);
  });

  it('maps a bare 403 (HEAD and GET) to access_denied with the subscription hint', async () => {
    proxy.inject({ kind: 'status', status: 403 }, { match: matching({ key: BIG_KEY }) });
    const source = makeSource();
    const statError = assertSourceError(await source.stat(BIG_KEY).catch((e: unknown) => e), 'access_denied');
    assert.match(statError.message, new RegExp(BIG_KEY.replace(/\./g, '\\.')));
    assert.match(statError.message, /subscription may not include this dataset/);
    const openError = await streamError(source.open({ key: BIG_KEY, size: bigBytes.length, etag: bigEtag }));
    assertSourceError(openError, 'access_denied');
    assert.equal(proxy.requests.length, 2, 'a 403 is not retried');
  });

  it('resumes a connection cut mid-object with a Range request, byte-identical', async () => {
    const cutAt = 3 * MiB + 12345;
    proxy.inject({ kind: 'cut', afterBodyBytes: cutAt }, { match: matching({ method: 'GET', key: BIG_KEY }), times: 1 });
    const source = makeSource();
    const retries: Array<[number, number, string]> = [];
    const stream = source.open(await source.stat(BIG_KEY), {
      onRetry: (attempt, error, offset) => retries.push([attempt, offset, (error as SourceError).code]),
    });
    assert.equal(await sha256OfStream(stream), bigSha256);
    assert.deepEqual(retries, [[1, cutAt, 'network']]);
    assert.deepEqual(gets().map((r) => r.headers['range']), [undefined, `bytes=${cutAt}-`]);
    assert.deepEqual(gets().map((r) => r.headers['if-match']), [bigEtag, bigEtag]);
  });

  it('resumes repeatedly when the connection is cut several times', async () => {
    proxy.inject({ kind: 'cut', afterBodyBytes: MiB }, { match: matching({ method: 'GET', key: BIG_KEY }), times: 5 });
    const source = makeSource({ maxAttempts: 2 }); // each cut follows progress, so the streak never exceeds 1
    const offsets: number[] = [];
    const stream = source.open(await source.stat(BIG_KEY), { onRetry: (_n, _e, offset) => offsets.push(offset) });
    assert.equal(await sha256OfStream(stream), bigSha256);
    assert.deepEqual(offsets, [1, 2, 3, 4, 5].map((n) => n * MiB));
    assert.deepEqual(gets().map((r) => r.headers['range']), [undefined, ...offsets.map((o) => `bytes=${o}-`)]);
  });

  it('drops and resumes a response that stalls', async () => {
    proxy.inject({ kind: 'stall', afterBodyBytes: 2 * MiB }, { match: matching({ method: 'GET', key: BIG_KEY }), times: 1 });
    const source = makeSource({ idleTimeoutMs: 300 });
    const offsets: number[] = [];
    const stream = source.open(await source.stat(BIG_KEY), { onRetry: (_n, _e, offset) => offsets.push(offset) });
    assert.equal(await sha256OfStream(stream), bigSha256);
    assert.deepEqual(offsets, [2 * MiB]);
  });

  it('retries a request whose response headers do not come in time', async () => {
    proxy.inject({ kind: 'delay', ms: 1_000 }, { match: matching({ method: 'HEAD' }), times: 1 });
    const info = await makeSource({ idleTimeoutMs: 250 }).stat(BIG_KEY);
    assert.equal(info.etag, bigEtag);
    assert.deepEqual(proxy.requests.map((r) => [r.method, r.fault]), [['HEAD', 'delay'], ['HEAD', undefined]]);
  });

  it('retries throttling (503 SlowDown) and 500s, then succeeds', async () => {
    proxy.inject({ kind: 'status', status: 503, s3Code: 'SlowDown', message: 'Please reduce your request rate.' }, { times: 2 });
    const source = makeSource();
    const info = await source.stat(BIG_KEY);
    assert.equal(info.etag, bigEtag);
    assert.deepEqual(proxy.requests.map((r) => [r.method, r.fault]), [['HEAD', 'status'], ['HEAD', 'status'], ['HEAD', undefined]]);

    proxy.inject({ kind: 'status', status: 500, s3Code: 'InternalError' }, { times: 1 });
    proxy.inject({ kind: 'status', status: 503, s3Code: 'SlowDown' }, { times: 1 });
    const retried: string[] = [];
    const stream = source.open(info, { onRetry: (_n, error, offset) => retried.push(`${(error as Error).message} @${offset}`) });
    assert.equal(await sha256OfStream(stream), bigSha256);
    assert.equal(retried.length, 2);
    assert.match(retried[0] ?? '', /500 InternalError.* @0$/);
    assert.match(retried[1] ?? '', /503 SlowDown.* @0$/);
  });

  it('gives up with a clear network error after maxAttempts failures in a row', async () => {
    proxy.inject({ kind: 'cut', afterBodyBytes: 0 }, { match: matching({ method: 'GET' }) });
    const source = makeSource({ maxAttempts: 3 });
    const info = await source.stat(BIG_KEY);
    const retries: number[] = [];
    const error = assertSourceError(await streamError(source.open(info, { onRetry: (n) => retries.push(n) })), 'network');
    assert.match(error.message, /gave up downloading s3:\/\/flatfiles\/us_stocks_sip\/.* after 3 attempts .*at byte 0 of 8388608/);
    assert.deepEqual(retries, [1, 2]);
    assert.equal(gets().length, 3);

    proxy.inject({ kind: 'status', status: 503, s3Code: 'SlowDown' }, { match: matching({ method: 'HEAD' }) });
    assertSourceError(await source.stat(BIG_KEY).catch((e: unknown) => e), 'network');
    assert.equal(proxy.requests.filter((r) => r.method === 'HEAD' && r.fault === 'status').length, 3);
  });

  it("fails with 'changed' when the object is replaced between attempts", async () => {
    const key = 'us_stocks_sip/trades_v1/2025/01/2025-01-07.csv.gz';
    const original = seededBytes(2 * MiB, 7);
    await s3.putObject(key, original);
    const source = makeSource();
    const info = await source.stat(key);
    proxy.inject({ kind: 'cut', afterBodyBytes: MiB / 2 }, { match: matching({ method: 'GET', key }), times: 1 });
    proxy.inject({ kind: 'before', run: async () => { await s3.putObject(key, seededBytes(2 * MiB, 8)); } },
      { match: matching({ method: 'GET', key }), times: 1 });
    const error = assertSourceError(await streamError(source.open(info)), 'changed');
    assert.match(error.message, /2025-01-07\.csv\.gz was replaced during the download/);
  });

  it("maps 412 PreconditionFailed (If-Match refused) to 'changed'", async () => {
    proxy.inject({ kind: 'status', status: 412, s3Code: 'PreconditionFailed' }, { match: matching({ method: 'GET' }) });
    const source = makeSource();
    const error = assertSourceError(await streamError(source.open(await source.stat(BIG_KEY))), 'changed');
    assert.equal(error.context['status'], 412);
    assert.equal(gets().length, 1, "'changed' is not retried");
  });

  it('stops downloading when the signal aborts', async () => {
    const source = makeSource();
    const info = await source.stat(BIG_KEY);
    const controller = new AbortController();
    const stream = source.open(info, { signal: controller.signal });
    let receivedBytes = 0;
    const error = await (async () => {
      try {
        for await (const chunk of stream) {
          receivedBytes += (chunk as Buffer).length;
          if (receivedBytes > MiB) controller.abort();
        }
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    assert.equal((error as Error | undefined)?.name, 'AbortError');
    assert.ok(receivedBytes < bigBytes.length);
    assert.ok(stream.destroyed);
    assert.equal(gets().length, 1);
  });

  it('aborts a pending backoff at once', { timeout: 10_000 }, async () => {
    proxy.inject({ kind: 'cut', afterBodyBytes: MiB }, { match: matching({ method: 'GET', key: BIG_KEY }) });
    const source = makeSource({ retryBaseMs: 60_000, retryMaxMs: 60_000 });
    const controller = new AbortController();
    const stream = source.open(await source.stat(BIG_KEY), { signal: controller.signal, onRetry: () => controller.abort() });
    assert.equal((await streamError(stream) as Error).name, 'AbortError');
    assert.equal(gets().length, 1);
  });

  it('never puts credentials into error messages', async () => {
    const secretAccessKey = 'wJalrXUtnFEMI-this-is-secret';
    const source = makeSource({ endpoint: s3.endpoint, accessKeyId: 'AKIAGAMMAFLOWTEST', secretAccessKey });
    const error = await source.stat(BIG_KEY).catch((e: unknown) => e);
    const failure = assertSourceError(error, 'access_denied');
    const printed = `${failure.message} ${JSON.stringify(failure.toJSON())}`;
    assert.ok(!printed.includes(secretAccessKey));
    assert.ok(!printed.includes('AKIAGAMMAFLOWTEST'));
  });
});
