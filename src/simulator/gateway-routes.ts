/**
 * Calls that go through the AC to one gateway (`?mac=`): event streams, connections, GATT.
 * Gateway-side failures answer HTTP 500 with the documented text bodies.
 */
import { batchConnect } from './batch-routes.js';
import type { Device } from './devices.js';
import { directStreamCount } from './gateway.js';
import { GATT_DB, characteristics, descriptors, readHandle, services, writeHandle } from './gatt.js';
import { delay, parseBody, readBody, send, sendJson, type Exchange } from './http-util.js';
import { normalizeMac } from './mac.js';
import type { ScanFilter, StreamParams } from './sse.js';
import type { SimStreamKind } from './truth.js';
import type { SimWorld } from './world.js';

const list = (value: string | null): string[] | undefined =>
  value ? value.split(',').map((s) => s.trim()).filter(Boolean) : undefined;

function streamParams(url: URL): StreamParams {
  const q = url.searchParams;
  const filter: ScanFilter = {};
  const macs = list(q.get('filter_mac'))?.map((m) => normalizeMac(m) ?? m.toUpperCase());
  if (macs) filter.macs = new Set(macs);
  const names = list(q.get('filter_name'));
  if (names) filter.names = names;
  const rssi = list(q.get('filter_rssi'));
  if (rssi?.[0] !== undefined && Number.isFinite(Number(rssi[0]))) filter.minRssi = Number(rssi[0]);
  const uuids = list(q.get('filter_uuid'))?.map((u) => u.toLowerCase().replace(/^0000([0-9a-f]{4})-.*$/, '$1'));
  if (uuids) filter.uuids = uuids;
  return {
    timestamp: q.get('timestamp') === '1',
    sequence: q.get('sequence') === '2',
    active: q.get('active') === '1',
    filter: Object.keys(filter).length > 0 ? filter : null,
  };
}

function openGatewayStream(world: SimWorld, ex: Exchange, kind: SimStreamKind): void {
  const g = ex.g;
  if (!g) return;
  // A gateway accepts about 20–30 streams; past that it answers 500.
  if (directStreamCount(g) >= world.options.maxStreamsPerGateway) return send(ex, 500, 'no resources');
  send200Stream(world, ex, kind);
}

function send200Stream(world: SimWorld, ex: Exchange, kind: SimStreamKind): void {
  if (ex.res.headersSent || ex.res.destroyed) return;
  if (ex.g) ex.g.truth.requests.total++;
  world.openStream(ex.res, kind, ex.g, streamParams(ex.url));
}

/** Opens an AC-wide stream (hub status, combined); not counted under any gateway. */
export function openAcStream(world: SimWorld, ex: Exchange, kind: SimStreamKind): void {
  send200Stream(world, ex, kind);
}

/** A gateway-side error with the given probability, drawn from the gateway's behaviour stream. */
function gatewayError(world: SimWorld, ex: Exchange, texts: string[]): string | null {
  const g = ex.g;
  if (!g) return null;
  const u = g.behaviourRng();
  if (u >= world.profileOf(g).gatewayErrors) return null;
  return texts[Math.floor(g.behaviourRng() * texts.length)] ?? texts[0] ?? 'chip is busy';
}

function device(ex: Exchange, raw: string): Device | null {
  const mac = normalizeMac(decodeURIComponent(raw));
  return (mac && ex.g?.deviceByMac.get(mac)) || null;
}

async function connect(world: SimWorld, ex: Exchange, d: Device): Promise<void> {
  const g = ex.g;
  if (!g) return;
  const body = parseBody(await readBody(ex.req), ex.req.headers['content-type']);
  const type = body.type ?? d.addrType;
  const timeout = body.timeout === undefined ? 20000 : Number(body.timeout);
  if ((type !== 'public' && type !== 'random') || !Number.isFinite(timeout) || timeout < 200 || timeout > 20000) {
    return send(ex, 500, 'parameter invalid');
  }
  if (d.connected) return send(ex, 200, 'OK');
  if (g.connected.length >= world.options.maxConnectionsPerGateway) return send(ex, 500, 'no resources');
  const p = world.profileOf(g);
  const failure = gatewayError(world, ex, ['chip is busy', 'connect failed']);
  const took = p.connectMinMs + g.behaviourRng() * Math.max(0, p.connectMaxMs - p.connectMinMs);
  await delay(Math.min(took, timeout));
  if (failure) return send(ex, 500, failure);
  if (took > timeout) return send(ex, 500, 'operation timeout');
  if (!g.online) return send(ex, 500, 'connect failed');
  world.connect(g, d);
  send(ex, 200, 'OK');
}

