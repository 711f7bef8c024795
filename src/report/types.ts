/** JSON shapes served by `/api/gateways` and `/api/report` (extend, never rename). */
import type { AcError, AcErrorCause } from '../vocabulary.js';

/** A rate with the counts behind it and its Wilson 95 % interval. */
export interface Ratio {
  count: number;
  total: number;
  /** count / total, null when total is 0. */
  rate: number | null;
  /** Wilson score 95 % interval, null when total is 0. */
  ci95: [number, number] | null;
}

/** Every figure the report shows for one gateway or one transport over one period. */
export interface Figures {
  /** Exchanges recorded (client aborts included; they are also counted apart). */
  requests: number;
  clientAborts: number;
  status502: { upstream: Ratio; proxy: Ratio; all: Ratio };
  status504: { upstream: Ratio; proxy: Ratio; all: Ratio };
  /** 502 + 504 of any origin: what the application saw fail. */
  errors: Ratio;
  /** Time to response headers, from a fixed-bucket histogram (interpolated, in ms). */
  headersMs: { p50: number | null; p99: number | null; samples: number };
  events: number;
  sequenced: number;
  missing: number;
  outOfOrder: number;
  duplicate: number;
  /**
   * Of `sequenced`: events whose sequence number the proxy asked the AC for (sequence.request),
   * not the application. When it is most of `sequenced`, the loss figure rests on the proxy's
   * request.
   */
  sequenceRequested: number;
  /** missing / (sequenced + missing). */
  loss: Ratio;
  /** Outages entered and the calls answered 502/504 inside them (part of `status502`/`status504`). */
  outages: number;
  outageErrors: number;
  /** The AC's error answers (status 400 or above, not streams) by what it said (AC_ERRORS), every word present. */
  acErrors: Record<AcError, number>;
}

/** One kind of error answer across the transports, since start. */
export interface AcErrorComparison {
  error: AcError;
  /** `application`: the calls caused it, whatever the transport; `gateway`: where a transport can matter. */
  cause: AcErrorCause;
  /** Per transport (as in `transports[]`): answers with this word over the transport's requests. */
  transports: Array<{ transport: string; rate: Ratio }>;
  /**
   * CAPWAP gateways against MQTT gateways (each gateway one observation, at the verdicts' latest
   * look, two-sided, the look's level shared among the words): true when they differ
   * significantly, false when not; null when it could not be compared.
   */
  differs: boolean | null;
  /** The two-sided p of that comparison and the level it was held to; null when not compared. */
  pValue: number | null;
  level: number | null;
  /** CAPWAP's rate ÷ MQTT's, when both are defined and MQTT's is above 0. */
  ratio: number | null;
  /** A sentence for the operator. */
  reason: string;
}

/**
 * The proxy's own probes of one gateway or transport over one period: the same small read-only
 * call to every gateway at the same pace, whatever the application does.
 */
export interface ProbeFigures {
  /** Probes of gateways not known offline; ok, status502, status504, timeout, error and unreachable add up to it. */
  sent: number;
  ok: number;
  status502: number;
  status504: number;
  /** No response headers within `probe.timeout`. */
  timeout: number;
  /** Any other answer (a gateway-side 500 such as `chip is busy`, a 403, …): the link carried it. */
  error: number;
  /** No connection to the AC: says nothing about the AC–gateway link. */
  unreachable: number;
  /** Probes of gateways known offline (any result), counted apart: an outage is not link loss. */
  offline: number;
  /** (502 + 504 + timeout) / (sent − unreachable): loss on the AC–gateway link, with its Wilson interval. */
  failures: Ratio;
  /** Round trip of answered probes (ms, interpolated from a fixed-bucket histogram); null per gateway in the fleet report. */
  rttMs: { p50: number | null; p99: number | null; samples: number };
}

/** Probe figures over the report's two periods. */
export interface ProbePeriods {
  window: ProbeFigures;
  sinceStart: ProbeFigures;
}

/** One gateway as seen by `/api/gateways`. */
export interface GatewayReport {
  gateway: string;
  /** Current transport (from the gateway snapshot, else the latest one recorded). */
  transport: string;
  name: string | null;
  model: string | null;
  version: string | null;
  online: boolean | null;
  /** ISO time the online state was first learned or last changed; null while unknown. */
  onlineChangedAt: string | null;
  /** ISO time of the latest event, null when none seen. */
  lastEventAt: string | null;
  window: Figures;
  sinceStart: Figures;
  /** The proxy's own probes of this gateway (zeros when probes are off). */
  probes: ProbePeriods;
  /** Transports this gateway used since start, oldest first, with when. */
  transports: Array<{ transport: string; firstAt: string; lastAt: string }>;
}

/** Per-bucket series of one transport over the window (oldest first), for the charts. */
export interface TransportSeries {
  /** ISO time of the first bucket's start. */
  start: string;
  bucketSeconds: number;
  requests: number[];
  errors: number[];
  /** errors / requests per bucket, null for buckets without requests. */
  errorRate: Array<number | null>;
  lossDenominator: number[];
  missing: number[];
  /** missing / (sequenced + missing) per bucket, null for buckets without sequenced events. */
  lossRatio: Array<number | null>;
}

