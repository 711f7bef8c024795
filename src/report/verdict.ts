/**
 * The verdict core: whether CAPWAP hurts, which CAPWAP gateways to move to MQTT, and whether a
 * gateway's transport change helped. Pure functions over counts; the running proxy, its status
 * page and the fleet report all decide through here. The method and its assumptions, in an
 * operator's words, are in docs/verdicts.md.
 *
 * Why not one z-test over every call: failures are not independent (an outage fails every call
 * made during it, a burst of link loss drops a run of events) and gateways differ for reasons that
 * have nothing to do with transport (site, uplink, radio). So:
 *
 * - **Transport**: the unit is the gateway. Each gateway's failure rate outside outages, as a log
 *   rate, is one observation; CAPWAP and MQTT gateways are compared with Student's two-sample t
 *   on those values (the cluster-level analysis of cluster-randomised trials: Hayes & Moulton,
 *   *Cluster Randomised Trials*, 2nd ed., 2017, ch. 9). Bursts and outages inside one gateway and
 *   the differences between gateways all show up in the spread of the gateways' rates, which is
 *   what the test's variance is estimated from; it is never taken below what counting alone gives.
 * - **Gateway**: once CAPWAP gateways as a group are significantly worse, a CAPWAP gateway is
 *   advised to move when its own rate lies above what MQTT gateways show among themselves (a
 *   one-sided prediction bound for one more MQTT gateway) and is materially higher. So a
 *   gateway at a bad site is not blamed on CAPWAP unless CAPWAP as a whole is worse.
 * - **Before/after** a transport change: the unit is the minute. The two periods' rates are
 *   compared with a quasi-binomial t-test whose dispersion comes from how the minutes of both
 *   periods scatter around their period's rate, with the shorter period's degrees of freedom.
 * - **Continuous monitoring**: a decision is taken at looks spaced by doubling time (30 s, 1 min,
 *   2 min, 4 min, … after the comparison started); look j is held to α·(1 − r)·r^(j−1), levels
 *   that sum to α, so the chance of ever giving a false verdict stays at α however often the page
 *   is read and however long the proxy runs (Bonferroni alpha-spending over an unbounded look
 *   schedule). The caller keeps each look's decision until the next look (`lookOf`).
 * - Measures (502/504 rate, event loss, probe failures) are tested at the look's level divided
 *   by their number, so more kinds of evidence never mean more chances of a false verdict.
 *
 * bench/verdict-eval.mjs checks these promises on many seeded sessions in simulated time.
 */
import { tUpperTail } from './stats.js';

/** The measures a verdict can rest on: calls answered 502/504, events lost, the proxy's own probes failing. */
export type Measure = 'errors' | 'loss' | 'probes';
export const MEASURES: readonly Measure[] = ['errors', 'loss', 'probes'];

/** Failures `k` out of `n` trials (calls, sequenced events, probes), outside outages. */
export interface Tally {
  k: number;
  n: number;
}

/**
 * Sums over whole minutes of one tally (k_i, n_i per minute i), for a variance that respects
 * dependence inside a minute. `buckets` counts minutes with at least one trial.
 */
export interface MinuteSums {
  buckets: number;
  k: number;
  n: number;
  /** Σ k_i² / n_i, for Pearson's dispersion. */
  kkn: number;
}

/** The thresholds of every verdict. */
export interface VerdictPolicy {
  /** Chance of ever giving a false verdict, over every look (default 0.01). */
  alpha: number;
  /** A difference must also be at least this rate ratio to matter (default 1.5). */
  minRatio: number;
  /** Trials a gateway needs on a measure before that measure counts for it. */
  minTrials: Record<Measure, number>;
  /** One-sided level of "above what MQTT gateways show" once CAPWAP is known to be worse (default 0.05). */
  selection: number;
  /** Whole minutes each side of a transport change needs before the change is judged. */
  minMinutes: number;
}

export const DEFAULT_POLICY: VerdictPolicy = {
  alpha: 0.01,
  minRatio: 1.5,
  minTrials: { errors: 20, loss: 20, probes: 10 },
  selection: 0.05,
  minMinutes: 3,
};

/** Seconds after the start of a comparison at which the first look is taken; later looks double it. */
export const FIRST_LOOK_SECONDS = 30;

