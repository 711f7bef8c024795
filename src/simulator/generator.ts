/**
 * Event generation, run every tick only while some stream is open: each gateway with listeners
 * advertises its devices round-robin at `scanIntervalMs` per device and notifies from its
 * connected devices at `notifyIntervalMs` per device, and reports the RSSI of its connected devices
 * at `rssiIntervalMs` per device (unsequenced). An event is built once per variant and
 * queued on every listener; every connection is flushed once per tick (one write per tick).
 */
import { advanceScan, gatewayTimestamp, linkRssi, measurementHex, scanCore, type Device } from './devices.js';
import type { Gateway } from './gateway.js';
import type { ScanFilter, SseConn } from './sse.js';
import type { FaultProfile } from './profile.js';

/** Source ids: one per device and kind within a connection; combined streams add the gateway. */
const SCAN = 0;
const NOTIFY = 1;
const combinedSource = (g: Gateway, d: Device, kind: number): number => (g.index * 65536 + d.index) * 2 + kind;

function passes(filter: ScanFilter, d: Device): boolean {
  if (filter.macs && !filter.macs.has(d.mac)) return false;
  if (filter.minRssi !== undefined && d.rssi < filter.minRssi) return false;
  if (filter.names && !filter.names.includes(d.name)) return false;
  if (filter.uuids && !filter.uuids.some((u) => d.uuids.includes(u))) return false;
  return true;
}

/**
 * What event generation reads of the world. Declared here, not imported from world.ts: the world
 * drives the generator, and the generator must not depend back on it.
 */
export interface GeneratorWorld {
  readonly options: { readonly scanIntervalMs: number; readonly notifyIntervalMs: number; readonly rssiIntervalMs: number };
  readonly combinedSubs: ReadonlySet<SseConn>;
  readonly startedAt: number;
  readonly gateways: readonly Gateway[];
  profileOf(g: Gateway): FaultProfile;
}

/** Generates and queues the events owed for `dt` ms, then flushes every touched connection. */
export function generateEvents(world: GeneratorWorld, now: number, dt: number): void {
  const { scanIntervalMs, notifyIntervalMs, rssiIntervalMs } = world.options;
  const combined = world.combinedSubs;
  const uptimeDs = Math.floor((now - world.startedAt) / 100);
  let ts: string | null = null;
  const timestamp = (): string => (ts ??= gatewayTimestamp(now));

  for (const g of world.gateways) {
    if (!g.online) continue;
    const scanCombined = g.combinedScan && combined.size > 0;
    if ((g.scanSubs.size > 0 || scanCombined) && g.devices.length > 0) {
      g.scanOwed += (g.devices.length * dt) / scanIntervalMs;
      let n = Math.floor(g.scanOwed);
      g.scanOwed -= n;
      const profile = world.profileOf(g);
      while (n-- > 0) {
        const d = g.devices[g.scanCursor] as Device;
        g.scanCursor = (g.scanCursor + 1) % g.devices.length;
        advanceScan(d, uptimeDs);
        const p = d.kind === 'plain' ? null : profile;
        let passive: string | null = null;
        let active: string | null = null;
        for (const c of g.scanSubs) {
          if (c.params.filter && !passes(c.params.filter, d)) continue;
          const core = c.params.active ? (active ??= scanCore(d, true)) : (passive ??= scanCore(d, false));
          const event = c.params.timestamp ? `data: {${core},"timestamp":"${timestamp()}"}\n\n` : `data: {${core}}\n\n`;
          c.emit(d.index * 2 + SCAN, event, g.truth.streams.scan, p);
        }
        if (scanCombined) {
          const core = (active ??= scanCore(d, true));
          for (const c of combined) {
            const tail = c.params.timestamp ? `,"timestamp":"${timestamp()}"` : '';
            c.emit(combinedSource(g, d, SCAN), `data: {"dataType":"scan","ap":"${g.mac}",${core}${tail}}\n\n`, g.truth.streams.combined, p);
          }
        }
      }
    } else {
      g.scanOwed = 0;
    }

    const notifyCombined = g.combinedNotify && combined.size > 0;
    if ((g.notifySubs.size > 0 || notifyCombined) && g.connected.length > 0) {
      g.notifyOwed += (g.connected.length * dt) / notifyIntervalMs;
      let n = Math.floor(g.notifyOwed);
      g.notifyOwed -= n;
      const profile = world.profileOf(g);
      while (n-- > 0) {
        if (g.notifyCursor >= g.connected.length) g.notifyCursor = 0;
        const d = g.connected[g.notifyCursor++] as Device;
        d.notifySeq++;
        const value = measurementHex(d);
        for (const c of g.notifySubs) {
          const seq = c.params.sequence ? `,"seqNum":${d.notifySeq}` : '';
          const tail = c.params.timestamp ? `,"timestamp":"${timestamp()}"` : '';
          c.emit(d.index * 2 + NOTIFY, `data: {"value":"${value}","handle":36,"id":"${d.mac}","dataType":"notification"${seq}${tail}}\n\n`,
            g.truth.streams.notification, c.params.sequence ? profile : null);
        }
        if (notifyCombined) {
          for (const c of combined) {
            const seq = c.params.sequence ? `,"seqNum":${d.notifySeq}` : '';
            const tail = c.params.timestamp ? `,"timestamp":"${timestamp()}"` : '';
            c.emit(combinedSource(g, d, NOTIFY), `data: {"dataType":"notification","ap":"${g.mac}","device":"${d.mac}","handle":36,"value":"${value}"${seq}${tail}}\n\n`,
              g.truth.streams.combined, c.params.sequence ? profile : null);
          }
        }
      }
    } else {
      g.notifyOwed = 0;
    }

    if (g.rssiSubs.size > 0 && g.connected.length > 0) {
      g.rssiOwed += (g.connected.length * dt) / rssiIntervalMs;
      let n = Math.floor(g.rssiOwed);
      g.rssiOwed -= n;
      while (n-- > 0) {
        if (g.rssiCursor >= g.connected.length) g.rssiCursor = 0;
        const d = g.connected[g.rssiCursor++] as Device;
        const core = `"id":"${d.mac}","rssi":${linkRssi(d, uptimeDs)}`;
        // No sequence number on the wire: unsequenced, never faulted.
        for (const c of g.rssiSubs) {
          const tail = c.params.timestamp ? `,"timestamp":"${timestamp()}"` : '';
          c.emit(d.index, `data: {${core}${tail}}\n\n`, g.truth.streams.rssi, null);
        }
      }
    } else {
      g.rssiOwed = 0;
    }
    flushAll(g.scanSubs);
    flushAll(g.notifySubs);
    flushAll(g.rssiSubs);
  }
  flushAll(combined);
}

function flushAll(conns: ReadonlySet<SseConn>): void {
  for (const c of conns) c.flush();
}
