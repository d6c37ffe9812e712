/** Reading config.toml from disk (the only file I/O of config loading). */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ConfigError, errorMessage } from '../util/errors.js';
import { parseConfigText, withEnvSecrets } from './parse.js';
import { defaultConfig, type Config } from './schema.js';

export const DEFAULT_CONFIG_PATH = './config.toml';

export interface LoadConfigOptions {
  /** Source of the secret overrides; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Fail when the default ./config.toml is missing too (an explicit path must always exist). */
  required?: boolean;
}

export interface LoadedConfig {
  readonly config: Config;
  /** Absolute path of the file read; undefined when the default file was absent and defaults apply. */
  readonly path: string | undefined;
  readonly warnings: string[];
}

/**
 * Loads and validates a config file (default ./config.toml, relative to the
 * working directory). A missing default file means "all defaults"; a missing
 * explicitly named file is a {@link ConfigError}, as is any invalid value.
 */
export async function loadConfig(path?: string, opts: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const env = opts.env ?? process.env;
  const explicit = path !== undefined;
  const file = resolve(path ?? DEFAULT_CONFIG_PATH);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !explicit && !opts.required) {
      return { config: withEnvSecrets(defaultConfig(), env), path: undefined, warnings: [] };
    }
    const message = code === 'ENOENT' ? `config file not found: ${file}` : `cannot read config file ${file}: ${errorMessage(e)}`;
    throw new ConfigError(message, { file }, { cause: e });
  }
  const { config, warnings } = parseConfigText(text, file, env);
  return { config, path: file, warnings };
}
