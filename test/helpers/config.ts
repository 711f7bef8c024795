/** A complete Config for tests, built directly (no files, no env), with loopback port 0 listeners. */
import type { Config } from '../../src/config/types.js';

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? (T[K] extends URL ? T[K] : DeepPartial<T[K]>) : T[K] };

export function testConfig(upstream: string | null, overrides: DeepPartial<Config> = {}): Config {
  const base: Config = {
    upstream: upstream ? new URL(upstream) : null,
    upstreamCa: null,
    upstreamInsecure: false,
    listen: { host: '127.0.0.1', port: 0 },
    admin: { host: '127.0.0.1', port: 0 },
    timeouts: { connect: 5000, headers: 30000, streamIdle: 75000, shutdown: 2000 },
    transport: { default: 'unknown', gateways: {}, expected: null },
    discovery: { enabled: false, interval: 60000, key: null, secret: null },
    sequence: { builtin: ['seqNum', 'ruuvi', 'eddystone-tlm'], extractors: [], reorderWindow: 64, reorderWindowTime: 5000 },
    limits: { maxGateways: 1000, maxTrackedDevices: 200000, maxEventBytes: 1024 * 1024 },
    log: { level: 'info', access: true },
    configFile: null,
    gatewaysFile: null,
  };
  return merge(base, overrides) as Config;
}

function merge(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (over === null || typeof over !== 'object' || Array.isArray(over) || over instanceof URL) return over;
  const from = (base ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = { ...from };
  for (const [k, v] of Object.entries(over)) out[k] = merge(from[k], v);
  return out;
}
