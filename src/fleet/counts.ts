/**
 * The fleet's answers turned into the counter arrays the report assembler reads (the FIELDS layout
 * of report/ring.ts): per gateway and transport segment, per transport, and the chart buckets.
 */
import type { SeriesCounts } from '../report/assemble.js';
import { emptyCounters } from '../report/figures.js';
import { F, HEADERS_BOUNDS_MS, acErrorField, errorField } from '../report/ring.js';
import { AC_ERRORS, NO_GATEWAY, NO_TRANSPORT, type AcError } from '../vocabulary.js';
import type { InstantSample, RangeSeries } from './client.js';
import { CHART_METRICS, type CounterFamily, type CounterName } from './queries.js';

/** The key of a gateway and transport segment. */
export const segmentKey = (gateway: string, transport: string): string => `${gateway}\u0000${transport}`;

const finite = (v: number): number => (Number.isFinite(v) && v > 0 ? v : 0);

/** The FIELDS slot of a 502/504 by origin (a label value), or undefined for any other code. */
const errorSlot = (code: string | undefined, origin: string): number | undefined =>
  errorField(Number(code), origin === 'proxy' ? 'proxy' : 'upstream');

/** Histogram bin (FIELDS slot) of a bucket's `le`, or undefined when the bound is not the proxy's. */
function binOf(le: string | undefined): number | undefined {
  if (le === '+Inf') return F.hist + HEADERS_BOUNDS_MS.length;
  const ms = Number(le) * 1000;
  const i = HEADERS_BOUNDS_MS.findIndex((b) => Math.abs(b - ms) < 1e-6);
  return i < 0 ? undefined : F.hist + i;
}

/** Counter arrays of one period (range or window), per segment and per transport. */
export class Period {
  readonly segments = new Map<string, { gateway: string; transport: string; c: Float64Array }>();
  readonly transports = new Map<string, Float64Array>();

  seg(gateway: string, transport: string): Float64Array {
    const k = segmentKey(gateway, transport);
    let s = this.segments.get(k);
    if (s === undefined) {
      s = { gateway, transport, c: emptyCounters() };
      this.segments.set(k, s);
    }
    return s.c;
  }

  tp(transport: string): Float64Array {
    let c = this.transports.get(transport);
    if (c === undefined) {
      c = emptyCounters();
      this.transports.set(transport, c);
    }
    return c;
  }

  /** Fills the counters from the answers to the count queries of this period. */
  fill(rows: Record<CounterName, readonly InstantSample[]>): void {
    // Per gateway: every status, then the 502/504 split by origin where the proxy exports it
    // (gateway_errors_total); a remainder with no origin is counted as the AC's own answer.
    const perCode = new Map<string, number>();
    for (const { metric, value } of rows.gatewayRequests) {
      const v = finite(value);
      const { gateway = '', transport = 'unknown', code } = metric;
      const c = this.seg(gateway, transport);
      c[F.requests] = (c[F.requests] ?? 0) + v;
      if (code === '499') c[F.clientAborts] = (c[F.clientAborts] ?? 0) + v;
      if (errorSlot(code, 'upstream') !== undefined) {
        const k = `${segmentKey(gateway, transport)}\u0000${code}`;
        perCode.set(k, (perCode.get(k) ?? 0) + v);
      }
    }
    for (const { metric, value } of rows.gatewayErrors) {
      const { gateway = '', transport = 'unknown', code, origin = 'upstream' } = metric;
      const slot = errorSlot(code, origin);
      const k = `${segmentKey(gateway, transport)}\u0000${code}`;
      const left = perCode.get(k);
      if (slot === undefined || left === undefined) continue;
      const v = Math.min(finite(value), left);
      const c = this.seg(gateway, transport);
      c[slot] = (c[slot] ?? 0) + v;
      perCode.set(k, left - v);
    }
    for (const [k, left] of perCode) {
      const [gateway = '', transport = '', code] = k.split('\u0000');
      const c = this.seg(gateway, transport);
      const slot = errorSlot(code, 'upstream') as number;
      c[slot] = (c[slot] ?? 0) + left;
    }
    const events: Array<[CounterName, number]> = [
      ['events', F.events], ['sequenced', F.sequenced], ['missing', F.missing], ['outOfOrder', F.outOfOrder], ['duplicate', F.duplicate],
      ['outages', F.outages], ['outageErrors', F.outageErrors],
      ['sequenceRequested', F.sequenceRequested],
    ];
    for (const [name, slot] of events) {
      for (const { metric, value } of rows[name]) {
        const v = finite(value);
        const { gateway = '', transport = 'unknown' } = metric;
        const c = this.seg(gateway, transport);
        c[slot] = (c[slot] ?? 0) + v;
        const t = this.tp(transport);
        t[slot] = (t[slot] ?? 0) + v;
      }
    }
    // The AC's error answers by word, per gateway (calls naming none under `none`) and per transport.
    for (const { metric, value } of rows.acErrors) {
      const error = (AC_ERRORS as readonly string[]).includes(metric.error ?? '') ? (metric.error as AcError) : 'other';
      const v = finite(value);
      const { gateway = '', transport = 'unknown' } = metric;
      const slot = acErrorField(error);
      for (const c of [this.seg(gateway, transport), this.tp(transport)]) c[slot] = (c[slot] ?? 0) + v;
    }
    // Per transport: requests_total carries the origin; calls that name no gateway only appear here
    // (gateway label `none`, transport `none`), so they also make the `none` segment.
    for (const { metric, value } of rows.transportRequests) {
      const v = finite(value);
      const { transport = 'unknown', code, origin = 'upstream' } = metric;
      const targets = [this.tp(transport), ...(transport === NO_TRANSPORT ? [this.seg(NO_GATEWAY, NO_TRANSPORT)] : [])];
      for (const c of targets) {
        c[F.requests] = (c[F.requests] ?? 0) + v;
        if (origin === 'client') c[F.clientAborts] = (c[F.clientAborts] ?? 0) + v;
        else {
          const slot = errorSlot(code, origin);
          if (slot !== undefined) c[slot] = (c[slot] ?? 0) + v;
        }
      }
    }
    // Cumulative `le` buckets → per-bin counts, per transport.
    const cumulative = new Map<string, Array<[number, number]>>();
    for (const { metric, value } of rows.latency) {
      const bin = binOf(metric.le);
      if (bin === undefined) continue;
      const t = metric.transport ?? 'unknown';
      const list = cumulative.get(t) ?? [];
      list.push([bin, finite(value)]);
      cumulative.set(t, list);
    }
    for (const [transport, list] of cumulative) {
      list.sort((a, b) => a[0] - b[0]);
      const c = this.tp(transport);
      let below = 0;
      for (const [bin, total] of list) {
        c[bin] = Math.max(0, total - below);
        below = Math.max(below, total);
      }
    }
  }
}

