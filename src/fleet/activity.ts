/**
 * When each gateway was first and last active under each transport (and its last event): the
 * times behind a transport change. Two sources, pure query builders for both:
 *
 * - the recording rules of prometheus/fleet-rules.yml, when they have run through the whole range:
 *   one sample per gateway and transport, at the rules' interval (1 minute);
 * - otherwise the raw counters' sums per gateway and transport at checkpoints spread over the
 *   range, each an instant query of its own (one sample per series, from the blocks around it):
 *   activity is growth between neighbours. There are as many checkpoints as
 *   `ACTIVITY_LOOKUP_BUDGET` allows for the fleet's series (4 to 24 intervals): the more series,
 *   the coarser.
 */
import type { InstantSample } from './client.js';
import { segmentKey } from './counts.js';
import { vectorSelector } from './queries.js';

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

/** Counters whose growth is activity: calls naming a gateway, its stream events, and the proxies' probes of it. */
export const ACTIVITY_METRICS = [
  'cassia_proxy_gateway_requests_total', 'cassia_proxy_events_total', 'cassia_proxy_probes_total', 'cassia_proxy_probes_offline_total',
] as const;

/**
 * Samples the raw checkpoints may read together (one per series each, 5–20 µs of Prometheus' CPU
 * apiece): with 100,000 series (5,000 gateways seen by four proxies) 5 intervals, 4.8 hours apart
 * over a day.
 */
export const ACTIVITY_LOOKUP_BUDGET = 600_000;
/** Checkpoint intervals at least and at most. */
export const MIN_CHECKPOINTS = 4;
export const MAX_CHECKPOINTS = 24;

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

/** How many raw series a checkpoint reads (one sample per series). */
export function activitySeriesQuery(matchers: string): string {
  return `count(${vectorSelector('', matchers, `__name__=~"${ACTIVITY_METRICS.join('|')}"`)})`;
}

/** The sums of calls and events per gateway and transport at one instant. */
export function checkpointQuery(matchers: string): string {
  return `sum by (__name__, gateway, transport) (${vectorSelector('', matchers, `__name__=~"${ACTIVITY_METRICS.join('|')}"`)})`;
}

/** Checkpoint intervals for a fleet of `series` activity series: as many as the budget allows, within bounds. */
export function checkpointCount(series: number, budget = ACTIVITY_LOOKUP_BUDGET): number {
  return Math.min(MAX_CHECKPOINTS, Math.max(MIN_CHECKPOINTS, Math.floor(budget / Math.max(1, series)) - 1));
}

/** The checkpoint times (unix ms): the range's start, then `intervals` equal steps to its end. */
export function checkpointTimes(now: number, rangeSeconds: number, intervals: number): number[] {
  return Array.from({ length: intervals + 1 }, (_, j) => Math.round(now - rangeSeconds * 1000 + (j * rangeSeconds * 1000) / intervals));
}

/**
 * Activity from the checkpoint sums: a segment was active in (t[j-1], t[j]] when its sum grew
 * there (or appeared above 0); first and last activity are the ends of the first and last such
 * intervals. Events growing make the gateway's latest event. A sum that fell (a proxy restarted)
 * hides growth in that interval only.
 */
export function activityFromCheckpoints(times: readonly number[], answers: ReadonlyArray<readonly InstantSample[]>): Activity {
  const out: Activity = { first: new Map(), last: new Map(), lastEvent: new Map() };
  const previous = new Map<string, number>();
  answers.forEach((rows, j) => {
    const t = times[j] as number;
    for (const { metric, value } of rows) {
      const gateway = metric.gateway ?? '';
      const segment = segmentKey(gateway, metric.transport ?? 'unknown');
      const k = `${metric.__name__ ?? ''}\u0000${segment}`;
      const before = previous.get(k) ?? 0;
      previous.set(k, value);
      if (j === 0 || !(value > before)) continue;
      if (!out.first.has(segment)) out.first.set(segment, t);
      out.last.set(segment, t);
      if (metric.__name__ === 'cassia_proxy_events_total') out.lastEvent.set(gateway, t);
    }
  });
  return out;
}

/** First and last activity per segment, the latest event per gateway (unix ms). */
export interface Activity {
  first: Map<string, number>;
  last: Map<string, number>;
  lastEvent: Map<string, number>;
}

/** The answers of the recording rules as times per segment and gateway. */
export function activityFromRules(first: readonly InstantSample[], last: readonly InstantSample[], lastEvent: readonly InstantSample[]): Activity {
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
  }
  for (const { metric, value } of lastEvent) {
    if (Number.isFinite(value)) keep(out.lastEvent, metric.gateway ?? '', value * 1000, Math.max);
  }
  return out;
}
