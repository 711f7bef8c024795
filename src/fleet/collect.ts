/**
 * The fleet report: counts queried from Prometheus across every proxy the selector matches,
 * turned into the same segment counts the running proxy keeps, and handed to the same assembler
 * (src/report/assemble.ts) — so figures, tests, thresholds and verdicts have one implementation.
 */
import { assembleGateways, assembleReport, type GatewaySnapshotEntry, type SegmentCounts, type SeriesCounts } from '../report/assemble.js';
import { emptyCounters } from '../report/figures.js';
import { oneLookDecider } from '../report/decider.js';
import { DEFAULT_THRESHOLDS, type Thresholds } from '../report/recommend.js';
import { F, HEADERS_BOUNDS_MS, acErrorField, errorField } from '../report/ring.js';
import type { GatewayReport, TransportReport } from '../report/types.js';
import { AC_ERRORS, NO_GATEWAY, NO_TRANSPORT, isGatewayPool, type AcError } from '../vocabulary.js';
import { FleetError, type InstantSample, type PromClient, type RangeSeries } from './client.js';
import { collectFleetProbes, mergeFleetProbes } from './probes.js';
import { changeMinutes } from './minutes.js';
import { fleetQueries, selectorMatchers, type CounterName } from './queries.js';

/** The window (the status page's "last 15 minutes") is the end of the range, at most this long. */
export const FLEET_WINDOW_SECONDS = 900;
/** Buckets of the chart series over the window. */
export const FLEET_SERIES_BUCKETS = 30;
/** Queries in flight at once: enough to be quick, few enough not to load a busy Prometheus. */
const CONCURRENCY = 4;

export interface FleetOptions {
  client: PromClient;
  selector: string;
  rangeSeconds: number;
  /** Evaluation time (unix ms): the client's. */
  now: number;
  thresholds?: Thresholds;
  /** Width of the before/after verdict's buckets in seconds (default 60; never below the scrape interval). */
  minuteSeconds?: number;
}

/** What a fleet report is: the `/api/report` and `/api/gateways` documents, and where they came from. */
export interface FleetReport {
  report: TransportReport;
  gateways: GatewayReport[];
  /** build_info series within the range: one per proxy process. */
  proxies: number;
  source: { prometheus: string; selector: string; rangeSeconds: number };
}

/** Window and bucket sizes for a range: 30 buckets over min(range, 15 min). */
export function windowFor(rangeSeconds: number): { windowSeconds: number; bucketSeconds: number } {
  const window = Math.min(FLEET_WINDOW_SECONDS, rangeSeconds);
  const bucketSeconds = Math.max(1, Math.floor(window / FLEET_SERIES_BUCKETS));
  return { windowSeconds: bucketSeconds * Math.max(1, Math.floor(window / bucketSeconds)), bucketSeconds };
}

