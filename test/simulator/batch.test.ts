/** Batch connect: the request and answer shapes of the wiki, the queue, its events, its errors and its truth. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchConnector, MAX_BATCH_QUEUE, type BatchEntry, type BatchHost } from '../../src/simulator/batch.js';
import { parseBatchBody } from '../../src/simulator/batch-routes.js';
import { createGateway } from '../../src/simulator/gateway.js';
import { CLEAN_PROFILE } from '../../src/simulator/profile.js';
import { createSimulator, type Simulator } from '../../src/simulator/index.js';
import { getToken, openStream, type WireStream } from './helpers.js';
import { until } from '../helpers/until.js';

const entry = (mac: string, timeout = 5000, perDevTimeout = 10_000): BatchEntry => ({ mac, timeout, perDevTimeout });

describe('parseBatchBody', () => {
  it.each<[string, BatchEntry[] | null]>([
    // acBatch.js
    ['{"list":[{"type":"random","addr":"c0:00:5b:d1:b7:25"}],"timeout":5000,"per_dev_timeout":10000}', [entry('C0:00:5B:D1:B7:25')]],
    // the wiki's curl: numbers as strings, per_dev_timeout defaults to twice timeout
    ['{"list":[{"type":"public","addr":"C0:00:5B:D1:B7:25"},{"type":"public","addr":"C0:00:5B:D1:AF:F0"}], "timeout":"5000"}',
      [entry('C0:00:5B:D1:B7:25'), entry('C0:00:5B:D1:AF:F0')]],
    ['{"list":[{"addr":"C0:00:5B:D1:B7:25"}]}', [entry('C0:00:5B:D1:B7:25')]],
    ['{"timeout":20,"per_dev_timeout":20}', []],
    ['', []],
    ['{"list":[],"timeout":20000,"per_dev_timeout":"60000"}', []],
    ['{"list":[{"type":"public","addr":"C0:00:5B:D1:B7:25"}],"timeout":19}', null],
    ['{"timeout":20001}', null],
    ['{"timeout":"soon"}', null],
    ['{"timeout":5000,"per_dev_timeout":4999}', null],
    ['{"list":{"type":"public","addr":"C0:00:5B:D1:B7:25"}}', null],
    ['{"list":[{"type":"public"}]}', null],
    ['{"list":[{"type":"public","addr":"C0:00:5B:D1:B7"}]}', null],
    ['{"list":[{"type":"static","addr":"C0:00:5B:D1:B7:25"}]}', null],
    ['{"list":["C0:00:5B:D1:B7:25"]}', null],
    ['[{"type":"public","addr":"C0:00:5B:D1:B7:25"}]', null],
    ['list=C0:00:5B:D1:B7:25', null],
  ])('%s', (body, expected) => {
    expect(parseBatchBody(body)).toEqual(expected);
  });
});

describe('BatchConnector', () => {
  const host = (): BatchHost & { timedOut: string[] } => {
    const timedOut: string[] = [];
    return {
      timedOut,
      options: { maxConnectionsPerGateway: 22 },
      profileOf: () => ({ ...CLEAN_PROFILE }),
      connect: (_g, d) => { d.connected = true; },
      connectTimedOut: (_g, mac) => { timedOut.push(mac); },
    };
  };

  it('queues each device once, refuses past MAX_BATCH_QUEUE as a whole, and clear() drops the queue', () => {
    const h = host();
    const batch = new BatchConnector(h);
    const g = createGateway(0, 1, 3, 1, Date.now());
    try {
      expect(batch.enqueue(g, [entry('C0:00:5B:D1:B7:25'), entry('C0:00:5B:D1:B7:25'), entry('C0:00:5B:D1:AF:F0')])).toBe(true);
      expect(batch.enqueue(g, [entry('C0:00:5B:D1:AF:F0')])).toBe(true);
      expect(batch.pending(g)).toBe(2);
      const many = Array.from({ length: MAX_BATCH_QUEUE - 1 }, (_, i) => entry(`C0:00:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`.toUpperCase()));
      expect(batch.enqueue(g, many)).toBe(false);
      expect(batch.pending(g)).toBe(2);
      batch.clear(g);
      expect(batch.pending(g)).toBe(0);
      expect(h.timedOut).toEqual([]);
    } finally {
      batch.close();
    }
  });
});

describe('simulator batch connect', () => {
  let sim: Simulator;
  let token: string;
  let gw: string;
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${sim.url}/api${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(init.headers ?? {}) } });
  const requests = (): number => sim.truth().gateways[gw]?.requests.total ?? 0;
  const stateOf = (s: WireStream, mac: string): unknown[] => s.events.filter((e) => e.handle === mac).map((e) => e.connectionState);

  /** Devices of `gw` that are not connected, from its scan stream. */
  async function unconnected(count: number): Promise<Array<{ addr: string; type: string }>> {
    const listed = (await (await api(`/gap/nodes?connection_state=connected&mac=${gw}`)).json()) as { nodes: Array<{ id: string }> };
    const connected = new Set(listed.nodes.map((n) => n.id));
    const found = new Map<string, string>();
    const scan = await openStream(`${sim.url}/api/gap/nodes?event=1&mac=${gw}&access_token=${token}`, (e) => {
      const b = (e.bdaddrs as Array<{ bdaddr: string; bdaddrType: string }>)[0];
      if (b && !connected.has(b.bdaddr)) found.set(b.bdaddr, b.bdaddrType);
    });
    await until(() => found.size >= count, 5000, `${count} unconnected devices in the scan`);
    scan.close();
    return [...found].slice(0, count).map(([addr, type]) => ({ addr, type }));
  }

  beforeAll(async () => {
    sim = await createSimulator({ gateways: 1, devicesPerGateway: 9, profile: 'clean', scanIntervalMs: 50, tickMs: 20, keepaliveMs: 1000 });
    token = await getToken(sim.url);
    gw = sim.gateways[0] ?? '';
  });
  afterAll(() => sim.close());

  it('answers OK at once, then connects the listed devices one by one and reports connect timeout for one it cannot reach', async () => {
    const states = await openStream(`${sim.url}/api/management/nodes/connection-state?mac=${gw}&access_token=${token}`);
    const [a, b] = (await unconnected(2)) as [{ addr: string; type: string }, { addr: string; type: string }];
    const ghost = 'C0:00:5B:D1:B7:26';
    const before = requests();
    // acBatch.js batchConnect(): the list, timeout and per_dev_timeout in a JSON body.
    const res = await api(`/gap/batch-connect?mac=${gw}`, { method: 'POST', body: JSON.stringify({ list: [a, b, { type: 'public', addr: ghost }], timeout: 500, per_dev_timeout: 800 }) });
    expect([res.status, res.headers.get('content-type'), await res.text()]).toEqual([200, 'text/plain; charset=utf-8', 'OK']);
    expect(requests()).toBe(before + 1);
    await until(() => stateOf(states, ghost).length > 0, 5000, 'the unreachable device to time out');
    states.close();
    const order = states.events.map((e) => `${String(e.handle)} ${String(e.connectionState)}`);
    expect(order).toEqual([`${a.addr} connected`, `${b.addr} connected`, `${ghost} connect timeout`]);
    expect(states.events[2]).toEqual({ handle: ghost, connectionState: 'connect timeout', chipId: 0 });
    const listed = (await (await api(`/gap/nodes?connection_state=connected&mac=${gw}`)).json()) as { nodes: Array<{ id: string }> };
    expect(listed.nodes.map((n) => n.id)).toEqual(expect.arrayContaining([a.addr, b.addr]));
    await until(() => (sim.truth().gateways[gw]?.streams.connection_state.delivered ?? 0) >= 3, 2000, 'the truth to count the three events');
    for (const d of [a, b]) expect((await api(`/gap/nodes/${d.addr}/connection?mac=${gw}`, { method: 'DELETE' })).status).toBe(200);
  });

  it('DELETE empties the queue: a device queued before it is never connected, one queued after it is', async () => {
    const states = await openStream(`${sim.url}/api/management/nodes/connection-state?mac=${gw}&access_token=${token}`);
    const [dropped, later] = (await unconnected(2)) as [{ addr: string; type: string }, { addr: string; type: string }];
    const queued = await api(`/gap/batch-connect?mac=${gw}`, { method: 'POST', body: JSON.stringify({ list: [{ type: 'public', addr: 'C0:00:5B:D1:B7:27' }, dropped], timeout: 20000, per_dev_timeout: 40000 }) });
    expect(queued.status).toBe(200);
    const cleared = await api(`/gap/batch-connect?mac=${gw}`, { method: 'DELETE' });
    expect([cleared.status, await cleared.text()]).toEqual([200, 'OK']);
    expect((await api(`/gap/batch-connect?mac=${gw}`, { method: 'DELETE' })).status).toBe(200);
    const again = await api(`/gap/batch-connect?mac=${gw}`, { method: 'POST', body: JSON.stringify({ list: [later] }) });
    expect(again.status).toBe(200);
    await until(() => stateOf(states, later.addr).includes('connected'), 5000, 'the device queued after DELETE to connect');
    states.close();
    // Before DELETE, `dropped` was behind an unreachable device with a 20 s attempt: only a surviving queue could have connected it.
    expect(stateOf(states, dropped.addr)).toEqual([]);
    expect((await api(`/gap/nodes/${later.addr}/connection?mac=${gw}`, { method: 'DELETE' })).status).toBe(200);
  });

  it.each<[string, string, RequestInit, number, string]>([
    ['a body that is not JSON', '', { method: 'POST', body: '{"list":[' }, 500, 'parameter invalid'],
    ['a timeout below 20 ms', '', { method: 'POST', body: '{"timeout":10}' }, 500, 'parameter invalid'],
    ['per_dev_timeout below timeout', '', { method: 'POST', body: '{"timeout":5000,"per_dev_timeout":1000}' }, 500, 'parameter invalid'],
    ['an entry without addr', '', { method: 'POST', body: '{"list":[{"type":"public"}]}' }, 500, 'parameter invalid'],
    ['more devices than the queue holds', '', { method: 'POST', body: JSON.stringify({ list: Array.from({ length: MAX_BATCH_QUEUE + 1 }, (_, i) => ({ type: 'public', addr: `C0:00:00:01:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}` })) }) }, 500, 'no resources'],
    ['GET', '', { method: 'GET' }, 404, 'Not Found'],
    ['no gateway in mac', 'none', { method: 'POST', body: '{}' }, 500, 'hub not found'],
  ])('answers %s with %i', async (_what, mac, init, status, text) => {
    const before = requests();
    const res = await api(mac === 'none' ? '/gap/batch-connect' : `/gap/batch-connect?mac=${gw}`, init);
    expect([res.status, await res.text()]).toEqual([status, text]);
    // Counted in the gateway's truth like every call naming it; a call without `mac` names none.
    expect(requests()).toBe(before + (mac === 'none' ? 0 : 1));
  });
});
