/**
 * The probe families in the fleet report: the proxies' own probes (`probes_total`,
 * `probes_offline_total`, `probe_duration_seconds`) read from Prometheus, turned into the probe
 * counters (ring.ts `P` layout) of each gateway's segments and of each transport, for the same
 * assembler the running proxy uses. Kept apart from collect.ts: it asks its own queries, with the
 * same exact-increment counting (queries.ts), and hands back counters to merge.
 *
 * Per gateway there is no round-trip histogram (the metric is per transport, as the request
 * duration is), so per-gateway RTT quantiles are null in the fleet report.
 */
import type { PeriodCounts, SegmentCounts } from '../report/assemble.js';
import { emptyCounters, emptyProbeCounters } from '../report/figures.js';
import { HEADERS_BOUNDS_MS, P } from '../report/ring.js';
import type { InstantSample, PromClient } from './client.js';
import { activityQuery, activityStep, countQuery, selectorMatchers } from './queries.js';

const PROBES = 'cassia_proxy_probes_total';
const OFFLINE = 'cassia_proxy_probes_offline_total';
const RTT = 'cassia_proxy_probe_duration_seconds_bucket';

/** The probe queries of one fleet report, by name. */
export function probeQueries(selector: string, rangeSeconds: number, windowSeconds: number): Record<string, string> {
  const m = selectorMatchers(selector);
  const out: Record<string, string> = {};
  for (const [period, seconds] of [['range', rangeSeconds], ['window', windowSeconds]] as const) {
    out[`${period}.probes`] = countQuery(PROBES, m, seconds, ['gateway', 'transport', 'result']);
    out[`${period}.offline`] = countQuery(OFFLINE, m, seconds, ['gateway', 'transport']);
    out[`${period}.rtt`] = countQuery(RTT, m, seconds, ['transport', 'le']);
  }
  const step = activityStep(rangeSeconds);
  out.firstProbe = activityQuery('min', [PROBES, OFFLINE], m, rangeSeconds, step, ['gateway', 'transport']);
  out.lastProbe = activityQuery('max', [PROBES, OFFLINE], m, rangeSeconds, step, ['gateway', 'transport']);
  return out;
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
 * Builds the fleet's probe counters from the answers to `probeQueries` (by the same names).
 * Pure: `startedAt`/`now` bound the activity times (ms).
 */
export function fleetProbes(answers: ReadonlyMap<string, InstantSample[]>, startedAt: number, now: number): FleetProbes {
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
    for (const { metric, value } of answers.get(`${period}.probes`) ?? []) {
      const slot = RESULT_SLOT[metric.result ?? ''];
      const v = finite(value);
      if (slot === undefined || v === 0) continue;
      const { gateway = '', transport = 'unknown' } = metric;
      for (const c of [pick(seg(gateway, transport).counts), pick(tp(transport))]) {
        add(c, P.sent, v);
        add(c, slot, v);
      }
    }
    for (const { metric, value } of answers.get(`${period}.offline`) ?? []) {
      const v = finite(value);
      if (v === 0) continue;
      const { gateway = '', transport = 'unknown' } = metric;
      for (const c of [pick(seg(gateway, transport).counts), pick(tp(transport))]) add(c, P.offline, v);
    }
    // Cumulative `le` buckets → per-bin counts, per transport.
    const cumulative = new Map<string, Array<[number, number]>>();
    for (const { metric, value } of answers.get(`${period}.rtt`) ?? []) {
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
  for (const name of ['firstProbe', 'lastProbe'] as const) {
    for (const { metric, value } of answers.get(name) ?? []) {
      const s = segments.get(key(metric.gateway ?? '', metric.transport ?? 'unknown'));
      if (s === undefined || !Number.isFinite(value)) continue;
      const at = Math.max(startedAt, Math.min(now, value * 1000));
      if (name === 'firstProbe') s.firstAt = at;
      else s.lastAt = Math.max(s.firstAt, at);
    }
  }
  // A segment of the window only (its probes all in the window) is in the range too, by construction.
  for (const [k, s] of segments) if (!s.counts.totals.some((v) => v > 0)) segments.delete(k);
  return { segments, transports };
}

/** Queries in flight at once, as the rest of the fleet report asks them. */
const CONCURRENCY = 4;

/** Asks Prometheus the probe queries and builds the counters. */
export async function collectFleetProbes(
  client: PromClient, selector: string, rangeSeconds: number, windowSeconds: number, now: number,
): Promise<FleetProbes> {
  const queries = Object.entries(probeQueries(selector, rangeSeconds, windowSeconds));
  const answers = new Map<string, InstantSample[]>();
  for (let i = 0; i < queries.length; i += CONCURRENCY) {
    const batch = queries.slice(i, i + CONCURRENCY);
    const results = await Promise.all(batch.map(([, query]) => client.vector(query)));
    batch.forEach(([name], j) => answers.set(name, results[j] ?? []));
  }
  return fleetProbes(answers, now - rangeSeconds * 1000, now);
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
