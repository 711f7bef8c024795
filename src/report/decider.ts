/**
 * When verdicts are decided. The running proxy decides at looks spaced by doubling time after the
 * comparison started and keeps each look's decision until the next look (verdict.ts says why);
 * the fleet report looks once, at the end of its range, at the full α.
 */
import {
  DEFAULT_POLICY, alphaAt, compareChange, decide, lookAtMs, lookOf,
  type ChangeTest, type GatewayEvidence, type MinutesByMeasure, type VerdictPolicy, type Verdicts,
} from './verdict.js';

/** The look a decision was taken at. */
export interface Look {
  /** 1, 2, 3, … (a one-shot decision is look 1 at the full α). */
  index: number;
  /** ms time the decision was taken. */
  at: number;
  /** The level this look was held to, before it is shared among the measures. */
  level: number;
  /** ms time of the next look, null when there is none (a one-shot decision). */
  nextAt: number | null;
}

/** What decides the verdicts of one report source. */
export interface Decider {
  readonly policy: VerdictPolicy;
  /** The transport verdicts for `evidence` at `now`; null before the first look. */
  transport(evidence: readonly GatewayEvidence[], now: number): { verdicts: Verdicts; look: Look } | null;
  /** The before/after tests of `gateway`, whose transport changed at `changedAt`; null before its first look. */
  change(gateway: string, changedAt: number, before: MinutesByMeasure, after: MinutesByMeasure, now: number): { tests: ChangeTest[]; look: Look } | null;
  /** When the first look of a comparison that started at `start` is due. */
  firstLookAt(start: number): number | null;
}

/**
 * The running proxy's decider: the transport comparison started at `startedAt`; each gateway's
 * before/after comparison at its change. A decision is taken the first time a report is asked at
 * or after a look is due, with the data of that moment, and kept until the next look: exactly one
 * decision per look, however often the report is read.
 */
export function createLatchedDecider(startedAt: number, policy: VerdictPolicy = DEFAULT_POLICY, firstLookMs?: number): Decider {
  const first = firstLookMs ?? lookAtMs(1);
  const lookIndex = (age: number): number => lookOf((age * lookAtMs(1)) / first);
  const dueAt = (start: number, j: number): number => start + (lookAtMs(j) * first) / lookAtMs(1);
  let transport: { verdicts: Verdicts; look: Look } | null = null;
  const changes = new Map<string, { changedAt: number; tests: ChangeTest[]; look: Look }>();
  const lookAt = (start: number, j: number, now: number): Look =>
    ({ index: j, at: now, level: alphaAt(policy.alpha, j), nextAt: dueAt(start, j + 1) });

  return {
    policy,
    transport(evidence, now) {
      const j = lookIndex(now - startedAt);
      if (j < 1) return null;
      if (transport === null || transport.look.index < j) {
        const look = lookAt(startedAt, j, now);
        transport = { verdicts: decide(evidence, look.level, policy), look };
      }
      return transport;
    },
    change(gateway, changedAt, before, after, now) {
      const j = lookIndex(now - changedAt);
      if (j < 1) return null;
      const held = changes.get(gateway);
      if (held !== undefined && held.changedAt === changedAt && held.look.index >= j) return held;
      const look = lookAt(changedAt, j, now);
      const next = { changedAt, tests: compareChange(before, after, look.level, policy), look };
      changes.set(gateway, next);
      return next;
    },
    firstLookAt: (start) => dueAt(start, 1),
  };
}

/** A decider that looks once, now, at the full α: the fleet report over a fixed range. */
export function oneLookDecider(policy: VerdictPolicy = DEFAULT_POLICY): Decider {
  const look = (now: number): Look => ({ index: 1, at: now, level: policy.alpha, nextAt: null });
  return {
    policy,
    transport: (evidence, now) => ({ verdicts: decide(evidence, policy.alpha, policy), look: look(now) }),
    change: (_gateway, _changedAt, before, after, now) => ({ tests: compareChange(before, after, policy.alpha, policy), look: look(now) }),
    firstLookAt: () => null,
  };
}