/** One transport's aggregate. */
export interface TransportFigures {
  transport: string;
  /** Gateways currently on this transport. */
  gateways: number;
  window: Figures;
  sinceStart: Figures;
  /** The proxy's own probes of the gateways on this transport (zeros when probes are off). */
  probes: ProbePeriods;
  series: TransportSeries;
}

/**
 * One measure of a verdict: the two rates compared and the test behind the decision
 * (docs/verdicts.md). Rates count outside outages.
 */
export interface Comparison {
  measure: 'errors' | 'loss' | 'probes';
  /** First sample (the gateway, or the gateway before the change). */
  a: Ratio;
  /** Second sample (the MQTT gateways taken together, or the gateway after the change). */
  b: Ratio;
  /** Whether the measure was tested at the look the verdict comes from. */
  enough: boolean;
  /**
   * The test's standardised difference at that look: for a recommendation, how far the gateway's
   * log rate lies above the MQTT gateways' (Student's t against their prediction bound); for a
   * change, the quasi-binomial t of before minus after. null when not tested.
   */
  z: number | null;
  /** Its p-value (one-sided for a recommendation, two-sided for a change); null when not tested. */
  pValue: number | null;
  /** Degrees of freedom of that t; null when not tested. */
  df: number | null;
  /** a.rate / b.rate when both are defined and b.rate > 0. */
  ratio: number | null;
}

/** A measure a verdict can rest on. */
export type MeasureName = 'errors' | 'loss' | 'probes';

/** The look a verdict was decided at (docs/verdicts.md, "Reading the page often…"). */
export interface LookReport {
  index: number;
  /** ISO time the decision was taken. */
  at: string;
  /** The look's level before it is shared among the measures tested. */
  level: number;
  /** ISO time of the next look; null for a one-shot report (the fleet report). */
  nextAt: string | null;
}

/** CAPWAP gateways against MQTT gateways on one measure, each gateway one observation. */
export interface TransportComparison {
  measure: MeasureName;
  capwap: { gateways: number; meanRate: number | null };
  mqtt: { gateways: number; meanRate: number | null };
  /** Student's t of the gateways' log rates, its degrees of freedom and one-sided p; null when not testable. */
  t: number | null;
  df: number | null;
  pValue: number | null;
  /** The level it was held to (the look's, shared among the measures tested). */
  level: number;
  /** CAPWAP significantly and materially worse. */
  worse: boolean;
  /** Why it could not be tested, else null. */
  missing: string | null;
}

/** A gateway's outages: entered, and calls answered 502/504 inside them (left out of its 502/504 rate). */
export interface OutageFigures {
  outages: number;
  failedCalls: number;
}

export type Verdict = 'move_to_mqtt' | 'no_clear_benefit' | 'insufficient_data';
export type ChangeVerdict = 'improved' | 'worse' | 'no_significant_change' | 'insufficient_data';

/** Recommendation for one CAPWAP gateway against the pooled MQTT gateways. */
export interface Recommendation {
  gateway: string;
  name: string | null;
  verdict: Verdict;
  /** 1 − p of the deciding transport test; null when there is no verdict. */
  confidence: number | null;
  reason: string;
  errors: Comparison;
  loss: Comparison;
  /** The proxy's own probes, when there are any. */
  probes?: Comparison;
  /** The measures that decided `move_to_mqtt` (empty otherwise). */
  decidedBy: MeasureName[];
  outages: OutageFigures;
  /** The look the verdict comes from; null before the first look. */
  look: LookReport | null;
}

/** Before/after figures for a gateway whose transport changed at run time. */
export interface TransportChange {
  gateway: string;
  name: string | null;
  from: string;
  to: string;
  /** ISO time of the first exchange or event recorded under the new transport. */
  changedAt: string;
  before: Figures;
  after: Figures;
  verdict: ChangeVerdict;
  confidence: number | null;
  reason: string;
  errors: Comparison;
  loss: Comparison;
  probes?: Comparison;
  /** The measures that decided `improved` or `worse`. */
  decidedBy: MeasureName[];
  /** The look since the change the verdict comes from; null before the first. */
  look: LookReport | null;
}

/** The whole `/api/report` document. */
export interface TransportReport {
  generatedAt: string;
  startedAt: string;
  windowSeconds: number;
  bucketSeconds: number;
  transports: TransportFigures[];
  recommendations: Recommendation[];
  transportChanges: TransportChange[];
  /** Is CAPWAP worse here at all: one entry per measure with evidence, at the latest look. */
  transportComparison: TransportComparison[];
  /** Every kind of error answer seen, compared between CAPWAP and MQTT (absent from reports of older proxies). */
  acErrors: AcErrorComparison[];
  method: {
    test: string;
    /** The chance of ever giving a false verdict, over every look. */
    alpha: number;
    /** Calls, sequenced events and probes a gateway needs for a measure to count for it. */
    minRequests: number;
    minSequenced: number;
    minProbes: number;
    minRatio: number;
    /** One-sided level of "above what MQTT gateways show" once CAPWAP is worse. */
    selection: number;
    basis: string;
    /** The latest look of the transport comparison; null before the first. */
    look: LookReport | null;
    /** ISO time of the first look (when nothing is decided yet), else null. */
    firstLookAt: string | null;
  };
}
