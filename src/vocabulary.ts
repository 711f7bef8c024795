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

/**
 * The `error` label values: what the AC said in an error answer (status 400 or above, not an
 * event stream), in Cassia's own words (AC_ERROR_TEXTS), `other` when it said none of them.
 */
export const AC_ERRORS = [
  'chip_busy',
  'no_resources',
  'device_not_found',
  'device_not_connected',
  'operation_timeout',
  'connect_failed',
  'parameter_invalid',
  'hub_not_found',
  'gateway_offline',
  'token_expired',
  'forbidden',
  'other',
] as const;
export type AcError = (typeof AC_ERRORS)[number];

/**
 * Whose doing an error answer is. `application`: the calls themselves caused it (too many at once,
 * bad parameters, an old token) and fixing the application fixes it, whatever the transport;
 * `gateway`: the gateway, its radio link to the device, or its link to the AC failed — where a
 * transport can make a difference; `unknown`: nothing recognisable was said.
 */
export type AcErrorCause = 'application' | 'gateway' | 'unknown';

/** One row of the classification: a text the AC answers (matched in lower case) and its word. */
export interface AcErrorText {
  /** Lower-case text searched for in the answer's body. */
  readonly text: string;
  readonly error: AcError;
  /** Where the text comes from. */
  readonly source: string;
}

/**
 * How an error answer's body maps to a word: the first row whose text the body contains (in lower
 * case) wins, so a longer text that contains a shorter one comes first. Cassia's gateway-side
 * errors are HTTP 500 with one of these short texts as the whole body; the AC's token answer is a
 * JSON object. A body matching no row is `forbidden` when the status is 401 or 403, else `other`
 * (src/classify/ac-error.ts).
 */
export const AC_ERROR_TEXTS: readonly AcErrorText[] = [
  { text: 'token not found or expired', error: 'token_expired',
    source: 'the AC\'s answer to an expired or unknown token, 403 `{"error":"forbidden","error_description":"Token not found or expired"}`; a token lives `expires_in` (3600) s and Cassia\'s samples fetch one at start' },
  { text: 'chip is busy', error: 'chip_busy',
    source: 'wiki "Error Messages": GATT and connect calls are mutually exclusive; a call before the previous one finished gets it' },
  { text: 'no resources', error: 'no_resources',
    source: 'wiki "Error Messages" (the chip\'s table is full); wiki "RESTful API": a gateway takes about 20–30 event streams, past that it answers 500' },
  { text: 'device not found', error: 'device_not_found',
    source: 'wiki "Error Messages": the device is not connected to the gateway when a GATT call or an RSSI read arrives' },
  { text: 'device not connect', error: 'device_not_connected',
    source: 'wiki "Error Messages": "same as device not found" (also matches "device not connected")' },
  { text: 'operation timeout', error: 'operation_timeout',
    source: 'wiki "Error Messages": an operation ran past its time-out, a connect to a device that does not answer after 20 s' },
  { text: 'connect failed', error: 'connect_failed',
    source: 'a connect the gateway could not complete; not on the wiki\'s "Error Messages" page (inferred from integrations; the simulator answers it)' },
  { text: 'parameter invalid', error: 'parameter_invalid',
    source: 'wiki "Error Messages": a bad chip id, MAC format, odd-length hex value or pairing key' },
  { text: 'hub not found', error: 'hub_not_found',
    source: 'a call whose `mac` names no gateway the AC knows; the AC\'s text is not public (inferred; the simulator answers it)' },
  { text: 'gateway is offline', error: 'gateway_offline',
    source: 'a call for a gateway not connected to the AC: integrations match "gateway is offline"; the AC\'s answer is not documented (inferred)' },
  { text: 'gateway offline', error: 'gateway_offline',
    source: 'the same, shorter (the simulator answers 502 `gateway offline`)' },
  { text: '"error":"forbidden"', error: 'forbidden',
    source: 'the AC\'s 403 body (`"error":"forbidden"`) with another description than the expired token' },
];

/** Whose doing each word is (see AcErrorCause); `other` is unknown by definition. */
export const AC_ERROR_CAUSES: Readonly<Record<AcError, AcErrorCause>> = {
  chip_busy: 'application',
  no_resources: 'application',
  device_not_found: 'gateway',
  device_not_connected: 'gateway',
  operation_timeout: 'gateway',
  connect_failed: 'gateway',
  parameter_invalid: 'application',
  hub_not_found: 'application',
  gateway_offline: 'gateway',
  token_expired: 'application',
  forbidden: 'application',
  other: 'unknown',
};
