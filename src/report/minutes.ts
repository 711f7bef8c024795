/**
 * Per-minute sums of a tally (failures k of n trials): what the before/after comparison needs for
 * a variance that respects dependence inside a minute (bursts, outages), in constant memory. The
 * current minute is kept open and folded into the sums when a later minute starts.
 */
import type { MinuteSums } from './verdict.js';

/** An empty set of sums. */
export function emptySums(): MinuteSums {
  return { buckets: 0, k: 0, n: 0, kkn: 0 };
}

/** Sums of closed minutes plus the open one. */
export class MinuteTally {
  readonly closed: MinuteSums = emptySums();
  private minute = -1;
  private k = 0;
  private n = 0;

  /** `minuteMs`: the bucket width, a minute but in tests that run the verdicts on a faster clock. */
  constructor(private readonly minuteMs = 60_000) {}

  /** Adds `k` failures of `n` trials at `t` (ms). */
  add(t: number, k: number, n: number): void {
    const minute = Math.floor(t / this.minuteMs);
    if (minute !== this.minute) {
      this.fold();
      this.minute = minute;
    }
    this.k += k;
    this.n += n;
  }

  /** The sums over every minute so far, the open one included (a fresh object). */
  sums(): MinuteSums {
    const s = { ...this.closed };
    if (this.n > 0) addMinute(s, this.k, this.n);
    return s;
  }

  private fold(): void {
    if (this.n > 0) addMinute(this.closed, this.k, this.n);
    this.k = 0;
    this.n = 0;
  }
}

function addMinute(s: MinuteSums, k: number, n: number): void {
  s.buckets++;
  s.k += k;
  s.n += n;
  s.kkn += (k * k) / n;
}
