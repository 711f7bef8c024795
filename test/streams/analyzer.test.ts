import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { guardTaps } from '../../src/proxy/taps.js';
import { GW1, GW2, harness, sse, testConfig, type Harness } from './helpers.js';

let h: Harness | undefined;
afterEach(() => h?.close());

const note = (device: string, seqNum: number) => ({ value: '0856', handle: 52, id: device, dataType: 'notification', seqNum });

describe('stream analyzer tap', () => {
  it('records events, duplicates, reordering and loss per stream, transport and gateway', async () => {
    h = harness();
    const tap = h.tap('notification', GW1.toLowerCase());
    // device A: 10, 12 (11 lost), 12 again (dup), 14, 13 (swap); device B: 100..102 in order
    const bytes = sse([note('A', 10), note('B', 100), note('A', 12), note('A', 12), note('B', 101),
      note('A', 14), note('A', 13), note('B', 102), { value: '01', handle: 52, id: 'C' }]);
    // deliver in awkward chunks, including one split inside a multi-byte-free JSON body
    for (let i = 0; i < bytes.length; i += 37) tap.write(bytes.subarray(i, i + 37));
    const labels = { stream: 'notification', transport: 'capwap', gateway: GW1 };
    expect(await h.value('events_total', labels)).toBe(9);
    expect(await h.value('events_sequenced_total', labels)).toBe(8);
    expect(await h.value('events_duplicate_total', labels)).toBe(1);
    expect(await h.value('events_out_of_order_total', labels)).toBe(1);
    expect(await h.value('events_missing_total', labels)).toBe(0); // 11 still within the window
    expect(h.analyzer.trackers()).toBe(2);
    tap.close();
    expect(await h.value('events_missing_total', labels)).toBe(1);
    expect(h.analyzer.trackers()).toBe(0);
  });

  it('attributes combined-stream events to the gateway in ap, with its transport', async () => {
    h = harness();
    const tap = h.tap('combined', null);
    tap.write(sse([
      { ap: GW1, dataType: 'notification', device: 'A', handle: 52, value: '00', seqNum: 1 },
      { ap: GW2, dataType: 'notification', device: 'A', handle: 52, value: '00', seqNum: 50 },
      { ap: GW1, dataType: 'notification', device: 'A', handle: 52, value: '00', seqNum: 3 },
      { ap: GW2, dataType: 'notification', device: 'A', handle: 52, value: '00', seqNum: 51 },
      { dataType: 'state', aps: [] },
    ]));
    tap.write(Buffer.from(':keep-alive\n\ndata: not json\n\n'));
    tap.close();
    expect(await h.value('events_total', { stream: 'combined', transport: 'capwap', gateway: GW1 })).toBe(2);
    expect(await h.value('events_missing_total', { stream: 'combined', transport: 'capwap', gateway: GW1 })).toBe(1);
    expect(await h.value('events_total', { stream: 'combined', transport: 'mqtt', gateway: GW2 })).toBe(2);
    expect(await h.value('events_missing_total', { stream: 'combined', transport: 'mqtt', gateway: GW2 })).toBe(0);
    expect(await h.value('events_total', { stream: 'combined', transport: 'none', gateway: 'none' })).toBe(2);
    expect(await h.value('events_malformed_total', { stream: 'combined', transport: 'none' })).toBe(1);
    expect(await h.value('keepalives_total', { stream: 'combined', transport: 'none' })).toBe(1);
  });

  it('counts scan events with a RuuviTag sequence and observes the gateway-timestamp delay', async () => {
    h = harness();
    const tap = h.tap('scan', GW2);
    const ruuvi = (n: number) => '0201061BFF990405' + '12FC5394C37C0004FFFC040CAC3642' + n.toString(16).padStart(4, '0') + 'CBB8334C884F';
    const stamp = new Date(Date.now() - 250).toISOString().replace('T', ' ').replace('Z', ' UTC');
    const ev = (n: number) => ({ bdaddrs: [{ bdaddr: 'D1', bdaddrType: 'random' }], adData: ruuvi(n), scanData: '', rssi: -60, timestamp: stamp });
    tap.write(sse([ev(65534), ev(65535), ev(1), ev(0), { bdaddrs: [{ bdaddr: 'D2' }], adData: '020106', rssi: -70 }]));
    tap.close();
    const labels = { stream: 'scan', transport: 'mqtt', gateway: GW2 };
    expect(await h.value('events_total', labels)).toBe(5);
    expect(await h.value('events_sequenced_total', labels)).toBe(4);
    expect(await h.value('events_out_of_order_total', labels)).toBe(1);
    expect(await h.value('events_missing_total', labels)).toBe(0);
    const count = await h.value('event_delay_seconds_count', { stream: 'scan', transport: 'mqtt' });
    expect(count).toBe(4);
    const sum = await h.value('event_delay_seconds_sum', { stream: 'scan', transport: 'mqtt' });
    expect(sum).toBeGreaterThan(0.9);
    expect(sum).toBeLessThan(4 * 5);
  });

  it('two taps on the same gateway are independent sources', async () => {
    h = harness();
    const a = h.tap('notification', GW1);
    const b = h.tap('notification', GW1);
    a.write(sse([note('X', 1), note('X', 2)]));
    b.write(sse([note('X', 900), note('X', 901)]));
    a.write(sse([note('X', 3)]));
    a.close();
    b.close();
    const labels = { stream: 'notification', transport: 'capwap', gateway: GW1 };
    expect(await h.value('events_total', labels)).toBe(5);
    expect(await h.value('sequence_resets_total', labels)).toBe(0);
    expect(await h.value('events_missing_total', labels)).toBe(0);
  });

  it('a stream open across a reload counts under the new generation from its next chunk', async () => {
    h = harness();
    const tap = h.tap('notification', GW1);
    tap.write(sse([note('A', 1), note('A', 2)]));
    const moved = testConfig();
    moved.transport.gateways = { ...moved.transport.gateways, [GW1]: { transport: 'mqtt', name: 'hall' } };
    h.reload(moved);
    tap.write(sse([note('A', 3), note('A', 5)]));
    tap.close();
    expect(await h.value('events_total', { stream: 'notification', transport: 'capwap', gateway: GW1 })).toBe(2);
    expect(await h.value('events_total', { stream: 'notification', transport: 'mqtt', gateway: GW1 })).toBe(2);
    // The device's tracker survives the swap: 4 is missing, nothing is a reset.
    expect(await h.value('events_missing_total', { stream: 'notification', transport: 'mqtt', gateway: GW1 })).toBe(1);
    expect(await h.value('sequence_resets_total', { stream: 'notification', transport: 'mqtt', gateway: GW1 })).toBe(0);
  });

  it('evicts least recently seen trackers at limits.maxTrackedDevices', async () => {
    h = harness(testConfig({ limits: { maxTrackedDevices: 2 } }));
    const tap = h.tap('notification', GW1);
    tap.write(sse([note('A', 1), note('B', 1), note('A', 2), note('C', 1), note('D', 1)]));
    expect(h.analyzer.trackers()).toBe(2);
    expect(await h.value('sequence_trackers_evicted_total', {})).toBe(2);
    expect(await h.value('sequence_trackers', {})).toBe(2);
    tap.close();
    expect(await h.value('sequence_trackers', {})).toBe(0);
  });

  it('a fault inside analysis, behind the proxy guard, is counted once, stops that stream and releases its trackers', async () => {
    h = harness();
    // The combined stream resolves each `ap` through the directory: make that throw for GW2.
    const directory = h.stack.directory();
    const realResolveRaw = directory.resolveRaw;
    directory.resolveRaw = (raw) => {
      if (raw === GW2) throw new Error('boom');
      return realResolveRaw(raw);
    };
    const analyzer = h.analyzer;
    const { openTap } = guardTaps((kind, gateway) => analyzer.tap(kind, gateway), undefined, h.metrics, pino({ level: 'silent' }));
    const tap = openTap('combined', h.stack.handle(null), false);
    if (tap === null) throw new Error('no tap');
    const good = (seqNum: number) => ({ ap: GW1, dataType: 'notification', device: 'A', handle: 52, value: '00', seqNum });
    tap.write(sse([good(1)]));
    expect(analyzer.trackers()).toBe(1);
    expect(() => tap.write(sse([{ ...good(2), ap: GW2 }, good(3)]))).not.toThrow();
    expect(analyzer.trackers()).toBe(0);
    for (let i = 0; i < 5; i++) expect(() => tap.write(sse([good(4 + i), { ...good(10), ap: GW2 }]))).not.toThrow();
    expect(() => tap.close()).not.toThrow();
    expect(await h.value('analysis_errors_total', { component: 'stream_tap' })).toBe(1);
    // Only the event before the fault was analysed.
    expect(await h.value('events_total', { stream: 'combined', transport: 'capwap', gateway: GW1 })).toBe(1);
  });

  it('learns gateway status from hub-status and ap_state events', async () => {
    h = harness();
    const hub = h.tap('hub_status', null);
    hub.write(sse([{ mac: GW1, model: 'X2000', ip: '10.0.0.2', version: '2.0.3', uptime: 5, status: 'online' }, { mac: GW1, status: 'offline' }]));
    const combined = h.tap('combined', null);
    combined.write(sse([{ ap: GW1.toLowerCase(), dataType: 'ap_state', status: 'online', offline_time: 0 }]));
    expect(await h.value('gateway_online', { gateway: GW1, transport: 'capwap' })).toBe(1);
    expect(await h.value('gateway_status_changes_total', { gateway: GW1, transport: 'capwap' })).toBe(2);
    expect(await h.value('gateway_info', { gateway: GW1, transport: 'capwap', name: 'hall', model: 'X2000', version: '2.0.3' })).toBe(1);
    hub.close();
    combined.close();
  });
});
