/**
 * The hot-path half of the report, its segment store: per gateway label, one Segment per
 * transport it has used.
 * A caller resolves a segment once (the gateway handle keeps it) and then adds to it; every
 * segment is preallocated, so adding costs a clock read and a few typed-array writes.
 *
 * The number of gateway keys is bounded by whoever hands out the labels: the gateways module
 * caps them at `limits.maxGateways` and folds the rest into `other`, for the metrics and the
 * report alike.
 */
import { F, P, PROBE_FIELDS, acErrorField, add, addProbeCount, createCounters, createSegment, errorField, headersBin, type Segment } from './ring.js';
import type { Resolved } from './outage.js';
import type { AcError, Origin, ProbeResult } from '../vocabulary.js';

/** Per-stream-summed event counts for one gateway and transport. */
export interface EventCounts {
  events: number;
  sequenced: number;
  missing: number;
  outOfOrder: number;
  duplicate: number;
  /** Of `sequenced`: numbers the proxy asked the AC for (sequence.request); absent = 0. */
  requested?: number;
}

/** Options fixed at creation. */
export interface SegmentStoreOptions {
  /** Bucket width in ms (default 10 000). */
  bucketMs?: number;
  /** Buckets in the window (default 90: 15 minutes of 10 s). */
  buckets?: number;
  now?: () => number;
  /** Width of the before/after verdict's buckets (default a minute; tests shorten it). */
  minuteMs?: number;
}

/** Counters for every gateway, by transport. */
export interface SegmentStore {
  readonly bucketMs: number;
  readonly buckets: number;
  readonly now: () => number;
  /** The segment of `gateway` (a label value) under `transport`, created on first use. */
  segment(gateway: string, transport: string): Segment;
  /**
   * One finished exchange: `status` is what the client got (499 for client aborts), `headersMs`
   * the time to response headers (NaN or negative when headers never came), `at` when it
   * finished (epoch ms, default now), `offline` whether the gateway is known to be offline,
   * `stream` whether it was an event stream (answered long before it finished: its end says
   * nothing about whether the gateway answers now, so it never ends a run of failures).
   * Also decides outage or link loss (outage.ts) and keeps the minutes of the `errors`
   * measure; returns the 502/504s it has just put into an outage (usually 0).
   */
  addExchange(seg: Segment, status: number, origin: Origin, headersMs: number, at?: number, offline?: boolean, stream?: boolean): number;
  /** Event counts of one analysed chunk (or any batch). */
  addEvents(seg: Segment, counts: EventCounts): void;
  /**
   * One probe of the segment's gateway: its result, the round trip in ms when it was answered
   * (NaN otherwise), and whether the gateway was known offline (then it counts apart).
   */
  addProbe(seg: Segment, result: ProbeResult, rttMs: number, offline: boolean, at?: number): void;
  /** One error answer in which the AC said `error`, finished at `at` (epoch ms, default now); also one of addExchange's. */
  addAcError(seg: Segment, error: AcError, at?: number): void;
  /** Segments of each gateway (oldest transport first). Do not mutate. */
  byGateway(): ReadonlyMap<string, readonly Segment[]>;
  /** Epoch of the bucket holding time `t`. */
  epochOf(t: number): number;
}

const PROBE_SLOT: Record<ProbeResult, number> = {
  ok: P.ok, '502': P.status502, '504': P.status504, timeout: P.timeout, error: P.error, unreachable: P.unreachable,
};

/** Creates an empty store. */
export function createSegmentStore(opts: SegmentStoreOptions = {}): SegmentStore {
  const bucketMs = opts.bucketMs ?? 10_000;
  const buckets = opts.buckets ?? 90;
  const now = opts.now ?? Date.now;
  const byGateway = new Map<string, Segment[]>();
  const resolved: Resolved = { failures: 0, outage: 0 };

  return {
    bucketMs,
    buckets,
    now,
    segment(gateway, transport) {
      let list = byGateway.get(gateway);
      if (list === undefined) {
        list = [];
        byGateway.set(gateway, list);
      }
      // At most one segment per transport value (4 possible), so the scan is bounded.
      for (const seg of list) if (seg.transport === transport) return seg;
      // A gateway's outage is the gateway's, whatever it is labelled: an outage during which the
      // operator relabels its transport stays one outage.
      const seg = createSegment(gateway, transport, buckets, now(), opts.minuteMs, list[0]?.outage);
      list.push(seg);
      return seg;
    },
    addExchange(seg, status, origin, headersMs, at, offline = false, stream = false) {
      const t = at ?? now();
      seg.lastAt = t;
      const epoch = Math.floor(t / bucketMs);
      add(seg, epoch, F.requests, 1);
      if (headersMs >= 0) add(seg, epoch, headersBin(headersMs), 1);
      if (origin === 'client') {
        add(seg, epoch, F.clientAborts, 1);
        return 0;
      }
      const error = errorField(status, origin);
      if (error === undefined) {
        if (stream) {
          seg.minutes.errors.add(t, 0, 1);
          return 0;
        }
        const r = seg.outage.success(resolved);
        seg.minutes.errors.add(t, r.failures, r.failures + 1);
        return 0;
      }
      add(seg, epoch, error, 1);
      const entered = seg.outage.outages;
      const r = seg.outage.failure(offline, t, resolved);
      if (r.outage === 0) return 0;
      add(seg, epoch, F.outageErrors, r.outage);
      if (seg.outage.outages > entered) add(seg, epoch, F.outages, seg.outage.outages - entered);
      return r.outage;
    },
    addEvents(seg, counts) {
      const t = now();
      seg.lastAt = t;
      const epoch = Math.floor(t / bucketMs);
      if (counts.events > 0) add(seg, epoch, F.events, counts.events);
      if (counts.sequenced > 0) add(seg, epoch, F.sequenced, counts.sequenced);
      if (counts.missing > 0) add(seg, epoch, F.missing, counts.missing);
      if (counts.outOfOrder > 0) add(seg, epoch, F.outOfOrder, counts.outOfOrder);
      if (counts.duplicate > 0) add(seg, epoch, F.duplicate, counts.duplicate);
      const requested = counts.requested ?? 0;
      if (requested > 0) add(seg, epoch, F.sequenceRequested, requested);
      if (counts.sequenced + counts.missing > 0) seg.minutes.loss.add(t, counts.missing, counts.sequenced + counts.missing);
    },
    addProbe(seg, result, rttMs, offline, at) {
      const t = at ?? now();
      seg.lastAt = t;
      const epoch = Math.floor(t / bucketMs);
      const c = (seg.probes ??= createCounters(buckets, PROBE_FIELDS));
      if (offline) {
        addProbeCount(c, epoch, P.offline);
        return;
      }
      addProbeCount(c, epoch, P.sent);
      addProbeCount(c, epoch, PROBE_SLOT[result]);
      if (result !== 'unreachable') seg.minutes.probes.add(t, result === '502' || result === '504' || result === 'timeout' ? 1 : 0, 1);
      // The same bounds as the time to headers, in the probe layout.
      if (rttMs >= 0) addProbeCount(c, epoch, headersBin(rttMs) - F.hist + P.hist);
    },
    addAcError(seg, error, at) {
      add(seg, Math.floor((at ?? now()) / bucketMs), acErrorField(error), 1);
    },
    byGateway: () => byGateway,
    epochOf: (t) => Math.floor(t / bucketMs),
  };
}
