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
import { F, acErrorField, add, createSegment, errorField, headersBin, type Segment } from './ring.js';
import type { AcError, Origin } from '../vocabulary.js';

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
   * finished (epoch ms, default now).
   */
  addExchange(seg: Segment, status: number, origin: Origin, headersMs: number, at?: number): void;
  /** Event counts of one analysed chunk (or any batch). */
  addEvents(seg: Segment, counts: EventCounts): void;
  /** One error answer in which the AC said `error`, finished at `at` (epoch ms, default now); also one of addExchange's. */
  addAcError(seg: Segment, error: AcError, at?: number): void;
  /** Segments of each gateway (oldest transport first). Do not mutate. */
  byGateway(): ReadonlyMap<string, readonly Segment[]>;
  /** Epoch of the bucket holding time `t`. */
  epochOf(t: number): number;
}

/** Creates an empty store. */
export function createSegmentStore(opts: SegmentStoreOptions = {}): SegmentStore {
  const bucketMs = opts.bucketMs ?? 10_000;
  const buckets = opts.buckets ?? 90;
  const now = opts.now ?? Date.now;
  const byGateway = new Map<string, Segment[]>();

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
      const seg = createSegment(gateway, transport, buckets, now());
      list.push(seg);
      return seg;
    },
    addExchange(seg, status, origin, headersMs, at) {
      const t = at ?? now();
      seg.lastAt = t;
      const epoch = Math.floor(t / bucketMs);
      add(seg, epoch, F.requests, 1);
      if (origin === 'client') add(seg, epoch, F.clientAborts, 1);
      else {
        const error = errorField(status, origin);
        if (error !== undefined) add(seg, epoch, error, 1);
      }
      if (headersMs >= 0) add(seg, epoch, headersBin(headersMs), 1);
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
    },
    addAcError(seg, error, at) {
      add(seg, Math.floor((at ?? now()) / bucketMs), acErrorField(error), 1);
    },
    byGateway: () => byGateway,
    epochOf: (t) => Math.floor(t / bucketMs),
  };
}
