/**
 * Records each exchange once: the request and stream metrics, the gateway's counts (its
 * per-gateway series and report segment, through its handle) and one access-log line. Metric
 * cells are resolved once per label combination and then added to directly.
 */
import type { Logger } from 'pino';
import type { StreamKind, TransportLabel } from '../config/types.js';
import type { HistogramCell, Metrics, ValueCell } from '../metrics/metrics.js';
import { createAccessLog } from './access-log.js';
import type { ExchangeRecord } from './exchange-record.js';

export type { ExchangeRecord, StreamEnd } from './exchange-record.js';

const METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'CONNECT', 'TRACE']);

/** Method label value: known methods as they are, anything else `other` (bounded cardinality). */
export function methodLabel(method: string): string {
  return METHODS.has(method) ? method : 'other';
}

const SEP = '\u0000';

/** A cache of cells keyed by label values joined with NUL. */
function cells<C>(make: (values: string[]) => C): (key: string) => C {
  const cache = new Map<string, C>();
  return (key) => {
    let cell = cache.get(key);
    if (cell === undefined) {
      cell = make(key.split(SEP));
      cache.set(key, cell);
    }
    return cell;
  };
}

export interface Recorder {
  /** Response headers went out (or the proxy answered): time to headers. */
  headers(route: string, method: string, transport: TransportLabel, seconds: number): void;
  streamStarted(stream: StreamKind, transport: TransportLabel): void;
  /** The exchange is over; `accessLog` says whether its generation writes access lines. */
  finish(record: ExchangeRecord, accessLog: boolean): void;
}

export interface RecorderDeps {
  metrics: Metrics;
  /** Level check for the access log (lines only at info or below), and the recorder's own faults. */
  log: Logger;
  /** Writes one finished access-log line to the log's destination. */
  writeLine(line: string): void;
}

export function createRecorder(deps: RecorderDeps): Recorder {
  const { metrics } = deps;
  const writeAccessLine = createAccessLog(deps.log, deps.writeLine);
  const requests = cells<ValueCell>((v) => metrics.requests.cell(...v));
  const durations = cells<HistogramCell>((v) => metrics.requestDuration.cell(...v));
  const active = cells<ValueCell>((v) => metrics.streamsActive.cell(...v));
  const ended = cells<ValueCell>((v) => metrics.streamsEnded.cell(...v));
  const streamDurations = cells<HistogramCell>((v) => metrics.streamDuration.cell(...v));
  return {
    headers(route, method, transport, seconds) {
      metrics.requestDuration.observe(durations(route + SEP + method + SEP + transport), seconds);
    },
    streamStarted(stream, transport) {
      active(stream + SEP + transport).value += 1;
    },
    finish(r, accessLog) {
      // Accounting must never disturb traffic: a fault is counted and logged, the exchange is done anyway.
      try {
        const { outcome, gateway } = r;
        const transport = gateway.transport;
        requests(`${r.route}${SEP}${r.method}${SEP}${outcome.status}${SEP}${outcome.origin}${SEP}${outcome.reason}${SEP}${transport}`).value += 1;
        gateway.counts.request(outcome.status, outcome.origin, r.headersMs);
        if (r.stream !== null && r.streamEnd !== null) {
          active(r.stream + SEP + transport).value -= 1;
          ended(r.stream + SEP + transport + SEP + r.streamEnd).value += 1;
          metrics.streamDuration.observe(streamDurations(r.stream + SEP + transport), r.totalMs / 1000);
        }
        if (accessLog) writeAccessLine(r);
      } catch (err) {
        metrics.analysisErrors.labels('recorder').inc();
        deps.log.error({ err }, 'recording an exchange failed; traffic unaffected');
      }
    },
  };
}
