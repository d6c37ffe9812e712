/**
 * The inflaters as streams: zlib and ISA-L's igzip give the same bytes (multi-member
 * gzip included), fail the same way on truncated and corrupt input, and igzip never
 * outlives its stream. Tests that need igzip skip with a message when it is absent
 * (`apt-get install isal`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { Readable, type Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import { chooseInflater, findOnPath, InflateFailure, isalInflater, zlibInflater, type Inflater } from './inflate.js';
import { ConfigError } from '../util/errors.js';
import { childProcessesNamed } from '../../test/support/processes.js';

const IGZIP = findOnPath('igzip');
const needsIgzip = IGZIP === undefined ? 'igzip (Intel ISA-L) is not on PATH: apt-get install isal' : false;

/** Pseudo-random CSV-like text: compressible like a flat file, large enough for many pipe chunks. */
function csvText(rows: number, seed = 7): string {
  let x = seed;
  const lines = ['ticker,price,size'];
  for (let i = 0; i < rows; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    lines.push(`T${x % 997},${(x % 100000) / 100},${x % 5000}`);
  }
  return lines.join('\n') + '\n';
}

/** Feeds `input` in `chunkBytes` pieces through a fresh stream of `inflater`; returns the output or the error. */
async function inflate(inflater: Inflater, input: Buffer, chunkBytes = 65_536): Promise<{ output?: Buffer; error?: unknown }> {
  const pieces: Buffer[] = [];
  for (let i = 0; i < input.length; i += chunkBytes) pieces.push(input.subarray(i, i + chunkBytes));
  const out: Buffer[] = [];
  try {
    await pipeline(Readable.from(pieces), inflater.open(), async (chunks: AsyncIterable<Buffer>) => {
      for await (const c of chunks) out.push(Buffer.from(c)); // a copy: the next chunk may reuse the memory
    });
    return { output: Buffer.concat(out) };
  } catch (error) {
    return { error };
  }
}

