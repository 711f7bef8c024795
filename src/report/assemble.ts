/**
 * The pure half of the report: `/api/gateways` and `/api/report` assembled from counts, with no
 * clock, no ring buffers and no I/O. Every source of counts goes through here, so figures,
 * statistics and verdicts have one implementation: the running proxy hands in its segment
 * store's segments (build.ts), the fleet report hands in counts it queried from Prometheus (src/fleet/).
 */
import { TRANSPORT_LABELS, isGatewayPool } from '../vocabulary.js';
import { addCounters, emptyCounters, emptyProbeCounters, toFigures, toProbeFigures } from './figures.js';
import { compareAcErrors } from './ac-errors.js';
import type { Decider } from './decider.js';
import {
  changeVerdict, kindsOf, lookReport, outagesOf, probeTallyOf, recommendation, talliesOf, transportComparison, type Tallies,
} from './recommend.js';
import type { GatewayEvidence, MinutesByMeasure } from './verdict.js';
import type {
  GatewayReport, ProbePeriods, Recommendation, TransportChange, TransportFigures, TransportReport, TransportSeries,
} from './types.js';

/**
 * What is known about a gateway besides its counts, as the gateway state (or the fleet's
 * Prometheus) knows it when a report is asked: the one shape between a gateway's record and its
 * report entry. Identity comes from the AC, so it is untrusted text; times stay ms since epoch
 * until they are rendered. null: not known.
 */
export interface GatewaySnapshotEntry {
  /** Normalised MAC (the `gateway` label). */
  mac: string;
  transport: string;
  name: string | null;
  model: string | null;
  version: string | null;
  online: boolean | null;
  /** When the online state was first learned or last changed. */
  onlineChangedAt: number | null;
  lastEventAt: number | null;
}

/**
 * The counts of one gateway label while it used one transport (a "segment" of the running proxy's store). Counter
 * arrays use the FIELDS layout of ring.ts (`F.requests`, …, the time-to-headers bins).
 */
export interface SegmentCounts {
  gateway: string;
  transport: string;
  /** ms timestamps of the first and latest thing counted under this transport. */
  firstAt: number;
  lastAt: number;
  /** Counters over the window (the last `windowSeconds`). */
  window: Float64Array;
  /** Counters over the whole period the report covers ("since start"). */
  totals: Float64Array;
  /** Per-minute sums of each verdict measure over that period, when the source has them (before/after verdicts). */
  minutes?: MinutesByMeasure;
  /** 502/504s of a run not yet decided outage or link loss (the running proxy knows; 0 otherwise). */
  undecided?: number;
  /** The proxy's own probes of this gateway under this transport (PROBE_FIELDS layout of ring.ts); absent when never probed. */
  probes?: PeriodCounts;
}

/** Counters over the window and over the whole period, of one layout. */
export interface PeriodCounts {
  window: Float64Array;
  totals: Float64Array;
}

/** Per-bucket counts of one transport over the window, oldest first, all arrays the same length. */
export interface SeriesCounts {
  /** ms time of the first bucket's start. */
  start: number;
  requests: number[];
  errors: number[];
  /** sequenced + missing. */
  lossDenominator: number[];
  missing: number[];
}

/** Everything a report is assembled from. */
export interface ReportInput {
  /** ms times. */
  generatedAt: number;
  startedAt: number;
  windowSeconds: number;
  bucketSeconds: number;
  /** Segments in the order they were first seen (ties in the recommendations keep this order). */
  segments: readonly SegmentCounts[];
  snapshot: readonly GatewaySnapshotEntry[];
  /** Decides the verdicts: at looks (the running proxy) or once (the fleet report). */
  decider: Decider;
  /** The chart series of one transport; empty series when absent. */
  series(transport: string): SeriesCounts | undefined;
  /**
   * Per-transport counters when the source knows more than the sum of its segments (Prometheus
   * splits 502/504 by origin and keeps the latency histogram per transport, not per gateway).
   * Default: the sum of the transport's segments.
   */
  transportCounts?: ReadonlyMap<string, PeriodCounts>;
  /**
   * Per-transport probe counters when the source knows more than the sum of its segments
   * (Prometheus keeps the probe round-trip histogram per transport only). Default: the sum.
   */
  transportProbeCounts?: ReadonlyMap<string, PeriodCounts>;
  /** Overrides `method.basis` (what "since start" means for this source). */
  basis?: string;
}

/** Transports in the vocabulary's order, any other value after them. */
const transportRank = (t: string): number => {
  const i = (TRANSPORT_LABELS as readonly string[]).indexOf(t);
  return i < 0 ? TRANSPORT_LABELS.length : i;
};
const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null | undefined): string | null => (ms == null ? null : iso(ms));

const DEFAULT_BASIS =
  'since start: CAPWAP gateways against MQTT gateways, each gateway one observation, outages apart; ' +
  'before/after: the gateway\'s minutes under its previous transport against its current one';

