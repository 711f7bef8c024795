/**
 * Sequence trackers: per source (one stream connection × gateway × device [× handle]) they
 * classify each sequence number as in order, duplicate, out of order or reset, and count the
 * numbers that never arrived as missing. Semantics: docs/stream-analysis.md.
 *
 * All trackers live in one bounded store laid out as parallel typed arrays (struct of arrays):
 * a tracker is an index, its seen/pending windows are W-bit bitmaps inside one Int32Array, and a
 * doubly linked list over the indices keeps least-recently-seen order for eviction. About 100
 * bytes per tracker plus its key in the owning stream's Map.
 */
import type { Metrics } from '../metrics/metrics.js';
import {
  anySet, clearBit, clearFrom, countFrom, setBit, setLow, shiftUp, testBit, wordsFor,
} from './bitmap.js';
import type { StreamSeries } from '../gateways/counts.js';

/** Outcome of one observed number. */
export const SEQ_NEW = 0;
export const SEQ_DUPLICATE = 1;
export const SEQ_OUT_OF_ORDER = 2;
export const SEQ_RESET = 3;
export type SeqVerdict = typeof SEQ_NEW | typeof SEQ_DUPLICATE | typeof SEQ_OUT_OF_ORDER | typeof SEQ_RESET;

/** Forward jumps beyond this on counters wider than 16 bits are resets, not losses. */
export const FORWARD_RESET_LIMIT = 10_000;

/** A stream connection's trackers, keyed by source; the store deletes evicted keys from it. */
export type TrackerOwner = Map<string, number>;

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
  const stride = 2 * words; // seen bitmap, then pending bitmap
  const now = opts.now ?? Date.now;
  const { metrics } = opts;
  let windowTime = opts.windowTime;
  let maxTrackers = Math.max(1, opts.maxTrackers);

  let cap = 0;
  let highest = new Float64Array(0);
  let modulus = new Float64Array(0);
  let ckAt = new Float64Array(0); // checkpoint: pending numbers ≤ ckHigh existed at ckAt
  let ckHigh = new Float64Array(0);
  let gapAt = new Float64Array(0); // last time a gap was opened, and the highest then
  let gapHigh = new Float64Array(0);
  let bits = new Int32Array(0);
  let prev = new Int32Array(0);
  let next = new Int32Array(0);
  const owners: Array<TrackerOwner | undefined> = [];
  const keys: Array<string | undefined> = [];
  const series: Array<StreamSeries | undefined> = [];
  const free: number[] = [];
  let used = 0; // indices ever handed out (high-water mark)
  let live = 0;
  let head = -1; // most recently seen
  let tail = -1;

  function grow(): void {
    const n = Math.min(Math.max(1024, cap * 2), Math.max(maxTrackers, cap + 1));
    const g = <T extends Float64Array | Int32Array>(old: T, make: (k: number) => T, per = 1): T => {
      const a = make(n * per);
      a.set(old);
      return a;
    };
    const f = (k: number) => new Float64Array(k);
    const i = (k: number) => new Int32Array(k);
    highest = g(highest, f); modulus = g(modulus, f); ckAt = g(ckAt, f); ckHigh = g(ckHigh, f);
    gapAt = g(gapAt, f); gapHigh = g(gapHigh, f);
    bits = g(bits, i, stride); prev = g(prev, i); next = g(next, i);
    cap = n;
  }

  function unlink(i: number): void {
    const p = prev[i] ?? -1;
    const n = next[i] ?? -1;
    if (p === -1) head = n; else next[p] = n;
    if (n === -1) tail = p; else prev[n] = p;
  }

  function pushFront(i: number): void {
    prev[i] = -1;
    next[i] = head;
    if (head !== -1) prev[head] = i;
    head = i;
    if (tail === -1) tail = i;
  }

  /** Pending gaps of tracker i become missing (stream closed, evicted, reset). */
  function flushPending(i: number): number {
    const pb = i * stride + words;
    const n = countFrom(bits, pb, words, 0);
    bits.fill(0, pb, pb + words);
    ckAt[i] = -1;
    return n;
  }

  function freeIndex(i: number): void {
    unlink(i);
    owners[i] = undefined;
    keys[i] = undefined;
    series[i] = undefined;
    free.push(i);
    live--;
  }

  function evictOldest(): void {
    const i = tail;
    if (i === -1) return;
    const s = series[i];
    const lost = flushPending(i);
    if (s && lost > 0) {
      s.missing += lost;
      s.flush();
    }
    const key = keys[i];
    if (key !== undefined) owners[i]?.delete(key);
    freeIndex(i);
    metrics.trackersEvicted.inc();
  }

  function allocate(owner: TrackerOwner, key: string, seq: number, mod: number, s: StreamSeries): void {
    while (live >= maxTrackers) evictOldest();
    let i = free.pop();
    if (i === undefined) {
      if (used >= cap) grow();
      i = used++;
    }
    highest[i] = seq;
    modulus[i] = mod;
    ckAt[i] = -1;
    bits.fill(0, i * stride, (i + 1) * stride);
    owners[i] = owner;
    keys[i] = key;
    series[i] = s;
    pushFront(i);
    live++;
    owner.set(key, i);
    metrics.trackersActive.set(live);
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
    bits.fill(0, i * stride, i * stride + words);
    highest[i] = seq;
    return SEQ_RESET;
  }

  function advance(i: number, d: number, seq: number, s: StreamSeries): SeqVerdict {
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
        ckAt[i] = now();
        ckHigh[i] = seq;
      }
      setLow(bits, pb, words, Math.min(d - 1, W));
      gapAt[i] = now();
      gapHigh[i] = seq;
    }
    highest[i] = seq;
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
    if (i !== head) {
      unlink(i);
      pushFront(i);
    }
    series[i] = s;
    const m = modulus[i] ?? 0;
    const d = distance(seq, highest[i] ?? 0, m);
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
    for (let i = 0; i < used; i++) {
      const at = ckAt[i] ?? -1;
      if (at < 0 || t - at <= windowTime || keys[i] === undefined) continue;
      const s = series[i];
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
        const s = series[i];
        const lost = flushPending(i);
        if (s) {
          s.missing += lost;
          touched.add(s);
        }
        freeIndex(i);
      }
      owner.clear();
      metrics.trackersActive.set(live);
      for (const s of touched) s.flush();
    },
    sweep,
    size: () => live,
    setLimits(limits) {
      windowTime = limits.windowTime;
      maxTrackers = Math.max(1, limits.maxTrackers);
      while (live > maxTrackers) evictOldest();
      metrics.trackersActive.set(live);
    },
    close() {
      if (timer) clearInterval(timer);
    },
  };
}
