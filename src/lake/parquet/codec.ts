/**
 * Page compression. zstd-napi is a native compression binding (no I/O); one
 * `Compressor` (one ZSTD_CCtx) is reused for every page of a writer.
 */
import { Compressor } from 'zstd-napi';
import { Codec, type CodecId } from './format.js';

export type CompressionName = 'zstd' | 'uncompressed';

export interface PageCompressor {
  readonly codec: CodecId;
  /** Compresses a page body. The result never aliases `body` (which the caller reuses). */
  compress(body: Uint8Array): Uint8Array;
}

/** zstd level used when none is given: see ParquetWriterOptions.zstdLevel for the measurement behind it. */
export const DEFAULT_ZSTD_LEVEL = 1;

export function createPageCompressor(compression: CompressionName, zstdLevel = DEFAULT_ZSTD_LEVEL): PageCompressor {
  if (compression === 'uncompressed') {
    return { codec: Codec.UNCOMPRESSED, compress: (body) => body.slice() };
  }
  const compressor = new Compressor();
  // No per-frame checksum: parquet readers do not check it, and it costs a pass over every page.
  compressor.setParameters({ compressionLevel: zstdLevel, checksumFlag: false });
  return { codec: Codec.ZSTD, compress: (body) => compressor.compress(body) };
}
