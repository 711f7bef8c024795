/**
 * Fixed-size time-bucketed counters for one gateway under one transport (a "segment").
 * Memory is allocated once per segment: a ring of `buckets` × FIELDS counters covering the
 * window, plus since-start totals. Recording is O(1) and allocation-free; a bucket whose epoch
 * is stale is zeroed in place when it is reused, so no timer sweeps the ring.
 * Size: 90 buckets × 40 counters × 4 B ≈ 14 KB per segment, so ~14 MB for 1000 gateways (12 of
 * the counters are the AC's error answers by word, AC_ERRORS); a segment that is probed adds
 * 90 × 22 × 4 B ≈ 8 KB for its probe counters.
 */
import { REQUEST_DURATION_BUCKETS } from '../metrics/buckets.js';
import { AC_ERRORS, type AcError, type Origin } from '../vocabulary.js';
import { OutageTracker } from './outage.js';
import { MinuteTally } from './minutes.js';
import type { Measure } from './verdict.js';

/** Upper bounds (ms) of the per-gateway time-to-headers histogram: the proxy's own buckets. */
export const HEADERS_BOUNDS_MS: readonly number[] = REQUEST_DURATION_BUCKETS.map((s) => s * 1000);

/** Counter slots inside one bucket. */
export const F = {
  requests: 0,
  upstream502: 1,
  upstream504: 2,
  proxy502: 3,
  proxy504: 4,
  clientAborts: 5,
  events: 6,
  sequenced: 7,
  missing: 8,
  outOfOrder: 9,
  duplicate: 10,
  /** Of `sequenced`: numbers the proxy asked the AC for (sequence.request). */
  sequenceRequested: 11,
  /** Outages entered, and calls answered 502/504 inside one (of the 502/504 above; outage.ts). */
  outages: 12,
  outageErrors: 13,
  /** First of AC_ERRORS.length slots: the AC's error answers by word, in AC_ERRORS order (acErrorField). */
  acErrors: 14,
  /** First of HEADERS_BOUNDS_MS.length + 1 histogram bins (the last is +Inf). */
  hist: 14 + AC_ERRORS.length,
} as const;

const AC_ERROR_INDEX: ReadonlyMap<AcError, number> = new Map(AC_ERRORS.map((error, i) => [error, i]));

/** The slot counting error answers in which the AC said `error`. */
export function acErrorField(error: AcError): number {
  return F.acErrors + (AC_ERROR_INDEX.get(error) ?? AC_ERRORS.length - 1);
}

/**
 * The slot of a 502 or 504 by who produced it (`proxy`, else the AC's own answer); undefined for
 * any other status. The one place that splits errors by origin: the segments, the gateway
 * counts' metric cells and the fleet report all use it.
 */
export function errorField(status: number, origin: Origin): number | undefined {
  if (status === 502) return origin === 'proxy' ? F.proxy502 : F.upstream502;
  if (status === 504) return origin === 'proxy' ? F.proxy504 : F.upstream504;
  return undefined;
}

/** Counters per bucket. */
export const FIELDS = F.hist + HEADERS_BOUNDS_MS.length + 1;

/**
 * Counter slots of a segment's probe counters (`Segment.probes`): the proxy's own probes, kept
 * apart from the application's exchanges. `sent` counts probes of gateways not known offline (the
 * results below add up to it); `offline` counts probes of gateways known offline, whatever they got.
 */
export const P = {
  sent: 0,
  ok: 1,
  status502: 2,
  status504: 3,
  timeout: 4,
  error: 5,
  unreachable: 6,
  offline: 7,
  /** First of HEADERS_BOUNDS_MS.length + 1 round-trip bins of answered probes (the last is +Inf). */
  hist: 8,
} as const;

/** Probe counters per bucket. */
export const PROBE_FIELDS = P.hist + HEADERS_BOUNDS_MS.length + 1;

/** A ring of time buckets of `width` counters each, plus since-start totals. */
export interface Counters {
  /** Bucket epoch (floor(t / bucketMs)) held by each ring slot; -1 when never used. */
  readonly epochs: Float64Array;
  /** buckets × width counters; 32 bits is plenty for one 10 s bucket and halves the memory. */
  readonly ring: Uint32Array;
  /** width counters since start. */
  readonly totals: Float64Array;
}