test('findOnPath finds executables only, in PATH order', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gf-path-'));
  try {
    writeFileSync(join(dir, 'igzip'), '#!/bin/sh\n');
    assert.equal(findOnPath('igzip', dir), undefined, 'not executable');
    chmodSync(join(dir, 'igzip'), 0o755);
    assert.equal(findOnPath('igzip', `relative/dir:${dir}`), join(dir, 'igzip'));
    assert.equal(findOnPath('igzip', ''), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('inflate = "zlib" is zlib; "auto" without igzip is zlib; "isal" without igzip is a config error saying how to install it', () => {
  assert.equal(chooseInflater('zlib').kind, 'zlib');
  assert.equal(chooseInflater('auto', '').kind, 'zlib');
  assert.throws(() => chooseInflater('isal', ''), (e: unknown) => e instanceof ConfigError
    && /ingest\.inflate = "isal" but igzip .* not on PATH.*apt-get install isal/.test(e.message) && e.context['key'] === 'ingest.inflate');
});

test('inflate = "auto" and "isal" use igzip when it is on PATH, and say so with its path', { skip: needsIgzip }, () => {
  for (const setting of ['auto', 'isal'] as const) {
    const inflater = chooseInflater(setting);
    assert.equal(inflater.kind, 'isal');
    assert.equal(inflater.description, `isal (${IGZIP})`);
  }
});

test('igzip and zlib inflate single- and multi-member gzip to the same bytes, whatever the input chunking', { skip: needsIgzip }, async () => {
  const text = csvText(200_000);
  const single = gzipSync(text, { level: 6 });
  const third = Math.floor(text.length / 3);
  const multi = Buffer.concat([gzipSync(text.slice(0, third)), gzipSync(text.slice(third, 2 * third), { level: 1 }), gzipSync(text.slice(2 * third))]);
  const isal = isalInflater(IGZIP!);
  for (const [name, input] of [['single', single], ['multi-member', multi]] as const) {
    for (const chunkBytes of [4093, 1 << 20]) {
      const z = await inflate(zlibInflater, input, chunkBytes);
      const i = await inflate(isal, input, chunkBytes);
      assert.equal(z.error, undefined, `${name}: zlib`);
      assert.equal(i.error, undefined, `${name}: igzip`);
      assert.equal(i.output!.length, text.length, `${name}, ${chunkBytes}-byte writes`);
      assert.ok(i.output!.equals(z.output!), `${name}, ${chunkBytes}-byte writes: same bytes`);
    }
  }
  // Byte-at-a-time writes across a member boundary.
  const small = gzipSync('a,b\n1,2\n');
  assert.equal((await inflate(isal, Buffer.concat([small, small]), 1)).output!.toString(), 'a,b\n1,2\na,b\n1,2\n');
  assert.deepEqual(await childProcessesNamed('igzip'), [], 'every igzip has exited');
});

test('truncated and corrupt gzip fail both inflaters; igzip\'s failure says what igzip said and leaves no process', { skip: needsIgzip }, async () => {
  const gz = gzipSync(csvText(100_000));
  const truncated = gz.subarray(0, Math.floor(gz.length / 2));
  const corrupt = Buffer.from(gz);
  corrupt.fill(0xff, 2000, 2016);
  const badCrc = Buffer.from(gz);
  badCrc.writeUInt32LE((badCrc.readUInt32LE(badCrc.length - 8) ^ 1) >>> 0, badCrc.length - 8);
  const isal = isalInflater(IGZIP!);

  const t = await inflate(isal, truncated);
  assert.ok(t.error instanceof InflateFailure, String(t.error));
  assert.equal(t.error.truncated, true);
  assert.match(t.error.message, /does not contain a complete gzip file \(igzip exit status 1\)/);
  for (const [name, input] of [['corrupt', corrupt], ['bad CRC', badCrc], ['not gzip', Buffer.from('ticker,price\nA,1\n')]] as const) {
    const r = await inflate(isal, input);
    assert.ok(r.error instanceof InflateFailure, `${name}: ${String(r.error)}`);
    assert.equal(r.error.corrupt, true, name);
    assert.equal(r.error.truncated, false, name);
    assert.match(r.error.message, /igzip exit status 1/, name);
    assert.ok((await inflate(zlibInflater, input)).error !== undefined, `${name}: zlib fails too`);
  }
  assert.ok((await inflate(zlibInflater, truncated)).error !== undefined);
  assert.deepEqual(await childProcessesNamed('igzip'), []);
});

test('destroying an igzip stream mid-file (abort, a failing consumer) kills igzip before the destroy completes', { skip: needsIgzip }, async () => {
  const gz = gzipSync(csvText(400_000));
  const isal = isalInflater(IGZIP!);
  // A consumer that fails after its first chunk, with igzip blocked on a full pipe.
  const failing = await (async () => {
    try {
      await pipeline(Readable.from([gz]), isal.open(), async (chunks: AsyncIterable<Buffer>) => {
        for await (const _ of chunks) throw new Error('consumer failed');
      });
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  assert.equal((failing as Error).message, 'consumer failed');
  assert.deepEqual(await childProcessesNamed('igzip'), [], 'no igzip after a consumer error');

  // An abort while igzip still waits for input.
  const controller = new AbortController();
  const stream: Duplex = isal.open();
  stream.write(gz.subarray(0, 1000));
  const started = await childProcessesNamed('igzip');
  assert.equal(started.length, 1, 'igzip runs while the stream is open');
  const aborted = pipeline(Readable.from((async function* () { yield gz.subarray(1000, 2000); await new Promise(() => {}); })()), stream,
    async (chunks: AsyncIterable<Buffer>) => { for await (const _ of chunks) { /* drain */ } }, { signal: controller.signal });
  controller.abort();
  await assert.rejects(aborted, { name: 'AbortError' });
  if (!stream.closed) await once(stream, 'close');
  assert.deepEqual(await childProcessesNamed('igzip'), [], 'no igzip after an abort');
});
