/**
 * Composition root: starts the proxy's parts in order (metrics, gateways, stream analysis,
 * proxy listener, admin server) and stops them in reverse.
 */
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import type { Config } from './config/types.js';
import { createAdminServer } from './admin/server.js';
import { createHubPoller } from './gateways/discovery.js';
import { createHubListTaps } from './gateways/hub-list-tap.js';
import { createGatewayRegistry } from './gateways/registry.js';
import { createGatewayState } from './gateways/state.js';
import { createReport } from './report/report.js';
import { createStreamAnalyzer } from './streams/analyzer.js';
import { createLogger } from './log.js';
import { createMetrics, type Metrics } from './metrics/metrics.js';
import { createRecorder, type ExchangeListener } from './proxy/recorder.js';
import { createProxyServer } from './proxy/server.js';
import { packageVersion } from './version.js';

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


function applyConfigGauges(metrics: Metrics, config: Config): void {
  metrics.transportExpected.reset();
  if (config.transport.expected) metrics.transportExpected.labels(config.transport.expected).set(1);
  metrics.upstreamInsecure.set(config.upstreamInsecure ? 1 : 0);
}

/** Starts the proxy and its admin server for `config` (which must name an upstream). */
export async function startProxy(initial: Config, options: StartOptions = {}): Promise<RunningProxy> {
  let config = initial;
  const log = options.logger ?? createLogger(config.log.level);
  const registry = options.registry ?? new Registry();
  const metrics = createMetrics(registry);
  metrics.buildInfo.labels(packageVersion(), process.version).set(1);
  applyConfigGauges(metrics, config);
  metrics.configReloads.labels('success').inc(0);
  metrics.configReloads.labels('failure').inc(0);

  const gateways = createGatewayRegistry(config, () => metrics.labelOverflow.labels('gateway').inc());
  const gatewayState = createGatewayState({ metrics, gateways, initial: config });
  const analyzer = createStreamAnalyzer({ config, metrics, gateways, gatewayState, log });
  const poller = createHubPoller({ config, gatewayState, log });
  const report = createReport({
    metrics,
    maxGateways: config.limits.maxGateways + 1,
    gatewaySnapshot: () => gatewayState.snapshot().map((g) => ({
      mac: g.mac,
      transport: g.transport,
      ...(g.name !== null ? { name: g.name } : {}),
      ...(g.model !== null ? { model: g.model } : {}),
      ...(g.version !== null ? { version: g.version } : {}),
      ...(g.online !== null ? { online: g.online } : {}),
      ...(g.lastEventAt !== null ? { lastEventAt: Date.parse(g.lastEventAt) } : {}),
    })),
  });
  const listeners: ExchangeListener[] = [
    (r) => report.recordExchange(r.gateway, r.transport, r.outcome.status, r.outcome.origin, r.headersMs),
  ];
  const recorder = createRecorder({ metrics, log, accessLog: config.log.access, listeners });
  const proxy = await createProxyServer({
    config, metrics, gateways, recorder, log,
    openTap: (kind, gateway, query) => analyzer.tap(kind, gateway, new URLSearchParams(query)),
    openBodyTap: createHubListTaps(gatewayState),
  });

  let closing = false;
  const reload = async (): Promise<{ ok: boolean; error?: string }> => {
    if (!options.reloadConfig) return { ok: false, error: 'no configuration source to reload from' };
    try {
      const next = await options.reloadConfig();
      // The upstream part can still fail (a CA file gone since validation): before anything changes.
      proxy.reconfigure(next);
      gateways.update(next);
      gatewayState.update(next);
      analyzer.reconfigure(next);
      recorder.accessLog = next.log.access;
      log.level = next.log.level;
      applyConfigGauges(metrics, next);
      config = next;
      metrics.configReloads.labels('success').inc();
      log.info({ gateways: Object.keys(next.transport.gateways).length }, 'configuration reloaded');
      return { ok: true };
    } catch (err) {
      metrics.configReloads.labels('failure').inc();
      const error = err instanceof Error ? err.message : String(err);
      log.error({ error }, 'configuration reload failed; keeping the running configuration');
      return { ok: false, error };
    }
  };

  const admin = await createAdminServer({
    listen: config.admin,
    registry,
    log,
    reload,
    routers: [report.router()],
    readiness: () => ({
      ready: !closing,
      upstream: config.upstream?.origin ?? null,
      warnings: config.upstreamInsecure ? ['upstream TLS certificate verification is off (upstreamInsecure)'] : [],
    }),
  });
  log.info({ proxy: proxy.url, admin: admin.url, upstream: config.upstream?.origin }, `proxying ${proxy.url} -> ${config.upstream?.origin}; metrics at ${admin.url}/metrics`);

  return {
    proxyUrl: proxy.url,
    adminUrl: admin.url,
    config: () => config,
    reload,
    async close() {
      if (closing) return;
      closing = true;
      log.info({ inFlight: proxy.inFlight() }, 'shutting down: draining in-flight requests');
      await proxy.close();
      await admin.close();
      report.close();
      analyzer.close();
      await poller.close();
      gatewayState.close();
      log.info('stopped');
      log.flush();
    },
  };
}
