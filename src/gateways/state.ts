/**
 * What the proxy knows about each gateway, learned passively from traffic that passes through:
 * hub lists (`/api/cassia/hubs`, `/api/cassia/hubs/{mac}`), hub-status events and the combined
 * stream's `ap_state` events; seeded from the operator's gateway map. Drives `gateway_info`,
 * `gateway_online` and `gateway_status_changes_total`, and the admin's `/api/gateways`.
 */
import type { Config, Transport } from '../config/types.js';
import type { Metrics } from '../metrics/metrics.js';
import type { GatewayResolver } from '../streams/types.js';
import { normalizeMac } from './mac.js';
import { OVERFLOW_GATEWAY } from './registry.js';

/** One gateway as the admin API reports it. Times are ISO strings. */
export interface GatewaySnapshot {
  mac: string;
  transport: Transport;
  name: string | null;
  model: string | null;
  version: string | null;
  /** null until a hub list or status event said. */
  online: boolean | null;
  lastChange: string | null;
  lastEventAt: string | null;
}

/** A hub record as the AC reports it (only the fields used here). */
export interface HubRecord {
  mac?: unknown;
  name?: unknown;
  model?: unknown;
  version?: unknown;
  status?: unknown;
}

export interface GatewayState {
  /** A `/api/cassia/hubs` (array) or `/api/cassia/hubs/{mac}` (object) response body. Never throws. */
  observeHubList(body: Buffer): void;
  /** One hub record, hub-status event (`{mac,status,...}`) or `{mac: ap, status}` from `ap_state`. */
  observeHub(hub: HubRecord): void;
  /** An event from this gateway (normalised MAC) passed through now. */
  noteEvent(mac: string): void;
  /** A reloaded config: names from the map, transports may move. */
  update(config: Config): void;
  snapshot(): GatewaySnapshot[];
  close(): void;
}

interface GatewayRecord {
  mac: string;
  configName: string | null;
  hubName: string | null;
  model: string | null;
  version: string | null;
  online: boolean | null;
  lastChange: number | null;
  lastEventAt: number | null;
  /** Label sets currently exported, so a change can remove the old series. */
  info: Record<'gateway' | 'transport' | 'name' | 'model' | 'version', string> | null;
  onlineLabels: Record<'gateway' | 'transport', string> | null;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : typeof v === 'number' ? String(v) : null);
const same = (a: Record<string, string> | null, b: Record<string, string>): boolean =>
  a !== null && Object.keys(b).every((k) => a[k] === b[k]);

export function createGatewayState(deps: {
  metrics: Metrics;
  gateways: GatewayResolver;
  initial: Config;
  now?: () => number;
}): GatewayState {
  const { metrics, gateways } = deps;
  const now = deps.now ?? Date.now;
  const records = new Map<string, GatewayRecord>();
  let maxRecords = deps.initial.limits.maxGateways * 2;

  function record(mac: string, create: boolean): GatewayRecord | undefined {
    let r = records.get(mac);
    if (r === undefined && create && records.size < maxRecords) {
      r = {
        mac, configName: null, hubName: null, model: null, version: null, online: null,
        lastChange: null, lastEventAt: null, info: null, onlineLabels: null,
      };
      records.set(mac, r);
    }
    return r;
  }

  /** (Re)exports a record's series; removes the old label sets when any label changed. */
  function publish(r: GatewayRecord): void {
    const gateway = gateways.label(r.mac);
    if (gateway === OVERFLOW_GATEWAY) return; // folded gateways get no per-gateway series
    const transport = gateways.transportOf(r.mac);
    const info = {
      gateway, transport, name: r.configName ?? r.hubName ?? '', model: r.model ?? '', version: r.version ?? '',
    };
    if (!same(r.info, info)) {
      if (r.info) metrics.gatewayInfo.remove(r.info);
      metrics.gatewayInfo.set(info, 1);
      r.info = info;
    }
    if (r.online !== null) {
      const labels = { gateway, transport };
      if (r.onlineLabels && !same(r.onlineLabels, labels)) metrics.gatewayOnline.remove(r.onlineLabels);
      metrics.gatewayOnline.set(labels, r.online ? 1 : 0);
      r.onlineLabels = labels;
    }
  }

  function applyConfig(config: Config): void {
    maxRecords = config.limits.maxGateways * 2;
    for (const r of records.values()) r.configName = null;
    for (const [mac, entry] of Object.entries(config.transport.gateways)) {
      const r = record(mac, true);
      if (r) r.configName = entry.name ?? null;
    }
    for (const r of records.values()) publish(r);
  }

  function observeHub(hub: HubRecord): void {
    if (hub === null || typeof hub !== 'object') return;
    const mac = typeof hub.mac === 'string' ? normalizeMac(hub.mac) : null;
    if (mac === null) return;
    const r = record(mac, true);
    if (!r) return;
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
      r.lastChange = now();
      publish(r);
      if (r.onlineLabels) {
        const changes = metrics.gatewayStatusChanges.labels(r.onlineLabels);
        // First sight only creates the series (so rate() works from the start); later ones count.
        changes.inc(first ? 0 : 1);
      }
      return;
    }
    publish(r);
  }

  applyConfig(deps.initial);

  return {
    observeHubList(body) {
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
    },
    observeHub,
    noteEvent(mac) {
      const r = record(mac, true);
      if (r) r.lastEventAt = now();
    },
    update: applyConfig,
    snapshot() {
      const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
      return [...records.values()].map((r) => ({
        mac: r.mac,
        transport: gateways.transportOf(r.mac),
        name: r.configName ?? r.hubName,
        model: r.model,
        version: r.version,
        online: r.online,
        lastChange: iso(r.lastChange),
        lastEventAt: iso(r.lastEventAt),
      }));
    },
    close() {
      records.clear();
    },
  };
}
