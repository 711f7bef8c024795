/**
 * Clients that call the AC exactly as Cassia's published samples do (CassiaSDKGuide
 * node_examples/ and python_examples/), through the real proxy in front of the real simulator:
 * what the client receives, what the proxy counts and what the simulator says it did agree.
 */
import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import { createSimulator, type Simulator } from '../../src/simulator/index.js';
import { startProxy, type RunningProxy } from '../../src/main.js';
import type { GatewayEntry } from '../../src/config/types.js';
import { testConfig } from '../helpers/config.js';
import { capturedLogger } from '../helpers/servers.js';
import { scrape, total } from '../helpers/metrics.js';
import { openSse, type SseCapture } from '../helpers/sse-client.js';
import { cleanupAfterEach } from '../helpers/cleanup.js';
import { until } from '../helpers/until.js';

const { defer } = cleanupAfterEach();

interface Stack { sim: Simulator; proxy: RunningProxy; token: string }

async function stack(profile: object): Promise<Stack> {
  const sim = await createSimulator({
    gateways: 2, capwap: 1, devicesPerGateway: 6, connectedPerGateway: 2, seed: 11,
    scanIntervalMs: 60, notifyIntervalMs: 40, tickMs: 20, keepaliveMs: 200, profile,
  });
  defer(() => sim.close());
  const gateways: Record<string, GatewayEntry> = Object.fromEntries(sim.gateways.map((mac) => [mac, { transport: sim.truth().gateways[mac]?.transport ?? 'unknown' }]));
  const proxy = await startProxy(testConfig(sim.url, { transport: { gateways }, sequence: { reorderWindowTime: 500 }, log: { access: false } }),
    { log: capturedLogger('warn').log });
  defer(() => proxy.close());
  // auth() of acNotify.js: Basic header, JSON body.
  const res = await request(`${proxy.proxyUrl}/api/oauth2/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${sim.key}:${sim.secret}`).toString('base64')}`, 'content-type': 'application/json' },
    body: JSON.stringify({ grant_type: 'client_credentials' }),
  });
  expect(res.statusCode).toBe(200);
  return { sim, proxy, token: ((await res.body.json()) as { access_token: string }).access_token };
}

const parse = (data: string): Record<string, unknown> => JSON.parse(data) as Record<string, unknown>;

/** Scans through the proxy until a device that is not connected yet shows up (scanConnectNotify.js). */
async function scanForUnconnected(s: Stack, gateway: string): Promise<{ mac: string; type: string }> {
  const listed = await request(`${s.proxy.proxyUrl}/api/gap/nodes?connection_state=connected&mac=${gateway}&access_token=${s.token}`);
  const connected = new Set(((await listed.body.json()) as { nodes: Array<{ id: string }> }).nodes.map((n) => n.id));
  const scan = await openSse(`${s.proxy.proxyUrl}/api/gap/nodes?event=1&active=1&mac=${gateway}&access_token=${s.token}`);
  expect(scan.status).toBe(200);
  let found: { mac: string; type: string } | undefined;
  try {
    await until(() => {
      for (const e of scan.events) {
        const addr = (parse(e).bdaddrs as Array<{ bdaddr: string; bdaddrType: string }>)[0];
        if (addr && !connected.has(addr.bdaddr)) found = { mac: addr.bdaddr, type: addr.bdaddrType };
      }
      return found !== undefined;
    }, 5000, `an unconnected device in ${gateway}'s scan`);
  } finally {
    scan.close();
    await scan.done;
  }
  return found as { mac: string; type: string };
}

