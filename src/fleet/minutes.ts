/**
 * The before/after verdict's minutes for the fleet report: per-minute counts of the gateways whose
 * transport changed within the range (usually a handful), from Prometheus.
 *
 * This is the one place where a query steps through time: a subquery answering, at each
 * `--change-bucket` boundary over a changed gateway's look-back (`changeSpan`: its time since the
 * move and as long before it), the sums of the changed gateways' counters (restricted by a
 * `gateway` matcher); a bucket's counts are the growth of those sums across it. Its cost is one
 * sample per series of those gateways per bucket: it grows with the changed gateways and with
 * look-back ÷ bucket (at most 361 with the default bucket, `changeBucketFor`), never with the rest
 * of the fleet. The changed gateways' series are counted
 * first from the series API (the index, no samples), and each family's gateways are split into
 * queries of at most `MINUTE_SAMPLE_BUDGET` samples each, so no query nears the server's
 * `query.max-samples` however many gateways moved; their number grows with the moved gateways.
 */
import type { MinuteSums, MinutesByMeasure } from '../report/verdict.js';
import type { RangeSeries } from './client.js';
import { promDuration, vectorSelector } from './queries.js';

/** The families the minutes are built from, with the labels each is summed by. */
export const MINUTE_FAMILIES = {
  requests: { metric: 'cassia_proxy_gateway_requests_total', by: ['gateway', 'transport', 'code'] },
  outage: { metric: 'cassia_proxy_gateway_outage_errors_total', by: ['gateway', 'transport'] },
  sequenced: { metric: 'cassia_proxy_events_sequenced_total', by: ['gateway', 'transport'] },
  missing: { metric: 'cassia_proxy_events_missing_total', by: ['gateway', 'transport'] },
  probes: { metric: 'cassia_proxy_probes_total', by: ['gateway', 'transport', 'result'] },
} as const;
export type MinuteFamily = keyof typeof MINUTE_FAMILIES;

/** Buckets over a look-back the automatic `--change-bucket` aims at: at most this many steps per series. */
export const AUTO_BUCKETS = 360;
/** The shortest time before a move its minutes look back over. */
export const MIN_BEFORE_SECONDS = 1800;
/** The shortest look-back (the ladder's first rung; it doubles from there). */
const FIRST_SPAN_SECONDS = 3600;

/**
 * How far back a changed gateway's minutes are read, ending at the report's end: its time since
 * the move and as long again before it (at least 30 minutes before), rounded up to a rung of
 * 1h, 2h, 4h, 8h, … (few distinct look-backs: few queries) and capped at the range. The verdict
 * compares the move's after-period with the same length of time just before it: what the link
 * was like when the gateway was moved, not a day earlier; and a move a few minutes ago costs a
 * few minutes' samples, not the whole range's.
 */
export function changeSpan(sinceMoveSeconds: number, rangeSeconds: number): number {
  const need = sinceMoveSeconds + Math.max(sinceMoveSeconds, MIN_BEFORE_SECONDS);
  let span = FIRST_SPAN_SECONDS;
  while (span < need && span < rangeSeconds) span *= 2;
  return Math.min(span, rangeSeconds);
}

/**
 * The default `--change-bucket` for a look-back: a minute up to 6 hours, beyond that the look-back
 * ÷ 360 in whole minutes (4 minutes for a day). The minutes then cost at most 361 samples per
 * series of the changed gateways whatever the range, and a bucket never falls below a minute, a
 * common scrape interval's multiple. A move recent enough for its minutes to matter has a short
 * look-back, so minute buckets.
 */
export function changeBucketFor(spanSeconds: number): number {
  return Math.max(60, Math.ceil(spanSeconds / AUTO_BUCKETS / 60) * 60);
}

/** Samples one minute query may load: 4 % of Prometheus' default query.max-samples (50 M). */
export const MINUTE_SAMPLE_BUDGET = 2_000_000;
/** Samples each series costs a minute query per bucket (see the module's comment). */
const SAMPLES_PER_STEP = 1;

/** A regex matching exactly these gateway labels (MACs: no regex metacharacters but `.` is escaped anyway). */
function gatewayRegex(gateways: readonly string[]): string {
  return gateways.map((g) => g.replace(/[.*+?^${}()|[\]\\]/g, '\\\\$&')).join('|');
}

/**
 * The sums of `metric` for `gateways` by `by` at every bucket boundary of the look-back ending at
 * the evaluation time and one bucket before it: a subquery reading one sample per series and step.
 * changeMinutes takes the growth between neighbours.
 */
export function minuteQuery(metric: string, matchers: string, gateways: readonly string[], spanSeconds: number, bucketSeconds: number, by: readonly string[]): string {
  const v = vectorSelector(metric, matchers, `gateway=~"${gatewayRegex(gateways)}"`);
  return `sum by (${by.join(', ')}) (${v})[${promDuration(spanSeconds + bucketSeconds)}:${promDuration(bucketSeconds)}]`;
}

/** The series API selector of every minute family's series of `gateways` (counted before the minute queries are planned). */
export function minuteSeriesSelector(matchers: string, gateways: readonly string[]): string {
  const names = Object.values(MINUTE_FAMILIES).map((f) => f.metric).join('|');
  return vectorSelector('', matchers, `__name__=~"${names}",gateway=~"${gatewayRegex(gateways)}"`);
}

/** One minute query: a family, the gateways it covers, their look-back and bucket, and the samples it will load at most. */
export interface MinuteQuery {
  family: MinuteFamily;
  gateways: string[];
  spanSeconds: number;
  bucketSeconds: number;
  query: string;
  samples: number;
}

