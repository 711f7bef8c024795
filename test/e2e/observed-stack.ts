/**
 * The whole observed stack for end-to-end tests: the simulator (a Cassia AC with heavy CAPWAP
 * faults), the proxy in front of it with a gateway map and probes on, the demo workload as the application
 * (token, hub list, scan and notification streams with sequence=2, connects, reads, writes),
 * and a real Prometheus scraping the proxy's admin /metrics every second.
 */
import { readFile, rm, writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWorkload, type Workload } from '../../src/demo/workload.js';
import { startProxy, type RunningProxy } from '../../src/main.js';
import type { GatewayEntry } from '../../src/config/types.js';
import { createSimulator, type Simulator } from '../../src/simulator/index.js';
import { testConfig } from '../helpers/config.js';
import { startPrometheus, type RunningPrometheus } from '../helpers/prometheus.js';
import { capturedLogger } from '../helpers/servers.js';

export interface ObservedStack {
  sim: Simulator;
  proxy: RunningProxy;
  workload: Workload;
  prometheus: RunningPrometheus;
  close(): Promise<void>;
}

const ALERTS_FILE = fileURLToPath(new URL('../../prometheus/alerts.yml', import.meta.url));

/**
 * alerts.yml with test-sized windows: every range selector becomes `[window]` and every `for:`
 * becomes `forDuration`, so the same expressions fire within seconds. Returns the file path.
 */
export async function writeTestSizedRules(dir: string, window = '10s', forDuration = '2s'): Promise<string> {
  const text = (await readFile(ALERTS_FILE, 'utf8'))
    .replace(/\[(\d+[smhd])\]/g, `[${window}]`)
    .replace(/^(\s+)for: \S+$/gm, `$1for: ${forDuration}`);
  const file = join(dir, 'alerts.test-sized.yml');
  await writeFile(file, text);
  return file;
}

const FLEET_RULES_FILE = fileURLToPath(new URL('../../prometheus/fleet-rules.yml', import.meta.url));

/**
 * fleet-rules.yml evaluated every second (its `interval` and the matching offsets), in a temp dir:
 * the report's recording rules at a test's time scale.
 */
export async function writeTestSizedFleetRules(): Promise<{ file: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'cassia-fleet-rules-'));
  const text = (await readFile(FLEET_RULES_FILE, 'utf8')).replace(/interval: 1m/g, 'interval: 1s').replace(/offset 1m/g, 'offset 1s');
  const file = join(dir, 'fleet-rules.yml');
  await writeFile(file, text);
  return { file, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Starts simulator, proxy, workload and Prometheus (optionally with rules and an Alertmanager). */
export async function startObservedStack(options: { ruleFiles?: string[]; alertmanager?: string } = {}): Promise<ObservedStack> {
  const stops: Array<() => Promise<void>> = [];
  const close = async () => {
    while (stops.length) await stops.pop()?.().catch(() => undefined);
  };
  try {
    const sim = await createSimulator({
      gateways: 4,
      capwap: 2,
      devicesPerGateway: 6,
      connectedPerGateway: 3,
      // Full with the three connected at start: the workload's connects are answered 500
      // `no resources`, so the stream-slot panels' `no_resources` queries have data too.
      maxConnectionsPerGateway: 3,
      seed: 5,
      scanIntervalMs: 100,
      notifyIntervalMs: 50,
      tickMs: 25,
      keepaliveMs: 500,
      profile: {
        profile: 'clean',
        transports: {
          capwap: { drop: 0.25, duplicate: 0.05, reorder: 0.05, http502: 0.15, http504: 0.05, http504DelayMs: 50, latencyMs: 5, jitterMs: 20 },
        },
      },
    });
    stops.push(() => sim.close());
    const gateways: Record<string, GatewayEntry> = Object.fromEntries(
      sim.gateways.map((mac) => [mac, { transport: sim.truth().gateways[mac]?.transport === 'capwap' ? 'capwap' : 'mqtt' }]),
    );
    const proxy = await startProxy(
      testConfig(sim.url, {
        transport: { gateways, expected: 'mqtt' },
        sequence: { reorderWindowTime: 300 },
        timeouts: { streamIdle: 3000 },
        log: { access: false },
        // The proxy also probes every gateway (the dashboards' probe row needs the series).
        discovery: { enabled: false, interval: 60_000, key: sim.key, secret: sim.secret },
        probe: { enabled: true, interval: 1000, timeout: 2000, maxPerSecond: 20, call: 'connected-devices' },
      }),
      { log: capturedLogger('error').log },
    );
    stops.push(() => proxy.close());
    const workload = startWorkload({ baseUrl: proxy.proxyUrl, key: sim.key, secret: sim.secret, deviceActivityMs: 300 });
    stops.push(() => workload.stop());
    const prometheus = await startPrometheus({
      scrape: [{ job: 'cassia-ac-proxy', targets: [new URL(proxy.adminUrl).host] }],
      ruleFiles: options.ruleFiles ?? [],
      ...(options.alertmanager ? { alertmanager: options.alertmanager } : {}),
    });
    stops.push(() => prometheus.stop());
    return { sim, proxy, workload, prometheus, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** A temp dir removed by the returned function. */
export async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'cassia-e2e-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
