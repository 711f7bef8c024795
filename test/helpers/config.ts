/** A complete Config for tests, built directly (no files, no env). */
import { DEFAULTS } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? (T[K] extends URL ? T[K] : DeepPartial<T[K]>) : T[K] };

/** The product defaults, with both listeners on loopback port 0 and a short shutdown deadline. */
export function testConfig(upstream: string | null, overrides: DeepPartial<Config> = {}): Config {
  const base: Config = {
    ...DEFAULTS,
    upstream: upstream ? new URL(upstream) : null,
    listen: { host: '127.0.0.1', port: 0 },
    admin: { host: '127.0.0.1', port: 0 },
    timeouts: { ...DEFAULTS.timeouts, shutdown: 2000 },
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
