/**
 * The pace of the probes, as pure functions: how far apart two probe starts are, whose turn it is,
 * and when a gateway sits a turn out. The scheduler (scheduler.ts) walks the known gateways in a
 * ring, one turn every `spacing`, so N gateways share `probe.interval` evenly — no burst at the
 * interval's boundary — and a jitter of ±10 % keeps probes from locking onto other periodic work.
 * Every gateway keeps its turn whether or not it is probed on it, so a skipped gateway never
 * makes the others' probes come faster than `probe.interval`.
 */

/** Half-width of the jitter on each spacing, as a fraction of it. */
export const JITTER = 0.1;
/** A gateway known offline is probed on every this-many-th turn only: an outage is not worth the AC's time. */
export const OFFLINE_EVERY = 4;
/** A gateway answering `chip is busy` / `no resources` sits out 1, 3, 7 turns, then stays at 7. */
export const MAX_BACKOFF_TURNS = 7;

/** How the ring is paced for `targets` gateways. */
export interface Pace {
  /** ms between two turns. */
  spacingMs: number;
  /** ms between two turns of the same gateway: `probe.interval`, or longer when capped. */
  cycleMs: number;
  /** True when `maxPerSecond` made the cycle longer than `probe.interval`. */
  capped: boolean;
}

/** The pace for `targets` gateways (at least 1) probed every `intervalMs`, at most `maxPerSecond` starts a second. */
export function paceFor(targets: number, intervalMs: number, maxPerSecond: number): Pace {
  const n = Math.max(1, targets);
  const even = intervalMs / n;
  const floor = 1000 / maxPerSecond;
  const spacingMs = Math.max(even, floor);
  return { spacingMs, cycleMs: spacingMs * n, capped: floor > even };
}

/** `spacingMs` with ±JITTER applied for a uniform draw `u` in [0, 1), never below `minMs`. */
export function jittered(spacingMs: number, minMs: number, u: number): number {
  return Math.max(minMs, spacingMs * (1 + JITTER * (2 * u - 1)));
}

/** Where a rebuilt ring (sorted MACs) continues after `lastMac`: the first MAC after it, or 0. */
export function resumeAt(ring: readonly string[], lastMac: string | null): number {
  if (lastMac === null) return 0;
  const i = ring.findIndex((mac) => mac > lastMac);
  return i < 0 ? ring.length : i;
}

/** What the scheduler keeps per gateway between turns. */
export interface TurnState {
  inFlight: boolean;
  /** Turns still to sit out after a busy answer. */
  backoff: number;
  /** Consecutive busy answers. */
  busyStreak: number;
  /** Turns taken while the gateway was known offline. */
  offlineTurns: number;
}

export function createTurnState(): TurnState {
  return { inFlight: false, backoff: 0, busyStreak: 0, offlineTurns: 0 };
}

/**
 * Whether the gateway whose turn it is gets a probe now, updating `s`: never while its previous
 * probe is in flight (one at a time per gateway), not while backing off, and when known offline
 * only on every OFFLINE_EVERY-th turn (the first one included, so an outage is seen at once).
 */
export function takeTurn(s: TurnState, knownOffline: boolean): boolean {
  if (s.inFlight) return false;
  if (s.backoff > 0) {
    s.backoff -= 1;
    return false;
  }
  if (!knownOffline) {
    s.offlineTurns = 0;
    return true;
  }
  return s.offlineTurns++ % OFFLINE_EVERY === 0;
}

/** After an answer: `busy` (the gateway said `chip is busy` or `no resources`) backs off exponentially, anything else resets. */
export function settle(s: TurnState, busy: boolean): void {
  if (!busy) {
    s.busyStreak = 0;
    return;
  }
  s.busyStreak += 1;
  s.backoff = Math.min(MAX_BACKOFF_TURNS, 2 ** s.busyStreak - 1);
}

/**
 * Spaces starts at least `1000 / maxPerSecond` ms apart, whoever asks: `wait()` says how long the
 * caller must wait before it may start (0: now) and books that start. The probe asks right before
 * it is sent (after its token is at hand), and so does the one retry after a refused token, so the
 * cap holds at the AC whatever delays came before.
 */
export function createStartGate(now: () => number): { wait(maxPerSecond: number): number } {
  let nextAt = -Infinity;
  return {
    wait(maxPerSecond) {
      const t = now();
      const at = Math.max(t, nextAt);
      nextAt = at + 1000 / maxPerSecond;
      return at - t;
    },
  };
}
