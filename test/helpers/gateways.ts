/**
 * The gateways module wired as the proxy wires it (state, counts into metrics and report, one
 * directory per configuration generation), for unit tests of gateways, streams and the report.
 */
import type { Config } from '../../src/config/types.js';
import { createCountsFactory } from '../../src/gateways/counts.js';
import { createGatewayDirectory, type GatewayDirectory } from '../../src/gateways/directory.js';
import type { GatewayHandle } from '../../src/gateways/handle.js';
import { createGatewayState, type GatewayState } from '../../src/gateways/state.js';
import { createMetrics, Registry, type Metrics } from '../../src/metrics/metrics.js';
import { createReport, type Report } from '../../src/report/report.js';

export interface GatewayStack {
  registry: Registry;
  metrics: Metrics;
  state: GatewayState;
  report: Report;
  /** The current generation's directory. */
  directory(): GatewayDirectory;
  /**
   * The handle for a MAC spelled any way (null: a call naming no gateway), as for a gateway the
   * AC has vouched for (label admission is tested on its own with `directory()`).
   */
  handle(mac: string | null): GatewayHandle;
  /** A reload: the next generation's directory becomes current, the old one retires. */
  reload(next: Config): void;
}

export function gatewayStack(config: Config, now: () => number = Date.now): GatewayStack {
  const registry = new Registry();
  const metrics = createMetrics(registry, { defaultMetrics: false });
  const state = createGatewayState({ metrics, onOverflow: () => metrics.labelOverflow.labels('gateway').inc(), now });
  const report = createReport({ now, gatewaySnapshot: () => state.snapshot() });
  const counts = createCountsFactory(metrics, report.segments, now);
  let directory = createGatewayDirectory(config, state, counts);
  state.activate(directory, config);
  return {
    registry, metrics, state, report,
    directory: () => directory,
    handle(mac) {
      if (mac === null) return directory.resolve(null);
      const handle = directory.resolveRaw(mac);
      return handle.pending === null ? handle : directory.vouch(handle.pending);
    },
    reload(next) {
      const replacement = createGatewayDirectory(next, state, counts);
      state.activate(replacement, next);
      directory.retire();
      directory = replacement;
    },
  };
}
