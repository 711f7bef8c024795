/**
 * PromQL for the fleet report: pure functions from (selector, period, …) to query text.
 *
 * Every query must cost Prometheus in proportion to the number of series, never to range ×
 * resolution: an instant selector (with `offset` or `@`) reads one sample per series, while a
 * range selector over raw series reads every sample in the range (5,760 a day per series at a 15 s
 * scrape). So counts are built from instant lookups only:
 *
 * - Most proxies ran one process through the period (the same `process_start_time_seconds` at its
 *   start and at its end): their counters never went back, and the exact increment of every
 *   series is `value now − value at the period's start`, or `value now` for a series born inside
 *   it (the proxy starts every counter at 0). Three samples per series: `steadyCountQuery`.
 * - Proxies that restarted, started or stopped inside the period are few. Their processes are
 *   found from one series per proxy (timeline.ts), and each process contributes its value at its
 *   own last scrape (`@ t`) minus its value at the period's start when it was already running:
 *   one or two samples per series and process. `segmentCountQuery`.
 *
 * Counts are the counters' real increments, not `increase()`'s estimates: the verdicts test
 * integer counts, and the report should match what the proxies' own /metrics say.
 */

/** The default `--selector`: the scrape job of prometheus/prometheus.yml and the ServiceMonitor. */
export const DEFAULT_SELECTOR = '{job="cassia-ac-proxy"}';

/** One series per proxy process: its start time (a new value after every restart). */
export const START_METRIC = 'cassia_proxy_process_start_time_seconds';

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

/** A unix time in seconds for `@`, to the millisecond (sample timestamps are milliseconds). */
export const promTime = (seconds: number): string => seconds.toFixed(3);

/** Equality matchers for every label of a target (`job="…",instance="…"`). */
export function labelMatchers(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .filter(([name]) => name !== '__name__')
    .map(([name, value]) => `${name}=${JSON.stringify(value)}`)
    .join(',');
}

/** A counter family the report counts, summed by `by` across every proxy. */
export interface CounterFamily {
  metric: string;
  by: readonly string[];
  /** Extra matchers within the family (none by default). */
  extra?: string;
}

/**
 * Every counter the report reads, by name. Each row becomes one exact-count query over the range
 * and one over the window; a new family is one more row (and its use in the report).
 */
export const COUNTER_FAMILIES = {
  gatewayRequests: { metric: 'cassia_proxy_gateway_requests_total', by: ['gateway', 'transport', 'code'] },
  gatewayErrors: { metric: 'cassia_proxy_gateway_errors_total', by: ['gateway', 'transport', 'code', 'origin'] },
  events: { metric: 'cassia_proxy_events_total', by: ['gateway', 'transport'] },
  sequenced: { metric: 'cassia_proxy_events_sequenced_total', by: ['gateway', 'transport'] },
  missing: { metric: 'cassia_proxy_events_missing_total', by: ['gateway', 'transport'] },
  outOfOrder: { metric: 'cassia_proxy_events_out_of_order_total', by: ['gateway', 'transport'] },
  duplicate: { metric: 'cassia_proxy_events_duplicate_total', by: ['gateway', 'transport'] },
  /** Per transport: who produced each status (requests_total has no gateway label). */
  transportRequests: { metric: 'cassia_proxy_requests_total', by: ['transport', 'code', 'origin'] },
  /** Per transport: the time-to-headers histogram. */
  latency: { metric: 'cassia_proxy_request_duration_seconds_bucket', by: ['transport', 'le'] },
} as const satisfies Record<string, CounterFamily>;

export type CounterName = keyof typeof COUNTER_FAMILIES;

/**
 * Proxies alive now whose process is not the one that ran at the period's start (restarted, or
 * started within the period): their counters may have gone back, so the cheap form leaves them out.
 */
export function restartedTargets(matchers: string, periodSeconds: number): string {
  const s = vectorSelector(START_METRIC, matchers);
  return `(${s} unless (${s} == ${s} offset ${promDuration(periodSeconds)}))`;
}

/**
 * The exact increments of `family` over the `periodSeconds` ending at the evaluation time, summed
 * by its `by` labels, over the series of proxies that ran one process through the period.
 * `targetLabels` are the label names that identify a proxy (those of its start-time series); empty
 * when no proxy exports one, and then every series is taken as such.
 */
export function steadyCountQuery(family: CounterFamily, matchers: string, periodSeconds: number, targetLabels: readonly string[]): string {
  const v = vectorSelector(family.metric, matchers, family.extra);
  const perSeries = `(((${v} - ${v} offset ${promDuration(periodSeconds)}) >= 0) or ${v})`;
  const restarted = targetLabels.length === 0 ? '' : ` unless on (${targetLabels.join(', ')}) ${restartedTargets(matchers, periodSeconds)}`;
  return `sum by (${family.by.join(', ')}) (${perSeries}${restarted})`;
}

