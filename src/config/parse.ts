/**
 * config.toml text → validated {@link Config}: TOML syntax, unknown-key
 * warnings, validation with messages naming file and key, and secrets from
 * the environment. Throws {@link ConfigError}; never echoes a secret value
 * (TOML syntax errors quote no source line for the same reason).
 */
import { parse as parseToml, TomlError } from 'smol-toml';
import type { z } from 'zod';
import { ConfigError } from '../util/errors.js';
import { configSchema, defaultConfig, isSecretKey, SECRET_ENV, type Config } from './schema.js';
import { unknownKeyWarnings } from './unknownKeys.js';

export interface ParsedConfig {
  readonly config: Config;
  /** Non-fatal findings (unknown keys), each naming the file and the key. */
  readonly warnings: string[];
}

/**
 * Parses and validates config.toml text. `path` only labels messages
 * ('<config>' when undefined). Secrets set in `env` (MASSIVE_API_KEY,
 * MASSIVE_S3_ACCESS_KEY_ID, MASSIVE_S3_SECRET_ACCESS_KEY; empty values are
 * ignored) override the file.
 */
export function parseConfigText(text: string, path: string | undefined, env: NodeJS.ProcessEnv = process.env): ParsedConfig {
  const file = path ?? '<config>';
  let raw: Record<string, unknown>;
  try {
    raw = parseToml(text);
  } catch (e) {
    if (e instanceof TomlError) {
      const reason = e.message.split('\n')[0]!.replace(/^Invalid TOML document: /, '');
      throw new ConfigError(`${file}:${e.line}:${e.column}: invalid TOML: ${reason}`, { file, line: e.line, column: e.column }, { cause: e });
    }
    throw e;
  }
  const warnings = unknownKeyWarnings(raw, file);
  const result = configSchema.safeParse(raw);
  if (!result.success) throw validationError(result.error.issues, raw, file);
  return { config: withEnvSecrets(result.data, env), warnings };
}

/** `config` with secrets replaced by non-empty environment variables. */
export function withEnvSecrets(config: Config, env: NodeJS.ProcessEnv): Config {
  const massive = { ...config.massive };
  for (const { field, env: name } of SECRET_ENV) {
    const value = env[name];
    if (value !== undefined && value !== '') massive[field] = value;
  }
  return { ...config, massive };
}

function validationError(issues: readonly z.core.$ZodIssue[], raw: Record<string, unknown>, file: string): ConfigError {
  const lines = issues.map((issue) => describeIssue(issue, raw));
  const firstKey = keyOf(issues[0]!.path);
  const message = lines.length === 1
    ? `${file}: ${lines[0]}`
    : `${file}: ${lines.length} invalid values:\n  ${lines.join('\n  ')}`;
  return new ConfigError(message, { file, key: firstKey, issues: lines.length });
}

/** "section.key[i]: expected …, got …" */
function describeIssue(issue: z.core.$ZodIssue, raw: Record<string, unknown>): string {
  const key = keyOf(issue.path);
  const fieldKey = keyOf(issue.path.slice(0, 2));
  if (isSecretKey(fieldKey)) return `${key}: ${issue.message} (value hidden)`;
  const given = lookup(raw, issue.path);
  if (given !== undefined) return `${key}: ${issue.message}, got ${show(given)}`;
  const fallback = lookup(defaultConfig(), issue.path);
  return fallback === undefined ? `${key}: ${issue.message}` : `${key}: ${issue.message}, got the default ${show(fallback)}`;
}

function keyOf(path: readonly PropertyKey[]): string {
  let key = '';
  for (const part of path) key += typeof part === 'number' ? `[${part}]` : `${key === '' ? '' : '.'}${String(part)}`;
  return key;
}

function lookup(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const part of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[part];
  }
  return value;
}

function show(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `an array [${value.map(show).join(', ')}]`;
  if (typeof value === 'object' && value !== null) return 'a table';
  return String(value);
}
