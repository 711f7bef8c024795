/**
 * The before/after verdict's minutes for the fleet report: per-minute counts of the gateways whose
 * transport changed within the range (usually a handful), from Prometheus. One subquery per
 * counter family, restricted to those gateways by a `gateway` matcher, so its cost grows with
 * the changed gateways and the range in minutes, never with the fleet.
 */
import type { MinuteSums, MinutesByMeasure } from '../report/verdict.js';
import type { PromClient, RangeSeries } from './client.js';
import { promDuration, vectorSelector } from './queries.js';

/** The families the minutes are built from, with the labels each is summed by. */
const FAMILIES = {
  requests: { metric: 'cassia_proxy_gateway_requests_total', by: ['gateway', 'transport', 'code'] },
  outage: { metric: 'cassia_proxy_gateway_outage_errors_total', by: ['gateway', 'transport'] },
  sequenced: { metric: 'cassia_proxy_events_sequenced_total', by: ['gateway', 'transport'] },
  missing: { metric: 'cassia_proxy_events_missing_total', by: ['gateway', 'transport'] },
  probes: { metric: 'cassia_proxy_probes_total', by: ['gateway', 'transport', 'result'] },
} as const;
type Family = keyof typeof FAMILIES;

/** A regex matching exactly these gateway labels (MACs: no regex metacharacters but `.` is escaped anyway). */
function gatewayRegex(gateways: readonly string[]): string {
  return gateways.map((g) => g.replace(/[.*+?^${}()|[\]\\]/g, '\\\\$&')).join('|');
}

/**
 * Per-minute increments of `metric` for `gateways` over the range ending at the evaluation time,
 * by `by`: a subquery answering one point per minute (a series born within a minute counts from 0).
 */
export function minuteQuery(metric: string, matchers: string, gateways: readonly string[], rangeSeconds: number, minuteSeconds: number, by: readonly string[]): string {
  const v = vectorSelector(metric, matchers, `gateway=~"${gatewayRegex(gateways)}"`);
  const m = promDuration(minuteSeconds);
  const step = `(((${v} - ${v} offset ${m}) >= 0) or (${v} unless ${v} offset ${m}))`;
  return `sum by (${by.join(', ')}) (${step})[${promDuration(rangeSeconds)}:${m}]`;
}

const key = (gateway: string, transport: string): string => `${gateway}\u0000${transport}`;

/** One minute's counts of one gateway under one transport. */
interface Minute {
  calls: number;
  aborts: number;
  failed: number;
  outage: number;
  sequenced: number;
  missing: number;
  probes: number;
  probeUnreachable: number;
  probeFailed: number;
}

const emptyMinute = (): Minute => ({ calls: 0, aborts: 0, failed: 0, outage: 0, sequenced: 0, missing: 0, probes: 0, probeUnreachable: 0, probeFailed: 0 });

function addTo(s: MinuteSums, k: number, n: number): void {
  if (n <= 0) return;
  const kk = Math.max(0, Math.min(k, n));
  s.buckets++;
  s.k += kk;
  s.n += n;
  s.kkn += (kk * kk) / n;
}

/**
 * The minutes per measure of every (gateway, transport) of `gateways`, keyed `gateway\0transport`.
 * Tallies as the running proxy keeps them: 502/504 outside outages among answered calls, missing
 * among sequenced and missing events, 502/504/timeouts among probes that reached the AC.
 */
export async function changeMinutes(
  client: PromClient, matchers: string, gateways: readonly string[], rangeSeconds: number, minuteSeconds: number,
): Promise<Map<string, MinutesByMeasure>> {
  const out = new Map<string, MinutesByMeasure>();
  if (gateways.length === 0) return out;
  const names = Object.keys(FAMILIES) as Family[];
  const answers = await Promise.all(names.map((f) =>
    client.matrix(minuteQuery(FAMILIES[f].metric, matchers, gateways, rangeSeconds, minuteSeconds, FAMILIES[f].by))));
  const minutes = new Map<string, Map<number, Minute>>();
  const at = (gateway: string, transport: string, t: number): Minute => {
    const k = key(gateway, transport);
    let byTime = minutes.get(k);
    if (byTime === undefined) minutes.set(k, (byTime = new Map()));
    let m = byTime.get(t);
    if (m === undefined) byTime.set(t, (m = emptyMinute()));
    return m;
  };
  const each = (rows: RangeSeries[], fill: (m: Minute, labels: Record<string, string>, v: number) => void): void => {
    for (const { metric, values } of rows) {
      for (const [t, v] of values) if (Number.isFinite(v) && v > 0) fill(at(metric.gateway ?? '', metric.transport ?? 'unknown', t), metric, v);
    }
  };
  const [requests, outage, sequenced, missing, probes] = answers as [RangeSeries[], RangeSeries[], RangeSeries[], RangeSeries[], RangeSeries[]];
  each(requests, (m, l, v) => {
    m.calls += v;
    if (l.code === '499') m.aborts += v;
    if (l.code === '502' || l.code === '504') m.failed += v;
  });
  each(outage, (m, _l, v) => { m.outage += v; });
  each(sequenced, (m, _l, v) => { m.sequenced += v; });
  each(missing, (m, _l, v) => { m.missing += v; });
  each(probes, (m, l, v) => {
    m.probes += v;
    if (l.result === 'unreachable') m.probeUnreachable += v;
    if (l.result === '502' || l.result === '504' || l.result === 'timeout') m.probeFailed += v;
  });
  for (const [k, byTime] of minutes) {
    const sums = { errors: zero(), loss: zero(), probes: zero() };
    for (const m of byTime.values()) {
      addTo(sums.errors, m.failed - m.outage, m.calls - m.aborts - m.outage);
      addTo(sums.loss, m.missing, m.sequenced + m.missing);
      addTo(sums.probes, m.probeFailed, m.probes - m.probeUnreachable);
    }
    const entry: MinutesByMeasure = {};
    for (const [measure, s] of Object.entries(sums) as Array<[keyof typeof sums, MinuteSums]>) if (s.buckets > 0) entry[measure] = s;
    out.set(k, entry);
  }
  return out;
}

function zero(): MinuteSums {
  return { buckets: 0, k: 0, n: 0, kkn: 0 };
}
