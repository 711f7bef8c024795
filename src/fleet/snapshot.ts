/**
 * What the fleet knows about each gateway besides its counts: identity, current transport, online
 * state and latest event, from gateway_info, gateway_online and the activity times.
 */
import type { GatewaySnapshotEntry, SegmentCounts } from '../report/assemble.js';
import { isGatewayPool } from '../vocabulary.js';
import type { InstantSample } from './client.js';

/**
 * What the fleet knows about each gateway besides its counts: identity and current transport from
 * gateway_info (when the proxies disagree on the transport, the most recently active one), online
 * from gateway_online (online when any proxy says so), the latest event from the activity times.
 */
export function fleetSnapshot(
  segments: readonly SegmentCounts[], info: InstantSample[], online: InstantSample[], lastEventAt: Map<string, number>,
): GatewaySnapshotEntry[] {
  const latest = new Map<string, SegmentCounts>();
  for (const s of segments) {
    const best = latest.get(s.gateway);
    if (best === undefined || s.lastAt > best.lastAt) latest.set(s.gateway, s);
  }
  const entries = new Map<string, { transports: Set<string>; name?: string; model?: string; version?: string }>();
  for (const { metric } of info) {
    const gateway = metric.gateway;
    if (gateway === undefined || gateway === '') continue;
    const e = entries.get(gateway) ?? { transports: new Set<string>() };
    if (metric.transport) e.transports.add(metric.transport);
    if (metric.name) e.name ??= metric.name;
    if (metric.model) e.model ??= metric.model;
    if (metric.version) e.version ??= metric.version;
    entries.set(gateway, e);
  }
  const onlineOf = new Map<string, boolean>();
  for (const { metric, value } of online) {
    if (metric.gateway) onlineOf.set(metric.gateway, (onlineOf.get(metric.gateway) ?? false) || value > 0);
  }
  const macs = new Set([...entries.keys(), ...onlineOf.keys(), ...lastEventAt.keys()]);
  const out: GatewaySnapshotEntry[] = [];
  for (const mac of [...macs].sort()) {
    if (isGatewayPool(mac) || mac === '') continue;
    const e = entries.get(mac);
    const ts = e ? [...e.transports] : [];
    const transport = ts.length === 1 ? ts[0] : (latest.get(mac)?.transport ?? ts[0]);
    if (transport === undefined) continue;
    const last = lastEventAt.get(mac);
    const on = onlineOf.get(mac);
    // When the online state last changed is not among what the proxies export.
    out.push({
      mac, transport, name: e?.name ?? null, model: e?.model ?? null, version: e?.version ?? null,
      online: on ?? null, onlineChangedAt: null, lastEventAt: last ?? null,
    });
  }
  return out;
}
