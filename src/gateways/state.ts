/**
 * What the proxy knows about each gateway, across configuration generations: identity (name,
 * model, version), online state and last event, learned passively from traffic that passes
 * through (hub lists, hub-status events, the combined stream's `ap_state`) and from discovery;
 * and which MACs have a `gateway` label of their own (at most `limits.maxGateways`, the rest
 * share `other`). Drives `gateway_info`, `gateway_online`, `gateway_status_changes_total` and
 * the admin's `/api/gateways`.
 *
 * Transport and configured names belong to a generation's directory (directory.ts): the state
 * publishes its series under the transport of the directory that is active now.
 */
import type { Config } from '../config/types.js';
import type { Metrics } from '../metrics/metrics.js';
import type { GatewaySnapshotEntry } from '../report/assemble.js';
import { normalizeMac, type Transport } from '../vocabulary.js';

/** A hub record as the AC reports it (only the fields used here). */
export interface HubRecord {
  mac?: unknown;
  name?: unknown;
  model?: unknown;
  version?: unknown;
  status?: unknown;
}

/** What is known about one gateway (one per MAC that has a label of its own). */
export interface GatewayRecord {
  readonly mac: string;
  hubName: string | null;
  model: string | null;
  version: string | null;
  /** null until a hub list or status event said. */
  online: boolean | null;
  /** ms timestamps. */
  onlineChangedAt: number | null;
  lastEventAt: number | null;
  /** When the AC last showed the gateway exists (hub list, status event, an answer naming it); null: only the map names it. */
  vouchedAt: number | null;
  /** Label sets currently exported, so a change can remove the old series. */
  info: Record<'gateway' | 'transport' | 'name' | 'model' | 'version', string> | null;
  onlineLabels: Record<'gateway' | 'transport', string> | null;
}

/** The active generation's view of gateways, as the state needs it. */
export interface TransportView {
  transportOf(mac: string): Transport;
  /** The operator's name for the gateway, if the gateway map gives one. */
  configName(mac: string): string | null;
  /** MACs of the gateway map. */
  configured(): Iterable<string>;
}

export interface GatewayState {
  /**
   * The record of a MAC (normalised) the AC or the operator has shown to exist, creating it while
   * labels are left; null = folded into `other`.
   */
  admit(mac: string): GatewayRecord | null;
  /** As `admit`, for a MAC the AC has just shown to exist (an answer below 400 naming it). */
  vouch(mac: string): GatewayRecord | null;
  /** The record of a MAC already admitted, without admitting it. */
  known(mac: string): GatewayRecord | undefined;
  /**
   * A `/api/cassia/hubs` (array) or `/api/cassia/hubs/{mac}` (object) response body. Never throws.
   * `complete`: the proxy's own unfiltered poll, so a gateway it leaves out is gone from the AC.
   */
  observeHubList(body: Buffer, options?: { complete?: boolean }): void;
  /** One hub record, hub-status event (`{mac,status,...}`) or `{mac: ap, status}` from `ap_state`. */
  observeHub(hub: HubRecord): void;
  /** Makes `view` the active generation's: configured names, transports of the series. */
  activate(view: TransportView, config: Config): void;
  /** Every gateway with a label of its own, as the report reads them (asked per report, not per request). */
  snapshot(): GatewaySnapshotEntry[];
  /**
   * The gateways to probe: those in the active gateway map, and those the AC has shown to exist
   * since its last complete hub list (a gateway that list left out is gone until named again).
   */
  probeTargets(): GatewayRecord[];
  close(): void;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : typeof v === 'number' ? String(v) : null);
const same = (a: Record<string, string> | null, b: Record<string, string>): boolean =>
  a !== null && Object.keys(b).every((k) => a[k] === b[k]);

/**
 * Creates the state; `activate()` must be called with the first generation before use.
 * `onOverflow` runs each time a MAC is folded into `other`.
 */
