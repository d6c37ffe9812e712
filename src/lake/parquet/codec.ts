/**
 * Page compression. zstd-napi is a native compression binding (no I/O); one
 * ZSTD_CCtx is reused for every page of a writer.
 *
 * Pages are compressed straight into an arena the compressor owns (one
 * ZSTD_compress2 call into preallocated room of compressBound bytes), not
 * through zstd-napi's `Compressor.compress`, which allocates a
 * compressBound-sized Buffer per page (1 MiB+ pages: a fresh mmap and its
 * page faults every time) and then copies the result into a second one.
 * A returned page is a view into the arena, valid until `startRowGroup()`:
 * the writer writes a row group's pages before it encodes the next one.
 */
import { createRequire } from 'node:module';
import { Codec, type CodecId } from './format.js';

export type CompressionName = 'zstd' | 'uncompressed';

export interface PageCompressor {
  readonly codec: CodecId;
  /**
   * Compresses a page body. The result never aliases `body` (which the caller
   * reuses); it stays valid until the next `startRowGroup()`.
   */
  compress(body: Uint8Array): Uint8Array;
  /** Pages compressed before this call may be overwritten from now on. */
  startRowGroup(): void;
}

/** zstd level used when none is given: see ParquetWriterOptions.zstdLevel for the measurement behind it. */
export const DEFAULT_ZSTD_LEVEL = 1;

/** The parts of zstd-napi's native binding used here (binding.d.ts in the package). */
interface ZstdBinding {
  readonly CCtx: new () => ZstdCCtx;
  readonly CParameter: Readonly<Record<string, number>>;
  compressBound(srcSize: number): number;
}
interface ZstdCCtx {
  setParameter(parameter: number, value: number): void;
  compress2(dstBuf: Uint8Array, srcBuf: Uint8Array): number;
}

const require = createRequire(import.meta.url);
let zstdBinding: ZstdBinding | undefined;
const loadBinding = (): ZstdBinding => (zstdBinding ??= require('zstd-napi/binding.js') as ZstdBinding);

/** Grow-only output area for a row group's compressed pages. */
class Arena {
  private storage = new Uint8Array(1 << 22);
  private used = 0;

  /** Room for at least `bytes` more at `offset`. */
  room(bytes: number): { storage: Uint8Array; offset: number } {
    if (this.used + bytes > this.storage.length) {
      // Earlier pages keep the old storage alive until they are written; new pages go to the new one.
      let capacity = this.storage.length * 2;
      while (capacity < bytes) capacity *= 2;
      this.storage = new Uint8Array(capacity);
      this.used = 0;
    }
    return { storage: this.storage, offset: this.used };
  }

  take(offset: number, bytes: number): Uint8Array {
    this.used = offset + bytes;
    return this.storage.subarray(offset, offset + bytes);
  }

  reset(): void {
    this.used = 0;
  }
}

export function createPageCompressor(compression: CompressionName, zstdLevel = DEFAULT_ZSTD_LEVEL): PageCompressor {
  const arena = new Arena();
  if (compression === 'uncompressed') {
    return {
      codec: Codec.UNCOMPRESSED,
      compress: (body) => {
        const { storage, offset } = arena.room(body.length);
        storage.set(body, offset);
        return arena.take(offset, body.length);
      },
      startRowGroup: () => arena.reset(),
    };
  }
  const binding = loadBinding();
  const cctx = new binding.CCtx();
  cctx.setParameter(binding.CParameter['compressionLevel']!, zstdLevel);
  // No per-frame checksum: parquet readers do not check it, and it costs a pass over every page.
  cctx.setParameter(binding.CParameter['checksumFlag']!, 0);
  return {
    codec: Codec.ZSTD,
    compress: (body) => {
      const { storage, offset } = arena.room(binding.compressBound(body.length));
      const length = cctx.compress2(storage.subarray(offset), body);
      return arena.take(offset, length);
    },
    startRowGroup: () => arena.reset(),
  };
}
