/**
 * Verdicts: a CAPWAP gateway against the pooled MQTT gateways, and a gateway before against
 * after a transport change. Each measure (502/504 rate, event loss ratio) is compared with the
 * pooled two-proportion z-test, only when both samples are large enough; a difference counts
 * when it is significant at `alpha` AND large enough to matter (rate ratio ≥ `minRatio`), so a
 * huge sample cannot turn a negligible difference into advice.
 */
import { twoProportionZ } from './stats.js';
import { ratio } from './figures.js';
import type { ChangeVerdict, Comparison, Figures, Verdict } from './types.js';

/** Thresholds used by every verdict. */
export interface Thresholds {
  /** Minimum requests on each side to compare 502/504 rates. */
  minRequests: number;
  /** Minimum sequenced events (sequenced + missing) on each side to compare loss ratios. */
  minSequenced: number;
  /** Two-sided significance level. */
  alpha: number;
  /** Minimum worse/better rate ratio for a difference to matter. */
  minRatio: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = { minRequests: 200, minSequenced: 1000, alpha: 0.01, minRatio: 1.5 };

/** Compares measure `m` of sample `a` against sample `b`. */
export function compare(m: 'errors' | 'loss', a: Figures, b: Figures, t: Thresholds): Comparison {
  const ra = m === 'errors' ? a.errors : a.loss;
  const rb = m === 'errors' ? b.errors : b.loss;
  const min = m === 'errors' ? t.minRequests : t.minSequenced;
  const enough = ra.total >= min && rb.total >= min;
  const r =
    ra.rate !== null && rb.rate !== null && rb.rate > 0 ? ra.rate / rb.rate : null;
  if (!enough) return { measure: m, a: ra, b: rb, enough, z: null, pValue: null, ratio: r };
  const { z, pValue } = twoProportionZ(ra.count, ra.total, rb.count, rb.total);
  return { measure: m, a: ra, b: rb, enough, z, pValue, ratio: r };
}

/** Whether sample a is meaningfully and significantly worse (higher) than sample b. */
export function aWorse(c: Comparison, t: Thresholds): boolean {
  if (!c.enough || c.z === null || c.pValue === null || c.z <= 0 || c.pValue >= t.alpha) return false;
  const ra = c.a.rate ?? 0;
  const rb = c.b.rate ?? 0;
  return rb === 0 ? ra > 0 : ra / rb >= t.minRatio;
}

/** The same comparison with the samples swapped. */
function swapped(c: Comparison): Comparison {
  return { ...c, a: c.b, b: c.a, z: c.z === null ? null : -c.z, ratio: null };
}

const pct = (r: number | null): string => (r === null ? 'n/a' : `${(r * 100).toFixed(2)}%`);
const label = (m: 'errors' | 'loss'): string => (m === 'errors' ? '502/504 rate' : 'loss ratio');

/** p-values below the erfc approximation's floor are shown as a bound, not as a fake 0. */
const pText = (p: number | null): string => (p === null ? 'p n/a' : p < 1e-15 ? 'p<1e-15' : `p=${p.toPrecision(2)}`);

function describe(c: Comparison, left: string, right: string): string {
  return `${label(c.measure)} ${pct(c.a.rate)} ${left} vs ${pct(c.b.rate)} ${right} (${pText(c.pValue)})`;
}

/** Highest confidence (1 - p) among the comparisons that decided. */
function confidenceOf(decisive: Comparison[]): number | null {
  if (decisive.length === 0) return null;
  return Math.max(...decisive.map((c) => 1 - (c.pValue ?? 1)));
}

/** Verdict for one CAPWAP gateway (`gw`) against the pooled MQTT figures. */
export function recommend(
  gw: Figures,
  mqtt: Figures,
  t: Thresholds = DEFAULT_THRESHOLDS,
): { verdict: Verdict; confidence: number | null; reason: string; errors: Comparison; loss: Comparison } {
  const errors = compare('errors', gw, mqtt, t);
  const loss = compare('loss', gw, mqtt, t);
  const tested = [errors, loss].filter((c) => c.enough);
  if (tested.length === 0) {
    return {
      verdict: 'insufficient_data', confidence: null, errors, loss,
      reason: `needs ≥${t.minRequests} requests or ≥${t.minSequenced} sequenced events on both sides ` +
        `(have ${errors.a.total}/${errors.b.total} requests, ${loss.a.total}/${loss.b.total} events)`,
    };
  }
  const worse = tested.filter((c) => aWorse(c, t));
  if (worse.length > 0) {
    return {
      verdict: 'move_to_mqtt', confidence: confidenceOf(worse), errors, loss,
      reason: worse.map((c) => describe(c, 'here', 'on MQTT')).join('; '),
    };
  }
  return {
    verdict: 'no_clear_benefit', confidence: null, errors, loss,
    reason: `no significant, material difference: ${tested.map((c) => describe(c, 'here', 'on MQTT')).join('; ')}`,
  };
}

/** Verdict for a gateway's figures before and after its transport changed. */
export function judgeChange(
  before: Figures,
  after: Figures,
  t: Thresholds = DEFAULT_THRESHOLDS,
): { verdict: ChangeVerdict; confidence: number | null; reason: string; errors: Comparison; loss: Comparison } {
  const errors = compare('errors', before, after, t);
  const loss = compare('loss', before, after, t);
  const tested = [errors, loss].filter((c) => c.enough);
  if (tested.length === 0) {
    return {
      verdict: 'insufficient_data', confidence: null, errors, loss,
      reason: `needs ≥${t.minRequests} requests or ≥${t.minSequenced} sequenced events before and after`,
    };
  }
  const better = tested.filter((c) => aWorse(c, t));
  const worse = tested.filter((c) => aWorse(swapped(c), t));
  const text = tested.map((c) => describe(c, 'before', 'after')).join('; ');
  if (better.length > 0 && worse.length === 0) {
    return { verdict: 'improved', confidence: confidenceOf(better), errors, loss, reason: text };
  }
  if (worse.length > 0 && better.length === 0) {
    return { verdict: 'worse', confidence: confidenceOf(worse), errors, loss, reason: text };
  }
  const mixed = better.length > 0 ? 'mixed: ' : '';
  return { verdict: 'no_significant_change', confidence: null, errors, loss, reason: mixed + text };
}

/** Exposed for tests and the page: a Figures with only the counts the verdicts read. */
export function figuresFromCounts(requests: number, errors: number, sequenced: number, missing: number): Figures {
  const none = ratio(0, requests);
  return {
    requests, clientAborts: 0,
    status502: { upstream: ratio(errors, requests), proxy: none, all: ratio(errors, requests) },
    status504: { upstream: none, proxy: none, all: none },
    errors: ratio(errors, requests),
    headersMs: { p50: null, p99: null, samples: 0 },
    events: sequenced, sequenced, missing, outOfOrder: 0, duplicate: 0,
    loss: ratio(missing, sequenced + missing),
  };
}
