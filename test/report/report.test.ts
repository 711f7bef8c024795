// The recorder and report assembly with a controllable clock: windowing, since-start totals,
// per-gateway percentiles, the gateway cap and event counts as the gateway handles feed them, and
// the before/after comparison of a gateway whose transport changed at run time.
import { afterEach, describe, expect, it } from 'vitest';
import { createReport, type Report } from '../../src/report/report.js';
import type { GatewaySnapshotEntry } from '../../src/report/assemble.js';
import { renderStatusPage } from '../../src/report/html.js';
import { testConfig } from '../helpers/config.js';
import { gatewayStack, type GatewayStack } from '../helpers/gateways.js';
import { find, parseMetrics } from '../helpers/metrics.js';
import { recordEvents, recordExchange, snapshotEntry } from './fixture.js';

const A = 'CC:1B:E0:E0:00:01';
const B = 'CC:1B:E0:E0:00:02';
const T0 = Date.UTC(2026, 10, 27, 12, 0, 0); // a multiple of 10 s: bucket edges are exact

function setup(snapshot: GatewaySnapshotEntry[] = []) {
  let t = T0;
  const report = createReport({ gatewaySnapshot: () => snapshot, now: () => t });
  return { report, advance: (ms: number) => (t += ms), at: (ms: number) => (t = T0 + ms) };
}
const stacks: GatewayStack[] = [];
afterEach(() => {
  for (const s of stacks.splice(0)) s.state.close();
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
    for (let i = 0; i < 5; i++) recordExchange(report, A, 'capwap', 200, 'upstream', 20);
    at(10 * 60_000);
    for (let i = 0; i < 3; i++) recordExchange(report, A, 'capwap', 200, 'upstream', 20);
    at(clock);
    expect(gw(report, A).window.requests).toBe(inWindow);
    expect(gw(report, A).sinceStart.requests).toBe(8);
  });

  it('reuses a ring slot a full window later without leaking the old counts', () => {
    const { report, at } = setup();
    recordExchange(report, A, 'capwap', 502, 'upstream', 5);
    at(15 * 60_000); // same slot (epoch + 90)
    recordExchange(report, A, 'capwap', 200, 'upstream', 5);
    const g = gw(report, A);
    expect(g.window.requests).toBe(1);
    expect(g.window.errors.count).toBe(0);
    expect(g.sinceStart.errors).toMatchObject({ count: 1, total: 2, rate: 0.5 });
  });

  it('places each bucket in the per-transport series, newest last', () => {
    const { report, at } = setup();
    at(0);
    recordExchange(report, A, 'capwap', 504, 'proxy', 30_000);
    at(5 * 60_000);
    recordExchange(report, A, 'capwap', 200, 'upstream', 40);
    recordExchange(report, A, 'capwap', 502, 'upstream', 40);
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
    const { report } = setup([snapshotEntry(A, 'capwap', { name: 'Dock', online: true })]);
    const calls: Array<[number, 'upstream' | 'proxy' | 'client']> = [
      [200, 'upstream'], [200, 'upstream'], [502, 'upstream'], [502, 'proxy'], [502, 'proxy'],
      [504, 'upstream'], [504, 'proxy'], [499, 'client'], [404, 'upstream'], [500, 'upstream'],
    ];
    for (const [status, origin] of calls) recordExchange(report, A, 'capwap', status, origin, NaN);
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
    for (let i = 0; i < 50; i++) recordExchange(report, A, 'mqtt', 200, 'upstream', 3); // (0,5] ms
    for (let i = 0; i < 50; i++) recordExchange(report, A, 'mqtt', 200, 'upstream', 40); // (25,50] ms
    for (let i = 0; i < 10; i++) recordExchange(report, B, 'mqtt', 200, 'upstream', 15_000); // (10,20] s
    expect(gw(report, A).window.headersMs).toEqual({ p50: 5, p99: 49.5, samples: 100 });
    expect(gw(report, B).window.headersMs.p50).toBe(15_000);
  });

  it('folds gateways past limits.maxGateways into "other", as the metrics do', async () => {
    const config = testConfig('http://127.0.0.1:1', { limits: { maxGateways: 3 } });
    const stack = gatewayStack(config, () => T0);
    stacks.push(stack);
    for (const mac of [A, B, 'CC:1B:E0:E0:00:03', 'CC:1B:E0:E0:00:04', 'CC:1B:E0:E0:00:05']) stack.handle(mac).counts.request(200, 'upstream', 1);
    const names = stack.report.gateways().map((g) => g.gateway);
    expect(names).toEqual([A, B, 'CC:1B:E0:E0:00:03', 'other']);
    expect(gw(stack.report, 'other').sinceStart.requests).toBe(2);
    const samples = parseMetrics(await stack.registry.metrics());
    expect(find(samples, 'cassia_proxy_gateway_requests_total', { gateway: 'other' })[0]?.value).toBe(2);
  });
});

