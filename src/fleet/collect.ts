/**
 * The fleet report: counts queried from Prometheus across every proxy the selector matches,
 * turned into the same segment counts the running proxy keeps, and handed to the same assembler
 * (src/report/assemble.ts) — so figures, statistics and verdicts have one implementation.
 *
 * Three rounds of queries, each cheap: which proxies ran and their start times (one series per
 * proxy), the raw start times of the few proxies that restarted, started or stopped within the
 * range, and then every count, activity time, identity and chart at once.
 */
import { assembleGateways, assembleReport, type SegmentCounts } from '../report/assemble.js';
import { oneLookDecider } from '../report/decider.js';
import { emptyCounters } from '../report/figures.js';
import { DEFAULT_THRESHOLDS, type Thresholds } from '../report/recommend.js';
import type { GatewayReport, TransportReport } from '../report/types.js';
import { isGatewayPool } from '../vocabulary.js';
import {
  activityFromCheckpoints, activityFromRules, activitySeriesQuery, checkpointCount, checkpointQuery, checkpointTimes, ruleQueries,
  RULES_INTERVAL_SECONDS, type Activity,
} from './activity.js';
import { FleetError, type InstantSample, type PromClient, type RangeSeries } from './client.js';
import { anyCount, chartCounts, familyIncrements, Period, segmentKey } from './counts.js';
import { humanDuration } from './args.js';
import { changeMinutes, changeSpan, minuteSeriesSelector, planMinuteQueries } from './minutes.js';
import { fleetProbes, mergeFleetProbes } from './probes.js';
import {
  baseQueries, COUNTER_FAMILIES, selectorMatchers, sumsQuery, targetSumsQuery, timelineQuery, type CounterName,
} from './queries.js';
import { fleetSnapshot } from './snapshot.js';
import { instantsOf, LOOKBACK_SECONDS, planTargets, segmentTerms, targetOf, timelines } from './timeline.js';

/** The window (the status page's "last 15 minutes") is the end of the range, at most this long. */
export const FLEET_WINDOW_SECONDS = 900;
/** Buckets of the chart series over the window. */
export const FLEET_SERIES_BUCKETS = 30;
/** Queries in flight at once: enough to be quick, few enough not to load a busy Prometheus. */
const CONCURRENCY = 4;
/** Proxies per query of restarted proxies' sums: few queries, short enough for any server's limits. */
const PROXIES_PER_QUERY = 50;

export interface FleetOptions {
  client: PromClient;
  selector: string;
  rangeSeconds: number;
  /** Evaluation time (unix ms): the client's. */
  now: number;
  thresholds?: Thresholds;
  /** Width of the before/after verdict's buckets in seconds (never below the scrape interval); absent or null: each look-back's `changeBucketFor`. */
  minuteSeconds?: number | null;
}

/** How the report was computed, for its reader and for --query-stats. */
export interface FleetPlan {
  /** Where first/last activity (and so transport-change times) came from. */
  activity: 'recording rules' | 'raw series';
  /** The resolution of those times, seconds. */
  activityResolutionSeconds: number;
  /** When the recording rules exist but began after the range start: since when (unix ms). */
  rulesSince: number | null;
  /** Proxies counted process by process (restarted, started or stopped within the range). */
  restartedProxies: number;
  /** Gateways that changed transport within the range, and the minute queries asked for them (minutes.ts). */
  changedGateways: number;
  minuteQueries: number;
  /** The widths of those minutes (--change-bucket, or each look-back's default), seconds, ascending; empty when none were asked. */
  minuteSeconds: number[];
  /** Queries asked. */
  queries: number;
}

/** What a fleet report is: the `/api/report` and `/api/gateways` documents, and where they came from. */
export interface FleetReport {
  report: TransportReport;
  gateways: GatewayReport[];
  /** build_info series within the range: one per proxy process. */
  proxies: number;
  source: { prometheus: string; selector: string; rangeSeconds: number };
  plan: FleetPlan;
  /** The exact increments of every counter family over the range and the window, by the family's labels. */
  counts: Record<'range' | 'window', Record<CounterName, InstantSample[]>>;
}

/** Window and bucket sizes for a range: 30 buckets over min(range, 15 min). */
export function windowFor(rangeSeconds: number): { windowSeconds: number; bucketSeconds: number } {
  const window = Math.min(FLEET_WINDOW_SECONDS, rangeSeconds);
  const bucketSeconds = Math.max(1, Math.floor(window / FLEET_SERIES_BUCKETS));
  return { windowSeconds: bucketSeconds * Math.max(1, Math.floor(window / bucketSeconds)), bucketSeconds };
}