/** Whether any counter of the array is above 0. */
export const anyCount = (c: Float64Array): boolean => c.some((v) => v > 0);

/** Each group's sum of one family in an answer grouped by metric name and labels, keyed by the family's `by` values. */
function familySums(rows: readonly InstantSample[], family: CounterFamily): Map<string, InstantSample> {
  const out = new Map<string, InstantSample>();
  for (const { metric, value } of rows) {
    if (metric.__name__ !== family.metric) continue;
    let key = '';
    for (const name of family.by) key += `${metric[name] ?? ''}\u0000`;
    const row = out.get(key);
    if (row !== undefined) {
      row.value += value;
      continue;
    }
    const labels: Record<string, string> = {};
    for (const name of family.by) if (metric[name] !== undefined) labels[name] = metric[name];
    out.set(key, { metric: labels, value });
  }
  return out;
}

/**
 * One family's exact increments by its `by` labels: for each pair of answers (the sums at the end
 * of some processes or period, the sums at its start), per group the end minus the start (absent:
 * 0), summed over the pairs. For processes whose counters never went back this is never below 0;
 * a group that would be is counted as 0.
 */
export function familyIncrements(
  family: CounterFamily, pairs: ReadonlyArray<readonly [readonly InstantSample[], readonly InstantSample[]]>,
): InstantSample[] {
  const out = new Map<string, InstantSample>();
  for (const [plus, minus] of pairs) {
    const before = familySums(minus, family);
    for (const [key, { metric, value }] of familySums(plus, family)) {
      const grew = Math.max(0, value - (before.get(key)?.value ?? 0));
      const row = out.get(key);
      if (row === undefined) out.set(key, { metric, value: grew });
      else row.value += grew;
    }
  }
  return [...out.values()];
}

/**
 * Chart buckets of every transport from the sums at each bucket end (and one bucket before the
 * first): a bucket's count is the growth of the sum across it. A bucket in which a proxy restarted
 * or went away shows less than it counted (its sum fell), never a negative count. `counts` holds
 * requests, sequenced and missing by `__name__`; `errors` the 502/504 requests.
 */
export function chartCounts(
  answers: { counts: readonly RangeSeries[]; errors: readonly RangeSeries[] }, now: number, windowSeconds: number, bucketSeconds: number,
): Map<string, SeriesCounts> {
  const n = Math.round(windowSeconds / bucketSeconds);
  const last = Math.floor(now / 1000 / bucketSeconds) * bucketSeconds;
  const first = last - (n - 1) * bucketSeconds;
  const out = new Map<string, SeriesCounts>();
  const of = (transport: string): SeriesCounts => {
    let s = out.get(transport);
    if (s === undefined) {
      const zeros = (): number[] => new Array<number>(n).fill(0);
      s = { start: (first - bucketSeconds) * 1000, requests: zeros(), errors: zeros(), lossDenominator: zeros(), missing: zeros() };
      out.set(transport, s);
    }
    return s;
  };
  const put = (rows: readonly RangeSeries[], pick: (s: SeriesCounts, name: string) => number[][]): void => {
    for (const { metric, values } of rows) {
      const sums = new Map<number, number>();
      for (const [t, v] of values) if (Number.isFinite(v)) sums.set(Math.round((t - first) / bucketSeconds), v);
      const arrays = pick(of(metric.transport ?? 'unknown'), metric.__name__ ?? '');
      for (let i = 0; i < n; i++) {
        const grew = (sums.get(i) ?? 0) - (sums.get(i - 1) ?? 0);
        if (!sums.has(i) || grew <= 0) continue;
        for (const a of arrays) a[i] = (a[i] ?? 0) + grew;
      }
    }
  };
  put(answers.counts, (s, name) => (name === CHART_METRICS.requests ? [s.requests]
    : name === CHART_METRICS.sequenced ? [s.lossDenominator]
      : name === CHART_METRICS.missing ? [s.missing, s.lossDenominator] : []));
  put(answers.errors, (s) => [s.errors]);
  return out;
}