/**
 * The minute queries for the changed gateways (`spans`: each one's look-back, `changeSpan`, in
 * the order to ask them), from the label sets of their series within the range (the series API's
 * answer to `minuteSeriesSelector`): per look-back and family, the gateways in order, packed into
 * queries of at most `budget` samples (a gateway whose series alone exceed it gets a query of its
 * own). `bucketSeconds` null: `changeBucketFor` each look-back. Families without series are not asked.
 */
export function planMinuteQueries(
  matchers: string, series: ReadonlyArray<Readonly<Record<string, string>>>, spans: ReadonlyMap<string, number>,
  bucketSeconds: number | null, budget = MINUTE_SAMPLE_BUDGET,
): MinuteQuery[] {
  const counts = new Map<string, number>();
  for (const labels of series) {
    const k = `${labels.__name__ ?? ''}\u0000${labels.gateway ?? ''}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const out: MinuteQuery[] = [];
  for (const span of [...new Set(spans.values())].sort((a, b) => a - b)) {
    const gateways = [...spans].filter(([, s]) => s === span).map(([gateway]) => gateway);
    const bucket = bucketSeconds ?? changeBucketFor(span);
    const steps = Math.ceil(span / bucket) + 1;
    for (const [family, { metric, by }] of Object.entries(MINUTE_FAMILIES) as Array<[MinuteFamily, (typeof MINUTE_FAMILIES)[MinuteFamily]]>) {
      let group: string[] = [];
      let samples = 0;
      const flush = (): void => {
        if (group.length > 0) {
          out.push({ family, gateways: group, spanSeconds: span, bucketSeconds: bucket, query: minuteQuery(metric, matchers, group, span, bucket, by), samples });
        }
        group = [];
        samples = 0;
      };
      for (const gateway of gateways) {
        const cost = (counts.get(`${metric}\u0000${gateway}`) ?? 0) * SAMPLES_PER_STEP * steps;
        if (cost === 0) continue;
        if (samples + cost > budget) flush();
        group.push(gateway);
        samples += cost;
      }
      flush();
    }
  }
  return out;
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
 * The minutes per measure of every (gateway, transport) in the answers, keyed `gateway\0transport`,
 * from the answers to the planned minute queries (each with its family, look-back and bucket, all
 * evaluated at `endSeconds`): a minute's count is the growth of a sum from the step before (a sum
 * absent there, born within the minute, counts whole; the subquery's first step only serves as
 * the base).
 * A minute in which any sum of the segment fell — a proxy restarted or went away, so its growth
 * is unknown — is left out of every measure of that segment. Tallies as the running proxy keeps
 * them: 502/504 outside outages among answered calls, missing among sequenced and missing events,
 * 502/504/timeouts among probes that reached the AC.
 */
export function changeMinutes(
  answers: ReadonlyArray<{ family: MinuteFamily; spanSeconds: number; bucketSeconds: number; rows: readonly RangeSeries[] }>, endSeconds: number,
): Map<string, MinutesByMeasure> {
  const minutes = new Map<string, Map<number, Minute>>();
  const at = (gateway: string, transport: string, t: number): Minute => {
    const k = key(gateway, transport);
    let byTime = minutes.get(k);
    if (byTime === undefined) minutes.set(k, (byTime = new Map()));
    let m = byTime.get(t);
    if (m === undefined) byTime.set(t, (m = emptyMinute()));
    return m;
  };
  const fill: Record<MinuteFamily, (m: Minute, labels: Readonly<Record<string, string>>, v: number) => void> = {
    requests: (m, l, v) => {
      m.calls += v;
      if (l.code === '499') m.aborts += v;
      if (l.code === '502' || l.code === '504') m.failed += v;
    },
    outage: (m, _l, v) => { m.outage += v; },
    sequenced: (m, _l, v) => { m.sequenced += v; },
    missing: (m, _l, v) => { m.missing += v; },
    probes: (m, l, v) => {
      m.probes += v;
      if (l.result === 'unreachable') m.probeUnreachable += v;
      if (l.result === '502' || l.result === '504' || l.result === 'timeout') m.probeFailed += v;
    },
  };
  const fell = new Set<string>();
  for (const { family, spanSeconds, bucketSeconds, rows } of answers) {
    // The subquery's steps fall on multiples of the bucket (Prometheus aligns them to the epoch).
    const firstStep = Math.ceil((endSeconds - spanSeconds - bucketSeconds) / bucketSeconds) * bucketSeconds;
    for (const { metric, values } of rows) {
      const gateway = metric.gateway ?? '';
      const transport = metric.transport ?? 'unknown';
      const before = new Map(values.map(([t, v]) => [Math.round(t), v]));
      for (const [time, v] of values) {
        const t = Math.round(time);
        if (t <= firstStep || !Number.isFinite(v)) continue;
        const grew = v - (before.get(t - bucketSeconds) ?? 0);
        if (grew < 0) fell.add(`${key(gateway, transport)}\u0000${t}`);
        else if (grew > 0) fill[family](at(gateway, transport, t), metric, grew);
      }
    }
  }
  const out = new Map<string, MinutesByMeasure>();
  for (const [k, byTime] of minutes) {
    const sums = { errors: zero(), loss: zero(), probes: zero() };
    for (const [t, m] of byTime) {
      if (fell.has(`${k}\u0000${t}`)) continue;
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
