/**
 * Where the sequence trackers live: parallel typed arrays (struct of arrays), one index per
 * tracker, grown by doubling up to the tracker limit, freed indices reused, and a doubly linked
 * list over the indices in least-recently-seen order for eviction. About 100 bytes per tracker.
 * What the numbers mean is tracker.ts's business; this is memory layout and order only.
 */
import type { StreamSeries } from '../gateways/counts.js';

/** A stream connection's trackers, keyed by source; the store deletes evicted keys from it. */
export type TrackerOwner = Map<string, number>;

export class TrackerSlots {
  /** 32-bit words of one W-bit window bitmap. */
  readonly words: number;
  /** Words per tracker in `bits`: the seen bitmap, then the pending bitmap. */
  readonly stride: number;
  /** Highest sequence number seen. */
  highest: Float64Array = new Float64Array(0);
  /** The counter's wrap (0 = unbounded). */
  modulus: Float64Array = new Float64Array(0);
  /** Checkpoint: pending numbers ≤ ckHigh existed at ckAt (ms; -1 = none pending). */
  ckAt: Float64Array = new Float64Array(0);
  ckHigh: Float64Array = new Float64Array(0);
  /** The last time a gap was opened, and the highest number then. */
  gapAt: Float64Array = new Float64Array(0);
  gapHigh: Float64Array = new Float64Array(0);
  /** `stride` words per tracker. */
  bits: Int32Array = new Int32Array(0);
  readonly owners: Array<TrackerOwner | undefined> = [];
  /** A slot whose key is undefined is free. */
  readonly keys: Array<string | undefined> = [];
  readonly series: Array<StreamSeries | undefined> = [];
  /** Indices ever handed out (high-water mark): slots at or above it were never used. */
  used = 0;
  /** Trackers held. */
  live = 0;
  private cap = 0;
  private prev: Int32Array = new Int32Array(0);
  private next: Int32Array = new Int32Array(0);
  private readonly free: number[] = [];
  /** Most and least recently seen; -1 when empty. */
  private head = -1;
  private tail = -1;

  constructor(words: number) {
    this.words = words;
    this.stride = 2 * words;
  }

  /** A slot for a new tracker, most recently seen; the caller makes room below `limit` first. */
  take(owner: TrackerOwner, key: string, series: StreamSeries, limit: number): number {
    let i = this.free.pop();
    if (i === undefined) {
      if (this.used >= this.cap) this.grow(limit);
      i = this.used++;
    }
    this.bits.fill(0, i * this.stride, (i + 1) * this.stride);
    this.owners[i] = owner;
    this.keys[i] = key;
    this.series[i] = series;
    this.pushFront(i);
    this.live++;
    owner.set(key, i);
    return i;
  }

  /** Frees slot `i` (its owner's key is the caller's to delete). */
  release(i: number): void {
    this.unlink(i);
    this.owners[i] = undefined;
    this.keys[i] = undefined;
    this.series[i] = undefined;
    this.free.push(i);
    this.live--;
  }

  /** Marks slot `i` as the most recently seen. */
  touch(i: number): void {
    if (i === this.head) return;
    this.unlink(i);
    this.pushFront(i);
  }

  /** The least recently seen slot, or -1 when none is held. */
  oldest(): number {
    return this.tail;
  }

  private grow(limit: number): void {
    const n = Math.min(Math.max(1024, this.cap * 2), Math.max(limit, this.cap + 1));
    const f = (old: Float64Array): Float64Array => {
      const a = new Float64Array(n);
      a.set(old);
      return a;
    };
    const i = (old: Int32Array, per = 1): Int32Array => {
      const a = new Int32Array(n * per);
      a.set(old);
      return a;
    };
    this.highest = f(this.highest); this.modulus = f(this.modulus); this.ckAt = f(this.ckAt); this.ckHigh = f(this.ckHigh);
    this.gapAt = f(this.gapAt); this.gapHigh = f(this.gapHigh);
    this.bits = i(this.bits, this.stride); this.prev = i(this.prev); this.next = i(this.next);
    this.cap = n;
  }

  private unlink(i: number): void {
    const p = this.prev[i] ?? -1;
    const n = this.next[i] ?? -1;
    if (p === -1) this.head = n; else this.next[p] = n;
    if (n === -1) this.tail = p; else this.prev[n] = p;
  }

  private pushFront(i: number): void {
    this.prev[i] = -1;
    this.next[i] = this.head;
    if (this.head !== -1) this.prev[this.head] = i;
    this.head = i;
    if (this.tail === -1) this.tail = i;
  }
}
