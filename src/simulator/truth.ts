/**
 * Ground truth: what the simulator really wrote and answered, per gateway. The shape of
 * `GET /__sim/truth` is fixed (tests and tools read it; docs/simulator.md); the definitions are
 * those of docs/stream-semantics.md.
 */
import type { SimTransport } from './profile.js';

/** Stream kinds the simulator produces, as in the proxy's `stream` label. */
export type SimStreamKind = 'scan' | 'notification' | 'connection_state' | 'combined' | 'hub_status' | 'rssi';

/** Counters of one stream kind of one gateway, summed over every client connection since start. */
export interface StreamTruth {
  /** Events written to a client, duplicates included, keep-alives excluded. */
  delivered: number;
  /** Events never written, counted once a later event of the same source was written on that connection. */
  dropped: number;
  /** Extra copies written. */
  duplicated: number;
  /** Events written right after the next event of the same source. */
  reordered: number;
}

/** Truth of one gateway. */
export interface GatewayTruth {
  transport: SimTransport;
  streams: Record<SimStreamKind, StreamTruth>;
  /** Answers to calls naming the gateway in `mac` (any status), and how many of them were 502 / 504. */
  requests: { total: number; '502': number; '504': number };
  /**
   * Of those, the answers with a status of 400 or above, by error text: a text body as sent
   * (`chip is busy`), a JSON body's `error_description` (else `error`), an HTML page's title
   * (`502 Bad Gateway`). Texts appear with their first answer.
   */
  errors: Record<string, number>;
}

/** The body of `GET /__sim/truth`. */
export interface Truth {
  gateways: Record<string, GatewayTruth>;
}

const KINDS: readonly SimStreamKind[] = ['scan', 'notification', 'connection_state', 'combined', 'hub_status', 'rssi'];

/** Fresh zeroed counters for one gateway. */
export function createGatewayTruth(transport: SimTransport): GatewayTruth {
  const streams = {} as Record<SimStreamKind, StreamTruth>;
  for (const kind of KINDS) streams[kind] = { delivered: 0, dropped: 0, duplicated: 0, reordered: 0 };
  return { transport, streams, requests: { total: 0, '502': 0, '504': 0 }, errors: {} };
}

/** A deep copy, so callers can keep a snapshot while the simulator goes on counting. */
export function cloneTruth(truth: Truth): Truth {
  return structuredClone(truth);
}
