/** Every endpoint answers with the shapes Cassia documents (docs/cassia-api-routes.md) (clean profile, no faults). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulator, type Simulator, type Truth } from '../../src/simulator/index.js';
import { getToken, openStream, scanCounter, sleep } from './helpers.js';
import { until } from '../helpers/until.js';

describe('simulator endpoints', () => {
  let sim: Simulator;
  let token: string;
  let gw: string;
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${sim.url}/api${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) } });

  beforeAll(async () => {
    sim = await createSimulator({ gateways: 2, devicesPerGateway: 9, profile: 'clean', scanIntervalMs: 100, notifyIntervalMs: 50, rssiIntervalMs: 50, tickMs: 20, keepaliveMs: 50 });
    token = await getToken(sim.url);
    gw = sim.gateways[0] ?? '';
  });
  afterAll(() => sim.close());

  it('lists hubs with the documented fields and MACs CC:1B:E0:E0:00:0N', async () => {
    const hubs = (await (await api('/cassia/hubs')).json()) as Array<Record<string, unknown>>;
    expect(hubs.map((h) => h.mac)).toEqual(['CC:1B:E0:E0:00:01', 'CC:1B:E0:E0:00:02']);
    for (const key of ['mac', 'name', 'group', 'status', 'model', 'version', 'ip', 'localip', 'uptime', 'online_time', 'offline_time', 'update_status']) {
      expect(hubs[0]).toHaveProperty(key);
    }
    expect(hubs[0]?.status).toBe('online');
    const one = await api(`/cassia/hubs/${gw.toLowerCase()}`);
    expect(((await one.json()) as { mac: string }).mac).toBe(gw);
    expect((await api('/cassia/hubs/CC:1B:E0:E0:99:99')).status).toBe(500);
    const info = (await (await api(`/cassia/info?mac=${gw}`)).json()) as Record<string, unknown>;
    expect(info).toMatchObject({ mac: gw, model: expect.any(String), version: expect.any(String) });
  });

  it('answers an unknown gateway with 500 "hub not found"', async () => {
    const res = await api('/gap/nodes?event=1&mac=CC:1B:E0:E0:99:99');
    expect([res.status, await res.text()]).toEqual([500, 'hub not found']);
  });

  it('streams scans with RuuviTag, Eddystone-TLM and plain payloads and gateway timestamps', async () => {
    const s = await openStream(`${sim.url}/api/gap/nodes?event=1&timestamp=1&mac=${gw}&access_token=${token}`);
    expect(s.status).toBe(200);
    expect(s.headers['content-type']).toBe('text/event-stream');
    await sleep(400);
    s.close();
    const first = s.events[0] as Record<string, unknown>;
    expect(first).toMatchObject({ bdaddrs: [{ bdaddr: expect.stringMatching(/^([0-9A-F]{2}:){5}[0-9A-F]{2}$/), bdaddrType: expect.any(String) }],
      adData: expect.stringMatching(/^[0-9A-F]+$/), scanData: '', name: expect.any(String), rssi: expect.any(Number), evtType: 0 });
    expect(String(first.timestamp)).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC$/);
    const kinds = new Set(s.events.map((e) => { const c = scanCounter(String(e.adData)); return c ? (c.modulus === 65536 ? 'ruuvi' : 'tlm') : 'plain'; }));
    expect(kinds).toEqual(new Set(['ruuvi', 'tlm', 'plain']));
    expect(s.keepalives.length).toBeGreaterThan(0);
  });

  it('filters scans by filter_mac', async () => {
    const all = await openStream(`${sim.url}/api/gap/nodes?event=1&mac=${gw}&access_token=${token}`);
    await sleep(250);
    all.close();
    const target = (all.events[0]?.bdaddrs as Array<{ bdaddr: string }>)[0]?.bdaddr ?? '';
    const s = await openStream(`${sim.url}/api/gap/nodes?event=1&mac=${gw}&filter_mac=${target.toLowerCase()}&access_token=${token}`);
    await sleep(350);
    s.close();
    expect(s.events.length).toBeGreaterThan(0);
    expect(new Set(s.events.map((e) => (e.bdaddrs as Array<{ bdaddr: string }>)[0]?.bdaddr))).toEqual(new Set([target]));
  });

  it('streams notifications on the bare GET /gatt/nodes?mac= of Cassia\'s samples, and lists connections on bare GET /gap/nodes', async () => {
    // acNotify.js / scanConnectNotify.js / acNotify.py: no event=1.
    const notes = await openStream(`${sim.url}/api/gatt/nodes?mac=${gw}&access_token=${token}`);
    expect(notes.status).toBe(200);
    expect(notes.headers['content-type']).toBe('text/event-stream');
    const listed = (await (await api(`/gap/nodes?connection_state=connected&mac=${gw}`)).json()) as { nodes: Array<{ id: string }> };
    const connected = listed.nodes.map((n) => n.id);
    await until(() => connected.every((id) => notes.events.some((e) => e.id === id)), 5000, 'a notification from every connected device');
    notes.close();
    for (const e of notes.events) expect(e).toEqual({ value: expect.any(String), handle: 36, id: expect.any(String), dataType: 'notification' });
    // BLE 5 interface specification §3.2 and connection_by_list/gateway.py: plain GET /gap/nodes is the connection list.
    const bare = await api(`/gap/nodes?mac=${gw}`);
    expect([bare.status, bare.headers.get('content-type')]).toEqual([200, 'application/json; charset=utf-8']);
    expect(await bare.json()).toEqual(listed);
    const bogus = await api(`/gap/nodes?connection_state=sleeping&mac=${gw}`);
    expect([bogus.status, await bogus.text()]).toEqual([500, 'parameter invalid']);
  });

  it('connects, lists, reads, writes, discovers, streams notifications and connection states, disconnects', async () => {
    const states = await openStream(`${sim.url}/api/management/nodes/connection-state?mac=${gw}&access_token=${token}`);
    const notes = await openStream(`${sim.url}/api/gatt/nodes?event=1&sequence=2&timestamp=1&mac=${gw}&access_token=${token}`);
    const hubs = (await (await api('/cassia/hubs')).json()) as unknown[];
    expect(hubs.length).toBe(2);
    const scan = await openStream(`${sim.url}/api/gap/nodes?event=1&mac=${gw}&access_token=${token}`);
    await sleep(1000);
    scan.close();
    const listed = (await (await api(`/gap/nodes?connection_state=connected&mac=${gw}`)).json()) as { nodes: Array<{ id: string }> };
    const already = new Set(listed.nodes.map((n) => n.id));
    expect(already.size).toBe(2);
    const device = scan.events.map((e) => (e.bdaddrs as Array<{ bdaddr: string; bdaddrType: string }>)[0]).find((b) => b && !already.has(b.bdaddr));
    if (!device) throw new Error('no unconnected device seen');
    const dev = device.bdaddr;
    expect((await api(`/gatt/nodes/${dev}/handle/36/value?mac=${gw}`)).status).toBe(500);
    const connect = await api(`/gap/nodes/${dev}/connection?mac=${gw}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: device.bdaddrType, timeout: 5000 }) });
    expect([connect.status, await connect.text()]).toEqual([200, 'OK']);
    const read = (await (await api(`/gatt/nodes/${dev}/handle/36/value?mac=${gw}`)).json()) as Record<string, unknown>;
    expect(read).toEqual({ handle: '36', value: expect.stringMatching(/^[0-9A-F]{8}$/) });
    const write = await api(`/gatt/nodes/${dev}/handle/39/value/0A0B?mac=${gw}`);
    expect([write.status, await write.text()]).toEqual([200, 'OK']);
    expect(((await (await api(`/gatt/nodes/${dev}/handle/39/value?mac=${gw}`)).json()) as { value: string }).value).toBe('0A0B');
    expect((await api(`/gatt/nodes/${dev}/handle/3/value/zz?mac=${gw}`)).status).toBe(500);
    const servicesList = (await (await api(`/gatt/nodes/${dev}/services?mac=${gw}`)).json()) as Array<{ uuid: string }>;
    expect(servicesList[0]).toMatchObject({ uuid: '00001800-0000-1000-8000-00805f9b34fb', primary: true });
    const chars = (await (await api(`/gatt/nodes/${dev}/characteristics?mac=${gw}`)).json()) as Array<{ handle: number }>;
    expect(chars.length).toBeGreaterThan(3);
    const svcChars = (await (await api(`/gatt/nodes/${dev}/services/0000fff0-0000-1000-8000-00805f9b34fb/characteristics?mac=${gw}`)).json()) as unknown[];
    expect(svcChars.length).toBe(2);
    const descs = (await (await api(`/gatt/nodes/${dev}/characteristics/0000fff1-0000-1000-8000-00805f9b34fb/descriptors?mac=${gw}`)).json()) as unknown[];
    expect(descs).toEqual([{ handle: 37, uuid: '00002902-0000-1000-8000-00805f9b34fb' }]);
    const all = (await (await api(`/gatt/nodes/${dev}/services/characteristics/descriptors?mac=${gw}`)).json()) as Array<{ characteristics: unknown[] }>;
    expect(all.length).toBe(5);
    expect(((await (await api(`/gap/nodes/${dev}/rssi?mac=${gw}`)).json()) as { rssi: number }).rssi).toBeLessThan(0);
    await sleep(200);
    const disconnect = await api(`/gap/nodes/${dev}/connection?mac=${gw}`, { method: 'DELETE' });
    expect([disconnect.status, await disconnect.text()]).toEqual([200, 'OK']);
    expect((await api(`/gap/nodes/${dev}/connection?mac=${gw}`, { method: 'DELETE' })).status).toBe(500);
    await sleep(100);
    states.close();
    notes.close();
    expect(states.events).toEqual([
      { handle: dev, connectionState: 'connected', chipId: 0 },
      { handle: dev, connectionState: 'disconnected', chipId: 0 },
    ]);
    expect(notes.events[0]).toMatchObject({ value: expect.any(String), handle: 36, id: expect.any(String), dataType: 'notification', seqNum: expect.any(Number), timestamp: expect.stringMatching(/UTC$/) });
    expect(new Set(notes.events.map((e) => e.id))).toContain(dev);
    expect((await api(`/gap/nodes/FF:FF:FF:FF:FF:FF/connection?mac=${gw}`, { method: 'POST', body: '{"type":"public"}' })).status).toBe(500);
  });

  it('serves hub status and the combined stream with ap fields and controls', async () => {
    const hub = await openStream(`${sim.url}/api/cassia/hubStatus?access_token=${token}`);
    const combined = await openStream(`${sim.url}/api/aps/events?access_token=${token}`);
    const open = await api('/aps/scan/open', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ aps: [sim.gateways[1]] }) });
    expect([open.status, await open.text()]).toEqual([200, 'OK']);
    await sleep(400);
    await api('/aps/scan/close', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ aps: [sim.gateways[1]] }) });
    hub.close();
    combined.close();
    expect(hub.events.map((e) => e.mac)).toEqual(sim.gateways);
    expect(hub.events[0]).toMatchObject({ status: 'online', model: expect.any(String), version: expect.any(String), ip: expect.any(String), uptime: expect.any(Number) });
    expect(combined.events[0]?.dataType).toBe('state');
    const scans = combined.events.slice(1);
    expect(scans.length).toBeGreaterThan(3);
    for (const e of scans) expect(e).toMatchObject({ dataType: 'scan', ap: sim.gateways[1], adData: expect.any(String) });
  });

  it('streams the RSSI of connected devices only, unsequenced, and the truth counts what the client got', async () => {
    const g2 = sim.gateways[1] ?? '';
    const listed = (await (await api(`/gap/nodes?connection_state=connected&mac=${g2}`)).json()) as { nodes: Array<{ id: string }> };
    const connected = new Set(listed.nodes.map((n) => n.id));
    expect(connected.size).toBe(2);
    const before = sim.truth().gateways[g2]?.streams.rssi;
    const stamped = await openStream(`${sim.url}/api/gap/rssi?timestamp=1&mac=${g2}&access_token=${token}`, undefined, { 'x-sim-stream-id': 'rssi-stamped' });
    const plain = await openStream(`${sim.url}/api/gap/rssi?mac=${g2}&access_token=${token}`);
    expect([stamped.status, plain.status]).toEqual([200, 200]);
    expect(stamped.headers['content-type']).toBe('text/event-stream');
    await sleep(500);
    const closed = await (await fetch(`${sim.url}/__sim/close-streams`, { method: 'POST' })).json();
    expect(closed).toEqual({ closed: 2 });
    await Promise.all([stamped.ended, plain.ended]);
    const truth = (await (await fetch(`${sim.url}/__sim/truth`)).json()) as Truth;

    const mac = /^([0-9A-F]{2}:){5}[0-9A-F]{2}$/;
    for (const e of plain.events) expect(e).toEqual({ id: expect.stringMatching(mac), rssi: expect.any(Number) });
    for (const e of stamped.events) {
      expect(e).toEqual({ id: expect.stringMatching(mac), rssi: expect.any(Number), timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC$/) });
    }
    const all = [...stamped.events, ...plain.events];
    for (const e of all) {
      expect(Number.isInteger(e.rssi)).toBe(true);
      expect(e.rssi).toBeGreaterThanOrEqual(-95);
      expect(e.rssi).toBeLessThanOrEqual(-35);
    }
    // 2 connected devices, one event each per 50 ms, for 500 ms: about 20 per stream.
    expect(stamped.events.length).toBeGreaterThan(8);
    expect(new Set(all.map((e) => e.id))).toEqual(connected);
    expect(new Set(plain.events.map((e) => e.id))).toEqual(connected);

    // Unsequenced: delivered only, exactly what the two clients counted.
    expect(truth.gateways[g2]?.streams.rssi).toEqual({ delivered: (before?.delivered ?? 0) + all.length, dropped: 0, duplicated: 0, reordered: 0 });
    // Byte accounting of the tagged stream: the client got every byte the simulator wrote.
    const written = ((await (await fetch(`${sim.url}/__sim/streams`)).json()) as { streams: Record<string, { kind: string; bytes: number }> }).streams;
    expect(written['rssi-stamped']).toMatchObject({ kind: 'rssi', bytes: Buffer.byteLength(stamped.raw) });
    // Fed lazily: with the streams closed nothing more is generated.
    await sleep(150);
    expect(sim.truth().gateways[g2]?.streams.rssi.delivered).toBe(truth.gateways[g2]?.streams.rssi.delivered);
  });

  it('counts RSSI streams against maxStreamsPerGateway and ends them when the gateway goes offline', async () => {
    const small = await createSimulator({ gateways: 1, devicesPerGateway: 3, profile: 'clean', maxStreamsPerGateway: 2, rebootMs: 300, tickMs: 20, rssiIntervalMs: 50 });
    try {
      const t = await getToken(small.url);
      const g = small.gateways[0] ?? '';
      const url = `${small.url}/api/gap/rssi?mac=${g}&access_token=${t}`;
      const a = await openStream(url);
      const b = await openStream(`${small.url}/api/gatt/nodes?event=1&mac=${g}&access_token=${t}`);
      const c = await fetch(url);
      expect([a.status, b.status, c.status, await c.text()]).toEqual([200, 200, 500, 'no resources']);
      await sleep(150);
      expect((await fetch(`${small.url}/api/cassia/reboot?mac=${g}&access_token=${t}`, { method: 'POST' })).status).toBe(200);
      const ended = await Promise.race([Promise.all([a.ended, b.ended]).then(() => true), sleep(3000).then(() => false)]);
      expect(ended).toBe(true);
      const offline = await fetch(url);
      expect([offline.status, await offline.text()]).toEqual([502, 'gateway offline']);
      expect(a.events.length).toBeGreaterThan(0);
      expect(small.truth().gateways[g]?.streams.rssi.delivered).toBe(a.events.length);
      expect(small.closeStreams()).toBe(0);
    } finally {
      await small.close();
    }
  });

  it('refuses more than maxStreamsPerGateway streams on one gateway with 500', async () => {
    const small = await createSimulator({ gateways: 1, devicesPerGateway: 1, profile: 'clean', maxStreamsPerGateway: 2 });
    try {
      const t = await getToken(small.url);
      const url = `${small.url}/api/gatt/nodes?event=1&mac=${small.gateways[0]}&access_token=${t}`;
      const a = await openStream(url);
      const b = await openStream(url);
      const c = await fetch(url);
      expect([a.status, b.status, c.status, await c.text()]).toEqual([200, 200, 500, 'no resources']);
    } finally {
      await small.close();
    }
  });
});
