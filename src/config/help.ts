/**
 * `--help` text, generated from the flag table and the defaults so it cannot go stale.
 */
import { ENV_ONLY, FLAGS, type FlagSpec } from './flags.js';
import { DEFAULTS } from './load.js';
import { formatByteSize, formatDuration, formatHostPort } from './values.js';

/** Defaults that are not a plain value, in words. */
const SPECIAL_DEFAULTS: Record<string, string> = {
  config: 'none',
  upstream: 'none → demo mode',
  upstreamCa: 'system CAs',
  gatewaysFile: 'none',
  'transport.expected': 'none',
  'discovery.enabled': 'on when key, secret and upstream are set',
};

function defaultOf(spec: FlagSpec): string {
  if (spec.sets !== undefined && spec.key && !SPECIAL_DEFAULTS[spec.key]) return spec.sets ? 'off' : 'on';
  const special = SPECIAL_DEFAULTS[spec.key ?? spec.flag];
  if (special) return special;
  let value: unknown = DEFAULTS;
  for (const part of (spec.key ?? '').split('.')) value = (value as Record<string, unknown>)[part];
  if (spec.value === 'DURATION') return formatDuration(value as number);
  if (spec.value === 'SIZE') return formatByteSize(value as number);
  if (spec.value === 'HOST:PORT') return formatHostPort(value as { host: string; port: number });
  return String(value);
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
    '  cassia-ac-proxy check-config FILE     validate FILE, print the resolved config with secrets masked; exit 0/1',
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
    'Exit codes: 0 ok, 1 error, 2 invalid configuration. SIGHUP reloads; SIGTERM/SIGINT drain and exit.',
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