/** Runs `tasks` with at most `limit` at once; the first failure rejects (the rest are left to finish). */
async function limited<T>(tasks: ReadonlyArray<() => Promise<T>>, limit: number): Promise<T[]> {
  const results = new Array<T>(tasks.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < tasks.length) {
      const i = next++;
      try {
        results[i] = await (tasks[i] as () => Promise<T>)();
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

const chunks = <T>(items: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

/** What to do when the server refuses a query for its cost. */
function remedy(name: string): string {
  if (name.startsWith('activity.')) {
    return 'load prometheus/fleet-rules.yml into Prometheus (the report then reads one sample per gateway and transport), or shorten --range';
  }
  if (name.startsWith('minutes.')) {
    return 'a wider --change-bucket (fewer buckets per changed gateway), or shorten --range';
  }
  return 'narrow --selector (one cluster or namespace per report), shorten --range, or raise the server\'s limits ' +
    '(Prometheus: --query.max-samples, --query.timeout; and --timeout here)';
}

/** The client with every query named, and a refusal for cost turned into a message with the remedy. */
function askers(client: PromClient, rangeSeconds: number, count: () => void) {
  const explain = (name: string) => (error: unknown): never => {
    if (error instanceof FleetError && (error.code === 'query_limit' || error.code === 'query_timeout')) {
      throw new FleetError(`${error.message}: query ${name} over --range ${humanDuration(rangeSeconds)}; ${remedy(name)}`, 1, error.code);
    }
    throw error;
  };
  return {
    vector: (name: string, expr: string, at?: number): Promise<InstantSample[]> => {
      count();
      return client.vector(expr, name, at).catch(explain(name));
    },
    matrix: (name: string, expr: string): Promise<RangeSeries[]> => {
      count();
      return client.matrix(expr, name).catch(explain(name));
    },
    series: (name: string, selector: string, start: number): Promise<Array<Record<string, string>>> => {
      count();
      return client.series(selector, start, name).catch(explain(name));
    },
  };
}

/** Queries Prometheus and assembles the fleet's report. */
export async function collectFleet(options: FleetOptions): Promise<FleetReport> {
  const { client, selector, rangeSeconds, now } = options;
  const { windowSeconds, bucketSeconds } = windowFor(rangeSeconds);
  const m = selectorMatchers(selector);
  const q = baseQueries(selector, windowSeconds, bucketSeconds);
  const source = { prometheus: client.where, selector, rangeSeconds };
  let asked = 0;
  const ask = askers(client, rangeSeconds, () => asked++);
  const nowS = now / 1000;

  const startedAt = now - rangeSeconds * 1000;
  let activityLater: (() => Activity) | null = null;
  // One question first: an unreachable Prometheus or a rejected selector fails once, not 40 times.
  // The series API reads the index only: proxies seen within the range, whatever its length.
  const proxies = new Set((await ask.series('proxies', q.proxies, startedAt)).map((labels) => targetOf(labels).key)).size;
  if (proxies === 0 && ((await ask.vector('present', q.present))[0]?.value ?? 0) === 0) {
    throw new FleetError(`no cassia_proxy_ series at ${client.where} for selector ${selector}`, 1, 'no_series');
  }

  // Round 1: the proxies' start times (now, and at each period's start, each asked at that time),
  // whether the recording rules ran through the range, and how many raw series a checkpoint reads.
  const rules = ruleQueries(m);
  const rangeStart = startedAt;
  const windowStart = now - windowSeconds * 1000;
  const [seen, startNow, atRange, atWindow, since, activitySeries] = await limited<unknown>([
    () => ask.series('targets.seen', q.start, startedAt),
    () => ask.vector('targets.now', q.start),
    () => ask.vector('targets.atRangeStart', q.start, rangeStart),
    // A range no longer than the window starts where the window does: one question for both.
    () => (windowStart === rangeStart ? Promise.resolve([]) : ask.vector('targets.atWindowStart', q.start, windowStart)),
    () => ask.vector('activity.rulesSince', rules.since),
    () => ask.vector('activity.series', activitySeriesQuery(m)),
  ], CONCURRENCY) as [Array<Record<string, string>>, InstantSample[], InstantSample[], InstantSample[], InstantSample[], InstantSample[]];
  const plan = planTargets(seen, startNow, atRange, windowStart === rangeStart ? atRange : atWindow);
  const rulesSince = since[0]?.value;
  const useRules = rulesSince !== undefined && Number.isFinite(rulesSince) && rulesSince <= nowS - rangeSeconds;

  // Round 2: the processes of the proxies that did not run one process through the range.
  const lines = plan.timeline.length === 0 ? new Map<string, never>() : timelines(
    (await limited(chunks(plan.timeline, PROXIES_PER_QUERY).map((group) => () =>
      ask.matrix('targets.timeline', timelineQuery(m, [...new Set(group.map((t) => t.labels.instance ?? ''))], rangeSeconds + LOOKBACK_SECONDS))),
    CONCURRENCY)).flat(),
    plan.timeline,
  );
  const excluded = [...new Set(plan.timeline.map((t) => t.labels.instance ?? ''))];

  // Round 3: everything else at once. Sums at the end and at each period's start, each its own
  // query at its own time and one per family (no query holds every series of the fleet at once,
  // which is what sets Prometheus' peak memory); the segments of the restarted proxies; activity;
  // identity; charts.
  const answers = { end: [] as InstantSample[], rangeStart: [] as InstantSample[], windowStart: [] as InstantSample[] };
  const restarted = { range: { plus: [] as InstantSample[], minus: [] as InstantSample[] }, window: { plus: [] as InstantSample[], minus: [] as InstantSample[] } };
  const tasks: Array<() => Promise<unknown>> = [];
  const instants: Array<[keyof typeof answers, number | undefined]> = [['end', undefined], ['rangeStart', rangeStart]];
  // A range no longer than the window starts where the window does: one question for both.
  if (windowStart !== rangeStart) instants.push(['windowStart', windowStart]);
  for (const [name, family] of Object.entries(COUNTER_FAMILIES)) {
    const sums = sumsQuery(m, excluded, { [name]: family });
    for (const [instant, at] of instants) {
      tasks.push(async () => { answers[instant].push(...await ask.vector(`counts.${instant}.${name}`, sums, at)); });
    }
  }
  // The restarted proxies' segments: their sums at each instant a process ends or a period starts.
  for (const [period, seconds] of [['range', rangeSeconds], ['window', windowSeconds]] as const) {
    const terms = [...lines.values()].flatMap((l) => segmentTerms(l.target, l.processes, nowS - seconds, nowS, plan.lookups(l.target.key, period)));
    for (const [t, { plus, minus }] of instantsOf(terms)) {
      for (const [sign, targets] of [['plus', plus], ['minus', minus]] as const) {
        for (const group of chunks(targets, PROXIES_PER_QUERY)) {
          tasks.push(async () => restarted[period][sign].push(...await ask.vector(`counts.${period}.restarted`, targetSumsQuery(m, group), t * 1000)));
        }
      }
    }
  }
  let activity: Activity = { first: new Map(), last: new Map(), lastEvent: new Map() };
  let resolution = RULES_INTERVAL_SECONDS;
  if (useRules) {
    tasks.push(async () => {
      const [first, last, lastEvent] = await Promise.all([
        ask.vector('activity.first', rules.first), ask.vector('activity.last', rules.last), ask.vector('activity.lastEvent', rules.lastEvent),
      ]);
      activity = activityFromRules(first, last, lastEvent);
    });
  } else {
    const intervals = checkpointCount(activitySeries[0]?.value ?? 0);
    resolution = rangeSeconds / intervals;
    const times = checkpointTimes(now, rangeSeconds, intervals);
    const checkpoints = new Array<InstantSample[]>(times.length);
    const query = checkpointQuery(m);
    tasks.push(...times.map((t, j) => async () => { checkpoints[j] = await ask.vector(`activity.checkpoint${j}`, query, t); }));
    // Read once every checkpoint has answered (below).
    activityLater = () => activityFromCheckpoints(times, checkpoints.map((c) => c ?? []));
  }
  let info: InstantSample[] = [];
  let online: InstantSample[] = [];
  const charts = { counts: [] as RangeSeries[], errors: [] as RangeSeries[] };
  tasks.push(async () => { info = await ask.vector('gatewayInfo', q.gatewayInfo); });
  tasks.push(async () => { online = await ask.vector('gatewayOnline', q.gatewayOnline); });
  tasks.push(async () => { charts.counts = await ask.matrix('chart.counts', q.charts.counts); });
  tasks.push(async () => { charts.errors = await ask.matrix('chart.errors', q.charts.errors); });
  await limited(tasks, CONCURRENCY);
  if (activityLater !== null) activity = activityLater();

  const rowsOf = (start: readonly InstantSample[], segments: { plus: InstantSample[]; minus: InstantSample[] }): Record<CounterName, InstantSample[]> => {
    const rows = {} as Record<CounterName, InstantSample[]>;
    for (const [name, family] of Object.entries(COUNTER_FAMILIES) as Array<[CounterName, (typeof COUNTER_FAMILIES)[CounterName]]>) {
      rows[name] = familyIncrements(family, [[answers.end, start], [segments.plus, segments.minus]]);
    }
    return rows;
  };
  const counts = {
    range: rowsOf(answers.rangeStart, restarted.range),
    window: rowsOf(windowStart === rangeStart ? answers.rangeStart : answers.windowStart, restarted.window),
  };
  const period = (rows: Record<CounterName, InstantSample[]>): Period => {
    const p = new Period();
    p.fill(rows);
    return p;
  };
  const range = period(counts.range);
  const window = period(counts.window);

  const segments: SegmentCounts[] = [];
  for (const [k, { gateway, transport, c }] of range.segments) {
    if (!anyCount(c)) continue;
    // A count with no activity time behind it grew after the last step or rule evaluation: it
    // happened just now.
    const first = Math.max(startedAt, activity.first.get(k) ?? now);
    segments.push({
      gateway, transport, firstAt: first, lastAt: Math.min(now, Math.max(first, activity.last.get(k) ?? now)),
      window: window.segments.get(k)?.c ?? emptyCounters(), totals: c,
    });
  }
  const probeRows = (rows: Record<CounterName, InstantSample[]>) => ({ probes: rows.probes, probesOffline: rows.probesOffline, probeRtt: rows.probeRtt });
  const transportProbeCounts = mergeFleetProbes(segments, fleetProbes({ range: probeRows(counts.range), window: probeRows(counts.window) }, activity, startedAt, now));
  // First seen first, as the running proxy orders its segments.
  segments.sort((a, b) => a.firstAt - b.firstAt || a.gateway.localeCompare(b.gateway) || a.transport.localeCompare(b.transport));

  // Round 4, only when gateways changed transport in the range: the before/after verdicts' minutes
  // of those gateways (minutes.ts: the one query that steps through the range, bounded per query).
  const perGateway = new Map<string, number>();
  for (const seg of segments) perGateway.set(seg.gateway, (perGateway.get(seg.gateway) ?? 0) + 1);
  const changed = [...perGateway].filter(([gateway, n]) => n > 1 && !isGatewayPool(gateway)).map(([gateway]) => gateway).sort();
  let minuteQueries = 0;
  const minuteSeconds = new Set<number>();
  if (changed.length > 0) {
    // Each changed gateway's look-back: its time since the move (its latest transport's first
    // activity, give or take the activity times' resolution) and as long before it.
    const movedAt = new Map<string, number>();
    for (const seg of segments) movedAt.set(seg.gateway, Math.max(movedAt.get(seg.gateway) ?? 0, seg.firstAt));
    const spans = new Map(changed.map((gateway) => [gateway, changeSpan((now - (movedAt.get(gateway) ?? startedAt)) / 1000 + resolution, rangeSeconds)]));
    const planned = planMinuteQueries(m, await ask.series('minutes.series', minuteSeriesSelector(m, changed), startedAt), spans, options.minuteSeconds ?? null);
    minuteQueries = planned.length;
    for (const p of planned) minuteSeconds.add(p.bucketSeconds);
    const answers = await limited(planned.map((p) => async () => ({ ...p, rows: await ask.matrix(`minutes.${p.family}`, p.query) })), CONCURRENCY);
    const minutes = changeMinutes(answers, nowS);
    for (const seg of segments) seg.minutes = minutes.get(segmentKey(seg.gateway, seg.transport)) ?? seg.minutes;
  }

  const snapshot = fleetSnapshot(segments, info, online, activity.lastEvent);
  const transportCounts = new Map<string, { window: Float64Array; totals: Float64Array }>();
  for (const [transport, totals] of range.transports) {
    if (!anyCount(totals)) continue;
    transportCounts.set(transport, { totals, window: window.transports.get(transport) ?? emptyCounters() });
  }
  const chartsByTransport = chartCounts(charts, now, windowSeconds, bucketSeconds);
  const fleetPlan: FleetPlan = {
    activity: useRules ? 'recording rules' : 'raw series',
    activityResolutionSeconds: resolution,
    rulesSince: rulesSince !== undefined && Number.isFinite(rulesSince) && !useRules ? rulesSince * 1000 : null,
    restartedProxies: lines.size,
    changedGateways: changed.length,
    minuteQueries,
    minuteSeconds: [...minuteSeconds].sort((a, b) => a - b),
    queries: asked,
  };
  const input = {
    generatedAt: now,
    startedAt,
    windowSeconds,
    bucketSeconds,
    segments,
    snapshot,
    decider: oneLookDecider(options.thresholds ?? DEFAULT_THRESHOLDS),
    series: (transport: string) => chartsByTransport.get(transport),
    transportCounts,
    transportProbeCounts,
    basis: 'over the range, every proxy the selector matches summed: CAPWAP gateways against MQTT gateways, each gateway one observation, ' +
      'outages apart; before/after: the gateway\'s minutes under its previous transport against its current one; ' +
      `first/last activity from ${fleetPlan.activity} at ${humanDuration(resolution)} resolution`,
  };
  return { report: assembleReport(input), gateways: assembleGateways(input), proxies, source, plan: fleetPlan, counts };
}
