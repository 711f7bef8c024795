/**
 * The product's words: the label values every part of the proxy speaks in (transports, stream
 * kinds, origins, the gateway labels that are pools rather than gateways) and the one normal form
 * of a MAC. The values are the outside contract (docs/reference.md, "Label values"): extend,
 * never rename. This module imports nothing, so any folder can use the words without depending
 * on the folder that happens to need them most.
 */

/** How a gateway reaches the AC, as the operator declares it (no Cassia API field reveals it). */
export const TRANSPORTS = ['capwap', 'mqtt', 'unknown'] as const;
export type Transport = (typeof TRANSPORTS)[number];

/** `transport` label value of a call that names no gateway. */
export const NO_TRANSPORT = 'none';

/** The `transport` label values, in the order reports list them: a gateway's transport, or `none`. */
export const TRANSPORT_LABELS = [...TRANSPORTS, NO_TRANSPORT] as const;
export type TransportLabel = (typeof TRANSPORT_LABELS)[number];

/** The `stream` label values: which kind of event stream a request opened. */
export const STREAM_KINDS = ['scan', 'notification', 'connection_state', 'combined', 'hub_status', 'rssi', 'other'] as const;
export type StreamKind = (typeof STREAM_KINDS)[number];

/** The `origin` label values: who produced the status the client saw (the AC, the proxy, or the client going away). */
export const ORIGINS = ['upstream', 'proxy', 'client'] as const;
export type Origin = (typeof ORIGINS)[number];

/**
 * The `result` label values of the proxy's own probes: the gateway's answer through the AC (`ok`,
 * `502`, `504`, `error` for any other answer), no answer within `probe.timeout` (`timeout`), or no
 * connection to the AC at all (`unreachable`).
 */
export type ProbeResult = 'ok' | '502' | '504' | 'timeout' | 'error' | 'unreachable';

/** `gateway` label value of a call that names no gateway. */
export const NO_GATEWAY = 'none';
/** `gateway` label value shared by gateways past `limits.maxGateways` and by MACs not yet vouched for. */
export const OVERFLOW_GATEWAY = 'other';

/** Whether a `gateway` label value is a pool (`none`, `other`) rather than one gateway: no verdict, no identity. */
export function isGatewayPool(label: string): boolean {
  return label === NO_GATEWAY || label === OVERFLOW_GATEWAY;
}

const MAC_RE = /^[0-9a-fA-F]{2}([:-]?)[0-9a-fA-F]{2}(?:\1[0-9a-fA-F]{2}){4}$/;

/**
 * The one normal form of a gateway or device MAC: `cc:1b:e0:e0:00:01`, `CC-1B-E0-E0-00-01` or
 * `CC1BE0E00001` become `CC:1B:E0:E0:00:01`; null if the value is not a MAC.
 */
export function normalizeMac(value: string): string | null {
  if (value.length < 12 || value.length > 17 || !MAC_RE.test(value)) return null;
  const hex = value.replace(/[:-]/g, '').toUpperCase();
  return `${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}:${hex.slice(6, 8)}:${hex.slice(8, 10)}:${hex.slice(10, 12)}`;
}
