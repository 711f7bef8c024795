/**
 * The truth must equal what a client really received: a raw client counts delivered, dropped,
 * duplicated and reordered events from the sequence numbers on the wire and compares them with
 * `/__sim/truth` after `POST /__sim/close-streams`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulator, type Simulator, type Truth } from '../../src/simulator/index.js';
import { getToken, openStream, scanCounter, WireCounter, type Observed, type WireStream } from './helpers.js';
import { until } from '../helpers/until.js';

const NOISY = { drop: 0.08, duplicate: 0.05, reorder: 0.06 };

function add(a: Observed, b: Observed): Observed {
  return { delivered: a.delivered + b.delivered, dropped: a.dropped + b.dropped, duplicated: a.duplicated + b.duplicated, reordered: a.reordered + b.reordered };
}
const zero = (): Observed => ({ delivered: 0, dropped: 0, duplicated: 0, reordered: 0 });

/** Counts one finished stream; `gatewayOf` picks the gateway of an event (combined: its `ap`). */
function countStream(stream: WireStream, gatewayOf: (e: Record<string, unknown>) => string): Map<string, Observed> {
  const counters = new Map<string, WireCounter>();
  for (const e of stream.events) {
    if (e.dataType === 'state') continue;
    const gw = gatewayOf(e);
    let c = counters.get(gw);
    if (!c) counters.set(gw, (c = new WireCounter()));
    if (typeof e.adData === 'string') {
      const counter = scanCounter(e.adData);
      const mac = (e.bdaddrs as Array<{ bdaddr: string }>)[0]?.bdaddr ?? '';
      c.event(counter ? `scan:${mac}` : null, counter?.value ?? null, counter?.modulus ?? 1);
    } else if (typeof e.seqNum === 'number') {
      c.event(`notify:${String(e.id ?? e.device)}`, e.seqNum, 2 ** 53);
    } else {
      c.event(null, null, 1);
    }
  }
  return new Map([...counters].map(([gw, c]) => [gw, c.finish()]));
}

describe('simulator truth equals what the wire carried', () => {
  let sim: Simulator;
  let token: string;
  beforeAll(async () => {
    sim = await createSimulator({
      gateways: 3, capwap: 2, devicesPerGateway: 12, seed: 42, connectedPerGateway: 4,
      scanIntervalMs: 60, notifyIntervalMs: 40, rssiIntervalMs: 50, tickMs: 20, keepaliveMs: 100, keepaliveForm: 'mixed',
      profile: { profile: 'clean', transports: { capwap: NOISY, mqtt: { drop: 0.02 } } },
    });
    token = await getToken(sim.url);
  });
  afterAll(() => sim.close());

  it('counts delivered, dropped, duplicated and reordered exactly, per gateway and stream kind', async () => {
    const [g1, g2, g3] = sim.gateways as [string, string, string];
    const q = `access_token=${token}`;
    await fetch(`${sim.url}/api/aps/scan/open?${q}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ aps: [g1, g3] }) });
    await fetch(`${sim.url}/api/aps/notify/open?${q}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ aps: [g2] }) });
    const opened: Array<{ kind: string; stream: WireStream; gatewayOf: (e: Record<string, unknown>) => string }> = [];
    for (const g of sim.gateways) {
      for (const [kind, path] of [['scan', `/api/gap/nodes?event=1&mac=${g}`], ['scan', `/api/gap/nodes?event=1&active=1&timestamp=1&mac=${g}`],
        ['notification', `/api/gatt/nodes?event=1&sequence=2&mac=${g}`], ['notification', `/api/gatt/nodes?event=1&mac=${g}`],
        ['rssi', `/api/gap/rssi?mac=${g}`], ['rssi', `/api/gap/rssi?timestamp=1&mac=${g}`]] as const) {
        opened.push({ kind, stream: await openStream(`${sim.url}${path}&${q}`), gatewayOf: () => g });
      }
    }
    opened.push({ kind: 'combined', stream: await openStream(`${sim.url}/api/aps/events?sequence=2&${q}`), gatewayOf: (e) => String(e.ap) });
    for (const o of opened) expect(o.stream.status).toBe(200);
    const tally = (): Map<string, Observed> => {
      const wire = new Map<string, Observed>();
      for (const o of opened) {
        for (const [gw, observed] of countStream(o.stream, o.gatewayOf)) {
          const key = `${gw}/${o.kind}`;
          wire.set(key, add(wire.get(key) ?? zero(), observed));
        }
      }
      return wire;
    };
    const faultsOf = (wire: Map<string, Observed>): number => [...wire.values()].reduce((n, o) => n + o.dropped + o.duplicated + o.reordered, 0);
    // Counts only grow while the streams are open: wait until what the assertions below need has come over the wire.
    await until(() => {
      if (new Set(opened.flatMap((o) => o.stream.keepalives)).size < 3) return false;
      const wire = tally();
      const delivered = (key: string): number => wire.get(key)?.delivered ?? 0;
      return delivered(`${g1}/combined`) > 50 && delivered(`${g2}/combined`) > 20 && delivered(`${g1}/rssi`) > 100 && faultsOf(wire) > 50;
    }, 20_000, 'keep-alives of every form, combined and RSSI events and faults on the wire');
    const closed = await (await fetch(`${sim.url}/__sim/close-streams`, { method: 'POST' })).json();
    expect(closed).toEqual({ closed: opened.length });
    await Promise.all(opened.map((o) => o.stream.ended));
    const truth = (await (await fetch(`${sim.url}/__sim/truth`)).json()) as Truth;

    const wire = tally();
    let faults = 0;
    for (const g of sim.gateways) {
      for (const kind of ['scan', 'notification', 'combined', 'connection_state', 'hub_status', 'rssi'] as const) {
        const expected = truth.gateways[g]?.streams[kind];
        expect(wire.get(`${g}/${kind}`) ?? zero(), `${g} ${kind}`).toEqual(expected);
        faults += (expected?.dropped ?? 0) + (expected?.duplicated ?? 0) + (expected?.reordered ?? 0);
      }
    }
    // The test only proves something if faults happened and the combined stream carried events.
    expect(faults).toBeGreaterThan(50);
    expect(truth.gateways[g1]?.streams.combined.delivered).toBeGreaterThan(50);
    expect(truth.gateways[g2]?.streams.combined.delivered).toBeGreaterThan(20);
    expect(truth.gateways[g3]?.streams.combined.reordered).toBe(0);
    // RSSI events carry no sequence number: delivered on every gateway, never faulted, even on the noisy CAPWAP ones.
    for (const g of sim.gateways) expect(truth.gateways[g]?.streams.rssi).toMatchObject({ delivered: expect.any(Number), dropped: 0, duplicated: 0, reordered: 0 });
    expect(truth.gateways[g1]?.streams.rssi.delivered).toBeGreaterThan(100);
    expect(truth.gateways[g1]?.transport).toBe('capwap');
    expect(truth.gateways[g3]?.transport).toBe('mqtt');
    // Every stream saw keep-alives in the mixed forms, none counted as an event.
    expect(new Set(opened.flatMap((o) => o.stream.keepalives))).toEqual(new Set(['comment', 'event', 'data']));
  });
});