export function createGatewayState(deps: { metrics: Metrics; onOverflow: () => void; now?: () => number }): GatewayState {
  const { metrics } = deps;
  const now = deps.now ?? Date.now;
  const records = new Map<string, GatewayRecord>();
  let configured: ReadonlySet<string> = new Set();
  /** When the last complete hub list was seen (ms); null until one was. */
  let completeListAt: number | null = null;
  let maxGateways = Infinity;
  let view: TransportView = { transportOf: () => 'unknown', configName: () => null, configured: () => [] };

  function admit(mac: string): GatewayRecord | null {
    let r = records.get(mac);
    if (r !== undefined) return r;
    if (records.size >= maxGateways) {
      deps.onOverflow();
      return null;
    }
    r = { mac, hubName: null, model: null, version: null, online: null, onlineChangedAt: null, lastEventAt: null, vouchedAt: null, info: null, onlineLabels: null };
    records.set(mac, r);
    return r;
  }

  /** (Re)exports a record's series; removes the old label sets when any label changed. */
  function publish(r: GatewayRecord): void {
    const transport = view.transportOf(r.mac);
    const info = {
      gateway: r.mac, transport, name: view.configName(r.mac) ?? r.hubName ?? '', model: r.model ?? '', version: r.version ?? '',
    };
    if (!same(r.info, info)) {
      if (r.info) metrics.gatewayInfo.remove(r.info);
      metrics.gatewayInfo.set(info, 1);
      r.info = info;
    }
    if (r.online !== null) {
      const labels = { gateway: r.mac, transport };
      if (r.onlineLabels && !same(r.onlineLabels, labels)) metrics.gatewayOnline.remove(r.onlineLabels);
      metrics.gatewayOnline.set(labels, r.online ? 1 : 0);
      r.onlineLabels = labels;
    }
  }

  function observeHub(hub: HubRecord): void {
    if (hub === null || typeof hub !== 'object') return;
    const mac = typeof hub.mac === 'string' ? normalizeMac(hub.mac) : null;
    if (mac === null) return;
    const r = admit(mac);
    if (!r) return;
    r.vouchedAt = now();
    const hubName = str(hub.name) ?? r.hubName;
    const model = str(hub.model) ?? r.model;
    const version = str(hub.version) ?? r.version;
    const status = typeof hub.status === 'string' ? hub.status.toLowerCase() : null;
    const online = status === 'online' ? true : status === 'offline' ? false : null;
    // Hub lists and status events repeat the same facts all day: nothing new, nothing to publish.
    if (r.info !== null && hubName === r.hubName && model === r.model && version === r.version && (online === null || online === r.online)) return;
    r.hubName = hubName;
    r.model = model;
    r.version = version;
    if (online !== null && online !== r.online) {
      const first = r.online === null;
      r.online = online;
      r.onlineChangedAt = now();
      publish(r);
      if (r.onlineLabels) {
        // First sight only creates the series (so rate() works from the start); later ones count.
        metrics.gatewayStatusChanges.labels(r.onlineLabels).inc(first ? 0 : 1);
      }
      return;
    }
    publish(r);
  }

  return {
    admit,
    vouch(mac) {
      const r = admit(mac);
      if (r !== null) r.vouchedAt = now();
      return r;
    },
    known: (mac) => records.get(mac),
    observeHubList(body, options) {
      const listedFrom = now();
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch {
        return; // not our business: the client gets the body as it was
      }
      const list = Array.isArray(parsed)
        ? parsed
        : parsed !== null && typeof parsed === 'object' && Array.isArray((parsed as { hubs?: unknown }).hubs)
          ? ((parsed as { hubs: unknown[] }).hubs)
          : [parsed];
      for (const hub of list) observeHub(hub as HubRecord);
      // Only a complete list can say a gateway is gone; every gateway in it was vouched for after listedFrom.
      if (options?.complete === true && Array.isArray(parsed)) completeListAt = listedFrom;
    },
    observeHub,
    activate(next, config) {
      view = next;
      configured = new Set(next.configured());
      maxGateways = config.limits.maxGateways;
      for (const mac of next.configured()) admit(mac);
      for (const r of records.values()) publish(r);
    },
    snapshot() {
      return [...records.values()].map((r) => ({
        mac: r.mac,
        transport: view.transportOf(r.mac),
        name: view.configName(r.mac) ?? r.hubName,
        model: r.model,
        version: r.version,
        online: r.online,
        onlineChangedAt: r.onlineChangedAt,
        lastEventAt: r.lastEventAt,
      }));
    },
    probeTargets() {
      const out: GatewayRecord[] = [];
      for (const r of records.values()) {
        if (configured.has(r.mac) || (r.vouchedAt !== null && (completeListAt === null || r.vouchedAt >= completeListAt))) out.push(r);
      }
      return out;
    },
    close() {
      records.clear();
    },
  };
}
