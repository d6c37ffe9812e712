/** Display-safe copies of a config: credentials replaced, everything else intact. */
import { SECRET_ENV, type Config } from './schema.js';

/** What a set credential looks like in logs and `config show`. */
export const REDACTED = '<redacted>';

/** A deep copy of `config` whose set secrets read {@link REDACTED}; unset ones stay undefined. */
export function redactedConfig(config: Config): Config {
  const copy = structuredClone(config);
  for (const { field } of SECRET_ENV) {
    if (copy.massive[field] !== undefined) copy.massive[field] = REDACTED;
  }
  if (copy.storage.access_key_id !== undefined) copy.storage.access_key_id = REDACTED;
  if (copy.storage.secret_access_key !== undefined) copy.storage.secret_access_key = REDACTED;
  return copy;
}
