/**
 * Records each exchange once: request metrics, stream metrics and one access-log line. Label
 * children are cached per label combination so the hot path does one Map lookup per metric.
 */
import type { Logger } from 'pino';
import type { StreamKind } from '../config/types.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Outcome } from '../classify/outcome.js';
import { createAccessLog } from './access-log.js';

/** How an event stream ended (the `end` label). */
export type StreamEnd = 'client_closed' | 'upstream_closed' | 'upstream_error' | 'idle_timeout' | 'shutdown';

/** Everything known about one finished exchange. */
export interface ExchangeRecord {
  route: string;
  method: string;
  /** Gateway label value (`none` when the call names no gateway). */
  gateway: string;
  transport: string;
  outcome: Outcome;
  /** ms from request start to response headers (or to the proxy's error answer); -1 if never. */
  headersMs: number;
  totalMs: number;
  bytesIn: number;
  bytesOut: number;
  stream: StreamKind | null;
  streamEnd: StreamEnd | null;
}

/** Receives every finished exchange (the report module implements one). */
export type ExchangeListener = (record: ExchangeRecord) => void;

const METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'CONNECT', 'TRACE']);

/** Method label value: known methods as they are, anything else `other` (bounded cardinality). */
export function methodLabel(method: string): string {
  return METHODS.has(method) ? method : 'other';
}

const SEP = '\u0000';

/** A label-children cache keyed by the label values joined with NUL. */
function cached<T>(make: (values: string[]) => T): (key: string) => T {
  const cache = new Map<string, T>();
  return (key) => {
    let child = cache.get(key);
    if (child === undefined) {
      child = make(key.split(SEP));
      cache.set(key, child);
    }
    return child;
  };
}

/* eslint-disable @typescript-eslint/no-explicit-any -- positional label values, arity fixed by the keys built below */
function children(metrics: Metrics) {
  return {
    requests: cached((v) => metrics.requests.labels(...(v as [any, any, any, any, any, any]))),
    gatewayRequests: cached((v) => metrics.gatewayRequests.labels(...(v as [any, any, any]))),
    durations: cached((v) => metrics.requestDuration.labels(...(v as [any, any, any]))),
    active: cached((v) => metrics.streamsActive.labels(...(v as [any, any]))),
    ended: cached((v) => metrics.streamsEnded.labels(...(v as [any, any, any]))),
    streamDurations: cached((v) => metrics.streamDuration.labels(...(v as [any, any]))),
  };
}
/* eslint-enable @typescript-eslint/no-explicit-any */

export interface Recorder {
  /** One access-log line per exchange (config `log.access`). */
  accessLog: boolean;
  /** Response headers went out (or the proxy answered): time to headers. */
  headers(route: string, method: string, transport: string, seconds: number): void;
  streamStarted(stream: StreamKind, transport: string): void;
  finish(record: ExchangeRecord): void;
  /** Drop cached label children (after the registry was reset). */
  reset(): void;
}

export interface RecorderDeps {
  metrics: Metrics;
  /** For the recorder's own faults. */
  log: Logger;
  accessLog: boolean;
  listeners: ExchangeListener[];
}

export function createRecorder(deps: RecorderDeps): Recorder {
  const { metrics, log, listeners } = deps;
  const writeAccessLine = createAccessLog(log);
  let c = children(metrics);
  return {
    accessLog: deps.accessLog,
    headers(route, method, transport, seconds) {
      c.durations(route + SEP + method + SEP + transport).observe(seconds);
    },
    streamStarted(stream, transport) {
      c.active(stream + SEP + transport).inc();
    },
    finish(r) {
      const code = String(r.outcome.status);
      c.requests(r.route + SEP + r.method + SEP + code + SEP + r.outcome.origin + SEP + r.outcome.reason + SEP + r.transport).inc();
      if (r.gateway !== 'none') c.gatewayRequests(r.gateway + SEP + r.transport + SEP + code).inc();
      if (r.stream !== null && r.streamEnd !== null) {
        c.active(r.stream + SEP + r.transport).dec();
        c.ended(r.stream + SEP + r.transport + SEP + r.streamEnd).inc();
        c.streamDurations(r.stream + SEP + r.transport).observe(r.totalMs / 1000);
      }
      if (this.accessLog) writeAccessLine(r);
      for (const listener of listeners) {
        try {
          listener(r);
        } catch (err) {
          metrics.analysisErrors.labels('exchange_listener').inc();
          log.error({ err }, 'exchange listener failed; traffic unaffected');
        }
      }
    },
    reset() {
      c = children(metrics);
    },
  };
}