async function gatt(world: SimWorld, ex: Exchange, d: Device, rest: string[]): Promise<void> {
  if (!d.connected) return send(ex, 500, 'device not connect');
  const failure = gatewayError(world, ex, ['chip is busy', 'operation timeout']);
  await delay(10 + Math.floor((ex.g?.behaviourRng() ?? 0) * 60));
  if (failure) return send(ex, 500, failure);
  if (!d.connected) return send(ex, 500, 'device not connect');
  const [a, b, c, e, f] = rest;
  if (a === 'handle' && b !== undefined && c === 'value') {
    const handle = Number(b);
    if (e === undefined) {
      const value = Number.isInteger(handle) ? readHandle(d, handle) : null;
      return value === null ? send(ex, 500, 'parameter invalid') : sendJson(ex, 200, { handle: String(handle), value });
    }
    if (f !== undefined || !/^([0-9a-fA-F]{2})+$/.test(e) || !writeHandle(d, handle, e)) return send(ex, 500, 'parameter invalid');
    return send(ex, 200, 'OK');
  }
  if (a === 'services' && b === undefined) return sendJson(ex, 200, services(ex.url.searchParams.get('uuid') ?? undefined));
  if (a === 'characteristics' && b === undefined) return sendJson(ex, 200, characteristics());
  if (a === 'services' && b === 'characteristics' && c === 'descriptors' && e === undefined) return sendJson(ex, 200, GATT_DB);
  if (a === 'services' && b !== undefined && c === 'characteristics' && e === undefined) return sendJson(ex, 200, characteristics(b));
  if (a === 'characteristics' && b !== undefined && c === 'descriptors' && e === undefined) {
    const found = descriptors(b);
    return found ? sendJson(ex, 200, found) : send(ex, 500, 'parameter invalid');
  }
  send(ex, 404, 'Not Found');
}

function info(world: SimWorld, ex: Exchange): void {
  const g = ex.g;
  if (!g) return;
  const now = Date.now();
  sendJson(ex, 200, {
    mac: g.mac, model: g.model, version: g.version, name: g.name, uptime: String(Math.floor((now - g.bootAt) / 1000)),
    'capwap-uplinkmac': g.mac, capwapuplink: 'wired', fat: '0', 'local-api': '0', ble_power: 20,
    chipinfo: { 0: { id: '0', max: 11, status: 'Idle', scan_en: '1' }, 1: { id: '1', max: 11, status: 'Idle', scan_en: '0' } },
    wired: { proto: 'dhcp', iface: { mac: g.mac, ip: g.localip, name: 'eth0' } },
    timeconf: { now: new Date(now).toISOString().slice(0, 19).replace('T', ' '), auto: true },
    connected: g.connected.length, devices: world.options.devicesPerGateway,
  });
}

/** Routes one call naming a known, online gateway (after faults and latency). */
export async function gatewayRoute(world: SimWorld, ex: Exchange): Promise<void> {
  const g = ex.g;
  if (!g) return;
  const method = ex.req.method ?? 'GET';
  const q = ex.url.searchParams;
  const parts = ex.path.split('/').filter(Boolean);
  const [p0, p1, p2, ...rest] = parts;
  if (p0 === 'gap' && p1 === 'nodes' && p2 === undefined && method === 'GET') {
    if (q.get('event') === '1') return openGatewayStream(world, ex, 'scan');
    const state = q.get('connection_state');
    // Plain `GET /gap/nodes` is the connection list too: wiki "BLE 5 Interface Specification For
    // X2000" §3.2, and Cassia's samples call it so (connection_by_list/gateway.py get_connected).
    if (state !== null && state !== 'connected') return send(ex, 500, 'parameter invalid');
    return sendJson(ex, 200, { nodes: g.connected.map((d) => ({
      type: d.addrType, bdaddrs: { bdaddr: d.mac, bdaddrType: d.addrType }, chipId: 0, handle: '', name: d.name,
      connectionState: 'connected', id: d.mac })) });
  }
  if (p0 === 'gatt' && p1 === 'nodes' && p2 === undefined && method === 'GET') {
    // No `event=1` needed: five of Cassia's seven notification samples (acNotify.js,
    // scanConnectNotify.js, acNotify.py, ...) open `GET /gatt/nodes?mac=` bare, and the AC streams.
    return openGatewayStream(world, ex, 'notification');
  }
  if (p0 === 'gap' && p1 === 'rssi' && p2 === undefined && method === 'GET') return openGatewayStream(world, ex, 'rssi');
  if (p0 === 'gap' && p1 === 'batch-connect' && p2 === undefined) return batchConnect(world, ex);
  if (p0 === 'management' && p1 === 'nodes' && p2 === 'connection-state' && rest.length === 0 && method === 'GET') {
    return openGatewayStream(world, ex, 'connection_state');
  }
  if (p0 === 'cassia' && p1 === 'info' && p2 === undefined && method === 'GET') return info(world, ex);
  if (p0 === 'cassia' && p1 === 'reboot' && p2 === undefined) {
    send(ex, 200, 'OK');
    setTimeout(() => world.goOffline(g, world.options.rebootMs, true), 200).unref();
    return;
  }
  if ((p0 === 'gap' || p0 === 'gatt') && p1 === 'nodes' && p2 !== undefined) {
    const d = device(ex, p2);
    if (!d) return send(ex, 500, 'device not found');
    if (p0 === 'gap' && rest[0] === 'connection' && rest.length === 1) {
      if (method === 'POST') return connect(world, ex, d);
      if (method === 'DELETE') {
        if (!d.connected) return send(ex, 500, 'device not connect');
        world.disconnect(g, d);
        return send(ex, 200, 'OK');
      }
    }
    if (p0 === 'gap' && rest[0] === 'rssi' && rest.length === 1 && method === 'GET') {
      return d.connected ? sendJson(ex, 200, { rssi: d.rssi || d.rssiBase }) : send(ex, 500, 'device not connect');
    }
    if (p0 === 'gatt' && method === 'GET') return gatt(world, ex, d, rest);
  }
  send(ex, 404, 'Not Found');
}
