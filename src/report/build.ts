/**
 * Assembles `/api/gateways` and `/api/report` from the recorder's segments and the gateway
 * snapshot. Runs on request (every few seconds at most), so it may allocate freely; its cost is
 * segments × window buckets × FIELDS.
 */
import { F, bucketAt, sumWindow, type Segment } from './ring.js';
import { addCounters, emptyCounters, toFigures } from './figures.js';
import { judgeChange, recommend, type Thresholds } from './recommend.js';
import type { Recorder } from './recorder.js';
import type {
  GatewayReport, Recommendation, TransportChange, TransportFigures, TransportReport, TransportSeries,
} from './types.js';

/** What the gateways module knows about a gateway (identity comes from the AC, so untrusted text). */
export interface GatewaySnapshotEntry {
  mac: string;
  transport: string;
  name?: string;
  model?: string;
  version?: string;
  online?: boolean;
  /** ms since epoch. */
  lastEventAt?: number;
}

/** Label values that are pools, not gateways: no recommendation for them. */
const NOT_A_GATEWAY = new Set(['none', 'other']);
const TRANSPORT_ORDER = ['capwap', 'mqtt', 'unknown', 'none'];
const transportRank = (t: string): number => {
  const i = TRANSPORT_ORDER.indexOf(t);
  return i < 0 ? TRANSPORT_ORDER.length : i;
};
const iso = (ms: number): string => new Date(ms).toISOString();

interface Ctx {
  recorder: Recorder;
  snapshot: () => GatewaySnapshotEntry[];
  thresholds: Thresholds;
  startedAt: number;
}

function windowEpochs(recorder: Recorder): { from: number; to: number } {
  const to = recorder.epochOf(recorder.now());
  return { from: to - recorder.buckets + 1, to };
}

/** The segment a gateway is on now: the snapshot's transport, else the most recently active. */
function currentSegment(segs: readonly Segment[], transport: string | undefined): Segment | undefined {
  const named = segs.find((s) => s.transport === transport);
  if (named) return named;
  return segs.reduce<Segment | undefined>((best, s) => (best === undefined || s.lastAt > best.lastAt ? s : best), undefined);
}

function snapshotByMac(ctx: Ctx): Map<string, GatewaySnapshotEntry> {
  const map = new Map<string, GatewaySnapshotEntry>();
  for (const entry of ctx.snapshot()) map.set(entry.mac.toUpperCase(), entry);
  return map;
}

/** Per-gateway figures, sorted by gateway label. */
export function buildGateways(ctx: Ctx): GatewayReport[] {
  const { from, to } = windowEpochs(ctx.recorder);
  const snap = snapshotByMac(ctx);
  const all = ctx.recorder.segments();
  const keys = [...new Set([...all.keys(), ...snap.keys()])].sort();
  return keys.map((gateway) => {
    const segs = all.get(gateway) ?? [];
    const info = snap.get(gateway);
    const win = emptyCounters();
    const total = emptyCounters();
    for (const s of segs) {
      sumWindow(s, from, to, win);
      addCounters(total, s.totals);
    }
    const lastEvent = info?.lastEventAt;
    return {
      gateway,
      transport: info?.transport ?? currentSegment(segs, undefined)?.transport ?? 'unknown',
      name: info?.name ?? null,
      model: info?.model ?? null,
      version: info?.version ?? null,
      online: info?.online ?? null,
      lastEventAt: lastEvent === undefined ? null : iso(lastEvent),
      window: toFigures(win),
      sinceStart: toFigures(total),
      transports: [...segs]
        .sort((a, b) => a.firstAt - b.firstAt)
        .map((s) => ({ transport: s.transport, firstAt: iso(s.firstAt), lastAt: iso(s.lastAt) })),
    };
  });
}