/** The look index at `ageMs` after a comparison started: 0 before the first look, then 1, 2, 3, … */
export function lookOf(ageMs: number): number {
  const ratio = ageMs / (FIRST_LOOK_SECONDS * 1000);
  return ratio < 1 ? 0 : Math.floor(Math.log2(ratio)) + 1;
}

/** When look `j` (≥ 1) is due, in ms after the start. */
export function lookAtMs(j: number): number {
  return FIRST_LOOK_SECONDS * 1000 * 2 ** (j - 1);
}

/** Share of α left for the looks after each look: look j spends α·(1 − r)·r^(j−1). */
export const SPENDING_RATIO = 0.8;

/**
 * The level spent at look `j` (≥ 1): α·(1 − r)·r^(j−1), which sums to α over all looks. A
 * geometric share leaves most of α for the looks at 1–8 minutes, where the evidence of a real
 * difference arrives, and still some after days (look 20, at 6 months, gets 0.3 % of α).
 */
export function alphaAt(alpha: number, j: number): number {
  return j < 1 ? 0 : alpha * (1 - SPENDING_RATIO) * SPENDING_RATIO ** (j - 1);
}

/**
 * A gateway's rate on the log scale, log((k + ½)/(n + ½)): site, uplink and radio multiply a
 * gateway's failure rate, so gateways' rates differ by factors and their logs are close to
 * normal; the ½ keeps a gateway without failures finite (Haldane 1956, Anscombe 1956).
 */
export function logRate(t: Tally): number {
  return Math.log((t.k + 0.5) / (t.n + 0.5));
}

/**
 * The binomial variance of `logRate` for n trials at rate p (delta method, ½ as above): the least
 * spread a gateway's measured rate has from counting alone.
 */
export function countingVariance(n: number, p: number): number {
  return (1 - p) / (n * p + 0.5);
}

/** One transport's gateways on one measure. */
export interface GroupSummary {
  /** Gateways with enough trials. */
  gateways: number;
  /** Mean of the gateways' rates (each gateway weighs the same), null without gateways. */
  meanRate: number | null;
  /** Mean and variance of the gateways' log rates; the variance is at least the counting one. */
  mean: number;
  variance: number;
  /** The sample variance alone (0 for one gateway), and the mean counting variance of one gateway. */
  sample: number;
  floor: number;
}

/** Summarises the tallies, counting variance at the `pooled` rate of every gateway compared. */
function summarise(tallies: readonly Tally[], pooled: number): GroupSummary {
  const g = tallies.length;
  if (g === 0) return { gateways: 0, meanRate: null, mean: 0, variance: 0, sample: 0, floor: 0 };
  let sumY = 0;
  let sumRate = 0;
  let floor = 0;
  const ys = tallies.map(logRate);
  for (let i = 0; i < g; i++) {
    const t = tallies[i] as Tally;
    sumY += ys[i] as number;
    sumRate += t.k / t.n;
    floor += countingVariance(t.n, pooled);
  }
  const mean = sumY / g;
  let ss = 0;
  for (const y of ys) ss += (y - mean) ** 2;
  const sample = g > 1 ? ss / (g - 1) : 0;
  return { gateways: g, meanRate: sumRate / g, mean, variance: Math.max(sample, floor / g), sample, floor: floor / g };
}

/** The transport-level comparison on one measure: are CAPWAP gateways worse than MQTT gateways? */
export interface TransportTest {
  measure: Measure;
  capwap: GroupSummary;
  mqtt: GroupSummary;
  /** Student's t of CAPWAP minus MQTT log rates, its degrees of freedom and one-sided p; null when not testable. */
  t: number | null;
  df: number | null;
  pValue: number | null;
  /** The rate of all gateways compared taken together (the counting variance is computed at it). */
  pooled: number;
  /** The level this test was held to (the look's level shared among the measures tested). */
  level: number;
  /** Significant at `level` and material (mean rate ratio ≥ minRatio). */
  worse: boolean;
  /** Why it could not be tested, when it could not. */
  missing: string | null;
}

/** A sample as Student's t sees it: its size, mean and (n − 1)-denominator variance. */
export interface Sample {
  count: number;
  mean: number;
  variance: number;
}

/**
 * Student's two-sample t with the pooled variance, never below `floor` (the variance one
 * observation has at least). Under "transport makes no difference" CAPWAP and MQTT gateways vary
 * alike, so one spread from all of them is right and uses every gateway's degree of freedom
 * (Welch's test would rest on the smaller group alone, and a few gateways that happen to agree
 * would make it overconfident: bench/verdict-eval.mjs, scenario aa-sites-few).
 */
