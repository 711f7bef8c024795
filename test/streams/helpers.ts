/** Shared fixtures for stream-analysis tests: a config, the gateway stack, an analyser, value lookup. */
import { DEFAULTS } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import type { Metrics, Registry } from '../../src/metrics/metrics.js';
import { createStreamAnalyzer, type AnalysisGeneration } from '../../src/streams/analyzer.js';
import { createExtractors } from '../../src/streams/extractors.js';
import type { StreamTap } from '../../src/tap.js';
import type { StreamKind } from '../../src/vocabulary.js';
import { gatewayStack, type GatewayStack } from '../helpers/gateways.js';

export const GW1 = 'CC:1B:E0:E0:00:01';
export const GW2 = 'CC:1B:E0:E0:00:02';

export function testConfig(over: { sequence?: Partial<Config['sequence']>; limits?: Partial<Config['limits']> } = {}): Config {
  return {
    upstream: null,
    upstreamCa: null,
    upstreamInsecure: false,
    listen: { host: '127.0.0.1', port: 0 },
    admin: { host: '127.0.0.1', port: 0 },
    timeouts: { ...DEFAULTS.timeouts, shutdown: 1000 },
    transport: {
      default: 'unknown',
      gateways: { [GW1]: { transport: 'capwap', name: 'hall' }, [GW2]: { transport: 'mqtt' } },
      expected: null,
    },
    discovery: { enabled: false, interval: 60000, key: null, secret: null },
    probe: { ...DEFAULTS.probe },
    sequence: { builtin: ['seqNum', 'ruuvi', 'eddystone-tlm'], extractors: [], reorderWindow: 64, reorderWindowTime: 5000, request: false, ...over.sequence },
    limits: { ...DEFAULTS.limits, ...over.limits },
    log: { level: 'silent', access: false },
    configFile: null,
    gatewaysFile: null,
  };
}

export interface Harness {
  metrics: Metrics;
  registry: Registry;
  config: Config;
  stack: GatewayStack;
  analyzer: ReturnType<typeof createStreamAnalyzer>;
  /** A tap for `kind` on the stream a request for `mac` (any spelling; null: none) opened. */
  tap(kind: StreamKind, mac: string | null): StreamTap;
  /** Swaps in the next generation, as a reload does. */
  reload(next: Config): void;
  value(name: string, labels: Record<string, string>): Promise<number | undefined>;
  close(): void;
}

export function harness(config: Config = testConfig(), now?: () => number): Harness {
  const stack = gatewayStack(config);
  const { metrics, registry } = stack;
  const generationOf = (c: Config): { config: Config; gen: AnalysisGeneration & { retired: boolean } } => ({
    config: c,
    gen: { directory: stack.directory(), extractors: createExtractors(c.sequence), maxEventBytes: c.limits.maxEventBytes, retired: false },
  });
  let current = generationOf(config);
  const analyzer = createStreamAnalyzer({
    metrics,
    state: stack.state,
    generation: () => current.gen,
    reorderWindow: config.sequence.reorderWindow,
    reorderWindowTime: config.sequence.reorderWindowTime,
    maxTrackedDevices: config.limits.maxTrackedDevices,
    sweepInterval: 0,
    ...(now ? { now } : {}),
  });
  return {
    metrics, registry, config, stack, analyzer,
    tap: (kind, mac) => analyzer.tap(kind, stack.handle(mac)),
    reload(next) {
      const old = current.gen;
      stack.reload(next);
      current = generationOf(next);
      old.retired = true;
    },
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
      stack.state.close();
    },
  };
}

/** SSE bytes for a list of JSON events. */
export function sse(events: unknown[]): Buffer {
  return Buffer.from(events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join(''));
}
