/**
 * Telling an outage from link loss, per gateway. While a gateway is down (the AC says it is
 * offline, or it cannot be reached at all), every call to it fails: counting those calls as the
 * transport's 502/504 rate would make one outage look like hundreds of independent failures. A
 * failed call is an outage failure when the gateway is known to be offline (hub list, hub status,
 * `ap_state`, discovery) or when it belongs to a run of at least OUTAGE_RUN consecutive failures
 * lasting at least OUTAGE_MIN_MS from the first to the last. Both are needed: 3 in a row are rare
 * on a merely lossy link (at a 5 % failure rate, 1 in 8,000), but a busy client on a very lossy
 * link (30 %) sees them every few dozen calls, within milliseconds, while an outage lasts seconds.
 * A run's first failures are held back until the run is decided either way, so that no count is
 * ever taken back.
 */

/** Consecutive failed calls that make an outage… */
export const OUTAGE_RUN = 3;
/** …over at least this long (ms). */
export const OUTAGE_MIN_MS = 2000;

/** What one outcome resolved: failures that count as the link's own, and failures inside an outage. */
export interface Resolved {
  failures: number;
  outage: number;
}

/** Consecutive-failure state of one gateway. */
export class OutageTracker {
  /** Failures in the current run not yet resolved, and when the first of them came (ms). */
  private held = 0;
  private since = 0;
  /** Inside an outage: further failures belong to it until a call succeeds. */
  private down = false;
  /** Outages entered so far. */
  outages = 0;

  /** A failed call (502/504) at `at` (ms). `offline`: the gateway is known to be offline right now. */
  failure(offline: boolean, at: number, out: Resolved): Resolved {
    if (this.down || offline) {
      if (!this.down) this.outages++;
      this.down = true;
      out.failures = 0;
      out.outage = this.held + 1;
      this.held = 0;
      return out;
    }
    if (this.held === 0) this.since = at;
    this.held++;
    if (this.held >= OUTAGE_RUN && at - this.since >= OUTAGE_MIN_MS) {
      this.down = true;
      this.outages++;
      out.failures = 0;
      out.outage = this.held;
      this.held = 0;
      return out;
    }
    out.failures = 0;
    out.outage = 0;
    return out;
  }

  /** A call the gateway answered: a run shorter than OUTAGE_RUN was the link's own. */
  success(out: Resolved): Resolved {
    out.failures = this.held;
    out.outage = 0;
    this.held = 0;
    this.down = false;
    return out;
  }

  /** Failures held back right now (counted as the link's own if asked before the run is decided). */
  get pending(): number {
    return this.held;
  }

  /** Whether the gateway is in an outage by its calls. */
  get inOutage(): boolean {
    return this.down;
  }
}
