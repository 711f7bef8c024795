/**
 * Composition root: builds the parts that live as long as the process (metrics, gateway state,
 * report, stream analysis, recorder), the first configuration generation, the proxy listener and
 * the admin server, and stops them in reverse. A reload builds the next generation and swaps it.
 */
import type { Pool } from 'undici';
import type { Config, HostPort } from './config/types.js';
import { FLAGS } from './config/flags.js';
import { formatHostPort } from './config/values.js';
import { createAdminServer, type AdminServer } from './admin/server.js';
import { buildGeneration, restartRequired, retireGeneration, type Generation } from './generation.js';
import { createCountsFactory } from './gateways/counts.js';
import { createHubListTaps } from './gateways/hub-list-tap.js';
import { createGatewayState } from './gateways/state.js';
import { createReport, type ReportDeps } from './report/report.js';
import { createStreamAnalyzer } from './streams/analyzer.js';
import { createLogOutput, type LogOutput } from './log.js';
import { createMetrics, Registry, type Metrics } from './metrics/metrics.js';
import { createProber } from './probe/scheduler.js';
import { createExchangeRecorder } from './proxy/recorder.js';
import { createProxyServer, type ProxyServer } from './proxy/server.js';
import { packageVersion } from './version.js';

export interface StartOptions {
  /** Defaults to JSON lines on stdout at config.log.level. */
  log?: LogOutput;
  /** Defaults to a fresh Registry. */
  registry?: Registry;
  /** Called by SIGHUP / POST /-/reload to produce the next config; throws ConfigError when bad. */
  reloadConfig?: () => Promise<Config>;
  /** The report's knobs that are no configuration key (tests run the verdict looks on a faster clock). */
  report?: Pick<ReportDeps, 'firstLookMs' | 'minuteMs' | 'thresholds'>;
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

/**
 * Waits for a listener to open; a failure (a port in use, an address not on this host) names
 * the config key, so the one line the CLI prints says which setting to change.
 */
async function listening<T>(key: 'listen' | 'admin', at: HostPort, opening: Promise<T>): Promise<T> {
  try {
    return await opening;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'EADDRINUSE' ? 'the address is already in use' : e.code === 'EADDRNOTAVAIL' ? 'the address is not on this host' : e.message;
    const spec = FLAGS.find((f) => f.key === key);
    const names = [key, ...(spec ? [`--${spec.flag}`] : []), ...(spec?.env ? [spec.env] : [])].join(', ');
    throw Object.assign(new Error(`cannot listen on ${formatHostPort(at)} (${names}): ${why}`, { cause: err }), { code: e.code });
  }
}

/** Starts the proxy and its admin server for `config` (which must name an upstream). */
export async function startProxy(initial: Config, options: StartOptions = {}): Promise<RunningProxy> {
  const output = options.log ?? createLogOutput(initial.log.level);
  const log = output.logger;
  const registry = options.registry ?? new Registry();
  let proxy: ProxyServer | null = null;
  let admin: AdminServer | null = null;
  // The listener is made after the metrics; until then nothing is in flight.
  let probing = (): { targets: number; intervalSeconds: number } => ({ targets: 0, intervalSeconds: 0 });
  const metrics = createMetrics(registry, { droppedLogLines: output.dropped, inFlight: () => proxy?.inFlight() ?? 0, probing: () => probing() });
  metrics.buildInfo.labels(packageVersion(), process.version).set(1);
  metrics.configReloads.labels('success').inc(0);
  metrics.configReloads.labels('failure').inc(0);

  const state = createGatewayState({ metrics, onOverflow: () => metrics.labelOverflow.labels('gateway').inc() });
  const report = createReport({ gatewaySnapshot: () => state.snapshot(), ...options.report });
  const parts = { state, counts: createCountsFactory(metrics, report.segments), log };
  let generation: Generation = buildGeneration(initial, parts, null);
  state.activate(generation.directory, initial);
  applySettings(metrics, output, initial);
  /** Pools of retired generations, closing once their in-flight requests end. */
  const closingPools = new Set<Pool>();

  const analyzer = createStreamAnalyzer({
    metrics, state, generation: () => generation,
    reorderWindow: initial.sequence.reorderWindow,
    reorderWindowTime: initial.sequence.reorderWindowTime,
    maxTrackedDevices: initial.limits.maxTrackedDevices,
  });
  const recorder = createExchangeRecorder({ metrics, log, writeLine: output.lineBytes });
  // Probes go straight to the upstream through the generation's pool, never through the listener.
  const prober = createProber({
    generation: () => generation, state, log,
    fault: () => metrics.analysisErrors.labels('probe').inc(),
  });
  probing = () => prober.stats();
  let closing = false;

  /**
   * Stops whatever has been opened, last first: the normal shutdown, and a start that failed
   * half-way (a sidecar that forwards without measuring must never be left running).
   */
  const stop = async (shutdownMs: number): Promise<void> => {
    closing = true;
    prober.close();
    if (proxy) await proxy.close(shutdownMs);
    if (admin) await admin.close();
    analyzer.close();
    await generation.poller.close();
    await Promise.all([generation.upstream.pool, ...closingPools].map((pool) => pool.destroy().catch(() => undefined)));
    state.close();
  };

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
      proxy?.configure(config);
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

  try {
    proxy = await listening('listen', initial.listen, createProxyServer({
      listen: initial.listen,
      generation: () => generation,
      recorder, metrics, log,
      openTap: (kind, gateway, sequenceRequested) => analyzer.tap(kind, gateway, sequenceRequested),
      openBodyTap: createHubListTaps(state),
    }));
    admin = await listening('admin', initial.admin, createAdminServer({
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
    }));
  } catch (err) {
    await stop(0);
    output.flush();
    throw err;
  }
  const running = proxy;
  const adminServer = admin;
  log.info({ proxy: running.url, admin: adminServer.url, upstream: initial.upstream?.origin }, `proxying ${running.url} -> ${initial.upstream?.origin}; metrics at ${adminServer.url}/metrics`);

  return {
    proxyUrl: running.url,
    adminUrl: adminServer.url,
    config: () => generation.config,
    reload,
    async close() {
      if (closing) return;
      log.info({ inFlight: running.inFlight() }, 'shutting down: draining in-flight requests');
      await stop(generation.config.timeouts.shutdown);
      log.info('stopped');
      output.flush();
    },
  };
}