export function studentT(a: Sample, b: Sample, floor = 0): { t: number; df: number } {
  const df = a.count + b.count - 2;
  const pooled = ((a.count - 1) * a.variance + (b.count - 1) * b.variance) / df;
  const variance = Math.max(pooled, floor);
  return { t: (a.mean - b.mean) / Math.sqrt(variance * (1 / a.count + 1 / b.count)), df };
}

/** (Σk + ½)/(Σn + 1) over `tallies`. */
function pooledRate(tallies: readonly Tally[]): number {
  let k = 0;
  let n = 0;
  for (const t of tallies) {
    k += t.k;
    n += t.n;
  }
  return (k + 0.5) / (n + 1);
}

const material = (worse: number | null, better: number | null, minRatio: number): boolean =>
  worse !== null && better !== null && (better === 0 ? worse > 0 : worse / better >= minRatio);

/** Compares the CAPWAP and MQTT gateways' tallies of one measure at `level`. */
export function transportTest(
  measure: Measure, capwap: readonly Tally[], mqtt: readonly Tally[], level: number, policy: VerdictPolicy,
): TransportTest {
  const min = policy.minTrials[measure];
  const cs = capwap.filter((t) => t.n >= min);
  const ms = mqtt.filter((t) => t.n >= min);
  // Under "no difference" every gateway counts at one common rate: the counting floor uses it.
  const pooled = pooledRate([...cs, ...ms]);
  const c = summarise(cs, pooled);
  const m = summarise(ms, pooled);
  const base = { measure, capwap: c, mqtt: m, pooled, level };
  let missing: string | null = null;
  if (m.gateways < 2) missing = `${m.gateways} MQTT gateway${m.gateways === 1 ? '' : 's'} with ≥${min} ${trials(measure)}: at least 2 are needed to know how much gateways differ among themselves`;
  else if (c.gateways < 1) missing = `no CAPWAP gateway with ≥${min} ${trials(measure)}`;
  if (missing !== null) return { ...base, t: null, df: null, pValue: null, worse: false, missing };
  const { t, df } = studentT(
    { count: c.gateways, mean: c.mean, variance: c.sample }, { count: m.gateways, mean: m.mean, variance: m.sample },
    Math.max(c.floor, m.floor));
  const pValue = tUpperTail(t, df);
  const worse = pValue < level && material(c.meanRate, m.meanRate, policy.minRatio);
  return { ...base, t, df, pValue, worse, missing: null };
}

/** Whether one CAPWAP gateway's tally lies above what the MQTT gateways show among themselves. */
export function aboveMqtt(
  gateway: Tally, test: Pick<TransportTest, 'mqtt' | 'pooled'>, policy: VerdictPolicy,
): { t: number; df: number; pValue: number; above: boolean } {
  const { mqtt } = test;
  const y = logRate(gateway);
  // A prediction bound for one more MQTT gateway, plus this gateway's own counting noise.
  const spread = mqtt.variance * (1 + 1 / mqtt.gateways) + countingVariance(gateway.n, test.pooled);
  const t = (y - mqtt.mean) / Math.sqrt(spread);
  const df = mqtt.gateways - 1;
  const pValue = tUpperTail(t, df);
  const above = pValue < policy.selection && material(gateway.k / gateway.n, mqtt.meanRate, policy.minRatio);
  return { t, df, pValue, above };
}

/** What "trials" are called for a measure, in messages. */
export function trials(measure: Measure): string {
  return measure === 'errors' ? 'calls' : measure === 'loss' ? 'sequenced events' : 'probes';
}

/**
 * Pearson's sum over a period's minutes, Σ (k_i − p̂·n_i)² / n_i with p̂ the period's own rate: the
 * spread of its minutes around its rate, in units of one trial's binomial variance.
 */
export function pearsonSum(s: MinuteSums): number {
  return s.n > 0 ? Math.max(0, s.kkn - (s.k * s.k) / s.n) : 0;
}

/** The before/after comparison of one measure. */
export interface ChangeTest {
  measure: Measure;
  before: number | null;
  after: number | null;
  t: number | null;
  df: number | null;
  /** Two-sided p. */
  pValue: number | null;
  level: number;
  direction: 'improved' | 'worse' | null;
  missing: string | null;
}

