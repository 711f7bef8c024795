/**
 * Demo mode (`npm start` with no upstream): a simulated AC with gateways on both transports and
 * faults on, the real proxy in front of it, and a small client workload through the proxy, so a
 * newcomer sees real numbers within seconds with nothing else installed.
 */
import { DEFAULTS } from '../config/load.js';
import type { Config, GatewayEntry } from '../config/types.js';
import { createLogOutput } from '../log.js';
import { startProxy } from '../main.js';
import { createSimulator } from '../simulator/index.js';
import { startWorkload } from './workload.js';

export interface RunningDemo {
  proxyUrl: string;
  adminUrl: string;
  simulatorUrl: string;
  close(): Promise<void>;
}

/** CAPWAP bad enough that 502/504s show within seconds; MQTT near clean. */
const DEMO_PROFILE = {
  profile: 'default' as const,
  transports: {
    capwap: { http502: 0.05, http504: 0.03, http504DelayMs: 1500, drop: 0.03, duplicate: 0.01, reorder: 0.01, offlineMeanIntervalS: 120 },
  },
};

/** Starts the demo for `config` (whose upstream is null); prints where everything is. */
export async function runDemo(config: Config, out: NodeJS.WritableStream = process.stdout): Promise<RunningDemo> {
  const simulator = await createSimulator({ gateways: 8, capwap: 4, devicesPerGateway: 12, seed: Date.now() % 100_000, profile: DEMO_PROFILE });
  const gateways: Record<string, GatewayEntry> = {};
  simulator.gateways.forEach((mac, i) => {
    gateways[mac] = { transport: i < 4 ? 'capwap' : 'mqtt', name: `demo-${i < 4 ? 'capwap' : 'mqtt'}-${(i % 4) + 1}` };
  });
  const demoConfig: Config = {
    ...config,
    upstream: new URL(simulator.url),
    transport: { ...config.transport, gateways: { ...gateways, ...config.transport.gateways } },
    // The workload's traffic would drown the terminal in access-log lines.
    log: { ...config.log, access: false },
    // The workload opens notification streams as Cassia's samples do (no sequence=2): the proxy
    // asks for the numbers, so loss shows on every gateway.
    sequence: { ...config.sequence, request: true },
    // Every gateway measured from the first seconds, even those the workload leaves alone: the
    // proxy probes with the simulator's client, every 5 s unless --probe-interval says otherwise.
    discovery: { ...config.discovery, key: simulator.key, secret: simulator.secret },
    probe: {
      ...config.probe,
      enabled: true,
      interval: config.probe.interval === DEFAULTS.probe.interval ? 5000 : config.probe.interval,
    },
  };
  let proxy;
  try {
    proxy = await startProxy(demoConfig, { log: createLogOutput(config.log.level === 'info' ? 'warn' : config.log.level) });
  } catch (err) {
    await simulator.close();
    throw err;
  }
  const workload = startWorkload({ baseUrl: proxy.proxyUrl, key: simulator.key, secret: simulator.secret, gateways: simulator.gateways, notifySequence: false });
  out.write([
    '',
    'cassia-ac-proxy demo: a simulated Cassia AC with 8 gateways (4 on CAPWAP, 4 on MQTT), faults on,',
    'and a small client workload (token, scan and notification streams, connects, reads, writes) through the proxy;',
    `the proxy also probes every gateway itself every ${demoConfig.probe.interval / 1000} s (probe.*), so each one is measured even when the workload leaves it alone.`,
    '',
    `  proxy        ${proxy.proxyUrl}        <- point your application here instead of the AC`,
    `  metrics      ${proxy.adminUrl}/metrics`,
    `  status page  ${proxy.adminUrl}/`,
    `  report       ${proxy.adminUrl}/api/report`,
    `  simulator    ${simulator.url}   (ground truth: ${simulator.url}/__sim/truth)`,
    '',
    'With a real AC:  cassia-ac-proxy --upstream https://your-ac.example.com --gateways gateways.yaml',
    'Ctrl-C stops everything.',
    '',
  ].join('\n'));
  const running = proxy;
  return {
    proxyUrl: proxy.proxyUrl,
    adminUrl: proxy.adminUrl,
    simulatorUrl: simulator.url,
    async close() {
      await workload.stop();
      await running.close();
      await simulator.close();
    },
  };
}
