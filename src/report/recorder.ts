/**
 * The hot-path half of the report: per gateway, one Segment per transport it has used, fed by
 * the proxy once per exchange and by the event poller. Everything is preallocated per segment,
 * so `recordExchange` costs a Map lookup, a short scan and a few typed-array writes.
 */
import { F, add, createSegment, headersBin, type Segment } from './ring.js';
import type { Origin } from './types.js';

/** Label value that collects gateways past the cap (matches the gateways module). */
export const OVERFLOW = 'other';

/** Per-stream-summed event counter deltas for one gateway and transport. */
export interface EventCounts {
  events: number;
  sequenced: number;
  missing: number;
  outOfOrder: number;
  duplicate: number;
}

/** Options fixed at creation. */
export interface RecorderOptions {
  /** Bucket width in ms (default 10 000). */
  bucketMs?: number;
  /** Buckets in the window (default 90: 15 minutes of 10 s). */
  buckets?: number;
  /** Distinct gateway keys kept (`none` included) before new ones fold into `other`. */
  maxGateways?: number;
  now?: () => number;
}

/** Counters for every gateway, by transport. */
export interface Recorder {
  readonly bucketMs: number;
  readonly buckets: number;
  readonly now: () => number;
  /**
   * One finished exchange. `gateway` is the metrics label value (`none` when the call names no
   * gateway), `status` what the client got (499 for client aborts), `headersMs` the time to
   * response headers (NaN or negative when headers never came).
   */
  recordExchange(gateway: string, transport: string, status: number, origin: Origin, headersMs: number): void;
  /** Event counter increments for a gateway under a transport. */
  recordEvents(gateway: string, transport: string, counts: EventCounts): void;
  /** Segments of each gateway (oldest transport first). Do not mutate. */
  segments(): ReadonlyMap<string, readonly Segment[]>;
  /** ms time of the latest event recorded for a gateway, if any. */
  lastEventAt(gateway: string): number | undefined;
  /** Epoch of the bucket holding time `t`. */
  epochOf(t: number): number;
}

/** Creates an empty recorder. */
export function createRecorder(opts: RecorderOptions = {}): Recorder {
  const bucketMs = opts.bucketMs ?? 10_000;
  const buckets = opts.buckets ?? 90;
  const maxGateways = opts.maxGateways ?? 1001;
  const now = opts.now ?? Date.now;
  const byGateway = new Map<string, Segment[]>();
  const lastEvent = new Map<string, number>();

  function segmentFor(gateway: string, transport: string, t: number): Segment {
    let list = byGateway.get(gateway);
    if (list === undefined) {
      if (byGateway.size >= maxGateways && gateway !== OVERFLOW) {
        // Same folding as the metrics labels: bounded memory whatever the AC reports.
        return segmentFor(OVERFLOW, transport, t);
      }
      list = [];
      byGateway.set(gateway, list);
    }
    // At most one segment per transport value (4 possible), so the scan is bounded.
    for (let i = list.length - 1; i >= 0; i--) {
      const seg = list[i];
      if (seg !== undefined && seg.transport === transport) {
        seg.lastAt = t;
        return seg;
      }
    }
    const seg = createSegment(gateway, transport, buckets, t);
    list.push(seg);
    return seg;
  }

  return {
    bucketMs,
    buckets,
    now,
    recordExchange(gateway, transport, status, origin, headersMs) {
      const t = now();
      const epoch = Math.floor(t / bucketMs);
      const seg = segmentFor(gateway, transport, t);
      add(seg, epoch, F.requests, 1);
      if (origin === 'client') add(seg, epoch, F.clientAborts, 1);
      else if (status === 502) add(seg, epoch, origin === 'upstream' ? F.upstream502 : F.proxy502, 1);
      else if (status === 504) add(seg, epoch, origin === 'upstream' ? F.upstream504 : F.proxy504, 1);
      if (headersMs >= 0) add(seg, epoch, headersBin(headersMs), 1);
    },
    recordEvents(gateway, transport, counts) {
      const t = now();
      const epoch = Math.floor(t / bucketMs);
      const seg = segmentFor(gateway, transport, t);
      add(seg, epoch, F.events, counts.events);
      add(seg, epoch, F.sequenced, counts.sequenced);
      add(seg, epoch, F.missing, counts.missing);
      add(seg, epoch, F.outOfOrder, counts.outOfOrder);
      add(seg, epoch, F.duplicate, counts.duplicate);
      if (counts.events > 0) lastEvent.set(seg.gateway, t);
    },
    segments: () => byGateway,
    lastEventAt: (gateway) => lastEvent.get(gateway),
    epochOf: (t) => Math.floor(t / bucketMs),
  };
}
