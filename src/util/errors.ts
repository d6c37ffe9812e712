/**
 * One error family for the whole product. Each subclass carries structured
 * context (file, line, key, dataset...) so the CLI can print it for people
 * and `--json` can print it for machines, in one place (src/cli/report.ts).
 */
export type ErrorContext = Record<string, string | number | boolean | undefined>;

export class GammaflowError extends Error {
  readonly code: string;
  readonly context: ErrorContext;
  constructor(code: string, message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.context = context;
  }
  toJSON(): Record<string, unknown> {
    return { error: this.name, code: this.code, message: this.message, ...this.context };
  }
}

/** A bad config file, key or value. `context.key` names the key. */
export class ConfigError extends GammaflowError {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super('config', message, context, options);
  }
}

/** Source problems: missing object, access denied, network failure, corrupt gzip. */
export class SourceError extends GammaflowError {
  constructor(code: 'not_found' | 'access_denied' | 'network' | 'corrupt' | 'changed' | 'not_published' | 'source',
    message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(code, message, context, options);
  }
}

/** A file whose structure is wrong as a whole (bad header). Row-level problems are rejects, not errors. */
export class ParseError extends GammaflowError {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super('parse', message, context, options);
  }
}

/** Lake problems: unwritable directory, inconsistent manifest. */
export class LakeError extends GammaflowError {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super('lake', message, context, options);
  }
}

/**
 * The lake path itself is unusable (`--lake` names a file): the user's input, so the CLI exits
 * with the usage code (2), as for a bad option.
 */
export class LakePathError extends LakeError {}

/** Realtime feed problems: auth failure, max_connections. */
export class FeedError extends GammaflowError {
  constructor(code: 'auth_failed' | 'max_connections' | 'feed', message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(code, message, context, options);
  }
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
