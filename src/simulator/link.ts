/**
 * A bursty link: the Gilbert–Elliott two-state model (Gilbert 1960, Elliott 1963) that packet
 * loss on internet paths follows far better than independent drops. The link alternates between
 * a good and a bad state with exponentially distributed durations; each state has its own
 * 502/504 and drop probabilities (the profile's `http502`… in the good state, `burst…` in the
 * bad one). Seeded, so a run is reproducible; advanced lazily from the clock, so no timers.
 */
import type { Rng } from './prng.js';

/** One gateway's link state over time. */
export class BurstyLink {
  private bad = false;
  /** ms time at which the current state ends; NaN before the first question. */
  private until = Number.NaN;

  constructor(private readonly rng: Rng) {}

  /**
   * Whether the link is in its bad state at `now` (ms), for mean state durations `goodMeanS` and
   * `badMeanS`; `badMeanS` 0 means no bursts. The first answer draws the state from the model's
   * stationary distribution, so a run does not always start good.
   */
  isBad(now: number, goodMeanS: number, badMeanS: number): boolean {
    if (badMeanS <= 0) return false;
    const good = Math.max(goodMeanS, 0.001) * 1000;
    const bad = badMeanS * 1000;
    if (Number.isNaN(this.until)) {
      this.bad = this.rng() < bad / (good + bad);
      this.until = now + this.duration(this.bad ? bad : good);
    }
    while (now >= this.until) {
      this.bad = !this.bad;
      this.until += this.duration(this.bad ? bad : good);
    }
    return this.bad;
  }

  private duration(meanMs: number): number {
    return -Math.log(1 - this.rng()) * meanMs;
  }
}