/** One gateway's counters while it used one transport. */
export interface Segment extends Counters {
  readonly gateway: string;
  readonly transport: string;
  /** ms timestamps of the first and latest thing recorded under this transport. */
  firstAt: number;
  lastAt: number;
  /** Outage or link loss, decided call by call (outage.ts); one per gateway, shared by its segments. */
  readonly outage: OutageTracker;
  /** Per-minute sums of each verdict measure since start, for the before/after comparison. */
  readonly minutes: Record<Measure, MinuteTally>;
  /** PROBE_FIELDS counters, allocated at the first probe (a proxy that never probes pays nothing). */
  probes: Counters | null;
}

/** An empty ring of `buckets` slots of `width` counters. */
export function createCounters(buckets: number, width: number): Counters {
  return { epochs: new Float64Array(buckets).fill(-1), ring: new Uint32Array(buckets * width), totals: new Float64Array(width) };
}

/** Allocates a segment with an empty ring of `buckets` slots. */
export function createSegment(gateway: string, transport: string, buckets: number, now: number, minuteMs = 60_000, outage = new OutageTracker()): Segment {
  return {
    gateway,
    transport,
    firstAt: now,
    lastAt: now,
    epochs: new Float64Array(buckets).fill(-1),
    ring: new Uint32Array(buckets * FIELDS),
    totals: new Float64Array(FIELDS),
    outage,
    minutes: { errors: new MinuteTally(minuteMs), loss: new MinuteTally(minuteMs), probes: new MinuteTally(minuteMs) },
    probes: null,
  };
}

/** Offset in `seg.ring` of the bucket for `epoch`, zeroing the slot if it held an older epoch. */
export function slotFor(seg: Segment, epoch: number): number {
  const slots = seg.epochs.length;
  const slot = epoch % slots;
  const base = slot * FIELDS;
  if (seg.epochs[slot] !== epoch) {
    seg.epochs[slot] = epoch;
    seg.ring.fill(0, base, base + FIELDS);
  }
  return base;
}

/** Adds `n` to `field` in the bucket for `epoch` and in the totals. */
export function add(seg: Segment, epoch: number, field: number, n: number): void {
  const base = slotFor(seg, epoch);
  seg.ring[base + field] = (seg.ring[base + field] ?? 0) + n;
  seg.totals[field] = (seg.totals[field] ?? 0) + n;
}

/**
 * `add` for probe counters (PROBE_FIELDS wide). Kept apart from `add`, which runs for every
 * exchange: giving that one a width parameter cost the request path about 3 % (bench/paired.mjs).
 */
export function addProbeCount(c: Counters, epoch: number, field: number): void {
  const slots = c.epochs.length;
  const slot = epoch % slots;
  const base = slot * PROBE_FIELDS;
  if (c.epochs[slot] !== epoch) {
    c.epochs[slot] = epoch;
    c.ring.fill(0, base, base + PROBE_FIELDS);
  }
  c.ring[base + field] = (c.ring[base + field] ?? 0) + 1;
  c.totals[field] = (c.totals[field] ?? 0) + 1;
}

/** Histogram bin for a time to headers in ms (linear scan over 13 bounds: O(1)). */
export function headersBin(ms: number): number {
  let i = 0;
  while (i < HEADERS_BOUNDS_MS.length && ms > (HEADERS_BOUNDS_MS[i] ?? Infinity)) i++;
  return F.hist + i;
}

/**
 * Sums the buckets of `c` whose epoch lies in [fromEpoch, toEpoch] into `out` (`width` long).
 * Buckets older than the ring are gone by construction.
 */
export function sumWindow(c: Counters, fromEpoch: number, toEpoch: number, out: Float64Array, width: number = FIELDS): void {
  for (let slot = 0; slot < c.epochs.length; slot++) {
    const e = c.epochs[slot] ?? -1;
    if (e < fromEpoch || e > toEpoch) continue;
    const base = slot * width;
    for (let f = 0; f < width; f++) out[f] = (out[f] ?? 0) + (c.ring[base + f] ?? 0);
  }
}

/** The bucket of `c` for exactly `epoch`, or null when the ring holds nothing for it. */
export function bucketAt(c: Counters, epoch: number, width: number = FIELDS): Uint32Array | null {
  const slot = epoch % c.epochs.length;
  if (c.epochs[slot] !== epoch) return null;
  return c.ring.subarray(slot * width, (slot + 1) * width);
}
