/**
 * One simulated gateway: identity, transport, devices, who is listening, and its own seeded
 * random streams (requests, offline periods, gateway-side behaviour, connections).
 */
import { createDevices, type Device } from './devices.js';
import { BurstyLink } from './link.js';
import { gatewayMac } from './mac.js';
import { rngFor, type Rng } from './prng.js';
import type { SimTransport } from './profile.js';
import type { SseConn } from './sse.js';
import { createGatewayTruth, type GatewayTruth } from './truth.js';

const MODELS = ['X2000', 'X1000', 'E1000', 'C1000'] as const;

/** A gateway and everything the simulator tracks about it. */
export interface Gateway {
  index: number;
  mac: string;
  name: string;
  model: string;
  version: string;
  ip: string;
  localip: string;
  transport: SimTransport;
  online: boolean;
  /** When it last booted (ms), for `uptime`. */
  bootAt: number;
  /** Unix seconds of the last status changes, as the hub list reports them. */
  onlineTime: number;
  offlineTime: number;
  devices: Device[];
  deviceByMac: Map<string, Device>;
  /** Connected devices in connection order (notification sources). */
  connected: Device[];
  /** Streams opened with `mac=` this gateway. */
  scanSubs: Set<SseConn>;
  notifySubs: Set<SseConn>;
  stateSubs: Set<SseConn>;
  rssiSubs: Set<SseConn>;
  /** Whether the combined stream (`/api/aps/events`) carries this gateway's scan / notify / state. */
  combinedScan: boolean;
  combinedNotify: boolean;
  combinedState: boolean;
  /** Fractional events owed by the generator and where its round-robin stands. */
  scanOwed: number;
  scanCursor: number;
  notifyOwed: number;
  notifyCursor: number;
  rssiOwed: number;
  rssiCursor: number;
  /** Request faults: two draws per call naming the gateway. */
  requestRng: Rng;
  /** Offline period timing. */
  offlineRng: Rng;
  /** Gateway-side errors and connect durations. */
  behaviourRng: Rng;
  /** Good/bad state of its link for bursty loss. */
  link: BurstyLink;
  /** How many event streams have been opened on the gateway, to seed each one's fault stream. */
  streamsOpened: number;
  offlineTimer: NodeJS.Timeout | null;
  truth: GatewayTruth;
}

/** Creates gateway `index`; the first `capwapCount` gateways use CAPWAP, the rest MQTT. */
export function createGateway(index: number, capwapCount: number, devicesPerGateway: number, seed: number | string, now: number): Gateway {
  const mac = gatewayMac(index);
  const transport: SimTransport = index < capwapCount ? 'capwap' : 'mqtt';
  const devices = createDevices(devicesPerGateway, rngFor(seed, `devices:${mac}`));
  const n = index + 1;
  const model = MODELS[index % MODELS.length] ?? 'X1000';
  return {
    index, mac, name: `sim-${model.toLowerCase()}-${String(n).padStart(3, '0')}`, model,
    version: transport === 'mqtt' ? '2.1.1.2303061540' : '1.4.3.2010291605',
    ip: `203.0.113.${(n % 250) + 1}`, localip: `192.168.${Math.floor(n / 250)}.${(n % 250) + 2}`,
    transport, online: true, bootAt: now - 86_400_000 - index * 60_000,
    onlineTime: Math.floor(now / 1000) - 3600, offlineTime: Math.floor(now / 1000) - 3700,
    devices, deviceByMac: new Map(devices.map((d) => [d.mac, d])), connected: [],
    scanSubs: new Set(), notifySubs: new Set(), stateSubs: new Set(), rssiSubs: new Set(),
    combinedScan: false, combinedNotify: false, combinedState: false,
    scanOwed: 0, scanCursor: 0, notifyOwed: 0, notifyCursor: 0, rssiOwed: 0, rssiCursor: 0,
    requestRng: rngFor(seed, `requests:${mac}`), offlineRng: rngFor(seed, `offline:${mac}`),
    behaviourRng: rngFor(seed, `behaviour:${mac}`), link: new BurstyLink(rngFor(seed, `link:${mac}`)), streamsOpened: 0, offlineTimer: null,
    truth: createGatewayTruth(transport),
  };
}

/** The hub record of `/api/cassia/hubs` and `/api/cassia/hubs/{mac}`. */
export function hubRecord(g: Gateway, now: number): Record<string, unknown> {
  return {
    _id: `5a9497eeadc2250052${g.mac.replace(/:/g, '').toLowerCase()}`.slice(0, 24),
    id: g.mac, mac: g.mac, name: g.name, group: g.transport === 'capwap' ? 'site-a' : 'site-b',
    status: g.online ? 'online' : 'offline', model: g.model, version: g.version, position: '',
    time: String(g.bootAt), ip: g.ip, localip: g.localip,
    uptime: g.online ? Math.floor((now - g.bootAt) / 1000) : 0,
    offline_time: g.offlineTime, online_time: g.onlineTime,
    update_status: 'update_ok', update_reason: '', update_version: g.version, update_progress: 100,
  };
}

/** A hub-status stream event for the gateway's current state. */
export function hubStatusEvent(g: Gateway, now: number): string {
  if (!g.online) return JSON.stringify({ mac: g.mac, status: 'offline' });
  return JSON.stringify({
    model: g.model, ip: g.ip, mac: g.mac, version: g.version,
    uptime: Math.floor((now - g.bootAt) / 1000), localip: g.localip, status: 'online',
  });
}

/** Number of event streams opened with `mac=` this gateway that are still open. */
export function directStreamCount(g: Gateway): number {
  return g.scanSubs.size + g.notifySubs.size + g.stateSubs.size + g.rssiSubs.size;
}
