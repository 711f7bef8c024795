/**
 * loadConfig: flags > environment > config file > defaults, each layer validated on its own,
 * then merged, cross-checked and deep-frozen. Every problem found is reported at once.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ConfigError, type ConfigProblem } from './errors.js';
import { parseFlags, readEnv } from './flags.js';
import { deepFreeze } from './freeze.js';
import { type Layer, maskForKey, nest, readStructuredFile, validateLayer } from './layers.js';
import { BUILTIN_EXTRACTORS, keysAt, type LayerValues } from './schema.js';
import type { Config, HostPort } from './types.js';
import { formatHostPort } from './values.js';

/** Where to read configuration from. */
export interface LoadConfigOptions {
  /** Flags only, without the command word: `['--config', 'proxy.yaml', '--listen', ':8080']`. */
  argv?: readonly string[];
  /** The environment to read: the command passes its process's (only cli.ts reads it). */
  env: Readonly<Record<string, string | undefined>>;
  /** Relative paths on the command line and in the environment resolve against this. */
  cwd?: string;
}

/** Built-in defaults (the configuration table of docs/reference.md), before any layer. */
export const DEFAULTS: Omit<Config, 'configFile' | 'gatewaysFile'> = deepFreeze({
  upstream: null,
  upstreamCa: null,
  upstreamInsecure: false,
  listen: { host: '127.0.0.1', port: 8080 },
  admin: { host: '127.0.0.1', port: 9464 },
  timeouts: {
    connect: 5_000, headers: 30_000, streamIdle: 75_000, shutdown: 10_000,
    clientHeaders: 10_000, clientBody: 30_000,
    // Longer than the idle time of the pools clients keep their connections in (undici 4 s, the
    // Node.js global agent 5 s, aiohttp 15 s; an AWS load balancer 60 s), so that the client, not
    // the proxy, closes an idle connection: a client that sends on a connection the server closes
    // at the same moment gets a reset. Every response also says `Keep-Alive: timeout=65`, which
    // undici and the Node.js agent honour (closing 2 s / 1 s before).
    clientKeepAlive: 65_000,
  },
  transport: { default: 'unknown', gateways: {}, expected: null },
  discovery: { enabled: false, interval: 60_000, key: null, secret: null },
  probe: { enabled: false, interval: 30_000, timeout: 10_000, maxPerSecond: 2, call: 'connected-devices' },
  sequence: { builtin: [...BUILTIN_EXTRACTORS], extractors: [], reorderWindow: 64, reorderWindowTime: 5_000, request: false },
  limits: { maxGateways: 1000, maxTrackedDevices: 200_000, maxEventBytes: 1024 * 1024, maxClientConnections: 1024 },
  log: { level: 'info', access: true },
});

const isSection = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof URL);

/** Later layers win key by key; gateway maps merge gateway by gateway. */
function merge(layers: readonly Layer[]): { merged: Record<string, unknown>; from: Map<string, Layer> } {
  const merged: Record<string, unknown> = {};
  const from = new Map<string, Layer>();
  const put = (target: Record<string, unknown>, key: string, value: unknown, dotted: string, layer: Layer) => {
    if (value === undefined) return;
    target[key] = value;
    from.set(dotted, layer);
  };
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer.values)) {
      // A leaf may be an object too (`listen` is a HostPort): only the schema's sections merge key by key.
      if (!isSection(value) || keysAt([key]).length === 0) { put(merged, key, value, key, layer); continue; }
      const section = (merged[key] ??= {}) as Record<string, unknown>;
      for (const [sub, subValue] of Object.entries(value)) {
        if (sub === 'gateways') section[sub] = { ...(section[sub] as object | undefined), ...(subValue as object) };
        else put(section, sub, subValue, `${key}.${sub}`, layer);
      }
    }
  }
  return { merged, from };
}

async function readLayer(path: string, cwd: string, wrap: (raw: unknown) => unknown, nameOf: (key: string) => string): Promise<Layer | ConfigProblem> {
  const read = await readStructuredFile(path, cwd);
  if ('problem' in read) return read.problem;
  return validateLayer({ source: path, raw: wrap(read.raw), nameOf, baseDir: dirname(resolve(cwd, path)) });
}