/** Compares one gateway's minutes before and after its transport changed, two-sided at `level`. */
export function changeTest(
  measure: Measure, before: MinuteSums, after: MinuteSums, level: number, policy: VerdictPolicy,
): ChangeTest {
  const base = { measure, level, before: before.n > 0 ? before.k / before.n : null, after: after.n > 0 ? after.k / after.n : null };
  const min = policy.minTrials[measure];
  const short = [before, after].some((s) => s.buckets < policy.minMinutes || s.n < min);
  if (short) {
    return {
      ...base, t: null, df: null, pValue: null, direction: null,
      missing: `needs ≥${policy.minMinutes} minutes and ≥${min} ${trials(measure)} before and after`,
    };
  }
  // Quasi-binomial (McCullagh & Nelder, Generalized Linear Models, 1989, §4.5): the trials of a
  // minute may be dependent, so the binomial variance is scaled by the dispersion φ that the
  // minutes of both periods show around their own period's rate. Under "no change" both periods
  // are the same process, so one φ from both is both right and robust: a few calm minutes after a
  // change cannot make their own rate look precise.
  const rateB = before.k / before.n;
  const rateA = after.k / after.n;
  const pooled = (before.k + after.k + 0.5) / (before.n + after.n + 1);
  const dfPhi = before.buckets + after.buckets - 2;
  const phi = Math.max(1, (pearsonSum(before) + pearsonSum(after)) / (dfPhi * pooled * (1 - pooled)));
  const t = (rateB - rateA) / Math.sqrt(phi * pooled * (1 - pooled) * (1 / before.n + 1 / after.n));
  // The rate of the shorter period is the mean of few minutes of a bursty process: skewed, with a
  // heavier tail than the t distribution of the pooled degrees of freedom promises. Its own
  // minutes' degrees of freedom are the honest ones (as in Welch's most conservative choice).
  const df = Math.min(before.buckets, after.buckets) - 1;
  const pValue = Math.min(1, 2 * tUpperTail(Math.abs(t), df));
  let direction: ChangeTest['direction'] = null;
  if (pValue < level) {
    if (t > 0 && material(rateB, rateA, policy.minRatio)) direction = 'improved';
    else if (t < 0 && material(rateA, rateB, policy.minRatio)) direction = 'worse';
  }
  return { ...base, t, df, pValue, direction, missing: null };
}

/** One gateway's evidence: its current transport and its tallies outside outages. */
export interface GatewayEvidence {
  gateway: string;
  transport: string;
  tallies: Partial<Record<Measure, Tally>>;
  /** Answers of each kind (the AC's error words) among its answered calls: compared, not a verdict. */
  kinds?: Readonly<Record<string, Tally>>;
}

/** Whether one kind of answer is as frequent on CAPWAP gateways as on MQTT gateways (two-sided). */
export interface KindTest {
  kind: string;
  capwap: GroupSummary;
  mqtt: GroupSummary;
  /** Student's t of CAPWAP minus MQTT log rates, its degrees of freedom, two-sided p; null when not testable. */
  t: number | null;
  df: number | null;
  pValue: number | null;
  /** The look's level shared among the kinds tested. */
  level: number;
  /** Significantly different at `level`; null when not testable. */
  differs: boolean | null;
  missing: string | null;
}

/**
 * Every kind of answer any gateway had, CAPWAP gateways against MQTT gateways, each gateway one
 * observation as for the verdicts (its rate of that kind among its answered calls, log scale,
 * Student's pooled t), two-sided, at `level` shared among the kinds tested. A separate family of
 * claims from the verdicts, with its own α.
 */
export function compareKinds(evidence: readonly GatewayEvidence[], level: number, policy: VerdictPolicy = DEFAULT_POLICY): KindTest[] {
  const kinds = [...new Set(evidence.flatMap((e) => Object.entries(e.kinds ?? {}).filter(([, t]) => t.k > 0).map(([k]) => k)))].sort();
  const min = policy.minTrials.errors;
  const of = (transport: string, kind: string): Tally[] => evidence
    .filter((e) => e.transport === transport)
    .flatMap((e) => { const t = e.kinds?.[kind]; return t !== undefined && t.n >= min ? [t] : []; });
  const first = kinds.map((kind) => {
    const cs = of('capwap', kind);
    const ms = of('mqtt', kind);
    const pooled = pooledRate([...cs, ...ms]);
    const c = summarise(cs, pooled);
    const m = summarise(ms, pooled);
    const base = { kind, capwap: c, mqtt: m, level };
    if (c.gateways < 1 || m.gateways < 1 || c.gateways + m.gateways < 3) {
      return { ...base, t: null, df: null, pValue: null, differs: null,
        missing: `needs gateways on both transports (3 or more in all) with ≥${min} calls` };
    }
    const { t, df } = studentT(
      { count: c.gateways, mean: c.mean, variance: c.sample }, { count: m.gateways, mean: m.mean, variance: m.sample },
      Math.max(c.floor, m.floor));
    return { ...base, t, df, pValue: Math.min(1, 2 * tUpperTail(Math.abs(t), df)), differs: false, missing: null };
  });
  const share = level / Math.max(1, first.filter((k) => k.missing === null).length);
  return first.map((k) => ({ ...k, level: share, differs: k.pValue === null ? null : k.pValue < share }));
}

