/**
 * The probe families in the fleet report: the proxies' own probes (`probes_total`,
 * `probes_offline_total`, `probe_duration_seconds`) turned into the probe counters (ring.ts `P`
 * layout) of each gateway's segments and of each transport, for the same assembler the running
 * proxy uses. Pure: the counts are the families' exact increments that collect.ts reads with every
 * other counter (queries.ts COUNTER_FAMILIES), and first and last probe come from the same
 * activity times as calls and events (activity.ts).
 *
 * Per gateway there is no round-trip histogram (the metric is per transport, as the request
 * duration is), so per-gateway RTT quantiles are null in the fleet report.
 */
import type { PeriodCounts, SegmentCounts } from '../report/assemble.js';
import { emptyCounters, emptyProbeCounters } from '../report/figures.js';
import { HEADERS_BOUNDS_MS, P } from '../report/ring.js';
import type { InstantSample } from './client.js';

/** The increments of the probe families over one period, by their labels (COUNTER_FAMILIES names). */
export interface ProbeRows {
  probes: readonly InstantSample[];
  probesOffline: readonly InstantSample[];
  probeRtt: readonly InstantSample[];
}

/** Probe counters of the fleet: per (gateway, transport) segment and per transport, over both periods. */
export interface FleetProbes {
  segments: Map<string, { gateway: string; transport: string; counts: PeriodCounts; firstAt: number; lastAt: number }>;
  transports: Map<string, PeriodCounts>;
}

const RESULT_SLOT: Record<string, number> = {
  ok: P.ok, '502': P.status502, '504': P.status504, timeout: P.timeout, error: P.error, unreachable: P.unreachable,
};
const finite = (v: number): number => (Number.isFinite(v) && v > 0 ? v : 0);
const key = (gateway: string, transport: string): string => `${gateway}\u0000${transport}`;

/** Histogram bin (P layout) of a bucket's `le`, or undefined when the bound is not the proxy's. */
function binOf(le: string | undefined): number | undefined {
  if (le === '+Inf') return P.hist + HEADERS_BOUNDS_MS.length;
  const ms = Number(le) * 1000;
  const i = HEADERS_BOUNDS_MS.findIndex((b) => Math.abs(b - ms) < 1e-6);
  return i < 0 ? undefined : P.hist + i;
}

/**
 * Builds the fleet's probe counters from the probe families' increments over the range and the
 * window. `first`/`last` are the segments' activity times (unix ms, keyed `gateway\0transport`);
 * `startedAt`/`now` bound them.
 */
export function fleetProbes(
  rows: { range: ProbeRows; window: ProbeRows }, activity: { first: ReadonlyMap<string, number>; last: ReadonlyMap<string, number> },
  startedAt: number, now: number,
): FleetProbes {
  const segments: FleetProbes['segments'] = new Map();
  const transports: FleetProbes['transports'] = new Map();
  const seg = (gateway: string, transport: string) => {
    const k = key(gateway, transport);
    let s = segments.get(k);
    if (s === undefined) {
      s = { gateway, transport, counts: { window: emptyProbeCounters(), totals: emptyProbeCounters() }, firstAt: now, lastAt: now };
      segments.set(k, s);
    }
    return s;
  };
  const tp = (transport: string): PeriodCounts => {
    let t = transports.get(transport);
    if (t === undefined) transports.set(transport, (t = { window: emptyProbeCounters(), totals: emptyProbeCounters() }));
    return t;
  };
  const add = (c: Float64Array, slot: number, v: number): void => { c[slot] = (c[slot] ?? 0) + v; };
  for (const period of ['range', 'window'] as const) {
    const pick = (pc: PeriodCounts): Float64Array => (period === 'range' ? pc.totals : pc.window);
    for (const { metric, value } of rows[period].probes) {
      const slot = RESULT_SLOT[metric.result ?? ''];
      const v = finite(value);
      if (slot === undefined || v === 0) continue;
      const { gateway = '', transport = 'unknown' } = metric;
      for (const c of [pick(seg(gateway, transport).counts), pick(tp(transport))]) {
        add(c, P.sent, v);
        add(c, slot, v);
      }
    }
    for (const { metric, value } of rows[period].probesOffline) {
      const v = finite(value);
      if (v === 0) continue;
      const { gateway = '', transport = 'unknown' } = metric;
      for (const c of [pick(seg(gateway, transport).counts), pick(tp(transport))]) add(c, P.offline, v);
    }
    // Cumulative `le` buckets → per-bin counts, per transport.
    const cumulative = new Map<string, Array<[number, number]>>();
    for (const { metric, value } of rows[period].probeRtt) {
      const bin = binOf(metric.le);
      if (bin === undefined) continue;
      const list = cumulative.get(metric.transport ?? 'unknown') ?? [];
      list.push([bin, finite(value)]);
      cumulative.set(metric.transport ?? 'unknown', list);
    }
    for (const [transport, list] of cumulative) {
      list.sort((a, b) => a[0] - b[0]);
      const c = pick(tp(transport));
      let below = 0;
      for (const [bin, cum] of list) {
        c[bin] = Math.max(0, cum - below);
        below = Math.max(below, cum);
      }
    }
  }
  for (const [k, s] of segments) {
    const first = activity.first.get(k);
    const last = activity.last.get(k);
    if (first !== undefined) s.firstAt = Math.max(startedAt, Math.min(now, first));
    if (last !== undefined) s.lastAt = Math.max(s.firstAt, Math.min(now, last));
  }
  // A segment of the window only (its probes all in the window) is in the range too, by construction.
  for (const [k, s] of segments) if (!s.counts.totals.some((v) => v > 0)) segments.delete(k);
  return { segments, transports };
}

/**
 * Puts the probe counters on the segments (creating segments for gateways only probes saw, with
 * the probes' first and last activity) and returns the per-transport probe counters for
 * `ReportInput.transportProbeCounts`.
 */
export function mergeFleetProbes(segments: SegmentCounts[], probes: FleetProbes): ReadonlyMap<string, PeriodCounts> {
  const byKey = new Map(segments.map((s) => [key(s.gateway, s.transport), s]));
  for (const [k, p] of probes.segments) {
    const s = byKey.get(k);
    if (s !== undefined) {
      s.probes = p.counts;
      s.firstAt = Math.min(s.firstAt, p.firstAt);
      s.lastAt = Math.max(s.lastAt, p.lastAt);
    } else {
      segments.push({
        gateway: p.gateway, transport: p.transport, firstAt: p.firstAt, lastAt: p.lastAt,
        window: emptyCounters(), totals: emptyCounters(), probes: p.counts,
      });
    }
  }
  return probes.transports;
}
