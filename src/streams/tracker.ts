/**
 * Sequence trackers: per source (one stream connection × gateway × device [× handle]) they
 * classify each sequence number as in order, duplicate, out of order or reset, and count the
 * numbers that never arrived as missing. Semantics: docs/stream-analysis.md.
 *
 * All trackers live in one bounded store (tracker-slots.ts: parallel typed arrays, a tracker is
 * an index, least-recently-seen order for eviction); its seen/pending windows are W-bit bitmaps
 * inside one Int32Array. This module decides what each number means, when a gap becomes
 * missing, and which tracker goes at the bound.
 */
import type { Metrics } from '../metrics/metrics.js';
import {
  anySet, clearBit, clearFrom, countFrom, setBit, setLow, shiftUp, testBit, wordsFor,
} from './bitmap.js';
import type { StreamSeries } from '../gateways/counts.js';
import { TrackerSlots, type TrackerOwner } from './tracker-slots.js';

/** Outcome of one observed number. */
export const SEQ_NEW = 0;
export const SEQ_DUPLICATE = 1;
export const SEQ_OUT_OF_ORDER = 2;
export const SEQ_RESET = 3;
export type SeqVerdict = typeof SEQ_NEW | typeof SEQ_DUPLICATE | typeof SEQ_OUT_OF_ORDER | typeof SEQ_RESET;

/** Forward jumps beyond this on counters wider than 16 bits are resets, not losses. */
export const FORWARD_RESET_LIMIT = 10_000;

export type { TrackerOwner } from './tracker-slots.js';

export interface TrackerStoreOptions {
  metrics: Pick<Metrics, 'trackersActive' | 'trackersEvicted'>;
  /** Reorder window W in sequence numbers. */
  window: number;
  /** Reorder window T in ms. */
  windowTime: number;
  maxTrackers: number;
  /** Clock in ms; injectable for tests. */
  now?: () => number;
  /** Sweep period in ms; 0 disables the timer (tests call `sweep()`). */
  sweepInterval?: number;
}

export interface TrackerStore {
  /**
   * Records `seq` for `key` of `owner`, counting into `series`. `modulus` is the counter's
   * wrap (0 = unbounded). Creates the tracker (baseline) on first sight.
   */
  observe(owner: TrackerOwner, key: string, seq: number, modulus: number, series: StreamSeries): SeqVerdict;
  /** The stream closed: its pending gaps become missing and its trackers are freed. */
  release(owner: TrackerOwner): void;
  /** Expires pending gaps older than T (the timer calls this). */
  sweep(): void;
  /** Live trackers. */
  size(): number;
  setLimits(limits: { windowTime: number; maxTrackers: number }): void;
  readonly window: number;
  close(): void;
}