/** Runs `tasks` with at most `limit` at once; the first failure rejects (the rest are left to finish). */
async function limited<T>(tasks: Array<() => Promise<T>>, limit: number): Promise<T[]> {
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

const key = (gateway: string, transport: string): string => `${gateway}\u0000${transport}`;
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
class Period {
  readonly segments = new Map<string, { gateway: string; transport: string; c: Float64Array }>();
  readonly transports = new Map<string, Float64Array>();

  seg(gateway: string, transport: string): Float64Array {
    const k = key(gateway, transport);
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
  fill(rows: Record<CounterName, InstantSample[]>): void {
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
        const k = `${key(gateway, transport)}\u0000${code}`;
        perCode.set(k, (perCode.get(k) ?? 0) + v);
      }
    }
    for (const { metric, value } of rows.gatewayErrors) {
      const { gateway = '', transport = 'unknown', code, origin = 'upstream' } = metric;
      const slot = errorSlot(code, origin);
      const k = `${key(gateway, transport)}\u0000${code}`;
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

const anyCount = (c: Float64Array): boolean => c.some((v) => v > 0);

/** Series counts of every transport from the four matrix answers. */
function seriesCounts(
  answers: Record<'requests' | 'errors' | 'sequenced' | 'missing', RangeSeries[]>,
  now: number, windowSeconds: number, bucketSeconds: number,
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
  const put = (rows: RangeSeries[], pick: (s: SeriesCounts) => number[][]): void => {
    for (const { metric, values } of rows) {
      const arrays = pick(of(metric.transport ?? 'unknown'));
      for (const [t, v] of values) {
        const i = Math.round((t - first) / bucketSeconds);
        if (i < 0 || i >= n) continue;
        for (const a of arrays) a[i] = (a[i] ?? 0) + finite(v);
      }
    }
  };
  put(answers.requests, (s) => [s.requests]);
  put(answers.errors, (s) => [s.errors]);
  put(answers.sequenced, (s) => [s.lossDenominator]);
  put(answers.missing, (s) => [s.missing, s.lossDenominator]);
  return out;
}

/** Queries Prometheus and assembles the fleet's report. */
export async function collectFleet(options: FleetOptions): Promise<FleetReport> {
  const { client, selector, rangeSeconds, now } = options;
  const { windowSeconds, bucketSeconds } = windowFor(rangeSeconds);
  const q = fleetQueries(selector, rangeSeconds, windowSeconds, bucketSeconds);
  const source = { prometheus: client.where, selector, rangeSeconds };

  // One query first: an unreachable Prometheus or a rejected selector fails once, not 27 times.
  const proxies = (await client.vector(q.proxies))[0]?.value ?? 0;
  if (proxies === 0 && ((await client.vector(q.present))[0]?.value ?? 0) === 0) {
    throw new FleetError(`no cassia_proxy_ series at ${client.where} for selector ${selector}`, 1);
  }

  const countNames = Object.keys(q.counts);
  const seriesNames = ['requests', 'errors', 'sequenced', 'missing'] as const;
  const tasks: Array<() => Promise<InstantSample[] | RangeSeries[]>> = [
    ...countNames.map((name) => () => client.vector(q.counts[name] as string)),
    () => client.vector(q.firstActive),
    () => client.vector(q.lastActive),
    () => client.vector(q.gatewayInfo),
    () => client.vector(q.gatewayOnline),
    ...seriesNames.map((name) => () => client.matrix(q.series[name])),
  ];
  const answers = await limited(tasks, CONCURRENCY);
  const counts = new Map(countNames.map((name, i) => [name, answers[i] as InstantSample[]]));
  let at = countNames.length;
  const firstActive = answers[at++] as InstantSample[];
  const lastActive = answers[at++] as InstantSample[];
  const info = answers[at++] as InstantSample[];
  const online = answers[at++] as InstantSample[];
  const series = Object.fromEntries(seriesNames.map((name) => [name, answers[at++] as RangeSeries[]])) as Record<(typeof seriesNames)[number], RangeSeries[]>;

  const period = (prefix: 'range' | 'window'): Period => {
    const p = new Period();
    const rows = {} as Record<CounterName, InstantSample[]>;
    for (const [name, samples] of counts) if (name.startsWith(`${prefix}.`)) rows[name.slice(prefix.length + 1) as CounterName] = samples;
    p.fill(rows);
    return p;
  };
  const range = period('range');
  const window = period('window');

  const startedAt = now - rangeSeconds * 1000;
  const firstAt = new Map<string, number>();
  const lastAt = new Map<string, number>();
  const lastEventAt = new Map<string, number>();
  for (const { metric, value } of firstActive) {
    const k = key(metric.gateway ?? '', metric.transport ?? 'unknown');
    if (Number.isFinite(value)) firstAt.set(k, Math.min(firstAt.get(k) ?? Infinity, value * 1000));
  }
  for (const { metric, value } of lastActive) {
    if (!Number.isFinite(value)) continue;
    const k = key(metric.gateway ?? '', metric.transport ?? 'unknown');
    lastAt.set(k, Math.max(lastAt.get(k) ?? -Infinity, value * 1000));
    if ((metric.stream ?? '') !== '') {
      const g = metric.gateway ?? '';
      lastEventAt.set(g, Math.max(lastEventAt.get(g) ?? -Infinity, value * 1000));
    }
  }

  const segments: SegmentCounts[] = [];
  for (const [k, { gateway, transport, c }] of range.segments) {
    if (!anyCount(c)) continue;
    // A count with no step of the activity query behind it grew after the last step (steps are
    // aligned to multiples of the step, so up to one step before `now`): it happened just now.
    const first = Math.max(startedAt, firstAt.get(k) ?? now);
    segments.push({
      gateway, transport, firstAt: first, lastAt: Math.max(first, lastAt.get(k) ?? now),
      window: window.segments.get(k)?.c ?? emptyCounters(), totals: c,
    });
  }
  const transportProbeCounts = mergeFleetProbes(segments, await collectFleetProbes(client, selector, rangeSeconds, windowSeconds, now));
  // First seen first, as the running proxy orders its segments.
  segments.sort((a, b) => a.firstAt - b.firstAt || a.gateway.localeCompare(b.gateway) || a.transport.localeCompare(b.transport));

  // The before/after verdicts' minutes, for the few gateways that changed transport in the range.
  const perGateway = new Map<string, number>();
  for (const seg of segments) perGateway.set(seg.gateway, (perGateway.get(seg.gateway) ?? 0) + 1);
  const changed = [...perGateway].filter(([gateway, n]) => n > 1 && !isGatewayPool(gateway)).map(([gateway]) => gateway);
  const minutes = await changeMinutes(client, selectorMatchers(selector), changed, rangeSeconds, options.minuteSeconds ?? 60);
  for (const seg of segments) seg.minutes = minutes.get(key(seg.gateway, seg.transport)) ?? seg.minutes;

  const snapshot = fleetSnapshot(segments, info, online, lastEventAt);
  const transportCounts = new Map<string, { window: Float64Array; totals: Float64Array }>();
  for (const [transport, totals] of range.transports) {
    if (!anyCount(totals)) continue;
    transportCounts.set(transport, { totals, window: window.transports.get(transport) ?? emptyCounters() });
  }
  const charts = seriesCounts(series, now, windowSeconds, bucketSeconds);
  const input = {
    generatedAt: now,
    startedAt,
    windowSeconds,
    bucketSeconds,
    segments,
    snapshot,
    decider: oneLookDecider(options.thresholds ?? DEFAULT_THRESHOLDS),
    series: (transport: string) => charts.get(transport),
    transportCounts,
    transportProbeCounts,
    basis: 'over the range, every proxy the selector matches summed: CAPWAP gateways against MQTT gateways, each gateway one observation, ' +
      'outages apart; before/after: the gateway\'s minutes under its previous transport against its current one',
  };
  return { report: assembleReport(input), gateways: assembleGateways(input), proxies, source };
}

/**
 * What the fleet knows about each gateway besides its counts: identity and current transport from
 * gateway_info (when the proxies disagree on the transport, the most recently active one), online
 * from gateway_online (online when any proxy says so), the latest event from the activity query.
 */
function fleetSnapshot(
  segments: readonly SegmentCounts[], info: InstantSample[], online: InstantSample[], lastEventAt: Map<string, number>,
): GatewaySnapshotEntry[] {
  const latest = new Map<string, SegmentCounts>();
  for (const s of segments) {
    const best = latest.get(s.gateway);
    if (best === undefined || s.lastAt > best.lastAt) latest.set(s.gateway, s);
  }
  const entries = new Map<string, { transports: Set<string>; name?: string; model?: string; version?: string }>();
  for (const { metric } of info) {
    const gateway = metric.gateway;
    if (gateway === undefined || gateway === '') continue;
    const e = entries.get(gateway) ?? { transports: new Set<string>() };
    if (metric.transport) e.transports.add(metric.transport);
    if (metric.name) e.name ??= metric.name;
    if (metric.model) e.model ??= metric.model;
    if (metric.version) e.version ??= metric.version;
    entries.set(gateway, e);
  }
  const onlineOf = new Map<string, boolean>();
  for (const { metric, value } of online) {
    if (metric.gateway) onlineOf.set(metric.gateway, (onlineOf.get(metric.gateway) ?? false) || value > 0);
  }
  const macs = new Set([...entries.keys(), ...onlineOf.keys(), ...lastEventAt.keys()]);
  const out: GatewaySnapshotEntry[] = [];
  for (const mac of [...macs].sort()) {
    if (isGatewayPool(mac) || mac === '') continue;
    const e = entries.get(mac);
    const ts = e ? [...e.transports] : [];
    const transport = ts.length === 1 ? ts[0] : (latest.get(mac)?.transport ?? ts[0]);
    if (transport === undefined) continue;
    const last = lastEventAt.get(mac);
    const on = onlineOf.get(mac);
    // When the online state last changed is not among what the proxies export.
    out.push({
      mac, transport, name: e?.name ?? null, model: e?.model ?? null, version: e?.version ?? null,
      online: on ?? null, onlineChangedAt: null, lastEventAt: last ?? null,
    });
  }
  return out;
}
