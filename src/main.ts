/**
 * Composition root: starts the proxy's parts in order (metrics, gateways, stream analysis,
 * proxy listener, admin server) and stops them in reverse. STUB: being written.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from './config/types.js';

export interface StartOptions {
  /** Defaults to a pino logger on stdout at config.log.level. */
  logger?: Logger;
  /** Defaults to a fresh Registry. */
  registry?: Registry;
  /** Called by SIGHUP / POST /-/reload to produce the next config; throws ConfigError when bad. */
  reloadConfig?: () => Promise<Config>;
}

export interface RunningProxy {
  /** e.g. http://127.0.0.1:8080 (the actual port when config asked for 0). */
  proxyUrl: string;
  adminUrl: string;
  config(): Config;
  /** Re-reads config via options.reloadConfig; a bad config keeps the old one. */
  reload(): Promise<{ ok: boolean; error?: string }>;
  /** Graceful: stop accepting, drain in-flight up to timeouts.shutdown, end streams. */
  close(): Promise<void>;
}

export async function startProxy(_config: Config, _options: StartOptions = {}): Promise<RunningProxy> {
  throw new Error('not implemented yet');
}
