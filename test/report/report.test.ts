// The recorder and report assembly with a controllable clock: windowing, since-start totals,
// per-gateway percentiles, the gateway cap, event counters pulled from the metrics, and the
// before/after comparison of a gateway whose transport changed at run time.
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/metrics/metrics.js';
import { createReport, type Report } from '../../src/report/report.js';
import type { GatewaySnapshotEntry } from '../../src/report/build.js';

const A = 'CC:1B:E0:E0:00:01';
const B = 'CC:1B:E0:E0:00:02';
const T0 = Date.UTC(2026, 10, 27, 12, 0, 0); // a multiple of 10 s: bucket edges are exact

function setup(snapshot: GatewaySnapshotEntry[] = [], maxGateways?: number) {
  let t = T0;
  const metrics = createMetrics(new Registry(), { defaultMetrics: false });
  const report = createReport({
    metrics, gatewaySnapshot: () => snapshot, now: () => t, pollEvents: false, maxGateways,
  });
  reports.push(report);
  return { metrics, report, advance: (ms: number) => (t += ms), at: (ms: number) => (t = T0 + ms) };
}
const reports: Report[] = [];
afterEach(() => {
  for (const r of reports.splice(0)) r.close();
});
const gw = (r: Report, mac: string) => {
  const g = r.gateways().find((x) => x.gateway === mac);
  if (!g) throw new Error(`no gateway ${mac}`);
  return g;
};

describe('window and since-start', () => {
  it.each([
    // clock position (ms after T0) → requests in the 15-minute window (5 at T0, 3 at +10 min)
    [10 * 60_000, 8],
    [14 * 60_000 + 59_999, 8], // T0's bucket is still the oldest of the 90
    [15 * 60_000, 3], // T0's bucket has just left the window
    [25 * 60_000 - 1, 3],
    [25 * 60_000, 0],
    [3 * 3600_000, 0], // long idle: every slot stale
  ])('at +%i ms the window holds %i requests, since start 8', (clock, inWindow) => {
    const { report, at } = setup();
    for (let i = 0; i < 5; i++) report.recordExchange(A, 'capwap', 200, 'upstream', 20);
    at(10 * 60_000);
    for (let i = 0; i < 3; i++) report.recordExchange(A, 'capwap', 200, 'upstream', 20);
    at(clock);
    expect(gw(report, A).window.requests).toBe(inWindow);
    expect(gw(report, A).sinceStart.requests).toBe(8);
  });

  it('reuses a ring slot a full window later without leaking the old counts', () => {
    const { report, at } = setup();
    report.recordExchange(A, 'capwap', 502, 'upstream', 5);
    at(15 * 60_000); // same slot (epoch + 90)
    report.recordExchange(A, 'capwap', 200, 'upstream', 5);
    const g = gw(report, A);
    expect(g.window.requests).toBe(1);
    expect(g.window.errors.count).toBe(0);
    expect(g.sinceStart.errors).toMatchObject({ count: 1, total: 2, rate: 0.5 });
  });

  it('places each bucket in the per-transport series, newest last', () => {
    const { report, at } = setup();
    at(0);
    report.recordExchange(A, 'capwap', 504, 'proxy', 30_000);
    at(5 * 60_000);
    report.recordExchange(A, 'capwap', 200, 'upstream', 40);
    report.recordExchange(A, 'capwap', 502, 'upstream', 40);
    at(14 * 60_000 + 59_999); // bucket 89 of the window starting at T0
    const s = report.report().transports.find((t) => t.transport === 'capwap')?.series;
    expect(s?.requests).toHaveLength(90);
    expect(s?.start).toBe(new Date(T0).toISOString());
    expect(s?.errorRate[0]).toBe(1);
    expect(s?.errorRate[30]).toBe(0.5);
    expect(s?.errorRate[1]).toBeNull();
    expect(s?.requests.reduce((a, b) => a + b, 0)).toBe(3);
  });
});

