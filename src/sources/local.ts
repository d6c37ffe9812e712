/** `--source local:DIR`: the S3 key layout under a local folder. */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { SourceError } from '../util/errors.js';
import type { FlatFileSource, ObjectInfo, OpenOptions } from './source.js';

/** Read buffer size: 1 MiB reads keep gunzip fed with large chunks (see bench/README.md). */
export const READ_CHUNK_BYTES = 1 << 20;

export class LocalSource implements FlatFileSource {
  readonly root: string;
  readonly description: string;
  constructor(root: string) {
    this.root = resolve(root);
    this.description = `local:${this.root}`;
  }

  async stat(key: string): Promise<ObjectInfo> {
    const path = join(this.root, key);
    try {
      const s = await stat(path);
      if (!s.isFile()) throw new SourceError('not_found', `${path} is not a file`, { key, path });
      return { key, size: s.size, etag: `${s.size}-${Math.floor(s.mtimeMs)}`, lastModified: s.mtime };
    } catch (e) {
      if (e instanceof SourceError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new SourceError('not_found', `no file ${path}`, { key, path });
      if (code === 'EACCES' || code === 'EPERM') throw new SourceError('access_denied', `permission denied reading ${path}`, { key, path });
      throw new SourceError('source', `cannot stat ${path}: ${(e as Error).message}`, { key, path }, { cause: e });
    }
  }

  open(info: ObjectInfo, options: OpenOptions = {}): Readable {
    return createReadStream(join(this.root, info.key), {
      highWaterMark: READ_CHUNK_BYTES,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }
}
