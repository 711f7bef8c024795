/**
 * The resolved configuration as YAML, for `check-config` and the startup log. Secrets are
 * masked. Values are written in the units people write (`5s`, `1MiB`, `127.0.0.1:8080`), so
 * the output is itself a valid config file.
 */
import YAML from 'yaml';
import type { Config } from './types.js';
import { formatByteSize, formatDuration, formatHostPort, maskUrl } from './values.js';

const MASK = '***';

/**
 * `config` as the plain values a config file holds, in the units people write, secrets masked:
 * what `check-config` prints, and where `--help` and the docs tests read defaults from.
 */
export function resolvedView(config: Config): Record<string, unknown> {
  const gateways = Object.fromEntries(Object.entries(config.transport.gateways).map(([mac, entry]) =>
    [mac, entry.name === undefined ? entry.transport : { transport: entry.transport, name: entry.name }]));
  return {
    upstream: config.upstream === null ? null : maskUrl(config.upstream.href),
    upstreamCa: config.upstreamCa,
    upstreamInsecure: config.upstreamInsecure,
    listen: formatHostPort(config.listen),
    admin: formatHostPort(config.admin),
    timeouts: {
      connect: formatDuration(config.timeouts.connect),
      headers: formatDuration(config.timeouts.headers),
      streamIdle: formatDuration(config.timeouts.streamIdle),
      shutdown: formatDuration(config.timeouts.shutdown),
      clientHeaders: formatDuration(config.timeouts.clientHeaders),
      clientBody: formatDuration(config.timeouts.clientBody),
      clientKeepAlive: formatDuration(config.timeouts.clientKeepAlive),
    },
    transport: { default: config.transport.default, expected: config.transport.expected, gateways },
    discovery: {
      enabled: config.discovery.enabled,
      interval: formatDuration(config.discovery.interval),
      key: config.discovery.key,
      secret: config.discovery.secret === null ? null : MASK,
    },
    probe: {
      enabled: config.probe.enabled,
      interval: formatDuration(config.probe.interval),
      timeout: formatDuration(config.probe.timeout),
      maxPerSecond: config.probe.maxPerSecond,
      call: config.probe.call,
    },
    sequence: {
      builtin: [...config.sequence.builtin],
      extractors: config.sequence.extractors.map((extractor) => ({ ...extractor })),
      reorderWindow: config.sequence.reorderWindow,
      reorderWindowTime: formatDuration(config.sequence.reorderWindowTime),
      request: config.sequence.request,
    },
    limits: { ...config.limits, maxEventBytes: formatByteSize(config.limits.maxEventBytes) },
    log: { ...config.log },
  };
}

/** `config` as YAML with `discovery.secret` and upstream URL credentials replaced by `***`. */
export function formatConfig(config: Config): string {
  const header = [
    '# cassia-ac-proxy: resolved configuration (flags > environment > file > defaults; secrets masked)',
    `# config file: ${config.configFile ?? 'none'}`,
    ...(config.gatewaysFile ? [`# gateways file: ${config.gatewaysFile}`] : []),
    ...(config.upstream === null ? ['# upstream: none, so `serve` runs the demo (simulator + proxy + sample workload)'] : []),
  ];
  return `${header.join('\n')}\n${YAML.stringify(resolvedView(config))}`;
}
