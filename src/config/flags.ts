/**
 * Every command-line flag and environment variable, in one table: the parser, the env reader
 * and `--help` all read it, so they cannot drift apart.
 */
import type { ConfigProblem } from './errors.js';
import { nearest } from './errors.js';
import { parseBoolean } from './values.js';

/** One flag (and the environment variable for the same key, if any). */
export interface FlagSpec {
  /** Without the leading `--`. */
  flag: string;
  /** Dotted config key it sets; absent for `--config`. */
  key?: string;
  env?: string;
  /** Placeholder shown in help; absent for switches (flags without a value). */
  value?: string;
  /** The value a switch sets. */
  sets?: boolean;
  help: string;
}

/** Flags in the order `--help` lists them. */
export const FLAGS: readonly FlagSpec[] = [
  { flag: 'config', value: 'FILE', help: 'YAML or JSON config file (reloaded on SIGHUP and POST /-/reload)' },
  { flag: 'upstream', key: 'upstream', env: 'CASSIA_AC_URL', value: 'URL', help: 'Cassia AC base URL, http(s)://host[:port]; none = demo mode' },
  { flag: 'upstream-ca', key: 'upstreamCa', env: 'CASSIA_AC_CA', value: 'FILE', help: 'PEM CA bundle for an https upstream with its own CA' },
  { flag: 'upstream-insecure', key: 'upstreamInsecure', sets: true, help: 'do not verify the upstream TLS certificate (warns at start and in /readyz)' },
  { flag: 'listen', key: 'listen', env: 'PROXY_LISTEN', value: 'HOST:PORT', help: 'where applications connect (:PORT = all IPv4 interfaces)' },
  { flag: 'admin-listen', key: 'admin', env: 'ADMIN_LISTEN', value: 'HOST:PORT', help: 'metrics, health, status page and reload' },
  { flag: 'connect-timeout', key: 'timeouts.connect', value: 'DURATION', help: 'TCP/TLS connect to the AC' },
  { flag: 'headers-timeout', key: 'timeouts.headers', value: 'DURATION', help: 'wait for response headers (Cassia connects take up to 20s)' },
  { flag: 'stream-idle-timeout', key: 'timeouts.streamIdle', value: 'DURATION', help: 'end an SSE stream silent this long (AC keep-alive ~30s)' },
  { flag: 'shutdown-timeout', key: 'timeouts.shutdown', value: 'DURATION', help: 'graceful shutdown waits this long for in-flight requests' },
  { flag: 'client-headers-timeout', key: 'timeouts.clientHeaders', value: 'DURATION', help: 'a client must send complete request headers within this (408 otherwise)' },
  { flag: 'client-body-timeout', key: 'timeouts.clientBody', value: 'DURATION', help: 'idle time allowed between request-body chunks (408 while no response has started)' },
  { flag: 'client-keep-alive-timeout', key: 'timeouts.clientKeepAlive', value: 'DURATION', help: 'close idle client connections after this; longer than client pools keep theirs' },
  { flag: 'default-transport', key: 'transport.default', value: 'capwap|mqtt|unknown', help: 'transport of gateways not in the gateway map' },
  { flag: 'expected-transport', key: 'transport.expected', value: 'capwap|mqtt|none', help: 'transport every gateway should be on (alerts otherwise)' },
  { flag: 'gateways', key: 'gatewaysFile', value: 'FILE', help: 'YAML/JSON map "MAC: capwap" or "MAC: {transport, name}"' },
  { flag: 'discovery', key: 'discovery.enabled', sets: true, help: 'poll /api/cassia/hubs with the proxy\'s own CASSIA_AC_KEY/CASSIA_AC_SECRET' },
  { flag: 'no-discovery', key: 'discovery.enabled', sets: false, help: 'never poll the hub list (passive learning stays on)' },
  { flag: 'discovery-interval', key: 'discovery.interval', value: 'DURATION', help: 'hub list polling interval' },
  { flag: 'probe', key: 'probe.enabled', sets: true, help: 'probe every known gateway with CASSIA_AC_KEY/CASSIA_AC_SECRET; on in ONE place per AC' },
  { flag: 'no-probe', key: 'probe.enabled', sets: false, help: 'no active probes' },
  { flag: 'probe-interval', key: 'probe.interval', value: 'DURATION', help: 'time between two probes of one gateway, spread evenly over all' },
  { flag: 'reorder-window', key: 'sequence.reorderWindow', value: 'N', help: 'sequence numbers an event may arrive late before it counts as missing' },
  { flag: 'reorder-window-time', key: 'sequence.reorderWindowTime', value: 'DURATION', help: 'time a gap waits before it counts as missing' },
  { flag: 'request-sequence', key: 'sequence.request', sets: true, help: 'add sequence=2 to notification and combined streams that lack it, remove the seqNum it adds before the client sees it' },
  { flag: 'max-gateways', key: 'limits.maxGateways', value: 'N', help: 'gateway label values; later gateways share "other"' },
  { flag: 'max-tracked-devices', key: 'limits.maxTrackedDevices', value: 'N', help: 'sequence trackers, least recently seen evicted' },
  { flag: 'max-client-connections', key: 'limits.maxClientConnections', value: 'N', help: 'open client connections; further ones are closed at once' },
  { flag: 'max-event-bytes', key: 'limits.maxEventBytes', value: 'SIZE', help: 'largest SSE event analysed (larger ones are still forwarded)' },
  { flag: 'log-level', key: 'log.level', env: 'LOG_LEVEL', value: 'LEVEL', help: 'trace, debug, info, warn, error, fatal or silent' },
  { flag: 'no-access-log', key: 'log.access', sets: false, help: 'no per-request access log line' },
];

