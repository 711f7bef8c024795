/** Shared fixtures for stream-analysis tests: a config, a fresh metric registry, value lookup. */
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { Config } from '../../src/config/types.js';
import { createGatewayRegistry } from '../../src/gateways/registry.js';
import { createGatewayState } from '../../src/gateways/state.js';
import { createMetrics, type Metrics } from '../../src/metrics/metrics.js';
import { createStreamAnalyzer } from '../../src/streams/analyzer.js';

export const GW1 = 'CC:1B:E0:E0:00:01';
export const GW2 = 'CC:1B:E0:E0:00:02';

export function testConfig(over: { sequence?: Partial<Config['sequence']>; limits?: Partial<Config['limits']> } = {}): Config {
  return {
    upstream: null,
    upstreamCa: null,
    upstreamInsecure: false,
    listen: { host: '127.0.0.1', port: 0 },
    admin: { host: '127.0.0.1', port: 0 },
    timeouts: { connect: 5000, headers: 30000, streamIdle: 75000, shutdown: 1000 },
    transport: {
      default: 'unknown',
      gateways: { [GW1]: { transport: 'capwap', name: 'hall' }, [GW2]: { transport: 'mqtt' } },
      expected: null,
    },
    discovery: { enabled: false, interval: 60000, key: null, secret: null },
    sequence: { builtin: ['seqNum', 'ruuvi', 'eddystone-tlm'], extractors: [], reorderWindow: 64, reorderWindowTime: 5000, ...over.sequence },
    limits: { maxGateways: 1000, maxTrackedDevices: 200000, maxEventBytes: 1024 * 1024, ...over.limits },
    log: { level: 'silent', access: false },
    configFile: null,
    gatewaysFile: null,
  };
}

export interface Harness {
  metrics: Metrics;
  registry: Registry;
  config: Config;
  gateways: ReturnType<typeof createGatewayRegistry>;
  gatewayState: ReturnType<typeof createGatewayState>;
  analyzer: ReturnType<typeof createStreamAnalyzer>;
  value(name: string, labels: Record<string, string>): Promise<number | undefined>;
  close(): void;
}

export function harness(config: Config = testConfig(), now?: () => number): Harness {
  const registry = new Registry();
  const metrics = createMetrics(registry, { defaultMetrics: false });
  const gateways = createGatewayRegistry(config, () => metrics.labelOverflow.labels('gateway').inc());
  const gatewayState = createGatewayState({ metrics, gateways, initial: config });
  const analyzer = createStreamAnalyzer({
    config, metrics, gateways, gatewayState, log: pino({ level: 'silent' }), sweepInterval: 0,
    ...(now ? { now } : {}),
  });
  return {
    metrics, registry, config, gateways, gatewayState, analyzer,
    async value(name, labels) {
      const base = name.replace(/_(count|sum|bucket)$/, '');
      const metric = registry.getSingleMetric(`cassia_proxy_${base}`) ?? registry.getSingleMetric(`cassia_proxy_${name}`);
      if (!metric) throw new Error(`no metric ${name}`);
      const { values } = await metric.get();
      const full = `cassia_proxy_${name}`;
      const found = values.find((v) => {
        const metricName = (v as { metricName?: string }).metricName;
        return (metricName === undefined || metricName === full) && Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want)
          && Object.keys(v.labels).length >= Object.keys(labels).length;
      });
      return found?.value;
    },
    close() {
      analyzer.close();
      gatewayState.close();
    },
  };
}

/** SSE bytes for a list of JSON events. */
export function sse(events: unknown[]): Buffer {
  return Buffer.from(events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join(''));
}
