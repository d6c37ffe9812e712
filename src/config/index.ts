/** Public surface of the config module. */
export {
  defaultConfig, configSchema, isSecretKey, SECRET_ENV, LOG_LEVELS,
  DEFAULT_EXCLUDE_CONDITIONS_HIGH_LOW, DEFAULT_EXCLUDE_CONDITIONS_OPEN_CLOSE,
  DEFAULT_EXCLUDE_CONDITIONS_VOLUME, DEFAULT_EXCLUDE_OPTION_CONDITIONS,
} from './schema.js';
export type {
  Config, MassiveConfig, IngestConfig, StorageConfig, TuiConfig, LogConfig, LogLevel,
  MetricsConfig, CalendarConfig, AggregationsConfig, SectionName, SecretField,
} from './schema.js';
export { parseConfigText, withEnvSecrets } from './parse.js';
export type { ParsedConfig } from './parse.js';
export { loadConfig, DEFAULT_CONFIG_PATH } from './load.js';
export type { LoadConfigOptions, LoadedConfig } from './load.js';
export { redactedConfig, REDACTED } from './redact.js';
export { watchConfig } from './watch.js';
export type { WatchConfigOptions } from './watch.js';
export { HOT_RELOADABLE_KEYS, changedKeys, planReload } from './reload.js';
export type { ReloadPlan } from './reload.js';
export { parseListenAddress, isLoopbackHost } from './listen.js';
export type { ListenAddress } from './listen.js';
export { calendarOverrides } from './calendarOverrides.js';
