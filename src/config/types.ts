/**
 * The resolved, validated configuration every module receives. Produced by `loadConfig` in
 * this folder from flags > environment > config file > defaults (docs/reference.md), then frozen.
 * Durations are milliseconds; MACs are normalised upper-case `AA:BB:CC:DD:EE:FF`.
 */
import type { Transport } from '../vocabulary.js';

/** The read-only call a probe makes (`PROBE_CALLS` in values.ts says what each is). */
export type ProbeCall = 'connected-devices' | 'info';

export interface HostPort {
  host: string;
  port: number;
}

export interface GatewayEntry {
  transport: Transport;
  name?: string;
}

/**
 * A user-defined sequence-number extractor: where a counter sits inside an event's payload.
 * `stream` is `notification` (the hex `value`) or `scan` (the hex `adData`/`scanData`).
 */
export interface SequenceExtractor {
  name: string;
  stream: 'notification' | 'scan';
  /** Notification only: only values from this handle. */
  handle?: number;
  /** Scan only: only manufacturer-specific data (AD type 0xFF) with this company id. */
  manufacturerId?: number;
  /** Byte offset inside the notification value / manufacturer data (after the company id). */
  offset: number;
  /** 1, 2, 4 bytes. */
  length: 1 | 2 | 4;
  endian: 'big' | 'little';
  /** Counter modulus; defaults to 2^(8*length). */
  wrap?: number;
}

export interface Config {
  /** AC base URL (http or https); null runs the demo. */
  upstream: URL | null;
  /** Path of a PEM CA bundle for the upstream, or null for system CAs. */
  upstreamCa: string | null;
  upstreamInsecure: boolean;
  listen: HostPort;
  admin: HostPort;
  timeouts: {
    connect: number;
    headers: number;
    streamIdle: number;
    /** How long graceful shutdown waits for in-flight requests. */
    shutdown: number;
    /** Time a client has to send complete request headers (408 otherwise). */
    clientHeaders: number;
    /** Idle time allowed while the proxy waits for the next chunk of a request body (408 otherwise). */
    clientBody: number;
    /** How long an idle client keep-alive connection is kept open (longer than client pools keep theirs). */
    clientKeepAlive: number;
  };
  transport: {
    default: Transport;
    /** Keyed by normalised MAC. */
    gateways: Readonly<Record<string, GatewayEntry>>;
    /** Transport every gateway should be on (alerts when one is not); null = no expectation. */
    expected: Transport | null;
  };
  discovery: {
    /** Poll `/api/cassia/hubs` with own credentials; needs key and secret (also used by `probe`). */
    enabled: boolean;
    interval: number;
    key: string | null;
    secret: string | null;
  };
  /** Active probes of the AC→gateway path with the proxy's own credentials (`discovery.key`/`secret`). */
  probe: {
    enabled: boolean;
    /** ms between two probes of one gateway (online gateways; offline ones are probed less often). */
    interval: number;
    /** ms a probe may take to its response headers; longer is result `timeout`. */
    timeout: number;
    /** Probes started per second, over every gateway together. */
    maxPerSecond: number;
    call: ProbeCall;
  };
  sequence: {
    /** Built-in extractors that are on (`seqNum`, `ruuvi`, `eddystone-tlm`). */
    builtin: ReadonlyArray<'seqNum' | 'ruuvi' | 'eddystone-tlm'>;
    extractors: ReadonlyArray<SequenceExtractor>;
    /** Reorder window in sequence numbers. */
    reorderWindow: number;
    /** Reorder window in time (ms): a gap older than this is declared missing. */
    reorderWindowTime: number;
    /**
     * Ask the AC for `sequence=2` on notification and combined streams whose request has no
     * `sequence` parameter, and remove the `seqNum` member it adds before the client sees it.
     */
    request: boolean;
  };
  limits: {
    maxGateways: number;
    maxTrackedDevices: number;
    /** Largest SSE event analysed; larger ones are forwarded but counted malformed. */
    maxEventBytes: number;
    /** Open client connections; further ones are closed at once. */
    maxClientConnections: number;
  };
  log: {
    level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
    /** Write one access-log line per exchange. */
    access: boolean;
  };
  /** Where the config came from, for reload; null when none was given. */
  configFile: string | null;
  gatewaysFile: string | null;
}
