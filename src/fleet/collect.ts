/**
 * The fleet report: counts queried from Prometheus across every proxy the selector matches,
 * turned into the same segment counts the running proxy keeps, and handed to the same assembler
 * (src/report/assemble.ts) — so figures, statistics and verdicts have one implementation.
 *
 * Rounds of queries, each cheap, through one pool of a few queries in flight: which proxies ran
 * and their start times (one series per proxy); the raw start times of the few proxies that
 * restarted, started or stopped within the range; every count and the activity times; and the
 * minutes of the gateways that moved. The answer waits on that chain, so its queries go first;
 * identity, charts and the window's counts are asked at low priority and fill the idle slots.
 */
import { assembleGateways, assembleReport, type SegmentCounts } from '../report/assemble.js';
import { oneLookDecider } from '../report/decider.js';
import { emptyCounters } from '../report/figures.js';
import { DEFAULT_THRESHOLDS, type Thresholds } from '../report/recommend.js';
import type { GatewayReport, TransportReport } from '../report/types.js';
import type { MinutesByMeasure } from '../report/verdict.js';
import { isGatewayPool } from '../vocabulary.js';
import {
  activityFromCheckpoints, activityFromRules, activitySeriesQuery, checkpointCount, checkpointQuery, checkpointTimes, ruleQueries,
  RULES_INTERVAL_SECONDS, type Activity,
} from './activity.js';
import { FleetError, type InstantSample, type PromClient, type RangeSeries } from './client.js';
import { QueryPool } from './pool.js';
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
  const pool = new QueryPool(CONCURRENCY);
  const nowS = now / 1000;

  const startedAt = now - rangeSeconds * 1000;
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
  // A range no longer than the window starts where the window does: one question for both.
  const sameStart = windowStart === rangeStart;
  const round1 = Promise.all([
    pool.run(() => ask.series('targets.seen', q.start, startedAt)),
    pool.run(() => ask.vector('targets.now', q.start)),
    pool.run(() => ask.vector('targets.atRangeStart', q.start, rangeStart)),
    sameStart ? Promise.resolve([]) : pool.run(() => ask.vector('targets.atWindowStart', q.start, windowStart)),
    pool.run(() => ask.vector('activity.rulesSince', rules.since)),
  ]);
  // Off the chain the answer waits on, asked now at low priority: identity, online state, charts.
  const info = pool.run(() => ask.vector('gatewayInfo', q.gatewayInfo), 'later');
  const online = pool.run(() => ask.vector('gatewayOnline', q.gatewayOnline), 'later');
  const charts = handled(Promise.all([
    pool.run(() => ask.matrix('chart.counts', q.charts.counts), 'later'), pool.run(() => ask.matrix('chart.errors', q.charts.errors), 'later'),
  ]).then(([counts, errors]) => ({ counts, errors })));

  const [seen, startNow, atRange, atWindow, since] = await round1;
  const plan = planTargets(seen, startNow, atRange, sameStart ? atRange : atWindow);
  const rulesSince = since[0]?.value;
  const useRules = rulesSince !== undefined && Number.isFinite(rulesSince) && rulesSince <= nowS - rangeSeconds;

  // Activity times, urgent: the transport-change times, which the minutes of the moved gateways need.
  let resolution = RULES_INTERVAL_SECONDS;
  let activityAnswer: Promise<Activity>;
  if (useRules) {
    activityAnswer = handled(Promise.all([
      pool.run(() => ask.vector('activity.first', rules.first)),
      pool.run(() => ask.vector('activity.last', rules.last)),
      pool.run(() => ask.vector('activity.lastEvent', rules.lastEvent)),
    ]).then(([first, last, lastEvent]) => activityFromRules(first, last, lastEvent)));
  } else {
    // How many raw series a checkpoint reads sets how many checkpoints fit the budget.
    const activitySeries = await pool.run(() => ask.vector('activity.series', activitySeriesQuery(m)));
    const intervals = checkpointCount(activitySeries[0]?.value ?? 0);
    resolution = rangeSeconds / intervals;
    const times = checkpointTimes(now, rangeSeconds, intervals);
    const query = checkpointQuery(m);
    activityAnswer = handled(Promise.all(times.map((t, j) => pool.run(() => ask.vector(`activity.checkpoint${j}`, query, t))))
      .then((checkpoints) => activityFromCheckpoints(times, checkpoints)));
  }

  // Round 2: the processes of the proxies that did not run one process through the range.
  const lines = plan.timeline.length === 0 ? new Map<string, never>() : timelines(
    (await Promise.all(chunks(plan.timeline, PROXIES_PER_QUERY).map((group) => pool.run(() =>
      ask.matrix('targets.timeline', timelineQuery(m, [...new Set(group.map((t) => t.labels.instance ?? ''))], rangeSeconds + LOOKBACK_SECONDS)))))).flat(),
    plan.timeline,
  );
  const excluded = [...new Set(plan.timeline.map((t) => t.labels.instance ?? ''))];

  // Round 3: the sums at the end and at each period's start, each its own query at its own time
  // and one per family (no query holds every series of the fleet at once, which is what sets
  // Prometheus' peak memory), and the segments of the restarted proxies. The range's are urgent
  // (the moved gateways come from them), the window's fill idle slots. Two periods asking the
  // same sums at the same instant (a restarted proxy's process still running at the end) share
  // one query.
  const asks = new Map<string, Promise<InstantSample[]>>();
  const sumsAt = (name: string, expr: string, at: number | undefined, priority: 'urgent' | 'later'): Promise<InstantSample[]> => {
    const k = `${at ?? ''} ${expr}`;
    let answer = asks.get(k);
    if (answer === undefined) asks.set(k, (answer = pool.run(() => ask.vector(name, expr, at), priority)));
    return answer;
  };
  const instantSums = (instant: 'end' | 'rangeStart' | 'windowStart', at: number | undefined, priority: 'urgent' | 'later'): Promise<InstantSample[]> =>
    Promise.all(Object.entries(COUNTER_FAMILIES).map(([name, family]) => sumsAt(`counts.${instant}.${name}`, sumsQuery(m, excluded, { [name]: family }), at, priority)))
      .then((answers) => answers.flat());
  const restartedSums = (period: 'range' | 'window', seconds: number, priority: 'urgent' | 'later') => {
    const terms = [...lines.values()].flatMap((l) => segmentTerms(l.target, l.processes, nowS - seconds, nowS, plan.lookups(l.target.key, period)));
    const signs = { plus: [] as Array<Promise<InstantSample[]>>, minus: [] as Array<Promise<InstantSample[]>> };
    for (const [t, { plus, minus }] of instantsOf(terms)) {
      for (const [sign, targets] of [['plus', plus], ['minus', minus]] as const) {
        for (const group of chunks(targets, PROXIES_PER_QUERY)) signs[sign].push(sumsAt(`counts.${period}.restarted`, targetSumsQuery(m, group), t * 1000, priority));
      }
    }
    return Promise.all([Promise.all(signs.plus), Promise.all(signs.minus)]).then(([plus, minus]) => ({ plus: plus.flat(), minus: minus.flat() }));
  };
  const endSums = instantSums('end', undefined, 'urgent');
  const rangeRowsAnswer = handled(Promise.all([endSums, instantSums('rangeStart', rangeStart, 'urgent'), restartedSums('range', rangeSeconds, 'urgent')])
    .then(([end, start, segments]) => rowsOf(end, start, segments)));
  const windowRowsAnswer = handled(Promise.all([endSums, sameStart ? null : instantSums('windowStart', windowStart, 'later'), restartedSums('window', windowSeconds, 'later')])
    .then(([end, start, segments]) => ({ end, start, segments })));

  // Round 4, only when gateways changed transport in the range: the before/after verdicts' minutes
  // of those gateways (minutes.ts: the one query that steps through time, bounded per query). The
  // counts decide which gateways moved and when, but the activity times, which come first, name
  // them too (active under two transports within the range): their minutes are asked at once,
  // alongside the counts. A gateway the counts show moved that the activity times missed, or
  // placed elsewhere (a move within the last minute), gets its minutes in a second round.
  const activity = await activityAnswer;
  // Each moved gateway's look-back: its time since the move (give or take the activity times'
  // resolution) and as long before it.
  const spanOf = (movedAt: number): number => changeSpan((now - movedAt) / 1000 + resolution, rangeSeconds);
  const minutesOf = (moves: ReadonlyMap<string, number>): Promise<MinuteAnswers> => handled((async () => {
    if (moves.size === 0) return { minutes: new Map(), queries: 0, widths: [] };
    const changed = [...moves.keys()];
    const spans = new Map(changed.map((gateway) => [gateway, spanOf(moves.get(gateway) ?? startedAt)]));
    const series = await pool.run(() => ask.series('minutes.series', minuteSeriesSelector(m, changed), startedAt));
    const planned = planMinuteQueries(m, series, spans, options.minuteSeconds ?? null);
    const answers = await Promise.all(planned.map((p) => pool.run(async () => ({ ...p, rows: await ask.matrix(`minutes.${p.family}`, p.query) }))));
    return { minutes: changeMinutes(answers, nowS), queries: planned.length, widths: planned.map((p) => p.bucketSeconds) };
  })());
  const hinted = movesFromActivity(activity, startedAt, now);
  const early = minutesOf(hinted);

  const rangeRows = await rangeRowsAnswer;
  const range = period(rangeRows);
  const moves = movedGateways(assembleSegments(range, rangeRows, null, activity, startedAt, now).segments);
  const missed = new Map([...moves].filter(([gateway, at]) => !hinted.has(gateway) || spanOf(hinted.get(gateway) ?? at) !== spanOf(at)));
  const minutesAnswer = Promise.all([early, minutesOf(missed)]).then(([a, b]) => {
    const gatewayOf = (k: string): string => k.slice(0, k.indexOf('\u0000'));
    return {
      // Only the gateways that moved (the activity times may name one whose counts did not), each from one round.
      minutes: new Map([...[...a.minutes].filter(([k]) => moves.has(gatewayOf(k)) && !missed.has(gatewayOf(k))), ...b.minutes]),
      queries: a.queries + b.queries,
      widths: [...new Set([...a.widths, ...b.widths])].sort((x, y) => x - y),
    };
  });

  const [windowAnswers, minutes] = await Promise.all([windowRowsAnswer, minutesAnswer]);
  const windowRows = rowsOf(windowAnswers.end, windowAnswers.start ?? rangeRows.start, windowAnswers.segments);
  const window = period(windowRows);
  const { segments, transportProbeCounts } = assembleSegments(range, rangeRows, { period: window, rows: windowRows }, activity, startedAt, now);
  for (const seg of segments) seg.minutes = minutes.minutes.get(segmentKey(seg.gateway, seg.transport)) ?? seg.minutes;
  const [infoRows, onlineRows, chartRows] = await Promise.all([info, online, charts]);

  const snapshot = fleetSnapshot(segments, infoRows, onlineRows, activity.lastEvent);
  const transportCounts = new Map<string, { window: Float64Array; totals: Float64Array }>();
  for (const [transport, totals] of range.transports) {
    if (!anyCount(totals)) continue;
    transportCounts.set(transport, { totals, window: window.transports.get(transport) ?? emptyCounters() });
  }
  const chartsByTransport = chartCounts(chartRows, now, windowSeconds, bucketSeconds);
  const fleetPlan: FleetPlan = {
    activity: useRules ? 'recording rules' : 'raw series',
    activityResolutionSeconds: resolution,
    rulesSince: rulesSince !== undefined && Number.isFinite(rulesSince) && !useRules ? rulesSince * 1000 : null,
    restartedProxies: lines.size,
    changedGateways: moves.size,
    minuteQueries: minutes.queries,
    minuteSeconds: minutes.widths,
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
  const counts = { range: rangeRows.rows, window: windowRows.rows };
  return { report: assembleReport(input), gateways: assembleGateways(input), proxies, source, plan: fleetPlan, counts };
}

