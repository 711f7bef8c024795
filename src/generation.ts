/**
 * A configuration generation: everything that follows from one Config and is swapped as a whole
 * on reload — the gateway directory (handles: labels, transports, counts), the upstream pool, the
 * sequence extractors, the proxy's own token, the discovery poller. Building the next generation is the only step that
 * can fail, and it changes nothing; the swap then moves one reference. In-flight exchanges finish
 * on the generation they started in; long-lived streams follow at their next chunk.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import type { Pool } from 'undici';
import type { Config } from './config/types.js';
import type { CountsFactory } from './gateways/counts.js';
import { createGatewayDirectory, type GatewayDirectory } from './gateways/directory.js';
import { acTokenKey, createAcToken, type AcToken } from './gateways/ac-token.js';
import { createHubPoller, pollerKey, type HubPoller } from './gateways/discovery.js';
import type { GatewayState } from './gateways/state.js';
import { createUpstream, upstreamKey, type Upstream } from './proxy/upstream.js';
import { createExtractors, type Extractors } from './streams/extractors.js';

export interface Generation {
  readonly config: Config;
  readonly directory: GatewayDirectory;
  readonly upstream: Upstream;
  readonly extractors: Extractors;
  readonly maxEventBytes: number;
  readonly poller: HubPoller;
  /** The proxy's own token (discovery and probes); null without credentials. */
  readonly token: AcToken | null;
  /** Set once a newer generation replaced this one. */
  retired: boolean;
}

/** What every generation is built on: the parts that live as long as the process. */
export interface GenerationParts {
  state: GatewayState;
  counts: CountsFactory;
  log: Logger;
}

/**
 * Builds the generation for `config`. Parts whose settings did not change are taken over from
 * `previous` (the pool keeps its connections, the token source its token). Throws (e.g. a CA file that
 * vanished since validation) before anything is changed.
 */
export function buildGeneration(config: Config, parts: GenerationParts, previous: Generation | null): Generation {
  const upstream = previous !== null && previous.upstream.key === upstreamKey(config) ? previous.upstream : createUpstream(config, parts.log);
  const target = { dispatcher: upstream.pool, origin: upstream.origin, basePath: upstream.basePath, key: upstream.key };
  const token = previous !== null && (previous.token?.key ?? 'off') === acTokenKey(config, target) ? previous.token : createAcToken(config, target);
  const poller = previous !== null && previous.poller.key === pollerKey(config, token)
    ? previous.poller
    : createHubPoller({ config, token, gatewayState: parts.state, log: parts.log });
  return {
    config,
    directory: createGatewayDirectory(config, parts.state, parts.counts),
    upstream,
    extractors: createExtractors(config.sequence),
    maxEventBytes: config.limits.maxEventBytes,
    poller,
    token,
    retired: false,
  };
}

/**
 * Config keys a reload cannot apply: the listeners are bound once, and the trackers' reorder
 * window sizes every bitmap. docs/reference.md marks exactly these **restart** (tested).
 */
export const RESTART_REQUIRED_KEYS = ['listen', 'admin', 'sequence.reorderWindow'] as const;

const valueAt = (config: Config, key: string): unknown =>
  key.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], config);

/** Config keys that only take effect after a restart (a reload keeps the running value). */
export function restartRequired(running: Config, next: Config): string[] {
  return RESTART_REQUIRED_KEYS.filter((key) => !isDeepStrictEqual(valueAt(running, key), valueAt(next, key)));
}

/**
 * Retires `old` now that `next` is current: its handles are marked, its pool closes once its
 * in-flight requests end (tracked in `closingPools` until then), its poller stops — unless
 * `next` took them over.
 */
export function retireGeneration(old: Generation, next: Generation, closingPools: Set<Pool>): void {
  old.retired = true;
  old.directory.retire();
  if (old.upstream !== next.upstream) {
    const pool = old.upstream.pool;
    closingPools.add(pool);
    void pool.close().catch(() => undefined).finally(() => closingPools.delete(pool));
  }
  if (old.poller !== next.poller) void old.poller.close();
}
