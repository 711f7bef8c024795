/**
 * The gateway handle: who a request (or a combined-stream event) is for, resolved once by the
 * gateway directory and handed along as one object. Nothing downstream normalises a MAC, looks
 * up a transport or caps a label again; the exchange and the stream tap add plain numbers to
 * `counts`, which feed the metrics and the report from the same increments.
 */
import type { GatewayCounts } from './counts.js';
import type { TransportLabel } from '../vocabulary.js';
import type { GatewayRecord } from './state.js';

/** One gateway under one configuration generation. */
export interface GatewayHandle {
  /** Normalised upper-case MAC; null when the call names no gateway or the gateway has no label of its own. */
  readonly mac: string | null;
  /** `gateway` label value: the MAC, `other` (folded) or `none`. */
  readonly label: string;
  readonly transport: TransportLabel;
  /** What is known about the gateway (identity, online state); null for `none` and `other`. */
  readonly record: GatewayRecord | null;
  /**
   * A MAC the AC has not yet shown to exist (not in the gateway map, no hub list, hub-status or
   * combined-stream event named it, no successful answer for it): counted under `other` until
   * the AC vouches for it (see GatewayDirectory.vouch). null for every other handle.
   */
  readonly pending: string | null;
  /** Where this gateway's counts go (metrics cells and report segment). */
  readonly counts: GatewayCounts;
  /**
   * True once a reload replaced the generation this handle came from. Exchanges in flight finish
   * on it; a long-lived stream re-resolves its gateway at its next chunk.
   */
  retired: boolean;
}
