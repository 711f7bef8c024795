/**
 * The gateway directory of one configuration generation: turns the `mac` a request names (any
 * case or separator) into its GatewayHandle — label, transport, record and counts — once, and
 * caches it.
 *
 * Label admission: a MAC gets a `gateway` label of its own only once it is known to exist — it is
 * in the gateway map, or the AC named it (hub list, hub-status stream, a combined-stream event's
 * `ap`, or a successful answer to a call naming it; see `vouch`). Until then its calls count
 * under `other`, so clients inventing MACs cannot grow the label set; a real gateway that only
 * ever fails is attributed as soon as the map or discovery knows it. The transport comes from the operator's gateway map, else `transport.default` (no
 * Cassia API field reveals it). A reload builds a new directory; `retire()` marks every handle
 * of the old one so that long-lived streams move to the new generation at their next chunk.
 */
import type { Config, GatewayEntry } from '../config/types.js';
import { NO_GATEWAY, NO_TRANSPORT, OVERFLOW_GATEWAY, normalizeMac, type Transport } from '../vocabulary.js';
import type { CountsFactory } from './counts.js';
import type { GatewayHandle } from './handle.js';
import type { GatewayState, TransportView } from './state.js';

/** Raw `mac` spellings and pending MACs remembered (clients repeat the same few); past this a cache restarts. */
const RAW_CACHE_SIZE = 4096;

export interface GatewayDirectory extends TransportView {
  /** The handle for a normalised MAC, or the `none` handle for null. */
  resolve(mac: string | null): GatewayHandle;
  /** The handle for a raw `mac` / `ap` value as a client or the AC spelled it (`none` when not a MAC). */
  resolveRaw(raw: string): GatewayHandle;
  /**
   * The AC showed `mac` exists (an answer below 400 to a call naming it, or an event naming it):
   * admits it and returns its own handle (still `other` when `limits.maxGateways` is reached).
   */
  vouch(mac: string): GatewayHandle;
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
  const pending = new Map<string, GatewayHandle>();
  const all: GatewayHandle[] = [];
  let retired = false;

  const transportOf = (mac: string): Transport => map.get(mac)?.transport ?? fallback;

  function make(mac: string | null, label: string, transport: GatewayHandle['transport'], record: GatewayHandle['record']): GatewayHandle {
    const handle: GatewayHandle = { mac, label, transport, record, pending: null, counts: counts(label, transport, record), retired };
    all.push(handle);
    return handle;
  }

  const none = make(null, NO_GATEWAY, NO_TRANSPORT, null);

  /** Folded gateways share one handle (and its counts) per transport: memory stays bounded whatever clients send. */
  function folded(transport: Transport): GatewayHandle {
    let shared = overflow.get(transport);
    if (shared === undefined) {
      shared = make(null, OVERFLOW_GATEWAY, transport, null);
      overflow.set(transport, shared);
    }
    return shared;
  }

  function own(mac: string, record: NonNullable<GatewayHandle['record']>): GatewayHandle {
    const handle = make(mac, mac, transportOf(mac), record);
    handles.set(mac, handle);
    pending.delete(mac);
    return handle;
  }

  function resolve(mac: string | null): GatewayHandle {
    if (mac === null) return none;
    const known = handles.get(mac);
    if (known !== undefined) return known;
    const record = state.known(mac);
    if (record !== undefined) return own(mac, record);
    let handle = pending.get(mac);
    if (handle === undefined) {
      handle = { ...folded(transportOf(mac)), pending: mac, retired };
      if (pending.size >= RAW_CACHE_SIZE) pending.clear();
      pending.set(mac, handle);
    }
    return handle;
  }

  function vouch(mac: string): GatewayHandle {
    const known = handles.get(mac);
    if (known !== undefined) return known;
    const record = state.vouch(mac);
    return record === null ? folded(transportOf(mac)) : own(mac, record);
  }

  return {
    transportOf,
    configName: (mac) => map.get(mac)?.name ?? null,
    configured: () => map.keys(),
    resolve,
    resolveRaw(value) {
      let handle = raw.get(value);
      // A pending handle is looked up again: the MAC may have been vouched for since.
      if (handle === undefined || handle.pending !== null) {
        handle = resolve(normalizeMac(value.includes('%') ? safeDecode(value) : value));
        if (raw.size >= RAW_CACHE_SIZE) raw.clear();
        raw.set(value, handle);
      }
      return handle;
    },
    vouch,
    retire() {
      retired = true;
      for (const handle of all) handle.retired = true;
      for (const handle of pending.values()) handle.retired = true;
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
