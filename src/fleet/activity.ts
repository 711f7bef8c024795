/**
 * When each gateway was first and last active under each transport (and its last event): the
 * times behind a transport change. Two sources, pure query builders for both:
 *
 * - the recording rules of prometheus/fleet-rules.yml, when they have run through the whole range:
 *   one sample per gateway and transport, at the rules' interval (1 minute);
 * - otherwise the raw counters, stepped through the range by a subquery whose step is chosen so
 *   that the query reads at most `ACTIVITY_SAMPLE_BUDGET` samples: the more series, the coarser.
 */
import type { InstantSample } from './client.js';
import { segmentKey } from './counts.js';
import { promDuration, vectorSelector } from './queries.js';

/** The shipped recording rules the report reads (prometheus/fleet-rules.yml). */
export const ACTIVITY_RULES = {
  /** When the rules began to run without a gap (per job). */
  since: 'job:cassia_proxy_fleet_rules:since_timestamp_seconds',
  first: 'job_gateway_transport:cassia_proxy_active:first_timestamp_seconds',
  last: 'job_gateway_transport:cassia_proxy_active:last_timestamp_seconds',
  lastEvent: 'job_gateway_transport:cassia_proxy_events:last_timestamp_seconds',
} as const;

/** The rules' evaluation interval (the group's `interval`): the resolution of their times. */
export const RULES_INTERVAL_SECONDS = 60;

/** Counters whose growth is activity: calls naming a gateway, and its stream events. */
export const ACTIVITY_METRICS = ['cassia_proxy_gateway_requests_total', 'cassia_proxy_events_total'] as const;

/**
 * Samples one raw activity query may read: 5 % of Prometheus' default query.max-samples (50
 * million), so the fallback stays far inside the limit on any fleet.
 */
export const ACTIVITY_SAMPLE_BUDGET = 2_500_000;

/** Instant lookups per series and step in `activityQuery`'s inner expression. */
const LOOKUPS_PER_STEP = 4;

/** The queries on the recording rules. */
export interface RuleQueries {
  since: string;
  first: string;
  last: string;
  lastEvent: string;
}

export function ruleQueries(matchers: string): RuleQueries {
  return {
    since: `max(${vectorSelector(ACTIVITY_RULES.since, matchers)})`,
    first: `min by (gateway, transport) (${vectorSelector(ACTIVITY_RULES.first, matchers)})`,
    last: `max by (gateway, transport) (${vectorSelector(ACTIVITY_RULES.last, matchers)})`,
    lastEvent: `max by (gateway) (${vectorSelector(ACTIVITY_RULES.lastEvent, matchers)})`,
  };
}

/** How many raw series the fallback would step through (one sample per series). */
export function activitySeriesQuery(matchers: string): string {
  return `count(${vectorSelector('', matchers, `__name__=~"${ACTIVITY_METRICS.join('|')}"`)})`;
}

/**
 * When each series of the counters in `metrics` last (`max`) or first (`min`) increased within the
 * range, at the resolution of `stepSeconds`, by `by`: the evaluation times of the subquery steps
 * in which the value grew, or the series appeared with a value above 0.
 */
export function activityQuery(
  fn: 'min' | 'max', metrics: readonly string[], matchers: string, rangeSeconds: number, stepSeconds: number, by: readonly string[],
): string {
  const s = promDuration(stepSeconds);
  const grew = metrics
    .map((m) => {
      const v = vectorSelector(m, matchers);
      return `(${v} > ${v} offset ${s}) or ((${v} unless ${v} offset ${s}) > 0)`;
    })
    .join(' or ');
  return `${fn} by (${by.join(', ')}) (${fn}_over_time(timestamp(${grew})[${promDuration(rangeSeconds)}:${s}]))`;
}

/**
 * The step of the raw activity queries: about 1000 steps over the range (never below 1 s), fewer
 * when `series` × steps × lookups would pass the budget.
 */
export function activityStep(rangeSeconds: number, series: number, budget = ACTIVITY_SAMPLE_BUDGET): number {
  const fine = Math.max(1, Math.ceil(rangeSeconds / 1000));
  const steps = Math.floor(budget / Math.max(1, series * LOOKUPS_PER_STEP));
  if (steps < 1) return Math.max(fine, Math.ceil(rangeSeconds));
  return Math.max(fine, Math.ceil(rangeSeconds / steps));
}

/** The two raw activity queries for one range and step. */
export function rawActivityQueries(matchers: string, rangeSeconds: number, stepSeconds: number): { first: string; last: string } {
  const by = ['gateway', 'transport', 'stream'];
  return {
    first: activityQuery('min', ACTIVITY_METRICS, matchers, rangeSeconds, stepSeconds, by),
    last: activityQuery('max', ACTIVITY_METRICS, matchers, rangeSeconds, stepSeconds, by),
  };
}

/** First and last activity per segment, the latest event per gateway (unix ms). */
export interface Activity {
  first: Map<string, number>;
  last: Map<string, number>;
  lastEvent: Map<string, number>;
}

/** The answers of the rules or of the raw queries as times per segment (`lastEvent` null: the raw `last` rows with a `stream`). */
export function activityFrom(first: readonly InstantSample[], last: readonly InstantSample[], lastEvent: readonly InstantSample[] | null): Activity {
  const out: Activity = { first: new Map(), last: new Map(), lastEvent: new Map() };
  const keep = (map: Map<string, number>, k: string, ms: number, pick: (a: number, b: number) => number): void => {
    const had = map.get(k);
    map.set(k, had === undefined ? ms : pick(had, ms));
  };
  for (const { metric, value } of first) {
    if (Number.isFinite(value)) keep(out.first, segmentKey(metric.gateway ?? '', metric.transport ?? 'unknown'), value * 1000, Math.min);
  }
  for (const { metric, value } of last) {
    if (!Number.isFinite(value)) continue;
    keep(out.last, segmentKey(metric.gateway ?? '', metric.transport ?? 'unknown'), value * 1000, Math.max);
    // The raw queries keep `stream` (events only); the rules answer the latest event apart.
    if (lastEvent === null && (metric.stream ?? '') !== '') keep(out.lastEvent, metric.gateway ?? '', value * 1000, Math.max);
  }
  for (const { metric, value } of lastEvent ?? []) {
    if (Number.isFinite(value)) keep(out.lastEvent, metric.gateway ?? '', value * 1000, Math.max);
  }
  return out;
}
