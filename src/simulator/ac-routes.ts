/**
 * AC-wide calls: hub list, one hub, hub-status stream, the combined stream and its controls.
 * None of them names a gateway in `mac`, so none is faulted or counted under a gateway (not even
 * `/api/aps/*` controls, whose gateways are in the body: neither the AC's 502/504 statistics nor a
 * proxy that attributes calls by `mac` would put them there).
 */
import { hubRecord, type Gateway } from './gateway.js';
import { openAcStream } from './gateway-routes.js';
import { parseBody, readBody, send, sendJson, type Exchange } from './http-util.js';
import { normalizeMac } from './mac.js';
import type { SimWorld } from './world.js';

type Flag = 'combinedScan' | 'combinedNotify' | 'combinedState';
const CONTROLS: Record<string, Flag> = { scan: 'combinedScan', notify: 'combinedNotify', 'connection-state': 'combinedState' };

async function apsControl(world: SimWorld, ex: Exchange, what: string, action: string): Promise<void> {
  const body = parseBody(await readBody(ex.req), ex.req.headers['content-type']);
  const aps = Array.isArray(body.aps) ? body.aps : [];
  const targets: Gateway[] = [];
  for (const raw of aps) {
    const g = typeof raw === 'string' ? world.byMac.get(normalizeMac(raw) ?? '') : undefined;
    if (!g) return send(ex, 500, 'parameter invalid');
    targets.push(g);
  }
  if (targets.length === 0) return send(ex, 500, 'parameter invalid');
  const flag = CONTROLS[what];
  if (flag) {
    for (const g of targets) g[flag] = action === 'open';
  } else {
    const devices = Array.isArray(body.devices) ? body.devices.map((d) => normalizeMac(String(d))) : [];
    for (const g of targets) {
      for (const mac of devices) {
        const d = mac ? g.deviceByMac.get(mac) : undefined;
        if (!d || !g.online) continue;
        if (action === 'connect' && g.connected.length < world.options.maxConnectionsPerGateway) world.connect(g, d);
        if (action === 'disconnect') world.disconnect(g, d);
      }
    }
  }
  send(ex, 200, 'OK');
}

/** Routes an AC-wide call; returns false when the path is not one of them. */
export function acRoute(world: SimWorld, ex: Exchange): boolean | Promise<void> {
  const method = ex.req.method ?? 'GET';
  const parts = ex.path.split('/').filter(Boolean);
  const [p0, p1, p2, p3] = parts;
  if (p0 === 'cassia' && p1 === 'hubs' && method === 'GET' && parts.length <= 3) {
    const now = Date.now();
    if (p2 === undefined) {
      sendJson(ex, 200, world.gateways.map((g) => hubRecord(g, now)));
      return true;
    }
    const g = world.byMac.get(normalizeMac(decodeURIComponent(p2)) ?? '');
    if (g) sendJson(ex, 200, hubRecord(g, now));
    else send(ex, 500, 'hub not found');
    return true;
  }
  if (p0 === 'cassia' && p1 === 'hubStatus' && p2 === undefined && method === 'GET') {
    openAcStream(world, ex, 'hub_status');
    return true;
  }
  if (p0 === 'aps' && p1 === 'events' && p2 === undefined && method === 'GET') {
    openAcStream(world, ex, 'combined');
    return true;
  }
  if (p0 === 'aps' && method === 'POST' && p1 !== undefined && p2 !== undefined && p3 === undefined) {
    if ((p1 in CONTROLS && (p2 === 'open' || p2 === 'close')) || (p1 === 'connections' && (p2 === 'connect' || p2 === 'disconnect'))) {
      return apsControl(world, ex, p1, p2);
    }
  }
  return false;
}