const METHOD_TEST =
  'transport: Student\'s t on gateways\' log failure rates (CAPWAP vs MQTT), then each CAPWAP gateway against a prediction ' +
  'bound for one more MQTT gateway; before/after: quasi-binomial t over minutes; decided at looks 30 s, 1 min, 2 min, … after ' +
  'the start, look j at α·0.2·0.8^(j−1), shared among the measures (docs/verdicts.md)';

/** The segment a gateway is on now: the snapshot's transport, else the most recently active. */
function currentSegment(segs: readonly SegmentCounts[], transport: string | undefined): SegmentCounts | undefined {
  const named = segs.find((s) => s.transport === transport);
  if (named) return named;
  return segs.reduce<SegmentCounts | undefined>((best, s) => (best === undefined || s.lastAt > best.lastAt ? s : best), undefined);
}

function snapshotByMac(snapshot: readonly GatewaySnapshotEntry[]): Map<string, GatewaySnapshotEntry> {
  const map = new Map<string, GatewaySnapshotEntry>();
  for (const entry of snapshot) map.set(entry.mac, entry);
  return map;
}

function byGateway(segments: readonly SegmentCounts[]): Map<string, SegmentCounts[]> {
  const map = new Map<string, SegmentCounts[]>();
  for (const s of segments) {
    const list = map.get(s.gateway);
    if (list === undefined) map.set(s.gateway, [s]);
    else list.push(s);
  }
  return map;
}

/** Probe figures of segments summed (or of `given` counters, when the source has them). */
function probePeriods(segs: readonly SegmentCounts[], given?: PeriodCounts): ProbePeriods {
  const win = emptyProbeCounters();
  const total = emptyProbeCounters();
  if (given !== undefined) {
    addCounters(win, given.window);
    addCounters(total, given.totals);
  } else {
    for (const s of segs) {
      if (s.probes === undefined) continue;
      addCounters(win, s.probes.window);
      addCounters(total, s.probes.totals);
    }
  }
  return { window: toProbeFigures(win), sinceStart: toProbeFigures(total) };
}

/** Per-gateway figures, sorted by gateway label. */
export function assembleGateways(input: Pick<ReportInput, 'segments' | 'snapshot'>): GatewayReport[] {
  const snap = snapshotByMac(input.snapshot);
  const all = byGateway(input.segments);
  const keys = [...new Set([...all.keys(), ...snap.keys()])].sort();
  return keys.map((gateway) => {
    const segs = all.get(gateway) ?? [];
    const info = snap.get(gateway);
    const win = emptyCounters();
    const total = emptyCounters();
    for (const s of segs) {
      addCounters(win, s.window);
      addCounters(total, s.totals);
    }
    return {
      gateway,
      transport: info?.transport ?? currentSegment(segs, undefined)?.transport ?? 'unknown',
      name: info?.name ?? null,
      model: info?.model ?? null,
      version: info?.version ?? null,
      online: info?.online ?? null,
      onlineChangedAt: isoOrNull(info?.onlineChangedAt),
      lastEventAt: isoOrNull(info?.lastEventAt),
      window: toFigures(win),
      sinceStart: toFigures(total),
      probes: probePeriods(segs),
      transports: [...segs]
        .sort((a, b) => a.firstAt - b.firstAt)
        .map((s) => ({ transport: s.transport, firstAt: iso(s.firstAt), lastAt: iso(s.lastAt) })),
    };
  });
}

/** Rates per bucket from the counts (null where a bucket has no denominator). */
export function seriesFigures(counts: SeriesCounts, bucketSeconds: number): TransportSeries {
  return {
    start: iso(counts.start),
    bucketSeconds,
    requests: counts.requests,
    errors: counts.errors,
    errorRate: counts.requests.map((req, i) => (req > 0 ? (counts.errors[i] ?? 0) / req : null)),
    lossDenominator: counts.lossDenominator,
    missing: counts.missing,
    lossRatio: counts.lossDenominator.map((den, i) => (den > 0 ? (counts.missing[i] ?? 0) / den : null)),
  };
}

