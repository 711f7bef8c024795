/**
 * `--help` text, generated from the flag table and the defaults so it cannot go stale.
 */
import { ENV_ONLY, FLAGS, type FlagSpec } from './flags.js';
import { DEFAULTS } from './load.js';
import { resolvedView } from './format.js';
import { formatHostPort } from './values.js';

/**
 * Defaults that no plain value says, in words. docs/reference.md and README.md state the same
 * words (test/docs/config-docs.test.ts checks every row against `defaultText`).
 */
export const SPECIAL_DEFAULTS: Readonly<Record<string, string>> = {
  upstream: 'none → demo mode',
  upstreamCa: 'none (system CAs)',
  gatewaysFile: 'none',
  'discovery.enabled': 'on when discovery.key, discovery.secret and upstream are set',
};

const DEFAULT_VIEW = resolvedView({ ...DEFAULTS, configFile: null, gatewaysFile: null });

function render(value: unknown): string {
  if (value === null || value === undefined) return 'none';
  if (Array.isArray(value)) return `[${value.map(render).join(', ')}]`;
  if (typeof value === 'object') return '{}';
  return String(value);
}

/**
 * The default of a dotted config key as `--help` and the docs state it: the value `check-config`
 * prints when nothing is configured (`5s`, `1MiB`, `127.0.0.1:8080`, `none`), or the words of
 * `SPECIAL_DEFAULTS`. Undefined for a section and for keys inside list or map entries.
 */
export function defaultText(key: string): string | undefined {
  const special = SPECIAL_DEFAULTS[key];
  if (special !== undefined) return special;
  let value: unknown = DEFAULT_VIEW;
  for (const part of key.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || !(part in value)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  const isSection = value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0;
  return isSection ? undefined : render(value);
}

function defaultOf(spec: FlagSpec): string {
  if (spec.key === undefined) return 'none';
  // A switch says whether the thing it turns on or off is on by default.
  const text = defaultText(spec.key) ?? 'none';
  if (spec.sets !== undefined && (text === 'true' || text === 'false')) return text === 'true' ? 'on' : 'off';
  return text;
}

/** The flag reference: flag, value, env variable, default, and what it does. */
export function flagsHelp(): string {
  const lines = FLAGS.map((spec) => {
    const left = `  --${spec.flag}${spec.value ? ` ${spec.value}` : ''}`;
    const env = spec.env ? `  env ${spec.env}` : '';
    return `${left.padEnd(44)}default: ${defaultOf(spec)}${env}\n      ${spec.help}${spec.key ? ` [${spec.key}]` : ''}`;
  });
  const envOnly = ENV_ONLY.map((e) => `  ${e.env.padEnd(42)}${e.help} [${e.key}]`);
  return [
    'Flags (flags beat environment, which beats the config file, which beats defaults):',
    ...lines,
    '',
    'Environment only (kept off the command line so they never show in `ps`):',
    ...envOnly,
    '',
    'Durations: 250ms, 30s, 5m, 1h (a unit is required). Sizes: 512KiB, 1MiB or bytes.',
    'Every flag has a config file key, shown in [brackets]; the file also takes transport.gateways',
    '(inline gateway map), sequence.builtin and sequence.extractors. Unknown keys are errors.',
  ].join('\n');
}

/** Help for `serve` (also the top-level help, with the command list in front). */
export function serveHelp(version: string, withCommands: boolean): string {
  const commands = [
    'Usage:',
    '  cassia-ac-proxy [serve] [flags]       run the proxy (the default command)',
    '  cassia-ac-proxy simulate [flags]      run the built-in Cassia AC simulator alone (see simulate --help)',
    '  cassia-ac-proxy check-config FILE     validate FILE, print the resolved config with secrets masked',
    '  cassia-ac-proxy report --prometheus URL  the transport report over every proxy Prometheus scraped (see report --help)',
    '  cassia-ac-proxy COMMAND --help        help for one command',
    '  cassia-ac-proxy --version',
    '',
  ];
  return [
    `cassia-ac-proxy ${version}: a sidecar reverse proxy for the Cassia AC REST API that measures`,
    '502/504 rates, latency and SSE event loss per gateway and per transport (CAPWAP vs MQTT).',
    '',
    ...(withCommands ? commands : ['Usage: cassia-ac-proxy serve [flags]', '']),
    'Point your application at the proxy (listen) instead of the AC; every call is forwarded untouched.',
    '',
    'Demo mode: with no upstream configured, serve starts the built-in simulator on a free loopback',
    'port (gateways on both transports, faults on), the proxy in front of it and a small client',
    'workload, and prints where everything is: real numbers within seconds, nothing to install.',
    '',
    `Admin server (admin, default http://${formatHostPort(DEFAULTS.admin)}):`,
    '  /            status page (HTML)          /metrics     Prometheus metrics (cassia_proxy_*)',
    '  /healthz     liveness                    /readyz      readiness (warns on --upstream-insecure)',
    '  /api/gateways, /api/report   JSON per gateway / transport comparison',
    '  POST /-/reload   re-read the config file (also on SIGHUP); a bad file keeps the old config',
    '',
    flagsHelp(),
    '',
    'Examples:',
    '  cassia-ac-proxy                                   # demo mode',
    '  CASSIA_AC_KEY=mykey CASSIA_AC_SECRET=mysecret \\',
    '    cassia-ac-proxy --upstream https://ac.example.com --gateways gateways.yaml',
    '  curl http://127.0.0.1:8080/api/cassia/hubs        # through the proxy',
    '  curl http://127.0.0.1:9464/metrics',
    '  gateways.yaml:   CC:1B:E0:E0:00:01: capwap',
    '                   cc-1b-e0-e0-00-02: { transport: mqtt, name: dock-2 }',
    '',
    'Exit codes: serve 0 after SIGTERM/SIGINT (which drain first), 2 invalid configuration, 1 any other',
    'failure (a port in use); check-config 0 valid, 1 invalid. SIGHUP reloads the configuration.',
  ].join('\n');
}

/** Help for `check-config`. */
export function checkConfigHelp(): string {
  return [
    'Usage: cassia-ac-proxy check-config FILE [flags]',
    '',
    'Validates FILE (YAML or JSON) together with the environment and any flags given, exactly as',
    'serve would, and prints the resolved configuration as YAML with secrets masked (the output is',
    'itself a valid config file). Exit 0 when valid; 1 with one line per problem otherwise.',
    '',
    'Example:  cassia-ac-proxy check-config proxy.yaml',
  ].join('\n');
}
