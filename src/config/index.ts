/** The config module's public surface: load, reload, print, and the error type. */
export { ConfigError, isConfigError, type ConfigProblem } from './errors.js';
export { DEFAULTS, createConfigReloader, loadConfig, type LoadConfigOptions } from './load.js';
export { formatConfig } from './format.js';
export { deepFreeze } from './freeze.js';
export { ENV_ONLY, ENV_VARS, FLAGS, parseFlags, type FlagSpec, type ParsedFlags } from './flags.js';
export type { Config, GatewayEntry, HostPort, SequenceExtractor } from './types.js';
