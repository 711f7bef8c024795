/**
 * PromQL for the fleet report: pure functions from (selector, range) to query text.
 *
 * Counts must be the counters' real increments, not `increase()`'s estimates: the verdicts run a
 * tests on integer counts, and the report should match what the proxies' own /metrics say.
 * `increase()` extrapolates to the ends of the range and cannot see the first increments of a
 * series that appears inside it (a gateway's first request under a new transport), so per series:
 *
 *   last value in the range − last value before it      (the series existed before the range)
 *   last value in the range                             (born inside it: the proxy starts at 0)
 *   increase() over the range                           (only when the counter was reset inside it)
 *
 * and then `sum by (…)` across every proxy the selector matches.
 */

/** The default `--selector`: the scrape job of prometheus/prometheus.yml and the ServiceMonitor. */
export const DEFAULT_SELECTOR = '{job="cassia-ac-proxy"}';

/** A selector without a syntax Prometheus would reject for a reason of ours. */
export class SelectorError extends Error {}

/**
 * The matchers inside `{…}` (without the braces), for combining with a metric name and more
 * matchers. Prometheus judges the matchers themselves; only the outer form is checked here.
 */
export function selectorMatchers(selector: string): string {
  const text = selector.trim();
  if (text === '') return '';
  if (!text.startsWith('{') || !text.endsWith('}')) {
    throw new SelectorError(`--selector must be label matchers in braces, e.g. ${DEFAULT_SELECTOR}, got ${JSON.stringify(selector)}`);
  }
  return text.slice(1, -1).trim().replace(/\s*,\s*$/, '');
}

/** `metric{selector matchers, extra}`. */
export function vectorSelector(metric: string, matchers: string, extra = ''): string {
  const all = [matchers, extra].filter((m) => m !== '').join(',');
  return `${metric}{${all}}`;
}

/** A duration in whole seconds, as PromQL reads it. */
export const promDuration = (seconds: number): string => `${Math.max(1, Math.round(seconds))}s`;

/**
 * The exact increments of counter `metric` over the `rangeSeconds` ending at the evaluation time,
 * summed by `by` across instances (see the file comment).
 */
export function countQuery(metric: string, matchers: string, rangeSeconds: number, by: readonly string[], extra = ''): string {
  const v = vectorSelector(metric, matchers, extra);
  const r = promDuration(rangeSeconds);
  const perSeries =
    `(((last_over_time(${v}[${r}]) - ${v} offset ${r}) >= 0) or last_over_time(${v}[${r}]))` +
    ` unless (resets(${v}[${r}]) > 0)`;
  return `sum by (${by.join(', ')}) ((${perSeries}) or increase(${v}[${r}]))`;
}

/** The increment of a counter within one step (τ − step, τ], per series, born-in-step series included. */
function stepIncrement(v: string, step: string): string {
  return `(((${v} - ${v} offset ${step}) >= 0) or (${v} unless ${v} offset ${step}))`;
}

/**
 * Per-bucket increments of `metric` over the window, summed by `by`: an instant query that
 * answers a matrix, one point per bucket end (aligned to multiples of the bucket).
 */
