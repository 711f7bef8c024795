/**
 * From counts to the report's verdict entries: the tallies each measure rests on (outages left
 * out), the recommendation of one CAPWAP gateway and the before/after verdict of one transport
 * change, as decided by the verdict core (verdict.ts) at a look (decider.ts).
 */
import { ratio } from './figures.js';
import { AC_ERRORS } from '../vocabulary.js';
import { F, P, acErrorField } from './ring.js';
import type { Look } from './decider.js';
import {
  DEFAULT_POLICY, MEASURES, trials,
  type ChangeTest, type GatewayDecision, type Measure, type Tally, type TransportTest, type VerdictPolicy,
} from './verdict.js';
import type {
  ChangeVerdict, Comparison, LookReport, OutageFigures, Ratio, Recommendation, TransportChange, TransportComparison, Verdict,
} from './types.js';

/** The thresholds every verdict uses (docs/verdicts.md). */
export type Thresholds = VerdictPolicy;
export const DEFAULT_THRESHOLDS: Thresholds = DEFAULT_POLICY;

/** Tallies of one measure each, from a segment's counters: what the verdicts compare. */
export type Tallies = Partial<Record<Measure, Tally>>;

/**
 * The tallies of one segment's counters (FIELDS layout): `errors` are the 502/504 answers among
 * the answered calls, both without the calls inside outages and without the `undecided` failures
 * of a run the outage tracker has not yet decided; `loss` the missing among sequenced
 * and missing events; `probes` as given. A measure without trials is absent.
 */
export function talliesOf(c: Float64Array, probes?: Tally, undecided = 0): Tallies {
  const v = (f: number): number => c[f] ?? 0;
  // A run of failures not yet told outage or link loss counts as neither until it is.
  const outage = v(F.outageErrors) + undecided;
  const failed = v(F.upstream502) + v(F.proxy502) + v(F.upstream504) + v(F.proxy504) - outage;
  const answered = v(F.requests) - v(F.clientAborts) - outage;
  const out: Tallies = {};
  if (answered > 0) out.errors = { k: Math.max(0, failed), n: answered };
  const events = v(F.sequenced) + v(F.missing);
  if (events > 0) out.loss = { k: v(F.missing), n: events };
  if (probes !== undefined && probes.n > 0) out.probes = probes;
  return out;
}

/**
 * The `probes` tally of a segment's probe counters (PROBE_FIELDS layout): 502, 504 and timeouts
 * among the probes that reached the AC; probes of a gateway known offline are not in `sent`.
 */
export function probeTallyOf(c: Float64Array | undefined): Tally | undefined {
  if (c === undefined) return undefined;
  const v = (f: number): number => c[f] ?? 0;
  return { k: v(P.status502) + v(P.status504) + v(P.timeout), n: v(P.sent) - v(P.unreachable) };
}

/** Each of the AC's error words among the answered calls of one segment's counters. */
export function kindsOf(c: Float64Array): Record<string, Tally> {
  const answered = (c[F.requests] ?? 0) - (c[F.clientAborts] ?? 0);
  const out: Record<string, Tally> = {};
  for (const error of AC_ERRORS) out[error] = { k: c[acErrorField(error)] ?? 0, n: answered };
  return out;
}