/** Environment variables with no flag: credentials stay off the command line (and out of `ps`). */
export const ENV_ONLY: readonly { env: string; key: string; help: string }[] = [
  { env: 'CASSIA_AC_KEY', key: 'discovery.key', help: 'API key for hub discovery and probes' },
  { env: 'CASSIA_AC_SECRET', key: 'discovery.secret', help: 'API secret for hub discovery and probes' },
];

/** Every environment variable read, with the key it sets. */
export const ENV_VARS: readonly { env: string; key: string }[] = [
  ...FLAGS.flatMap((f) => (f.env && f.key ? [{ env: f.env, key: f.key }] : [])),
  ...ENV_ONLY,
];

/** What the command line said. */
export interface ParsedFlags {
  /** Dotted key to raw value (strings, or booleans for switches). */
  values: Map<string, unknown>;
  /** Dotted key to the flag that set it, for error lines. */
  flagOf: Map<string, string>;
  configFile: string | null;
  positionals: string[];
  help: boolean;
  version: boolean;
  problems: ConfigProblem[];
}

const BY_NAME = new Map(FLAGS.map((f) => [f.flag, f]));

/**
 * Parses `--flag value`, `--flag=value`, switches, `-h`/`--help`, `-v`/`--version`. Unknown
 * flags are problems naming the nearest known flag; the last of a repeated flag wins.
 */
export function parseFlags(argv: readonly string[]): ParsedFlags {
  const out: ParsedFlags = { values: new Map(), flagOf: new Map(), configFile: null, positionals: [], help: false, version: false, problems: [] };
  const problem = (message: string) => out.problems.push({ source: 'command line', key: '', message: `command line: ${message}` });
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '-h' || arg === '--help') { out.help = true; continue; }
    if (arg === '-v' || arg === '--version') { out.version = true; continue; }
    if (arg === '--') { out.positionals.push(...argv.slice(i + 1)); break; }
    if (!arg.startsWith('-') || arg === '-') { out.positionals.push(arg); continue; }
    const eq = arg.indexOf('=');
    const name = arg.slice(arg.startsWith('--') ? 2 : 1, eq < 0 ? undefined : eq);
    const spec = arg.startsWith('--') ? BY_NAME.get(name) : undefined;
    if (!spec) {
      const guess = nearest(name, [...BY_NAME.keys(), 'help', 'version']);
      problem(`unknown flag "${arg.slice(0, eq < 0 ? undefined : eq)}"${guess ? ` — did you mean "--${guess}"?` : ' — see --help'}`);
      // Its value, if any, would otherwise be reported again as a stray argument.
      if (eq < 0 && i + 1 < argv.length && !(argv[i + 1] ?? '').startsWith('-')) i++;
      continue;
    }
    let value: unknown;
    if (spec.value === undefined) {
      // `--upstream-insecure=false` is handy in scripts; anything but a boolean is a mistake.
      const given = eq < 0 ? true : parseBoolean(arg.slice(eq + 1));
      if (given !== true && !given.ok) { problem(`--${name} = "${arg.slice(eq + 1)}" — expected no value, or =true / =false`); continue; }
      value = given === true || given.value ? spec.sets : !spec.sets;
    } else if (eq >= 0) {
      value = arg.slice(eq + 1);
    } else if (i + 1 < argv.length && !(argv[i + 1] ?? '').startsWith('--')) {
      value = argv[++i];
    } else {
      problem(`--${name} = nothing — expected ${spec.value} after it`);
      continue;
    }
    if (spec.key === undefined) out.configFile = String(value);
    else {
      out.values.set(spec.key, value);
      out.flagOf.set(spec.key, `--${name}`);
    }
  }
  return out;
}

/** Reads the environment variables of `ENV_VARS`; empty ones count as unset (compose's `${X:-}`). */
export function readEnv(env: Readonly<Record<string, string | undefined>>): { values: Map<string, unknown>; envOf: Map<string, string> } {
  const values = new Map<string, unknown>();
  const envOf = new Map<string, string>();
  for (const { env: name, key } of ENV_VARS) {
    const value = env[name];
    if (value === undefined || value.trim() === '') continue;
    values.set(key, value);
    envOf.set(key, name);
  }
  return { values, envOf };
}