describe('per-exchange figures', () => {
  it('splits 502/504 by origin and keeps client aborts apart', () => {
    const { report } = setup([{ mac: A, transport: 'capwap', name: 'Dock', online: true }]);
    const calls: Array<[number, 'upstream' | 'proxy' | 'client']> = [
      [200, 'upstream'], [200, 'upstream'], [502, 'upstream'], [502, 'proxy'], [502, 'proxy'],
      [504, 'upstream'], [504, 'proxy'], [499, 'client'], [404, 'upstream'], [500, 'upstream'],
    ];
    for (const [status, origin] of calls) report.recordExchange(A, 'capwap', status, origin, NaN);
    const w = gw(report, A).window;
    expect(w.requests).toBe(10);
    expect(w.clientAborts).toBe(1);
    expect(w.status502.upstream.count).toBe(1);
    expect(w.status502.proxy.count).toBe(2);
    expect(w.status504.upstream.count).toBe(1);
    expect(w.status504.proxy.count).toBe(1);
    expect(w.errors).toMatchObject({ count: 5, total: 10, rate: 0.5 });
    expect(w.headersMs.samples).toBe(0);
    expect(gw(report, A)).toMatchObject({ name: 'Dock', online: true, transport: 'capwap' });
  });

  it('computes p50/p99 time to headers per gateway from its own histogram', () => {
    const { report } = setup();
    for (let i = 0; i < 50; i++) report.recordExchange(A, 'mqtt', 200, 'upstream', 3); // (0,5] ms
    for (let i = 0; i < 50; i++) report.recordExchange(A, 'mqtt', 200, 'upstream', 40); // (25,50] ms
    for (let i = 0; i < 10; i++) report.recordExchange(B, 'mqtt', 200, 'upstream', 15_000); // (10,20] s
    expect(gw(report, A).window.headersMs).toEqual({ p50: 5, p99: 49.5, samples: 100 });
    expect(gw(report, B).window.headersMs.p50).toBe(15_000);
  });

  it('folds gateways past the cap into "other"', () => {
    const { report } = setup([], 3);
    for (const mac of [A, B, 'C', 'D', 'E']) report.recordExchange(mac, 'capwap', 200, 'upstream', 1);
    const names = report.gateways().map((g) => g.gateway);
    expect(names).toEqual(['C', A, B, 'other']); // sorted by label
    expect(gw(report, 'other').sinceStart.requests).toBe(2);
  });
});

describe('events from the metrics', () => {
  it('adds counter increments once, attributed to gateway and transport', async () => {
    const { metrics, report, advance } = setup();
    const s = (stream: string, transport: string) => ({ stream, transport, gateway: A });
    metrics.events.inc(s('notification', 'capwap'), 100);
    metrics.eventsSequenced.inc(s('notification', 'capwap'), 90);
    metrics.eventsMissing.inc(s('notification', 'capwap'), 10);
    metrics.events.inc(s('scan', 'capwap'), 50);
    metrics.eventsOutOfOrder.inc(s('scan', 'capwap'), 2);
    await report.refresh();
    advance(10_000);
    metrics.events.inc(s('notification', 'capwap'), 5);
    metrics.eventsDuplicate.inc(s('notification', 'capwap'), 1);
    await report.refresh();
    await report.refresh(); // nothing new: must not count again
    const w = gw(report, A).window;
    expect(w).toMatchObject({ events: 155, sequenced: 90, missing: 10, outOfOrder: 2, duplicate: 1 });
    expect(w.loss).toMatchObject({ count: 10, total: 100, rate: 0.1 });
    expect(gw(report, A).lastEventAt).toBe(new Date(T0 + 10_000).toISOString());
  });
});

describe('events after a series was removed', () => {
  it('counts a re-created (reset) series afresh instead of going negative', async () => {
    const { metrics, report } = setup();
    const labels = { stream: 'scan', transport: 'mqtt', gateway: B };
    metrics.events.inc(labels, 40);
    await report.refresh();
    metrics.events.remove(labels); // gateway forgotten by the gateways module
    metrics.events.inc(labels, 7);
    await report.refresh();
    expect(gw(report, B).sinceStart.events).toBe(47);
  });
});

describe('transport change at run time', () => {
  it('compares the gateway under its old transport with the new one', () => {
    const snapshot: GatewaySnapshotEntry[] = [{ mac: A, transport: 'capwap', name: 'Yard' }];
    const { report, at } = setup(snapshot);
    // 300 requests on CAPWAP with 30 502s, then the operator moves it; 300 on MQTT with 2.
    for (let i = 0; i < 300; i++) report.recordExchange(A, 'capwap', i % 10 === 0 ? 502 : 200, 'upstream', 50);
    expect(report.report().recommendations.map((r) => r.gateway)).toEqual([A]);
    at(5 * 60_000);
    snapshot[0] = { mac: A, transport: 'mqtt', name: 'Yard' };
    for (let i = 0; i < 300; i++) report.recordExchange(A, 'mqtt', i < 2 ? 504 : 200, 'upstream', 20);
    const r = report.report();
    expect(r.recommendations).toEqual([]); // no longer on CAPWAP
    expect(r.transportChanges).toHaveLength(1);
    const c = r.transportChanges[0];
    expect(c).toMatchObject({ gateway: A, name: 'Yard', from: 'capwap', to: 'mqtt', verdict: 'improved' });
    expect(c?.changedAt).toBe(new Date(T0 + 5 * 60_000).toISOString());
    expect(c?.before.errors).toMatchObject({ count: 30, total: 300 });
    expect(c?.after.errors).toMatchObject({ count: 2, total: 300 });
    expect(c?.confidence).toBeCloseTo(1 - 3.63261e-7, 9); // Python: z = 5.0873
    // Per-transport aggregates follow the transport each exchange ran on.
    const byT = Object.fromEntries(r.transports.map((t) => [t.transport, t]));
    expect(byT.capwap?.sinceStart.requests).toBe(300);
    expect(byT.mqtt?.sinceStart.requests).toBe(300);
    expect(byT.capwap?.gateways).toBe(0);
    expect(byT.mqtt?.gateways).toBe(1);
    expect(gw(report, A).transports.map((x) => x.transport)).toEqual(['capwap', 'mqtt']);
  });
});