/**
 * One process of one proxy within a period: its series' values at its last scrape in the period
 * (`end`), minus their values at `baseline` when the process was already running at the period's
 * start (null: it started within the period, from 0). Times are unix seconds.
 */
export interface SegmentTerm {
  target: Readonly<Record<string, string>>;
  end: number;
  baseline: number | null;
}

/**
 * The exact increments of `family` contributed by the given process segments, summed by its `by`
 * labels. Segments of one proxy are the same series at different times: a distinct label per term
 * keeps `or` from merging them before the sum.
 */
export function segmentCountQuery(family: CounterFamily, matchers: string, terms: readonly SegmentTerm[]): string {
  const parts = terms.map((term, i) => {
    const v = vectorSelector(family.metric, [matchers, family.extra ?? ''].filter((m) => m !== '').join(','), labelMatchers(term.target));
    const end = `${v} @ ${promTime(term.end)}`;
    const increment = term.baseline === null ? end : `(((${end} - ${v} @ ${promTime(term.baseline)}) >= 0) or ${end})`;
    return `label_replace(${increment}, "cassia_segment", "${i}", "", "")`;
  });
  return `sum by (${family.by.join(', ')}) (${parts.join(' or ')})`;
}

/**
 * Per-bucket sums of `metric` by transport at every bucket end of the window and one bucket before
 * it (a matrix from an instant query); the report takes differences of neighbours. One sample per
 * series and bucket.
 */
export function chartQuery(metric: string, matchers: string, windowSeconds: number, bucketSeconds: number, extra = ''): string {
  const v = vectorSelector(metric, matchers, extra);
  return `sum by (transport) (${v})[${promDuration(windowSeconds + bucketSeconds)}:${promDuration(bucketSeconds)}]`;
}

/** The chart series of the window, by name: what each counts. */
export const CHART_SERIES = {
  requests: { metric: 'cassia_proxy_requests_total', extra: '' },
  errors: { metric: 'cassia_proxy_requests_total', extra: 'code=~"502|504",origin!="client"' },
  sequenced: { metric: 'cassia_proxy_events_sequenced_total', extra: '' },
  missing: { metric: 'cassia_proxy_events_missing_total', extra: '' },
} as const;

export type ChartName = keyof typeof CHART_SERIES;

/** The queries of one report that do not depend on what earlier answers said. */
export interface BaseQueries {
  /** The series of one per proxy (build_info), for /api/v1/series over the range. */
  proxies: string;
  /** Any cassia_proxy_ series for the selector now (tells "nothing matches" from "no traffic"). */
  present: string;
  /** Every proxy's start time: its series (for /api/v1/series), now, and at the start of each period. */
  startSeries: string;
  startNow: string;
  startAtRange: string;
  startAtWindow: string;
  gatewayInfo: string;
  gatewayOnline: string;
  charts: Record<ChartName, string>;
}

/** Builds the queries every report asks. */
export function baseQueries(selector: string, rangeSeconds: number, windowSeconds: number, bucketSeconds: number): BaseQueries {
  const m = selectorMatchers(selector);
  const r = promDuration(rangeSeconds);
  const start = vectorSelector(START_METRIC, m);
  return {
    proxies: vectorSelector('cassia_proxy_build_info', m),
    present: `count(${vectorSelector('', m, '__name__=~"cassia_proxy_.+"')})`,
    startSeries: start,
    startNow: start,
    startAtRange: `${start} offset ${r}`,
    startAtWindow: `${start} offset ${promDuration(windowSeconds)}`,
    gatewayInfo: `max by (gateway, transport, name, model, version) (${vectorSelector('cassia_proxy_gateway_info', m)})`,
    gatewayOnline: `max by (gateway) (${vectorSelector('cassia_proxy_gateway_online', m)})`,
    charts: Object.fromEntries(Object.entries(CHART_SERIES).map(([name, { metric, extra }]) =>
      [name, chartQuery(metric, m, windowSeconds, bucketSeconds, extra)])) as Record<ChartName, string>,
  };
}

/**
 * The raw samples of the start-time series of the proxies named by `instances`, over the range and
 * the lookback before it: one series per proxy, from which timeline.ts finds its processes.
 */
export function timelineQuery(matchers: string, instances: readonly string[], seconds: number): string {
  const escaped = instances.map((i) => i.replace(/[\\.^$|?*+()[\]{}]/g, '\\$&'));
  const instance = `instance=~${JSON.stringify(`^(?:${escaped.join('|')})$`)}`;
  return `${vectorSelector(START_METRIC, matchers, instance)}[${promDuration(seconds)}]`;
}