describe('events from the gateway handles', () => {
  it('adds each flushed increment once, attributed to gateway and transport, and dates the last event', () => {
    let t = T0;
    const stack = gatewayStack(testConfig('http://127.0.0.1:1', { transport: { gateways: { [A]: { transport: 'capwap' } } } }), () => t);
    stacks.push(stack);
    const notes = stack.handle(A).counts.stream('notification');
    const scans = stack.handle(A).counts.stream('scan');
    Object.assign(notes, { events: 100, sequenced: 90, missing: 10 });
    notes.flush();
    Object.assign(scans, { events: 50, outOfOrder: 2 });
    scans.flush();
    t += 10_000;
    Object.assign(notes, { events: 5, duplicate: 1 });
    notes.flush();
    notes.flush(); // nothing new: must not count again
    const w = gw(stack.report, A).window;
    expect(w).toMatchObject({ events: 155, sequenced: 90, missing: 10, outOfOrder: 2, duplicate: 1 });
    expect(w.loss).toMatchObject({ count: 10, total: 100, rate: 0.1 });
    expect(gw(stack.report, A).lastEventAt).toBe(new Date(T0 + 10_000).toISOString());
  });

  it('takes event counts added to a segment directly (tools and fixtures)', () => {
    const { report } = setup();
    recordEvents(report, B, 'mqtt', { events: 40, sequenced: 40, missing: 0, outOfOrder: 0, duplicate: 0 });
    recordEvents(report, B, 'mqtt', { events: 7, sequenced: 7, missing: 1, outOfOrder: 0, duplicate: 0 });
    expect(gw(report, B).sinceStart.events).toBe(47);
    expect(gw(report, B).sinceStart.missing).toBe(1);
    expect(gw(report, B).sinceStart.sequenceRequested).toBe(0);
  });

  it('says how much of the loss figure rests on sequence numbers the proxy requested, in the JSON and on the page', () => {
    const { report } = setup([snapshotEntry(A, 'capwap'), snapshotEntry(B, 'mqtt')]);
    recordEvents(report, A, 'capwap', { events: 100, sequenced: 100, missing: 3, outOfOrder: 0, duplicate: 0, requested: 80 });
    recordEvents(report, B, 'mqtt', { events: 50, sequenced: 50, missing: 1, outOfOrder: 0, duplicate: 0 });
    expect(gw(report, A).window).toMatchObject({ sequenced: 100, sequenceRequested: 80 });
    expect(gw(report, B).window).toMatchObject({ sequenced: 50, sequenceRequested: 0 });
    expect(report.report().transports.find((t) => t.transport === 'capwap')?.sinceStart.sequenceRequested).toBe(80);
    const page = renderStatusPage(report.report(), report.gateways()).toString();
    // The worst-gateways row of each (its name cell has the model line).
    const row = (mac: string): string => {
      const rest = page.slice(page.indexOf(`<tr data-gateway="${mac}"><td class="mono">${mac}</td><td><div class="sub">`));
      return rest.slice(0, rest.indexOf('</tr>'));
    };
    expect(row(A)).toMatch(/data-field="sequenceRequested"[^>]*>80\.00% seqNum requested<\/div>/);
    expect(row(B)).toContain('data-field="loss"');
    expect(row(B)).not.toContain('sequenceRequested');
  });
});

describe('transport change at run time', () => {
  it('compares the gateway under its old transport with the new one, minute by minute, at the looks after the change', () => {
    const snapshot: GatewaySnapshotEntry[] = [snapshotEntry(A, 'capwap', { name: 'Yard' })];
    const { report, at } = setup(snapshot);
    // Eight minutes on CAPWAP, 60 requests a minute of which 6 answered 502; then the operator
    // moves it; eight minutes on MQTT, 60 a minute, one 504 in the first minute.
    for (let m = 0; m < 8; m++) {
      at(m * 60_000 + 1000);
      for (let i = 0; i < 60; i++) recordExchange(report, A, 'capwap', i % 10 === 0 ? 502 : 200, 'upstream', 50);
    }
    expect(report.report().recommendations.map((r) => r.gateway)).toEqual([A]);
    at(8 * 60_000);
    snapshot[0] = snapshotEntry(A, 'mqtt', { name: 'Yard' });
    for (let m = 8; m < 16; m++) {
      at(m * 60_000 + 1000);
      for (let i = 0; i < 60; i++) recordExchange(report, A, 'mqtt', m === 8 && i === 0 ? 504 : 200, 'upstream', 20);
    }
    // Before the first look after the change (30 s) nothing is decided.
    at(8 * 60_000 + 1000);
    expect(report.report().transportChanges[0]).toMatchObject({ verdict: 'insufficient_data', look: null });
    // 8 minutes after the change is its look 5 (30 s, 1, 2, 4, 8 min), held to 0.01 · 0.2 · 0.8⁴.
    at(16 * 60_000 + 1000);
    const r = report.report();
    expect(r.recommendations).toEqual([]); // no longer on CAPWAP
    expect(r.transportChanges).toHaveLength(1);
    const c = r.transportChanges[0];
    expect(c).toMatchObject({ gateway: A, name: 'Yard', from: 'capwap', to: 'mqtt', verdict: 'improved', decidedBy: ['errors'] });
    expect(c?.look).toMatchObject({ index: 5 });
    expect(c?.look?.level).toBeCloseTo(0.0008192, 12);
    expect(c?.changedAt).toBe(new Date(T0 + 8 * 60_000 + 1000).toISOString()); // its first exchange under MQTT
    expect(c?.before.errors).toMatchObject({ count: 48, total: 480 });
    expect(c?.after.errors).toMatchObject({ count: 1, total: 480 });
    // SciPy: t = 6.8629 with 7 degrees of freedom (two-sided p = 0.00023920).
    expect(c?.errors.z).toBeCloseTo(6.862852945852469, 8);
    expect(c?.errors.df).toBe(7);
    expect(c?.confidence).toBeCloseTo(1 - 0.0002391975747375894, 9);
    // Per-transport aggregates follow the transport each exchange ran on.
    const byT = Object.fromEntries(r.transports.map((t) => [t.transport, t]));
    expect(byT.capwap?.sinceStart.requests).toBe(480);
    expect(byT.mqtt?.sinceStart.requests).toBe(480);
    expect(byT.capwap?.gateways).toBe(0);
    expect(byT.mqtt?.gateways).toBe(1);
    expect(gw(report, A).transports.map((x) => x.transport)).toEqual(['capwap', 'mqtt']);
  });
});