async function checkCaFile(path: string, name: string, source: string): Promise<ConfigProblem | null> {
  const fail = (why: string) => ({ source, key: 'upstreamCa', message: `${source}: ${name} = ${JSON.stringify(path)} — ${why}` });
  try {
    const text = await readFile(path, 'utf8');
    return text.includes('-----BEGIN CERTIFICATE-----') ? null : fail('expected a PEM file with at least one "-----BEGIN CERTIFICATE-----" block');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return fail(code === 'ENOENT' ? 'expected a PEM CA bundle: file not found' : `expected a readable PEM CA bundle: cannot read the file (${code ?? 'error'})`);
  }
}

const WILDCARDS = new Set(['0.0.0.0', '::']);

/**
 * Whether two listeners would take the same socket: the same port (0 asks for a free one, so it
 * never clashes) on the same host, or on a wildcard that covers every address.
 */
function sameListener(a: HostPort, b: HostPort): boolean {
  if (a.port === 0 || a.port !== b.port) return false;
  const [x, y] = [a.host.toLowerCase(), b.host.toLowerCase()];
  return x === y || WILDCARDS.has(x) || WILDCARDS.has(y);
}

/**
 * Reads and validates the whole configuration. Throws `ConfigError` (code `CONFIG_INVALID`)
 * listing every problem; returns a deeply frozen `Config` otherwise.
 */