/** What the verdicts of one look are. */
export interface Verdicts {
  /** The level of this look, before it is shared among the measures tested. */
  level: number;
  /** One per measure that has any tally. */
  transport: TransportTest[];
  /** Per CAPWAP gateway: the measures that decided `move_to_mqtt` (empty: no move advised). */
  gateways: Map<string, GatewayDecision>;
  /** The kinds of answer compared at the same look (compareKinds). */
  kinds: KindTest[];
}

/** The decision for one CAPWAP gateway. */
export interface GatewayDecision {
  verdict: 'move_to_mqtt' | 'no_clear_benefit' | 'insufficient_data';
  /** The measures that decided a move. */
  decidedBy: Measure[];
  /** Per measure tested for this gateway: how it compares with the MQTT gateways. */
  against: Partial<Record<Measure, { t: number; df: number; pValue: number; above: boolean }>>;
}

/** Every CAPWAP gateway's verdict at one look held to `level` (α spent at this look). */
export function decide(evidence: readonly GatewayEvidence[], level: number, policy: VerdictPolicy = DEFAULT_POLICY): Verdicts {
  const capwap = evidence.filter((e) => e.transport === 'capwap');
  const mqtt = evidence.filter((e) => e.transport === 'mqtt');
  const measures = MEASURES.filter((m) => evidence.some((e) => e.tallies[m] !== undefined));
  const tallies = (list: readonly GatewayEvidence[], m: Measure): Tally[] =>
    list.flatMap((e) => (e.tallies[m] === undefined ? [] : [e.tallies[m] as Tally]));
  // Bonferroni over the measures that can be tested at all.
  const first = measures.map((m) => transportTest(m, tallies(capwap, m), tallies(mqtt, m), level, policy));
  const share = level / Math.max(1, first.filter((t) => t.missing === null).length);
  const transport = first.map((t) => ({
    ...t, level: share, worse: t.worse && t.pValue !== null && t.pValue < share,
  }));
  const gateways = new Map<string, GatewayDecision>();
  for (const e of capwap) {
    const against: GatewayDecision['against'] = {};
    const decidedBy: Measure[] = [];
    let any = false;
    for (const test of transport) {
      const tally = e.tallies[test.measure];
      if (test.missing !== null || tally === undefined || tally.n < policy.minTrials[test.measure]) continue;
      any = true;
      const a = aboveMqtt(tally, test, policy);
      against[test.measure] = a;
      if (test.worse && a.above) decidedBy.push(test.measure);
    }
    const verdict = decidedBy.length > 0 ? 'move_to_mqtt' : any ? 'no_clear_benefit' : 'insufficient_data';
    gateways.set(e.gateway, { verdict, decidedBy, against });
  }
  return { level, transport, gateways, kinds: compareKinds(evidence, level, policy) };
}

/** One gateway's minutes per measure, before and after its transport changed. */
export type MinutesByMeasure = Partial<Record<Measure, MinuteSums>>;

/** Every measure both periods have, compared at `level` shared among those that can be tested. */
export function compareChange(before: MinutesByMeasure, after: MinutesByMeasure, level: number, policy: VerdictPolicy = DEFAULT_POLICY): ChangeTest[] {
  const measures = MEASURES.filter((m) => before[m] !== undefined && after[m] !== undefined);
  const first = measures.map((m) => changeTest(m, before[m] as MinuteSums, after[m] as MinuteSums, level, policy));
  const share = level / Math.max(1, first.filter((t) => t.missing === null).length);
  return first.map((t) => (t.missing !== null || t.pValue === null || t.pValue < share ? { ...t, level: share } : { ...t, level: share, direction: null }));
}
