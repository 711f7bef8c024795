/**
 * `/api/gateways` and `/api/report` of the running proxy: its segment store and the gateway
 * snapshot, handed to the pure assembler (assemble.ts). Runs on request (every few seconds at
 * most), so it may allocate freely; its cost is segments × window buckets × FIELDS.
 */
import { assembleGateways, assembleReport, type GatewaySnapshotEntry, type ReportInput, type SegmentCounts, type SeriesCounts } from './assemble.js';
import { emptyCounters, emptyProbeCounters } from './figures.js';
import { F, PROBE_FIELDS, bucketAt, sumWindow, type Segment } from './ring.js';
import type { Decider } from './decider.js';
import type { MinutesByMeasure } from './verdict.js';
import type { SegmentStore } from './segments.js';
import type { GatewayReport, TransportReport } from './types.js';

interface Ctx {
  segments: SegmentStore;
  snapshot: () => GatewaySnapshotEntry[];
  decider: Decider;
  startedAt: number;
}

function windowEpochs(store: SegmentStore): { from: number; to: number } {
  const to = store.epochOf(store.now());
  return { from: to - store.buckets + 1, to };
}

/** The store's segments as counts, in the order they were created. */
function segmentCounts(store: SegmentStore, from: number, to: number): { counts: SegmentCounts[]; rings: Map<string, Segment[]> } {
  const counts: SegmentCounts[] = [];
  const rings = new Map<string, Segment[]>();
  for (const segs of store.byGateway().values()) {
    for (const s of segs) {
      const window = emptyCounters();
      sumWindow(s, from, to, window);
      const entry: SegmentCounts = { gateway: s.gateway, transport: s.transport, firstAt: s.firstAt, lastAt: s.lastAt, window, totals: s.totals, minutes: minutesOf(s), undecided: s.outage.pending };
      if (s.probes !== null) {
        const probeWindow = emptyProbeCounters();
        sumWindow(s.probes, from, to, probeWindow, PROBE_FIELDS);
        entry.probes = { window: probeWindow, totals: s.probes.totals };
      }
      counts.push(entry);
      const list = rings.get(s.transport) ?? [];
      list.push(s);
      rings.set(s.transport, list);
    }
  }
  return { counts, rings };
}

/** A segment's minute sums per measure; a measure without a minute is left out. */
function minutesOf(s: Segment): MinutesByMeasure {
  const out: MinutesByMeasure = {};
  for (const [m, tally] of Object.entries(s.minutes) as Array<[keyof MinutesByMeasure, Segment['minutes']['errors']]>) {
    const sums = tally.sums();
    if (sums.buckets > 0) out[m] = sums;
  }
  return out;
}

function series(segs: readonly Segment[], from: number, to: number, bucketMs: number): SeriesCounts {
  const out: SeriesCounts = { start: from * bucketMs, requests: [], errors: [], lossDenominator: [], missing: [] };
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
    out.lossDenominator.push(seq + miss);
    out.missing.push(miss);
  }
  return out;
}

function input(ctx: Ctx): ReportInput {
  const { segments: store } = ctx;
  const { from, to } = windowEpochs(store);
  const { counts, rings } = segmentCounts(store, from, to);
  return {
    generatedAt: store.now(),
    startedAt: ctx.startedAt,
    windowSeconds: (store.buckets * store.bucketMs) / 1000,
    bucketSeconds: store.bucketMs / 1000,
    segments: counts,
    snapshot: ctx.snapshot(),
    decider: ctx.decider,
    series: (transport) => series(rings.get(transport) ?? [], from, to, store.bucketMs),
  };
}

/** Per-gateway figures, sorted by gateway label. */
export function buildGateways(ctx: Ctx): GatewayReport[] {
  return assembleGateways(input(ctx));
}

/** The transport comparison, recommendations, before/after comparisons and the AC's error answers compared. */
export function buildReport(ctx: Ctx): TransportReport {
  return assembleReport(input(ctx));
}