function series(segs: Segment[], from: number, to: number, bucketMs: number): TransportSeries {
  const out: TransportSeries = {
    start: iso(from * bucketMs), bucketSeconds: bucketMs / 1000,
    requests: [], errors: [], errorRate: [], lossDenominator: [], missing: [], lossRatio: [],
  };
  for (let e = from; e <= to; e++) {
    let req = 0, err = 0, seq = 0, miss = 0;
    for (const s of segs) {
      const b = bucketAt(s, e);
      if (b === null) continue;
      req += b[F.requests] ?? 0;
      err += (b[F.upstream502] ?? 0) + (b[F.proxy502] ?? 0) + (b[F.upstream504] ?? 0) + (b[F.proxy504] ?? 0);
      seq += b[F.sequenced] ?? 0;
      miss += b[F.missing] ?? 0;
    }
    out.requests.push(req);
    out.errors.push(err);
    out.errorRate.push(req > 0 ? err / req : null);
    out.lossDenominator.push(seq + miss);
    out.missing.push(miss);
    out.lossRatio.push(seq + miss > 0 ? miss / (seq + miss) : null);
  }
  return out;
}

/** The transport comparison, recommendations and before/after comparisons. */
export function buildReport(ctx: Ctx): TransportReport {
  const { recorder, thresholds } = ctx;
  const { from, to } = windowEpochs(recorder);
  const snap = snapshotByMac(ctx);
  const all = recorder.segments();

  const byTransport = new Map<string, Segment[]>();
  const current = new Map<string, Segment | undefined>();
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

  const names = [...new Set([...byTransport.keys(), ...onTransport.keys()])]
    .sort((a, b) => transportRank(a) - transportRank(b) || a.localeCompare(b));
  const transports: TransportFigures[] = names.map((transport) => {
    const segs = byTransport.get(transport) ?? [];
    const win = emptyCounters();
    const total = emptyCounters();
    for (const s of segs) {
      sumWindow(s, from, to, win);
      addCounters(total, s.totals);
    }
    return {
      transport, gateways: onTransport.get(transport) ?? 0,
      window: toFigures(win), sinceStart: toFigures(total), series: series(segs, from, to, recorder.bucketMs),
    };
  });

  const mqttTotals = emptyCounters();
  for (const s of byTransport.get('mqtt') ?? []) addCounters(mqttTotals, s.totals);
  const mqtt = toFigures(mqttTotals);

  const recommendations: Recommendation[] = [];
  const transportChanges: TransportChange[] = [];
  for (const [gateway, segs] of all) {
    if (NOT_A_GATEWAY.has(gateway)) continue;
    const cur = current.get(gateway);
    if (cur === undefined) continue;
    const name = snap.get(gateway)?.name ?? null;
    if (cur.transport === 'capwap') {
      recommendations.push({ gateway, name, ...recommend(toFigures(cur.totals), mqtt, thresholds) });
    }
    const previous = segs
      .filter((s) => s !== cur)
      .reduce<Segment | undefined>((best, s) => (best === undefined || s.lastAt > best.lastAt ? s : best), undefined);
    if (previous !== undefined) {
      const before = toFigures(previous.totals);
      const after = toFigures(cur.totals);
      transportChanges.push({
        gateway, name, from: previous.transport, to: cur.transport, changedAt: iso(cur.firstAt),
        before, after, ...judgeChange(before, after, thresholds),
      });
    }
  }
  const rank = { move_to_mqtt: 0, no_clear_benefit: 1, insufficient_data: 2 } as const;
  recommendations.sort((a, b) => rank[a.verdict] - rank[b.verdict] || (b.errors.a.rate ?? 0) - (a.errors.a.rate ?? 0));
  transportChanges.sort((a, b) => a.gateway.localeCompare(b.gateway));

  return {
    generatedAt: iso(recorder.now()),
    startedAt: iso(ctx.startedAt),
    windowSeconds: (recorder.buckets * recorder.bucketMs) / 1000,
    bucketSeconds: recorder.bucketMs / 1000,
    transports,
    recommendations,
    transportChanges,
    method: {
      test: 'pooled two-proportion z-test, two-sided; rates shown with Wilson 95% intervals',
      alpha: thresholds.alpha,
      minRequests: thresholds.minRequests,
      minSequenced: thresholds.minSequenced,
      minRatio: thresholds.minRatio,
      basis: 'since start: each CAPWAP gateway against all MQTT gateways pooled; before/after: the gateway under its previous transport against its current one',
    },
  };
}