/** One period's increments of every family, and the start sums they were taken from (the window reuses the range's when both start together). */
interface PeriodRows {
  rows: Record<CounterName, InstantSample[]>;
  start: InstantSample[];
}

/** Every family's increments: the sums at the end minus at the period's start, plus the restarted proxies' segments. */
function rowsOf(end: readonly InstantSample[], start: InstantSample[], segments: { plus: InstantSample[]; minus: InstantSample[] }): PeriodRows {
  const rows = {} as Record<CounterName, InstantSample[]>;
  for (const [name, family] of Object.entries(COUNTER_FAMILIES) as Array<[CounterName, (typeof COUNTER_FAMILIES)[CounterName]]>) {
    rows[name] = familyIncrements(family, [[end, start], [segments.plus, segments.minus]]);
  }
  return { rows, start };
}

function period(rows: PeriodRows): Period {
  const p = new Period();
  p.fill(rows.rows);
  return p;
}

/**
 * The segments (gateway × transport with any count or probe in the range), first seen first as
 * the running proxy orders them, and the per-transport probe counts. Without the window (null)
 * their window counts are empty: enough to tell which gateways moved and when.
 */
function assembleSegments(
  range: Period, rangeRows: PeriodRows, window: { period: Period; rows: PeriodRows } | null, activity: Activity, startedAt: number, now: number,
): { segments: SegmentCounts[]; transportProbeCounts: ReturnType<typeof mergeFleetProbes> } {
  const segments: SegmentCounts[] = [];
  for (const [k, { gateway, transport, c }] of range.segments) {
    if (!anyCount(c)) continue;
    // A count with no activity time behind it grew after the last step or rule evaluation: it
    // happened just now.
    const first = Math.max(startedAt, activity.first.get(k) ?? now);
    segments.push({
      gateway, transport, firstAt: first, lastAt: Math.min(now, Math.max(first, activity.last.get(k) ?? now)),
      window: window?.period.segments.get(k)?.c ?? emptyCounters(), totals: c,
    });
  }
  const probeRows = (rows: Record<CounterName, InstantSample[]> | null) => ({
    probes: rows?.probes ?? [], probesOffline: rows?.probesOffline ?? [], probeRtt: rows?.probeRtt ?? [],
  });
  const transportProbeCounts = mergeFleetProbes(segments, fleetProbes({ range: probeRows(rangeRows.rows), window: probeRows(window?.rows.rows ?? null) }, activity, startedAt, now));
  segments.sort((a, b) => a.firstAt - b.firstAt || a.gateway.localeCompare(b.gateway) || a.transport.localeCompare(b.transport));
  return { segments, transportProbeCounts };
}