/** The transport comparison, recommendations and before/after comparisons. */
export function assembleReport(input: ReportInput): TransportReport {
  const snap = snapshotByMac(input.snapshot);
  const all = byGateway(input.segments);

  const byTransport = new Map<string, SegmentCounts[]>();
  const current = new Map<string, SegmentCounts | undefined>();
  for (const [gateway, segs] of all) {
    current.set(gateway, currentSegment(segs, snap.get(gateway)?.transport));
    for (const s of segs) {
      const list = byTransport.get(s.transport) ?? [];
      list.push(s);
      byTransport.set(s.transport, list);
    }
  }
  const onTransport = new Map<string, number>();
  for (const gateway of new Set([...all.keys(), ...snap.keys()])) {
    const t = snap.get(gateway)?.transport ?? current.get(gateway)?.transport ?? 'unknown';
    onTransport.set(t, (onTransport.get(t) ?? 0) + 1);
  }

  const names = [...new Set([
    ...byTransport.keys(), ...onTransport.keys(), ...(input.transportCounts?.keys() ?? []), ...(input.transportProbeCounts?.keys() ?? []),
  ])]
    .sort((a, b) => transportRank(a) - transportRank(b) || a.localeCompare(b));
  const buckets = Math.max(0, Math.round(input.windowSeconds / input.bucketSeconds));
  const emptySeries = (): SeriesCounts => ({
    start: input.generatedAt - input.windowSeconds * 1000,
    requests: new Array<number>(buckets).fill(0),
    errors: new Array<number>(buckets).fill(0),
    lossDenominator: new Array<number>(buckets).fill(0),
    missing: new Array<number>(buckets).fill(0),
  });
  const transports: TransportFigures[] = names.map((transport) => {
    let win = emptyCounters();
    let total = emptyCounters();
    const given = input.transportCounts?.get(transport);
    if (given !== undefined) {
      win = given.window;
      total = given.totals;
    } else {
      for (const s of byTransport.get(transport) ?? []) {
        addCounters(win, s.window);
        addCounters(total, s.totals);
      }
    }
    return {
      transport, gateways: onTransport.get(transport) ?? 0,
      window: toFigures(win), sinceStart: toFigures(total),
      probes: probePeriods(byTransport.get(transport) ?? [], input.transportProbeCounts?.get(transport)),
      series: seriesFigures(input.series(transport) ?? emptySeries(), input.bucketSeconds),
    };
  });

  const { decider } = input;
  const policy = decider.policy;
  // The verdicts' evidence: each gateway's current segment, since start, outages apart.
  const evidence: GatewayEvidence[] = [];
  const talliesByGateway = new Map<string, Tallies>();
  for (const [gateway, cur] of current) {
    if (isGatewayPool(gateway) || cur === undefined) continue;
    const tallies = talliesOf(cur.totals, probeTallyOf(cur.probes?.totals), cur.undecided);
    talliesByGateway.set(gateway, tallies);
    evidence.push({ gateway, transport: cur.transport, tallies, kinds: kindsOf(cur.totals) });
  }
  const mqtt = evidence.filter((e) => e.transport === 'mqtt').map((e) => e.tallies);
  const decided = decider.transport(evidence, input.generatedAt);

  const recommendations: Recommendation[] = [];
  const transportChanges: TransportChange[] = [];
  for (const [gateway, segs] of all) {
    if (isGatewayPool(gateway)) continue;
    const cur = current.get(gateway);
    if (cur === undefined) continue;
    const name = snap.get(gateway)?.name ?? null;
    if (cur.transport === 'capwap') {
      recommendations.push(recommendation({
        gateway, name, tallies: talliesByGateway.get(gateway) ?? {}, outages: outagesOf(cur.totals), mqtt,
        decided: decided === null ? null : { decision: decided.verdicts.gateways.get(gateway), tests: decided.verdicts.transport, look: decided.look },
        firstLookAt: decided === null ? decider.firstLookAt(input.startedAt) : null,
      }, policy));
    }
    const previous = segs
      .filter((s) => s !== cur)
      .reduce<SegmentCounts | undefined>((best, s) => (best === undefined || s.lastAt > best.lastAt ? s : best), undefined);
    if (previous !== undefined) {
      const changed = decider.change(gateway, cur.firstAt, previous.minutes ?? {}, cur.minutes ?? {}, input.generatedAt);
      transportChanges.push({
        gateway, name, from: previous.transport, to: cur.transport, changedAt: iso(cur.firstAt),
        before: toFigures(previous.totals), after: toFigures(cur.totals),
        ...changeVerdict({
          before: talliesOf(previous.totals, probeTallyOf(previous.probes?.totals), previous.undecided),
          after: talliesOf(cur.totals, probeTallyOf(cur.probes?.totals), cur.undecided), decided: changed,
          firstLookAt: changed === null ? decider.firstLookAt(cur.firstAt) : null,
        }),
      });
    }
  }
  const rank = { move_to_mqtt: 0, no_clear_benefit: 1, insufficient_data: 2 } as const;
  recommendations.sort((a, b) => rank[a.verdict] - rank[b.verdict] || (b.errors.a.rate ?? 0) - (a.errors.a.rate ?? 0));
  transportChanges.sort((a, b) => a.gateway.localeCompare(b.gateway));

  return {
    generatedAt: iso(input.generatedAt),
    startedAt: iso(input.startedAt),
    windowSeconds: input.windowSeconds,
    bucketSeconds: input.bucketSeconds,
    transports,
    recommendations,
    transportChanges,
    transportComparison: transportComparison(decided?.verdicts.transport ?? []),
    acErrors: compareAcErrors(transports, decided?.verdicts.kinds ?? null),
    method: {
      test: METHOD_TEST,
      alpha: policy.alpha,
      minRequests: policy.minTrials.errors,
      minSequenced: policy.minTrials.loss,
      minProbes: policy.minTrials.probes,
      minRatio: policy.minRatio,
      selection: policy.selection,
      basis: input.basis ?? DEFAULT_BASIS,
      look: lookReport(decided?.look ?? null),
      firstLookAt: decided === null ? isoOrNull(decider.firstLookAt(input.startedAt)) : null,
    },
  };
}
