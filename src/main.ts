/**
 * Composition root: builds the parts that live as long as the process (metrics, gateway state,
 * report, stream analysis, recorder), the first configuration generation, the proxy listener and
 * the admin server, and stops them in reverse. A reload builds the next generation and swaps it.
 */
import type { Pool } from 'undici';
import type { Config } from './config/types.js';
import { createAdminServer } from './admin/server.js';
import { buildGeneration, restartRequired, retireGeneration, type Generation } from './generation.js';
import { createCountsFactory } from './gateways/counts.js';
import { createHubListTaps } from './gateways/hub-list-tap.js';
import { reportSnapshot } from './gateways/report-view.js';
import { createGatewayState } from './gateways/state.js';
import { createReport } from './report/report.js';
import { createStreamAnalyzer } from './streams/analyzer.js';
import { createLogOutput, type LogOutput } from './log.js';
import { createMetrics, Registry, type Metrics } from './metrics/metrics.js';
import { createProber } from './probe/scheduler.js';
import { createRecorder } from './proxy/recorder.js';
import { createProxyServer } from './proxy/server.js';
import { packageVersion } from './version.js';

export interface StartOptions {
  /** Defaults to JSON lines on stdout at config.log.level. */
  log?: LogOutput;
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

/** Process-wide settings that follow the current configuration. */
function applySettings(metrics: Metrics, output: LogOutput, config: Config): void {
  output.logger.level = config.log.level;
  metrics.transportExpected.reset();
  if (config.transport.expected) metrics.transportExpected.labels(config.transport.expected).set(1);
  metrics.upstreamInsecure.set(config.upstreamInsecure ? 1 : 0);
}

/** Starts the proxy and its admin server for `config` (which must name an upstream). */
export async function startProxy(initial: Config, options: StartOptions = {}): Promise<RunningProxy> {
  const output = options.log ?? createLogOutput(initial.log.level);
  const log = output.logger;
  const registry = options.registry ?? new Registry();
  // The listener is made after the metrics; until then nothing is in flight.
  let inFlight = (): number => 0;
  let probing = (): { targets: number; intervalSeconds: number } => ({ targets: 0, intervalSeconds: 0 });
  const metrics = createMetrics(registry, { droppedLogLines: output.dropped, inFlight: () => inFlight(), probing: () => probing() });
  metrics.buildInfo.labels(packageVersion(), process.version).set(1);
  metrics.configReloads.labels('success').inc(0);
  metrics.configReloads.labels('failure').inc(0);

  const state = createGatewayState({ metrics, onOverflow: () => metrics.labelOverflow.labels('gateway').inc() });
  const report = createReport({ gatewaySnapshot: () => reportSnapshot(state) });
  const parts = { state, counts: createCountsFactory(metrics, report.recorder), log };
  let generation: Generation = buildGeneration(initial, parts, null);
  state.activate(generation.directory, initial);
  applySettings(metrics, output, initial);
  /** Pools of retired generations, closing once their in-flight requests end. */
  const closingPools = new Set<Pool>();

  const analyzer = createStreamAnalyzer({
    metrics, state, log, generation: () => generation,
    reorderWindow: initial.sequence.reorderWindow,
    reorderWindowTime: initial.sequence.reorderWindowTime,
    maxTrackedDevices: initial.limits.maxTrackedDevices,
  });
  const recorder = createRecorder({ metrics, log, writeLine: output.lineBytes });
  // Probes go straight to the upstream through the generation's pool, never through the listener.
  const prober = createProber({
    generation: () => generation, state, log,
    fault: () => metrics.analysisErrors.labels('probe').inc(),
  });
  probing = () => prober.stats();
  const proxy = await createProxyServer({
    listen: initial.listen,
    generation: () => generation,
    recorder, metrics, log,
    openTap: (kind, gateway) => analyzer.tap(kind, gateway),
    openBodyTap: createHubListTaps(state),
  });
  inFlight = () => proxy.inFlight();

  let closing = false;
  const reload = async (): Promise<{ ok: boolean; error?: string }> => {
    if (!options.reloadConfig) return { ok: false, error: 'no configuration source to reload from' };
    try {
      const config = await options.reloadConfig();
      const next = buildGeneration(config, parts, generation);
      const previous = generation;
      generation = next;
      state.activate(next.directory, config);
      retireGeneration(previous, next, closingPools);
      applySettings(metrics, output, config);
      proxy.configure(config);
      analyzer.setLimits({ reorderWindowTime: config.sequence.reorderWindowTime, maxTrackedDevices: config.limits.maxTrackedDevices });
      metrics.configReloads.labels('success').inc();
      const restart = restartRequired(initial, config);
      log.info(
        { gateways: Object.keys(config.transport.gateways).length, ...(restart.length > 0 ? { restartRequired: restart } : {}) },
        restart.length > 0 ? `configuration reloaded; ${restart.join(', ')} take effect after a restart` : 'configuration reloaded',
      );
      return { ok: true };
    } catch (err) {
      metrics.configReloads.labels('failure').inc();
      const error = err instanceof Error ? err.message : String(err);
      log.error({ error }, 'configuration reload failed; keeping the running configuration');
      return { ok: false, error };
    }
  };

  const admin = await createAdminServer({
    listen: initial.admin,
    registry,
    log,
    reload,
    routers: [report.router()],
    readiness: () => ({
      ready: !closing,
      upstream: generation.config.upstream?.origin ?? null,
      warnings: generation.config.upstreamInsecure ? ['upstream TLS certificate verification is off (upstreamInsecure)'] : [],
    }),
  });
  log.info({ proxy: proxy.url, admin: admin.url, upstream: initial.upstream?.origin }, `proxying ${proxy.url} -> ${initial.upstream?.origin}; metrics at ${admin.url}/metrics`);

  return {
    proxyUrl: proxy.url,
    adminUrl: admin.url,
    config: () => generation.config,
    reload,
    async close() {
      if (closing) return;
      closing = true;
      log.info({ inFlight: proxy.inFlight() }, 'shutting down: draining in-flight requests');
      prober.close();
      await proxy.close(generation.config.timeouts.shutdown);
      await admin.close();
      analyzer.close();
      await generation.poller.close();
      await Promise.all([generation.upstream.pool, ...closingPools].map((pool) => pool.destroy().catch(() => undefined)));
      state.close();
      log.info('stopped');
      output.flush();
    },
  };
}
