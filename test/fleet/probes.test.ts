import { describe, expect, it } from 'vitest';
import { fleetProbes, mergeFleetProbes, type ProbeRows } from '../../src/fleet/probes.js';
import type { SegmentCounts } from '../../src/report/assemble.js';
import { emptyCounters } from '../../src/report/figures.js';
import { F, P } from '../../src/report/ring.js';
import type { InstantSample } from '../../src/fleet/client.js';

const A = 'CC:1B:E0:E0:00:01';
const B = 'CC:1B:E0:E0:00:02';
const NOW = 1_800_000_000_000;
const START = NOW - 600_000;
const row = (metric: Record<string, string>, value: number): InstantSample => ({ metric, value });

describe('fleet probe counters', () => {
  const none: ProbeRows = { probes: [], probesOffline: [], probeRtt: [] };
  const rows: { range: ProbeRows; window: ProbeRows } = {
    range: {
      probes: [row({ gateway: A, transport: 'capwap', result: 'ok' }, 8), row({ gateway: A, transport: 'capwap', result: '502' }, 2),
        row({ gateway: B, transport: 'mqtt', result: 'ok' }, 5), row({ gateway: B, transport: 'mqtt', result: 'bogus' }, 9)],
      probesOffline: [row({ gateway: A, transport: 'capwap' }, 4)],
      probeRtt: [row({ transport: 'capwap', le: '0.005' }, 1), row({ transport: 'capwap', le: '0.01' }, 6), row({ transport: 'capwap', le: '+Inf' }, 10)],
    },
    window: { ...none, probes: [row({ gateway: A, transport: 'capwap', result: 'ok' }, 3)] },
  };
  // First and last activity (calls, events or probes) per segment, as activity.ts finds them; one before the range.
  const activity = {
    first: new Map([[`${B}\u0000mqtt`, NOW - 120_000], [`${A}\u0000capwap`, START - 60_000]]),
    last: new Map([[`${B}\u0000mqtt`, NOW - 10_000]]),
  };

  it('per segment and per transport, cumulative buckets made per bin, unknown results left out', () => {
    const probes = fleetProbes(rows, activity, START, NOW);
    const a = probes.segments.get(`${A}\u0000capwap`)?.counts;
    expect([a?.totals[P.sent], a?.totals[P.ok], a?.totals[P.status502], a?.totals[P.offline], a?.window[P.ok]]).toEqual([10, 8, 2, 4, 3]);
    const capwap = probes.transports.get('capwap');
    expect([capwap?.totals[P.hist], capwap?.totals[P.hist + 1], capwap?.totals[P.hist + 13]]).toEqual([1, 5, 4]);
    expect(probes.segments.get(`${B}\u0000mqtt`)?.counts.totals[P.sent]).toBe(5);
    // Activity before the range starts it at the range's start; no activity time: now.
    expect([probes.segments.get(`${A}\u0000capwap`)?.firstAt, probes.segments.get(`${A}\u0000capwap`)?.lastAt]).toEqual([START, NOW]);
  });

  it('puts probes on the segments that exist and adds segments for gateways only probes saw', () => {
    const existing: SegmentCounts = { gateway: A, transport: 'capwap', firstAt: NOW - 60_000, lastAt: NOW - 30_000, window: emptyCounters(), totals: emptyCounters() };
    existing.totals[F.requests] = 7;
    const segments = [existing];
    const transports = mergeFleetProbes(segments, fleetProbes(rows, activity, START, NOW));
    expect(segments).toHaveLength(2);
    expect(existing.probes?.totals[P.sent]).toBe(10);
    expect(existing.totals[F.requests]).toBe(7);
    const b = segments.find((s) => s.gateway === B);
    expect(b && { firstAt: b.firstAt, lastAt: b.lastAt, requests: b.totals[F.requests], probes: b.probes?.totals[P.sent] })
      .toEqual({ firstAt: NOW - 120_000, lastAt: NOW - 10_000, requests: 0, probes: 5 });
    expect([...transports.keys()].sort()).toEqual(['capwap', 'mqtt']);
  });
});
