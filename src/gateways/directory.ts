/**
 * The gateway directory of one configuration generation: turns the `mac` a request names (any
 * case or separator) into its GatewayHandle — label, transport, record and counts — once, and
 * caches it. The transport comes from the operator's gateway map, else `transport.default` (no
 * Cassia API field reveals it). A reload builds a new directory; `retire()` marks every handle
 * of the old one so that long-lived streams move to the new generation at their next chunk.
 */
import type { Config, GatewayEntry, Transport } from '../config/types.js';
import type { CountsFactory } from './counts.js';
import { NO_GATEWAY, OVERFLOW_GATEWAY, type GatewayHandle } from './handle.js';
import { normalizeMac } from './mac.js';
import type { GatewayState, TransportView } from './state.js';

/** Raw `mac` spellings remembered (clients repeat the same few); past this the cache restarts. */
const RAW_CACHE_SIZE = 4096;

export interface GatewayDirectory extends TransportView {
  /** The handle for a normalised MAC, or the `none` handle for null. */
  resolve(mac: string | null): GatewayHandle;
  /** The handle for a raw `mac` / `ap` value as a client or the AC spelled it (`none` when not a MAC). */
  resolveRaw(raw: string): GatewayHandle;
  /** The generation was replaced: every handle handed out is marked retired. */
  retire(): void;
}

/** Builds the directory for `config`; it does not change `state` until the caller activates it. */
export function createGatewayDirectory(config: Config, state: GatewayState, counts: CountsFactory): GatewayDirectory {
  const map: ReadonlyMap<string, GatewayEntry> = new Map(Object.entries(config.transport.gateways));
  const fallback: Transport = config.transport.default;
  const handles = new Map<string, GatewayHandle>();
  const overflow = new Map<Transport, GatewayHandle>();
  const raw = new Map<string, GatewayHandle>();
  const all: GatewayHandle[] = [];
  let retired = false;

  const transportOf = (mac: string): Transport => map.get(mac)?.transport ?? fallback;

  function make(mac: string | null, label: string, transport: GatewayHandle['transport'], record: GatewayHandle['record']): GatewayHandle {
    const handle: GatewayHandle = { mac, label, transport, record, counts: counts(label, transport, record), retired };
    all.push(handle);
    return handle;
  }

  const none = make(null, NO_GATEWAY, 'none', null);

  function resolve(mac: string | null): GatewayHandle {
    if (mac === null) return none;
    const known = handles.get(mac);
    if (known !== undefined) return known;
    const transport = transportOf(mac);
    const record = state.admit(mac);
    if (record === null) {
      // Folded gateways share one handle per transport: memory stays bounded whatever clients send.
      let shared = overflow.get(transport);
      if (shared === undefined) {
        shared = make(null, OVERFLOW_GATEWAY, transport, null);
        overflow.set(transport, shared);
      }
      return shared;
    }
    const handle = make(mac, mac, transport, record);
    handles.set(mac, handle);
    return handle;
  }

  return {
    transportOf,
    configName: (mac) => map.get(mac)?.name ?? null,
    configured: () => map.keys(),
    resolve,
    resolveRaw(value) {
      let handle = raw.get(value);
      if (handle === undefined) {
        handle = resolve(normalizeMac(value.includes('%') ? safeDecode(value) : value));
        if (raw.size >= RAW_CACHE_SIZE) raw.clear();
        raw.set(value, handle);
      }
      return handle;
    },
    retire() {
      retired = true;
      for (const handle of all) handle.retired = true;
    },
  };
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
