import { describe, expect, it } from 'vitest';
import { fleetProbes, mergeFleetProbes, probeQueries } from '../../src/fleet/probes.js';
import type { SegmentCounts } from '../../src/report/assemble.js';
import { emptyCounters } from '../../src/report/figures.js';
import { F, P } from '../../src/report/ring.js';
import type { InstantSample } from '../../src/fleet/client.js';

const A = 'CC:1B:E0:E0:00:01';
const B = 'CC:1B:E0:E0:00:02';
const NOW = 1_800_000_000_000;
const START = NOW - 600_000;
const row = (metric: Record<string, string>, value: number): InstantSample => ({ metric, value });

describe('fleet probe queries', () => {
  it('count each family over the range and the window and find when probes began and last ran, all under the selector', () => {
    const q = probeQueries('{job="x"}', 600, 300);
    expect(Object.keys(q).sort()).toEqual(['firstProbe', 'lastProbe', 'range.offline', 'range.probes', 'range.rtt', 'window.offline', 'window.probes', 'window.rtt']);
    for (const text of Object.values(q)) expect(text).toContain('job="x"');
    expect(q['range.probes']).toContain('sum by (gateway, transport, result)');
    expect(q['window.rtt']).toContain('cassia_proxy_probe_duration_seconds_bucket');
  });
});

describe('fleet probe counters', () => {
  const answers = new Map<string, InstantSample[]>([
    ['range.probes', [row({ gateway: A, transport: 'capwap', result: 'ok' }, 8), row({ gateway: A, transport: 'capwap', result: '502' }, 2),
      row({ gateway: B, transport: 'mqtt', result: 'ok' }, 5), row({ gateway: B, transport: 'mqtt', result: 'bogus' }, 9)]],
    ['window.probes', [row({ gateway: A, transport: 'capwap', result: 'ok' }, 3)]],
    ['range.offline', [row({ gateway: A, transport: 'capwap' }, 4)]],
    ['range.rtt', [row({ transport: 'capwap', le: '0.005' }, 1), row({ transport: 'capwap', le: '0.01' }, 6), row({ transport: 'capwap', le: '+Inf' }, 10)]],
    ['firstProbe', [row({ gateway: B, transport: 'mqtt' }, (NOW - 120_000) / 1000)]],
    ['lastProbe', [row({ gateway: B, transport: 'mqtt' }, (NOW - 10_000) / 1000)]],
  ]);

  it('per segment and per transport, cumulative buckets made per bin, unknown results left out', () => {
    const probes = fleetProbes(answers, START, NOW);
    const a = probes.segments.get(`${A}\u0000capwap`)?.counts;
    expect([a?.totals[P.sent], a?.totals[P.ok], a?.totals[P.status502], a?.totals[P.offline], a?.window[P.ok]]).toEqual([10, 8, 2, 4, 3]);
    const capwap = probes.transports.get('capwap');
    expect([capwap?.totals[P.hist], capwap?.totals[P.hist + 1], capwap?.totals[P.hist + 13]]).toEqual([1, 5, 4]);
    expect(probes.segments.get(`${B}\u0000mqtt`)?.counts.totals[P.sent]).toBe(5);
  });

  it('puts probes on the segments that exist and adds segments for gateways only probes saw', () => {
    const existing: SegmentCounts = { gateway: A, transport: 'capwap', firstAt: NOW - 60_000, lastAt: NOW - 30_000, window: emptyCounters(), totals: emptyCounters() };
    existing.totals[F.requests] = 7;
    const segments = [existing];
    const transports = mergeFleetProbes(segments, fleetProbes(answers, START, NOW));
    expect(segments).toHaveLength(2);
    expect(existing.probes?.totals[P.sent]).toBe(10);
    expect(existing.totals[F.requests]).toBe(7);
    const b = segments.find((s) => s.gateway === B);
    expect(b && { firstAt: b.firstAt, lastAt: b.lastAt, requests: b.totals[F.requests], probes: b.probes?.totals[P.sent] })
      .toEqual({ firstAt: NOW - 120_000, lastAt: NOW - 10_000, requests: 0, probes: 5 });
    expect([...transports.keys()].sort()).toEqual(['capwap', 'mqtt']);
  });
});