export function createTrackerStore(opts: TrackerStoreOptions): TrackerStore {
  const W = Math.max(1, Math.floor(opts.window));
  const words = wordsFor(W);
  const slots = new TrackerSlots(words);
  const { stride } = slots;
  const now = opts.now ?? Date.now;
  const { metrics } = opts;
  let windowTime = opts.windowTime;
  let maxTrackers = Math.max(1, opts.maxTrackers);

  /** Pending gaps of tracker i become missing (stream closed, evicted, reset). */
  function flushPending(i: number): number {
    const { bits } = slots;
    const pb = i * stride + words;
    const n = countFrom(bits, pb, words, 0);
    bits.fill(0, pb, pb + words);
    slots.ckAt[i] = -1;
    return n;
  }

  function evictOldest(): void {
    const i = slots.oldest();
    if (i === -1) return;
    const s = slots.series[i];
    const lost = flushPending(i);
    if (s && lost > 0) {
      s.missing += lost;
      s.flush();
    }
    const key = slots.keys[i];
    if (key !== undefined) slots.owners[i]?.delete(key);
    slots.release(i);
    metrics.trackersEvicted.inc();
  }

  function allocate(owner: TrackerOwner, key: string, seq: number, mod: number, s: StreamSeries): void {
    while (slots.live >= maxTrackers) evictOldest();
    const i = slots.take(owner, key, s, maxTrackers);
    slots.highest[i] = seq;
    slots.modulus[i] = mod;
    slots.ckAt[i] = -1;
    metrics.trackersActive.set(slots.live);
  }

  /** Signed distance seq − high under the counter's modulus. */
  function distance(seq: number, high: number, mod: number): number {
    if (mod === 0) return seq - high;
    let d = (seq - high) % mod;
    if (d < 0) d += mod;
    if (d >= mod / 2) d -= mod;
    return d;
  }

  function reset(i: number, seq: number, s: StreamSeries): SeqVerdict {
    s.missing += flushPending(i);
    s.resets++;
    slots.bits.fill(0, i * stride, i * stride + words);
    slots.highest[i] = seq;
    return SEQ_RESET;
  }

  function advance(i: number, d: number, seq: number, s: StreamSeries): SeqVerdict {
    const { bits } = slots;
    const sb = i * stride;
    const pb = sb + words;
    // Pending numbers pushed more than W below the new highest are missing now.
    let lost = countFrom(bits, pb, words, W - d);
    if (d - 1 > W) lost += d - 1 - W;
    shiftUp(bits, sb, words, W, d);
    shiftUp(bits, pb, words, W, d);
    if (d <= W) setBit(bits, sb, d - 1); // the old highest
    if (d > 1) {
      if (!anySet(bits, pb, words)) {
        slots.ckAt[i] = now();
        slots.ckHigh[i] = seq;
      }
      setLow(bits, pb, words, Math.min(d - 1, W));
      slots.gapAt[i] = now();
      slots.gapHigh[i] = seq;
    }
    slots.highest[i] = seq;
    s.missing += lost;
    return SEQ_NEW;
  }

  function observe(owner: TrackerOwner, key: string, seq: number, mod: number, s: StreamSeries): SeqVerdict {
    s.sequenced++;
    const i = owner.get(key);
    if (i === undefined) {
      allocate(owner, key, seq, mod, s);
      return SEQ_NEW;
    }
    slots.touch(i);
    slots.series[i] = s;
    const m = slots.modulus[i] ?? 0;
    const d = distance(seq, slots.highest[i] ?? 0, m);
    if (d > 0) {
      const limit = m === 0 || m > 65536 ? FORWARD_RESET_LIMIT : Infinity;
      return d > limit ? reset(i, seq, s) : advance(i, d, seq, s);
    }
    if (d === 0) {
      s.duplicate++;
      return SEQ_DUPLICATE;
    }
    const back = -d;
    if (back > W) return reset(i, seq, s);
    const { bits } = slots;
    const sb = i * stride;
    if (testBit(bits, sb, back - 1)) {
      s.duplicate++;
      return SEQ_DUPLICATE;
    }
    setBit(bits, sb, back - 1);
    clearBit(bits, sb + words, back - 1);
    s.outOfOrder++;
    return SEQ_OUT_OF_ORDER;
  }

  function sweep(): void {
    const t = now();
    const touched = new Set<StreamSeries>();
    const { ckAt, ckHigh, gapAt, gapHigh, highest, modulus, keys, series } = slots;
    for (let i = 0; i < slots.used; i++) {
      const at = ckAt[i] ?? -1;
      if (at < 0 || t - at <= windowTime || keys[i] === undefined) continue;
      const s = series[i];
      const { bits } = slots;
      const pb = i * stride + words;
      const m = modulus[i] ?? 0;
      // Numbers ≤ the checkpoint's highest were pending already at `at`: older than T.
      const k = distance(highest[i] ?? 0, ckHigh[i] ?? 0, m);
      const lost = countFrom(bits, pb, words, Math.max(0, k - 1));
      clearFrom(bits, pb, words, Math.max(0, k - 1));
      if (s && lost > 0) {
        s.missing += lost;
        touched.add(s);
      }
      if (!anySet(bits, pb, words)) ckAt[i] = -1;
      else {
        ckAt[i] = gapAt[i] ?? t;
        ckHigh[i] = gapHigh[i] ?? 0;
        if (t - (ckAt[i] ?? t) > windowTime) {
          if (s) s.missing += flushPending(i);
          if (s) touched.add(s);
        }
      }
    }
    for (const s of touched) s.flush();
  }

  const interval = opts.sweepInterval ?? Math.max(100, Math.min(1000, Math.floor(windowTime / 4)));
  const timer = interval > 0 ? setInterval(sweep, interval) : null;
  timer?.unref();

  return {
    window: W,
    observe,
    release(owner) {
      const touched = new Set<StreamSeries>();
      for (const i of owner.values()) {
        const s = slots.series[i];
        const lost = flushPending(i);
        if (s) {
          s.missing += lost;
          touched.add(s);
        }
        slots.release(i);
      }
      owner.clear();
      metrics.trackersActive.set(slots.live);
      for (const s of touched) s.flush();
    },
    sweep,
    size: () => slots.live,
    setLimits(limits) {
      windowTime = limits.windowTime;
      maxTrackers = Math.max(1, limits.maxTrackers);
      while (slots.live > maxTrackers) evictOldest();
      metrics.trackersActive.set(slots.live);
    },
    close() {
      if (timer) clearInterval(timer);
    },
  };
}
