/**
 * Who is who: a gateway's label value and transport. The transport comes from the operator's
 * gateway map, else `transport.default` (no Cassia API field reveals it). The number of distinct
 * gateway label values is capped at `limits.maxGateways`; later gateways share `other`.
 */
import type { Config, GatewayEntry, Transport } from '../config/types.js';
import type { GatewayResolver } from '../streams/types.js';

export const NO_GATEWAY = 'none';
export const OVERFLOW_GATEWAY = 'other';

export interface GatewayRegistry extends GatewayResolver {
  /** Swap in a reloaded config; labels already handed out stay valid. */
  update(config: Config): void;
  /** Known gateway map entries (from config). */
  entries(): ReadonlyMap<string, GatewayEntry>;
  /** Gateway label values handed out so far, in first-seen order. */
  seen(): IterableIterator<string>;
}

export function createGatewayRegistry(config: Config, onOverflow: () => void): GatewayRegistry {
  let map = new Map(Object.entries(config.transport.gateways));
  let fallback: Transport = config.transport.default;
  let maxGateways = config.limits.maxGateways;
  const labels = new Set<string>();

  return {
    update(next) {
      map = new Map(Object.entries(next.transport.gateways));
      fallback = next.transport.default;
      maxGateways = next.limits.maxGateways;
    },
    label(mac) {
      if (labels.has(mac)) return mac;
      if (labels.size >= maxGateways) {
        onOverflow();
        return OVERFLOW_GATEWAY;
      }
      labels.add(mac);
      return mac;
    },
    transportOf(mac) {
      return map.get(mac)?.transport ?? fallback;
    },
    entries: () => map,
    seen: () => labels.values(),
  };
}
