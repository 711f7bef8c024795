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
   * request. Always present in `/api/gateways` and `/api/report`; absent only from figures made
   * from bare counts (figuresFromCounts).
   */
  sequenceRequested?: number;
  /** missing / (sequenced + missing). */
  loss: Ratio;
  /**
   * The AC's error answers (status 400 or above, not streams) by what it said (AC_ERRORS), every
   * word present. Always present in `/api/gateways` and `/api/report`; absent only from figures
   * made from bare counts (figuresFromCounts).
   */
  acErrors?: Record<AcError, number>;
}

/** One kind of error answer across the transports, since start. */
export interface AcErrorComparison {
  error: AcError;
  /** `application`: the calls caused it, whatever the transport; `gateway`: where a transport can matter. */
  cause: AcErrorCause;
  /** Per transport (as in `transports[]`): answers with this word over the transport's requests. */
  transports: Array<{ transport: string; rate: Ratio }>;
  /**
   * CAPWAP against MQTT: true when both have at least `method.minRequests` requests and their
   * Wilson 95 % intervals do not overlap; false when they overlap; null without enough requests.
   */
  differs: boolean | null;
  /** CAPWAP's rate ÷ MQTT's, when both are defined and MQTT's is above 0. */
  ratio: number | null;
  /** A sentence for the operator. */
  reason: string;
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
  series: TransportSeries;
}

/** The outcome of comparing two samples on one measure with the z-test. */
export interface Comparison {
  measure: 'errors' | 'loss';
  /** First sample (the gateway, or the gateway before the change). */
  a: Ratio;
  /** Second sample (the MQTT pool, or the gateway after the change). */
  b: Ratio;
  /** Whether both samples reached the minimum size. */
  enough: boolean;
  z: number | null;
  pValue: number | null;
  /** a.rate / b.rate when both are defined and b.rate > 0. */
  ratio: number | null;
}

export type Verdict = 'move_to_mqtt' | 'no_clear_benefit' | 'insufficient_data';
export type ChangeVerdict = 'improved' | 'worse' | 'no_significant_change' | 'insufficient_data';

/** Recommendation for one CAPWAP gateway against the pooled MQTT gateways. */
export interface Recommendation {
  gateway: string;
  name: string | null;
  verdict: Verdict;
  /** 1 - p of the deciding test; null when there is no verdict. */
  confidence: number | null;
  reason: string;
  errors: Comparison;
  loss: Comparison;
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
  /** Every kind of error answer seen, compared between CAPWAP and MQTT (absent from reports of older proxies). */
  acErrors?: AcErrorComparison[];
  method: {
    test: string;
    alpha: number;
    minRequests: number;
    minSequenced: number;
    minRatio: number;
    basis: string;
  };
}