/** The gateways with segments under more than one transport, in order, each with when its latest transport was first seen (unix ms). */
function movedGateways(segments: readonly SegmentCounts[]): Map<string, number> {
  const bySegments = new Map<string, { n: number; at: number }>();
  for (const seg of segments) {
    const g = bySegments.get(seg.gateway);
    bySegments.set(seg.gateway, { n: (g?.n ?? 0) + 1, at: Math.max(g?.at ?? 0, seg.firstAt) });
  }
  return movesOf(bySegments);
}

/** The gateways (no pools) seen under more than one transport, in order, with when they moved. */
function movesOf(bySegments: ReadonlyMap<string, { n: number; at: number }>): Map<string, number> {
  const moved = [...bySegments].filter(([gateway, g]) => g.n > 1 && !isGatewayPool(gateway)).map(([gateway, g]) => [gateway, g.at] as const);
  return new Map(moved.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The minutes of some moved gateways (keyed `gateway\0transport`), the queries asked and their bucket widths. */
interface MinuteAnswers {
  minutes: Map<string, MinutesByMeasure>;
  queries: number;
  widths: number[];
}

/**
 * The gateways the activity times show active under more than one transport within the range,
 * each with when its latest transport was first active (unix ms): as `movedGateways` finds them
 * from the counts, but known before the counts are.
 */
function movesFromActivity(activity: Activity, startedAt: number, now: number): Map<string, number> {
  const byGateway = new Map<string, { n: number; at: number }>();
  for (const [k, last] of activity.last) {
    if (last < startedAt) continue;
    const gateway = k.slice(0, k.indexOf('\u0000'));
    const g = byGateway.get(gateway);
    byGateway.set(gateway, { n: (g?.n ?? 0) + 1, at: Math.max(g?.at ?? 0, Math.max(startedAt, activity.first.get(k) ?? now)) });
  }
  return movesOf(byGateway);
}

/** `answer`, marked handled: a failure surfaces where it is awaited, not as an unhandled rejection before that. */
function handled<T>(answer: Promise<T>): Promise<T> {
  answer.catch(() => undefined);
  return answer;
}
