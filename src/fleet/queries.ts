/**
 * PromQL for the fleet report: pure functions from (selector, period, …) to query text.
 *
 * Every query must cost Prometheus in proportion to the number of series, never to range ×
 * resolution: an instant selector reads one sample per series, while a range selector over raw
 * series reads every sample in the range (5,760 a day per series at a 15 s scrape). And a query
 * is evaluated over the blocks its selectors span: one that looks at now and at a day ago through
 * `offset` walks the index of every block in between, so each instant is a query of its own.
 * Counts are built from instant lookups only:
 *
 * - Most proxies ran one process through the range (the same `process_start_time_seconds` at its
 *   start and at its end): their counters never went back, and the increments are the sums of
 *   every family now minus the sums at the period's start (`sumsQuery`, asked at three instants).
 * - Proxies that restarted, started or stopped inside the range are few. Their processes are
 *   found from one series per proxy (timeline.ts), and each process contributes its sums at its
 *   own last scrape minus its sums at the period's start when it was already running, each asked
 *   at that instant (`targetSumsQuery`): one or two samples per series and process.
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
}

/**
 * Every counter the report reads, by name. All are read together, one query per instant, and each
 * is summed by its own `by` labels; a new family is one more row (and its use in the report).
 */
export const COUNTER_FAMILIES = {
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
  /** The proxies' own probes by result, probes of gateways known offline, and their round trip per transport (probes.ts). */
  probes: { metric: 'cassia_proxy_probes_total', by: ['gateway', 'transport', 'result'] },
  probesOffline: { metric: 'cassia_proxy_probes_offline_total', by: ['gateway', 'transport'] },
  probeRtt: { metric: 'cassia_proxy_probe_duration_seconds_bucket', by: ['transport', 'le'] },
} as const satisfies Record<string, CounterFamily>;

export type CounterName = keyof typeof COUNTER_FAMILIES;

/** Every family's metric name as a matcher, and the labels answers are grouped by (the metric name, then each family's `by`). */
function familySelection(families: Readonly<Record<string, CounterFamily>>): { names: string; by: string } {
  const list = Object.values(families);
  const by = [...new Set(list.flatMap((f) => f.by))];
  return { names: `__name__=~"${list.map((f) => f.metric).join('|')}"`, by: ['__name__', ...by].join(', ') };
}

/** A quoted PromQL regex matching exactly the given instance values. */
function instanceRegex(instances: readonly string[]): string {
  const escaped = instances.map((i) => i.replace(/[\\.^$|?*+()[\]{}]/g, '\\$&'));
  return JSON.stringify(`^(?:${escaped.join('|')})$`);
}

/** `instance!~"…"` leaving out the proxies counted process by process; empty when there are none. */
export function excludeInstances(instances: readonly string[]): string {
  return instances.length === 0 ? '' : `instance!~${instanceRegex(instances)}`;
}

/**
 * Every family's value, summed by the metric name and the families' labels, at one instant: the
 * query is asked at the end of the range and at the start of each period, and the report
 * subtracts. Proxies that ran one process through the range have counters that never went back,
 * so the difference of sums is the sum of each series' exact increment (a series born within the
 * range is absent at its start and counts whole). One sample per series, from the blocks around
 * that instant only.
 */
export function sumsQuery(matchers: string, excluded: readonly string[], families: Readonly<Record<string, CounterFamily>> = COUNTER_FAMILIES): string {
  const { names, by } = familySelection(families);
  return `sum by (${by}) (${vectorSelector('', [matchers, names, excludeInstances(excluded)].filter((m) => m !== '').join(','))})`;
}

/**
 * The same sums over the named proxies only (each by all its labels), for the process segments of
 * proxies that restarted, started or stopped: asked at the instants their segments begin and end.
 */
export function targetSumsQuery(matchers: string, targets: ReadonlyArray<Readonly<Record<string, string>>>, families: Readonly<Record<string, CounterFamily>> = COUNTER_FAMILIES): string {
  const { names, by } = familySelection(families);
  const selectors = targets.map((t) => vectorSelector('', [matchers, names, labelMatchers(t)].filter((m) => m !== '').join(',')));
  return `sum by (${by}) (${selectors.join(' or ')})`;
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
 * Per-bucket sums by transport (and family) at every bucket end of the window and one bucket
 * before it (a matrix from an instant query); the report takes differences of neighbours. One
 * sample per series and bucket, from the window's blocks only.
 */
export function chartQuery(metrics: readonly string[], matchers: string, windowSeconds: number, bucketSeconds: number, extra = ''): string {
  const v = vectorSelector('', [matchers, `__name__=~"${metrics.join('|')}"`, extra].filter((m) => m !== '').join(','));
  return `sum by (__name__, transport) (${v})[${promDuration(windowSeconds + bucketSeconds)}:${promDuration(bucketSeconds)}]`;
}

/** The chart series of the window: requests and events in one query, 502/504 in another. */
export const CHART_METRICS = {
  requests: 'cassia_proxy_requests_total',
  sequenced: 'cassia_proxy_events_sequenced_total',
  missing: 'cassia_proxy_events_missing_total',
} as const;

/** The queries of one report that do not depend on what earlier answers said. */
export interface BaseQueries {
  /** The series of one per proxy (build_info), for /api/v1/series over the range. */
  proxies: string;
  /** Any cassia_proxy_ series for the selector now (tells "nothing matches" from "no traffic"). */
  present: string;
  /** Every proxy's start time: for /api/v1/series, and asked now and at the start of each period. */
  start: string;
  gatewayInfo: string;
  gatewayOnline: string;
  /** Requests, sequenced and missing events per bucket; 502/504 per bucket. */
  charts: { counts: string; errors: string };
}

/** Builds the queries every report asks. */
export function baseQueries(selector: string, windowSeconds: number, bucketSeconds: number): BaseQueries {
  const m = selectorMatchers(selector);
  return {
    proxies: vectorSelector('cassia_proxy_build_info', m),
    present: `count(${vectorSelector('', m, '__name__=~"cassia_proxy_.+"')})`,
    start: vectorSelector(START_METRIC, m),
    gatewayInfo: `max by (gateway, transport, name, model, version) (${vectorSelector('cassia_proxy_gateway_info', m)})`,
    gatewayOnline: `max by (gateway) (${vectorSelector('cassia_proxy_gateway_online', m)})`,
    charts: {
      counts: chartQuery(Object.values(CHART_METRICS), m, windowSeconds, bucketSeconds),
      errors: chartQuery([CHART_METRICS.requests], m, windowSeconds, bucketSeconds, 'code=~"502|504",origin!="client"'),
    },
  };
}

/**
 * The raw samples of the start-time series of the proxies named by `instances`, over the range and
 * the lookback before it: one series per proxy, from which timeline.ts finds its processes.
 */
export function timelineQuery(matchers: string, instances: readonly string[], seconds: number): string {
  return `${vectorSelector(START_METRIC, matchers, `instance=~${instanceRegex(instances)}`)}[${promDuration(seconds)}]`;
}
