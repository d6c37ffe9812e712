/**
 * Peer "Node gunzip alone": the decompression floor of any Node ingest.
 * Reads the .csv.gz with 1 MiB reads through `createGunzip({ chunkSize: 1 MiB })`
 * and discards the bytes (the settings gammaflow's ingest uses).
 *
 *   node dist/bench/peers/gunzip.js FILE   → prints {"decompressedBytes": N}
 */
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';

const ONE_MIB = 1 << 20;

export async function gunzipDiscard(file: string): Promise<number> {
  let decompressedBytes = 0;
  await pipeline(
    createReadStream(file, { highWaterMark: ONE_MIB }),
    createGunzip({ chunkSize: ONE_MIB }),
    async (chunks: AsyncIterable<Buffer>) => {
      for await (const chunk of chunks) decompressedBytes += chunk.length;
    },
  );
  return decompressedBytes;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const file = process.argv[2];
  if (file === undefined) throw new Error('usage: gunzip.js FILE');
  process.stdout.write(JSON.stringify({ decompressedBytes: await gunzipDiscard(file) }) + '\n');
}