/** The outages of one segment's counters. */
export function outagesOf(c: Float64Array): OutageFigures {
  return { outages: c[F.outages] ?? 0, failedCalls: c[F.outageErrors] ?? 0 };
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** A look as the report shows it. */
export function lookReport(look: Look | null): LookReport | null {
  return look === null ? null : { index: look.index, at: iso(look.at), level: look.level, nextAt: look.nextAt === null ? null : iso(look.nextAt) };
}

const pct = (r: number | null): string => (r === null ? 'n/a' : `${(r * 100).toFixed(2)}%`);
const pText = (p: number | null): string => (p === null ? 'p n/a' : p < 1e-15 ? 'p<1e-15' : `p=${p.toPrecision(2)}`);
const measureText = (m: Measure): string => (m === 'errors' ? '502/504 rate' : m === 'loss' ? 'loss ratio' : 'probe failure rate');
const ratioOf = (t: Tally | undefined): Ratio => ratio(t?.k ?? 0, t?.n ?? 0);

/** Sums tallies of one measure. */
function pool(list: readonly Tallies[], m: Measure): Tally {
  let k = 0;
  let n = 0;
  for (const t of list) {
    k += t[m]?.k ?? 0;
    n += t[m]?.n ?? 0;
  }
  return { k, n };
}

function comparison(measure: Measure, a: Ratio, b: Ratio, test: { t: number; df: number; pValue: number } | undefined): Comparison {
  return {
    measure, a, b, enough: test !== undefined, z: test?.t ?? null, pValue: test?.pValue ?? null, df: test?.df ?? null,
    ratio: a.rate !== null && b.rate !== null && b.rate > 0 ? a.rate / b.rate : null,
  };
}

/** The transport comparison as the report shows it. */
export function transportComparison(tests: readonly TransportTest[]): TransportComparison[] {
  return tests.map((t) => ({
    measure: t.measure,
    capwap: { gateways: t.capwap.gateways, meanRate: t.capwap.meanRate },
    mqtt: { gateways: t.mqtt.gateways, meanRate: t.mqtt.meanRate },
    t: t.t, df: t.df, pValue: t.pValue, level: t.level, worse: t.worse, missing: t.missing,
  }));
}

/** What a recommendation is made from. */
export interface RecommendationInput {
  gateway: string;
  name: string | null;
  tallies: Tallies;
  outages: OutageFigures;
  /** Every MQTT gateway's tallies (the `b` side of each comparison). */
  mqtt: readonly Tallies[];
  /** The decision at the latest look (undefined: not part of it, e.g. first seen since); null before the first look. */
  decided: { decision: GatewayDecision | undefined; tests: readonly TransportTest[]; look: Look } | null;
  /** When the first look is due (before it), else null. */
  firstLookAt: number | null;
}

/** The recommendation for one CAPWAP gateway. */
export function recommendation(input: RecommendationInput, policy: VerdictPolicy = DEFAULT_POLICY): Recommendation {
  const { decided, tallies } = input;
  const decision = decided?.decision;
  const cmp = (m: Measure): Comparison => comparison(m, ratioOf(tallies[m]), ratioOf(pool(input.mqtt, m)), decision?.against[m]);
  const base = {
    gateway: input.gateway, name: input.name, errors: cmp('errors'), loss: cmp('loss'),
    ...(tallies.probes !== undefined || input.mqtt.some((t) => t.probes !== undefined) ? { probes: cmp('probes') } : {}),
    outages: input.outages, look: lookReport(decided?.look ?? null),
  };
  if (decided === null || decision === undefined) {
    const when = decided === null
      ? `first look at ${input.firstLookAt === null ? 'the start' : iso(input.firstLookAt)}`
      : `first seen after the look of ${iso(decided.look.at)}; next look at ${decided.look.nextAt === null ? 'the next report' : iso(decided.look.nextAt)}`;
    return { ...base, verdict: 'insufficient_data', confidence: null, decidedBy: [], reason: `not judged yet: ${when}` };
  }
  const tests = new Map(decided.tests.map((t) => [t.measure, t]));
  if (decision.verdict === 'move_to_mqtt') {
    const deciding = decision.decidedBy.map((m) => tests.get(m) as TransportTest);
    const p = Math.min(...deciding.map((t) => t.pValue ?? 1));
    return {
      ...base, verdict: 'move_to_mqtt', confidence: 1 - p, decidedBy: decision.decidedBy,
      reason: deciding.map((t) => {
        const own = tallies[t.measure];
        return `${measureText(t.measure)} ${pct(own ? own.k / own.n : null)} here vs ${pct(t.mqtt.meanRate)} on MQTT gateways ` +
          `(CAPWAP gateways worse: ${pText(t.pValue)} at level ${t.level.toPrecision(2)}; this one above the MQTT gateways' spread: ${pText(decision.against[t.measure]?.pValue ?? null)})`;
      }).join('; '),
    };
  }
  if (decision.verdict === 'insufficient_data') {
    const missing = [...tests.values()].map((t) => t.missing).filter((m): m is string => m !== null);
    const own = MEASURES.map((m) => `${tallies[m]?.n ?? 0} ${trials(m)}`).join(', ');
    return {
      ...base, verdict: 'insufficient_data', confidence: null, decidedBy: [],
      reason: missing.length > 0 ? missing.join('; ') : `too little of its own: ${own} (needs ${policy.minTrials.errors} calls, ${policy.minTrials.loss} sequenced events or ${policy.minTrials.probes} probes)`,
    };
  }
  return { ...base, verdict: 'no_clear_benefit' as Verdict, confidence: null, decidedBy: [], reason: noBenefitReason(decision, [...tests.values()]) };
}

function noBenefitReason(decision: GatewayDecision, tests: readonly TransportTest[]): string {
  return tests.filter((t) => decision.against[t.measure] !== undefined).map((t) => {
    if (!t.worse) {
      return `${measureText(t.measure)}: CAPWAP gateways ${pct(t.capwap.meanRate)} vs MQTT gateways ${pct(t.mqtt.meanRate)}, ` +
        `not significantly and materially worse (${pText(t.pValue)}, level ${t.level.toPrecision(2)})`;
    }
    return `${measureText(t.measure)}: within what MQTT gateways show (${pText(decision.against[t.measure]?.pValue ?? null)})`;
  }).join('; ') || 'no measure could be tested';
}

/** What a before/after verdict is made from. */
export interface ChangeInput {
  before: Tallies;
  after: Tallies;
  decided: { tests: readonly ChangeTest[]; look: Look } | null;
  firstLookAt: number | null;
}

/** The verdict part of a transport change. */
export function changeVerdict(input: ChangeInput): Pick<TransportChange, 'verdict' | 'confidence' | 'reason' | 'errors' | 'loss' | 'probes' | 'decidedBy' | 'look'> {
  const { decided } = input;
  const tests = new Map((decided?.tests ?? []).map((t) => [t.measure, t]));
  const cmp = (m: Measure): Comparison => {
    const t = tests.get(m);
    const tested = t !== undefined && t.t !== null && t.df !== null && t.pValue !== null ? { t: t.t, df: t.df, pValue: t.pValue } : undefined;
    return comparison(m, ratioOf(input.before[m]), ratioOf(input.after[m]), tested);
  };
  const base = {
    errors: cmp('errors'), loss: cmp('loss'),
    ...(input.before.probes !== undefined || input.after.probes !== undefined ? { probes: cmp('probes') } : {}),
    look: lookReport(decided?.look ?? null),
  };
  if (decided === null) {
    return { ...base, verdict: 'insufficient_data', confidence: null, decidedBy: [],
      reason: `not judged yet: first look at ${input.firstLookAt === null ? 'the next report' : iso(input.firstLookAt)}` };
  }
  const all = [...tests.values()];
  const tested = all.filter((t) => t.missing === null);
  if (tested.length === 0) {
    return { ...base, verdict: 'insufficient_data', confidence: null, decidedBy: [], reason: all.map((t) => `${measureText(t.measure)}: ${t.missing}`).join('; ') || 'no measure on both sides' };
  }
  const better = tested.filter((t) => t.direction === 'improved');
  const worse = tested.filter((t) => t.direction === 'worse');
  const text = tested.map((t) => `${measureText(t.measure)} ${pct(t.before)} before vs ${pct(t.after)} after (${pText(t.pValue)}, level ${t.level.toPrecision(2)})`).join('; ');
  const confidence = (list: ChangeTest[]): number => 1 - Math.min(...list.map((t) => t.pValue ?? 1));
  let verdict: ChangeVerdict = 'no_significant_change';
  let deciding: ChangeTest[] = [];
  if (better.length > 0 && worse.length === 0) [verdict, deciding] = ['improved', better];
  else if (worse.length > 0 && better.length === 0) [verdict, deciding] = ['worse', worse];
  const mixed = better.length > 0 && worse.length > 0 ? 'mixed: ' : '';
  return {
    ...base, verdict, decidedBy: deciding.map((t) => t.measure),
    confidence: deciding.length > 0 ? confidence(deciding) : null, reason: mixed + text,
  };
}