export async function loadConfig(options: LoadConfigOptions): Promise<Config> {
  const cwd = options.cwd ?? process.cwd();
  const flags = parseFlags(options.argv ?? []);
  const problems: ConfigProblem[] = [...flags.problems];
  for (const extra of flags.positionals) {
    problems.push({ source: 'command line', key: '', message: `command line: unexpected argument "${extra}" — expected flags only (see --help)` });
  }
  const { values: envValues, envOf } = readEnv(options.env);
  const layers: Layer[] = [];
  const add = (layer: Layer | ConfigProblem) => {
    if ('values' in layer) { layers.push(layer); problems.push(...layer.problems); } else problems.push(layer);
  };

  const configFile = flags.configFile === null ? null : resolve(cwd, flags.configFile);
  if (flags.configFile !== null) add(await readLayer(flags.configFile, cwd, (raw) => raw, (key) => key));
  const envLayer = validateLayer({ source: 'environment', raw: nest(envValues), nameOf: (k) => envOf.get(k) ?? k, baseDir: cwd });
  const flagLayer = validateLayer({ source: 'command line', raw: nest(flags.values), nameOf: (k) => flags.flagOf.get(k) ?? k, baseDir: cwd });

  // The gateway map file sits between the config file (whose inline map it overrides) and env.
  const gatewaysFrom = [flagLayer, envLayer, ...layers].find((l) => typeof l.values.gatewaysFile === 'string');
  const gatewaysPath = gatewaysFrom?.values.gatewaysFile ?? null;
  let gatewaysFile: string | null = null;
  if (gatewaysFrom && typeof gatewaysPath === 'string') {
    gatewaysFile = resolve(gatewaysFrom.baseDir, gatewaysPath);
    add(await readLayer(gatewaysFile, cwd, (raw) => ({ transport: { gateways: raw } }),
      (key) => (key === 'transport.gateways' ? '(top level)' : key.replace(/^transport\.gateways\./, ''))));
  }
  add(envLayer);
  add(flagLayer);

  const { merged, from } = merge(layers);
  const values = merged as LayerValues;
  const nameIn = (key: string) => {
    const layer = from.get(key);
    return { source: layer?.source ?? 'defaults', name: layer?.nameOf(key) ?? key };
  };

  let upstreamCa: string | null = null;
  if (typeof values.upstreamCa === 'string') {
    const { source, name } = nameIn('upstreamCa');
    upstreamCa = resolve(from.get('upstreamCa')?.baseDir ?? cwd, values.upstreamCa);
    const problem = await checkCaFile(upstreamCa, name, source);
    if (problem) problems.push(problem);
  }

  const upstream = values.upstream ?? null;
  const discovery = { ...DEFAULTS.discovery, ...values.discovery };
  const hasCredentials = discovery.key !== null && discovery.secret !== null;
  if (values.discovery?.enabled === undefined) discovery.enabled = hasCredentials && upstream !== null;
  else if (discovery.enabled && !hasCredentials) {
    const { source, name } = nameIn('discovery.enabled');
    problems.push({ source, key: 'discovery.enabled', message: `${source}: ${name} = true — expected discovery.key and discovery.secret as well (CASSIA_AC_KEY / CASSIA_AC_SECRET)` });
  }
  const probe = { ...DEFAULTS.probe, ...values.probe };
  // The demo (no upstream) brings its own credentials; a real AC needs the operator's. With only
  // one of the two set, the check below names the missing one.
  if (probe.enabled && upstream !== null && discovery.key === null && discovery.secret === null) {
    const { source, name } = nameIn('probe.enabled');
    problems.push({ source, key: 'discovery.key', message: `${source}: ${name} = true — expected discovery.key and discovery.secret (CASSIA_AC_KEY / CASSIA_AC_SECRET): probes use the proxy's own credentials` });
  }
  if ((discovery.key === null) !== (discovery.secret === null)) {
    const [given, missing] = discovery.key === null ? ['discovery.secret', 'discovery.key'] : ['discovery.key', 'discovery.secret'];
    const { source, name } = nameIn(given);
    problems.push({ source, key: missing, message: `${source}: ${name} = ${maskForKey(given, values.discovery?.[given === 'discovery.key' ? 'key' : 'secret'])} — expected ${missing} as well: key and secret (CASSIA_AC_KEY and CASSIA_AC_SECRET) go together` });
  }

  const listen = values.listen ?? DEFAULTS.listen;
  const admin = values.admin ?? DEFAULTS.admin;
  if (sameListener(listen, admin)) {
    // Named by the one a layer set (admin when both were): that is the value to change.
    const [key, other] = from.has('admin') ? ['admin', 'listen'] as const : ['listen', 'admin'] as const;
    const { source, name } = nameIn(key);
    const where = from.has(other) ? `${nameIn(other).name} = "${formatHostPort(values[other] ?? DEFAULTS[other])}" in ${nameIn(other).source}` : 'its default';
    problems.push({ source, key, message: `${source}: ${name} = "${formatHostPort(key === 'admin' ? admin : listen)}" — expected another address than ${other} (${where}): the proxy and the admin server cannot listen on one address` });
  }
  if (values.upstreamInsecure === true && upstreamCa !== null) {
    const { source, name } = nameIn('upstreamInsecure');
    const ca = nameIn('upstreamCa');
    problems.push({ source, key: 'upstreamInsecure', message: `${source}: ${name} = true — expected not together with upstreamCa (${ca.name} in ${ca.source}): a CA bundle only serves to verify the AC's certificate, which upstreamInsecure switches off; keep one of them` });
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze<Config>({
    upstream,
    upstreamCa,
    upstreamInsecure: values.upstreamInsecure ?? DEFAULTS.upstreamInsecure,
    listen: { ...listen },
    admin: { ...admin },
    timeouts: { ...DEFAULTS.timeouts, ...values.timeouts },
    transport: { ...DEFAULTS.transport, ...values.transport, gateways: { ...values.transport?.gateways } },
    discovery,
    probe,
    sequence: { ...DEFAULTS.sequence, builtin: [...DEFAULTS.sequence.builtin], ...values.sequence },
    limits: { ...DEFAULTS.limits, ...values.limits },
    log: { ...DEFAULTS.log, ...values.log },
    configFile,
    gatewaysFile,
  });
}

/**
 * A function that re-reads the same files with the same flags and environment (snapshotted
 * now), for SIGHUP and `POST /-/reload`. It returns the new Config or throws `ConfigError`;
 * the caller keeps the old one on error.
 */
export function createConfigReloader(options: LoadConfigOptions): () => Promise<Config> {
  const snapshot: LoadConfigOptions = {
    argv: [...(options.argv ?? [])],
    env: { ...options.env },
    cwd: options.cwd ?? process.cwd(),
  };
  return () => loadConfig(snapshot);
}