export function seriesQuery(
  metric: string, matchers: string, windowSeconds: number, bucketSeconds: number, by: readonly string[], extra = '',
): string {
  const v = vectorSelector(metric, matchers, extra);
  const b = promDuration(bucketSeconds);
  return `sum by (${by.join(', ')}) (${stepIncrement(v, b)})[${promDuration(windowSeconds)}:${b}]`;
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

/** The step of the activity queries: about 1000 steps over the range, never below 1 s. */
export function activityStep(rangeSeconds: number): number {
  return Math.max(1, Math.ceil(rangeSeconds / 1000));
}

/** Everything the fleet report asks Prometheus, by name. */
export interface FleetQueries {
  /** Instances that exported build_info within the range (one series per proxy process). */
  proxies: string;
  /** Any cassia_proxy_ series for the selector now (tells "nothing matches" from "no traffic"). */
  present: string;
  gatewayInfo: string;
  gatewayOnline: string;
  /** By count name: `range.*` over the whole range, `window.*` over the window. */
  counts: Record<string, string>;
  firstActive: string;
  lastActive: string;
  series: Record<'requests' | 'errors' | 'sequenced' | 'missing', string>;
}

/** Counters read per gateway and transport (the events families all carry `stream` too). */
export const GATEWAY_COUNTERS = {
  gatewayRequests: { metric: 'cassia_proxy_gateway_requests_total', by: ['gateway', 'transport', 'code'] },
  gatewayErrors: { metric: 'cassia_proxy_gateway_errors_total', by: ['gateway', 'transport', 'code', 'origin'] },
  /** Outages and the 502/504s inside them: the verdicts leave those out. */
  outages: { metric: 'cassia_proxy_gateway_outages_total', by: ['gateway', 'transport'] },
  outageErrors: { metric: 'cassia_proxy_gateway_outage_errors_total', by: ['gateway', 'transport'] },
  events: { metric: 'cassia_proxy_events_total', by: ['gateway', 'transport'] },
  sequenced: { metric: 'cassia_proxy_events_sequenced_total', by: ['gateway', 'transport'] },
  missing: { metric: 'cassia_proxy_events_missing_total', by: ['gateway', 'transport'] },
  outOfOrder: { metric: 'cassia_proxy_events_out_of_order_total', by: ['gateway', 'transport'] },
  duplicate: { metric: 'cassia_proxy_events_duplicate_total', by: ['gateway', 'transport'] },
  sequenceRequested: { metric: 'cassia_proxy_events_sequence_requested_total', by: ['gateway', 'transport'] },
  /** The AC's error answers by what it said (the route label summed away). */
  acErrors: { metric: 'cassia_proxy_ac_errors_total', by: ['gateway', 'transport', 'error'] },
  /** Per transport: who produced each status (requests_total has no gateway label). */
  transportRequests: { metric: 'cassia_proxy_requests_total', by: ['transport', 'code', 'origin'] },
  /** Per transport: the time-to-headers histogram. */
  latency: { metric: 'cassia_proxy_request_duration_seconds_bucket', by: ['transport', 'le'] },
} as const;

export type CounterName = keyof typeof GATEWAY_COUNTERS;

/** Builds every query of one fleet report. */
export function fleetQueries(selector: string, rangeSeconds: number, windowSeconds: number, bucketSeconds: number): FleetQueries {
  const m = selectorMatchers(selector);
  const r = promDuration(rangeSeconds);
  const counts: Record<string, string> = {};
  for (const [name, { metric, by }] of Object.entries(GATEWAY_COUNTERS)) {
    counts[`range.${name}`] = countQuery(metric, m, rangeSeconds, by);
    counts[`window.${name}`] = countQuery(metric, m, windowSeconds, by);
  }
  const step = activityStep(rangeSeconds);
  const active = ['cassia_proxy_gateway_requests_total', 'cassia_proxy_events_total'];
  const by = ['gateway', 'transport', 'stream'];
  return {
    proxies: `count(last_over_time(${vectorSelector('cassia_proxy_build_info', m)}[${r}]))`,
    present: `count(${vectorSelector('', m, '__name__=~"cassia_proxy_.+"')})`,
    gatewayInfo: `max by (gateway, transport, name, model, version) (${vectorSelector('cassia_proxy_gateway_info', m)})`,
    gatewayOnline: `max by (gateway) (${vectorSelector('cassia_proxy_gateway_online', m)})`,
    counts,
    firstActive: activityQuery('min', active, m, rangeSeconds, step, by),
    lastActive: activityQuery('max', active, m, rangeSeconds, step, by),
    series: {
      requests: seriesQuery('cassia_proxy_requests_total', m, windowSeconds, bucketSeconds, ['transport']),
      errors: seriesQuery('cassia_proxy_requests_total', m, windowSeconds, bucketSeconds, ['transport'], 'code=~"502|504",origin!="client"'),
      sequenced: seriesQuery('cassia_proxy_events_sequenced_total', m, windowSeconds, bucketSeconds, ['transport']),
      missing: seriesQuery('cassia_proxy_events_missing_total', m, windowSeconds, bucketSeconds, ['transport']),
    },
  };
}