describe('Cassia sample clients through the proxy', () => {
  it('acNotify.js / scanConnectNotify.js: GET /api/gatt/nodes?mac=… without event=1 streams notifications, analysed as the notification stream', async () => {
    const s = await stack({ profile: 'clean', transports: { capwap: { drop: 0.05, duplicate: 0.03, reorder: 0.03 } } });
    const { sim, proxy, token } = s;
    const [capwap, mqtt] = sim.gateways as [string, string];
    const notify = new Map<string, SseCapture>();
    // openNotifySse() of the samples: the bare path, the token in the query, as EventSource sends it.
    for (const gateway of [capwap, mqtt]) {
      const capture = await openSse(`${proxy.proxyUrl}/api/gatt/nodes?mac=${gateway}&access_token=${token}`, { 'x-sim-stream-id': `bare/${gateway}` });
      expect(capture.status).toBe(200);
      notify.set(gateway, capture);
    }
    // The same bare path with sequence=2 on CAPWAP: seqNum makes loss countable, and the proxy must count it as the simulator did.
    const sequenced = await openSse(`${proxy.proxyUrl}/api/gatt/nodes?sequence=2&mac=${capwap}&access_token=${token}`, { 'x-sim-stream-id': 'sequenced' });
    expect(sequenced.status).toBe(200);

    // Then connect a scanned device and write to it, as the samples do after opening the stream.
    const joined = new Map<string, string>();
    for (const gateway of [capwap, mqtt]) {
      const device = await scanForUnconnected(s, gateway);
      const connect = await request(`${proxy.proxyUrl}/api/gap/nodes/${device.mac}/connection?mac=${gateway}&access_token=${token}`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ timeout: 5000, type: device.type }),
      });
      expect([connect.statusCode, await connect.body.text()]).toEqual([200, 'OK']);
      const write = await request(`${proxy.proxyUrl}/api/gatt/nodes/${device.mac}/handle/39/value/21ff310302ff31?mac=${gateway}&access_token=${token}`);
      expect([write.statusCode, await write.body.text()]).toEqual([200, 'OK']);
      joined.set(gateway, device.mac);
    }
    const ids = (c: SseCapture, from = 0): Set<unknown> => new Set(c.events.slice(from).map((e) => parse(e).id));
    await until(() => [...joined].every(([gateway, mac]) => ids(notify.get(gateway) as SseCapture).has(mac)) && sequenced.events.length >= 200,
      10_000, 'notifications from the newly connected devices and 200 sequenced events');
    // Faults off, then one more event per source, so every injected drop is observable (truth counts a drop once a later event is written).
    sim.setFaults({ profile: 'clean' });
    const mark = sequenced.events.length;
    const sources = ids(sequenced);
    await until(() => [...sources].every((id) => ids(sequenced, mark).has(id)), 5000, 'an event of every source after the faults stopped');
    sim.closeStreams();
    await Promise.all([...notify.values(), sequenced].map((c) => c.done));
    await until(async () => total(await scrape(proxy.adminUrl), 'cassia_proxy_streams_active') === 0, 5000, 'the proxy to see every stream end');

    for (const [gateway, capture] of notify) {
      const events = capture.events.map(parse);
      expect(events.length).toBeGreaterThan(0);
      for (const e of events) {
        expect(e).toEqual({ value: expect.stringMatching(/^[0-9A-F]+$/), handle: 36, id: expect.stringMatching(/^([0-9A-F]{2}:){5}[0-9A-F]{2}$/), dataType: 'notification' });
      }
      expect(ids(capture), gateway).toContain(joined.get(gateway));
    }
    const truth = sim.truth();
    const samples = await scrape(proxy.adminUrl);
    const counted = (name: string, gateway: string): number => total(samples, `cassia_proxy_${name}`, { stream: 'notification', gateway });
    for (const gateway of [capwap, mqtt]) {
      const st = truth.gateways[gateway]?.streams.notification;
      const received = (notify.get(gateway)?.events.length ?? 0) + (gateway === capwap ? sequenced.events.length : 0);
      expect({
        events: counted('events_total', gateway),
        missing: counted('events_missing_total', gateway),
        duplicate: counted('events_duplicate_total', gateway),
        outOfOrder: counted('events_out_of_order_total', gateway),
        received,
      }, gateway).toEqual({ events: st?.delivered, missing: st?.dropped, duplicate: st?.duplicated, outOfOrder: st?.reordered, received: st?.delivered });
    }
    // The sequenced stream really carried faults, and the bare ones carry no sequence numbers (as on a real AC without sequence=2).
    const injected = truth.gateways[capwap]?.streams.notification;
    expect((injected?.dropped ?? 0) + (injected?.duplicated ?? 0) + (injected?.reordered ?? 0)).toBeGreaterThan(0);
    expect(counted('events_sequenced_total', mqtt)).toBe(0);
    expect(counted('events_sequenced_total', capwap)).toBeGreaterThan(0);
    // Counted as notification streams, never as `other`, on the route of the notification stream.
    expect(total(samples, 'cassia_proxy_streams_total', { stream: 'notification', end: 'upstream_closed' })).toBe(3);
    expect(total(samples, 'cassia_proxy_streams_total', { stream: 'other' })).toBe(0);
    expect(total(samples, 'cassia_proxy_requests_total', { route: '/api/gatt/nodes', method: 'GET', code: '200' })).toBe(3);
    expect(total(samples, 'cassia_proxy_analysis_errors_total')).toBe(0);
    // Byte for byte what the simulator wrote.
    const written = ((await (await request(`${sim.url}/__sim/streams`)).body.json()) as { streams: Record<string, { kind: string; bytes: number; sha256: string }> }).streams;
    for (const [id, capture] of [...[...notify].map(([g, c]) => [`bare/${g}`, c] as const), ['sequenced', sequenced] as const]) {
      expect(written[id], id).toEqual({ kind: 'notification', bytes: capture.bytes, sha256: capture.sha256() });
    }
  }, 30_000);

  it('acBatch.js: scan, POST /api/gap/batch-connect, watch the connection-state stream, write, disconnect; counted on the batch-connect route and equal to the truth', async () => {
    const s = await stack({ profile: 'clean' });
    const { sim, proxy, token } = s;
    const gateway = sim.gateways[0] as string;
    const states = await openSse(`${proxy.proxyUrl}/api/management/nodes/connection-state?mac=${gateway}&access_token=${token}`);
    expect(states.status).toBe(200);
    const device = await scanForUnconnected(s, gateway);
    const requestsBefore = sim.truth().gateways[gateway]?.requests.total ?? 0;
    const batch = await request(`${proxy.proxyUrl}/api/gap/batch-connect?mac=${gateway}&access_token=${token}`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ list: [{ type: device.type, addr: device.mac }], timeout: 5000, per_dev_timeout: 10000 }),
    });
    expect([batch.statusCode, await batch.body.text()]).toEqual([200, 'OK']);
    const stateEvents = (): Array<Record<string, unknown>> => states.events.map(parse);
    await until(() => stateEvents().some((e) => e.handle === device.mac && e.connectionState === 'connected'), 5000, 'the queued device to connect');
    // openConnectStateSse(): on `connected`, write and disconnect.
    const write = await request(`${proxy.proxyUrl}/api/gatt/nodes/${device.mac}/handle/39/value/21ff310302ff31?mac=${gateway}&access_token=${token}`);
    expect(write.statusCode).toBe(200);
    await write.body.dump();
    const disconnect = await request(`${proxy.proxyUrl}/api/gap/nodes/${device.mac}/connection?mac=${gateway}&access_token=${token}`, { method: 'DELETE' });
    expect(disconnect.statusCode).toBe(200);
    await disconnect.body.dump();
    const cleared = await request(`${proxy.proxyUrl}/api/gap/batch-connect?mac=${gateway}&access_token=${token}`, { method: 'DELETE' });
    expect(cleared.statusCode).toBe(200);
    await cleared.body.dump();
    await until(() => stateEvents().some((e) => e.handle === device.mac && e.connectionState === 'disconnected'), 5000, 'the disconnect event');
    sim.closeStreams();
    await states.done;
    await until(async () => total(await scrape(proxy.adminUrl), 'cassia_proxy_streams_active') === 0, 5000, 'the proxy to see the stream end');

    const samples = await scrape(proxy.adminUrl);
    const route = (method: string): number => total(samples, 'cassia_proxy_requests_total', { route: '/api/gap/batch-connect', method, code: '200' });
    expect({ post: route('POST'), delete: route('DELETE') }).toEqual({ post: 1, delete: 1 });
    expect(total(samples, 'cassia_proxy_requests_total', { route: 'other' })).toBe(0);
    const truth = sim.truth().gateways[gateway];
    // The four calls after the scan named the gateway (batch, write, disconnect, clear); the simulator counted each.
    expect((truth?.requests.total ?? 0) - requestsBefore).toBe(4);
    expect(total(samples, 'cassia_proxy_events_total', { stream: 'connection_state', gateway })).toBe(truth?.streams.connection_state.delivered);
    expect(states.events.length).toBe(truth?.streams.connection_state.delivered);
  }, 30_000);
});
