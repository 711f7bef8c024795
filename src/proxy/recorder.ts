/**
 * Records each exchange once: the request and stream metrics, the gateway's counts (its
 * per-gateway series and report segment, through its handle) and one access-log line. Metric
 * cells are resolved once per label combination and then added to directly.
 */
import type { Logger } from 'pino';
import type { GatewayHandle } from '../gateways/handle.js';
import type { StreamKind } from '../vocabulary.js';
import { createLabelTree } from '../metrics/label-tree.js';
import type { Metrics } from '../metrics/metrics.js';
import type { LineSink } from '../log.js';
import { createAccessLog } from './access-log.js';
import type { ExchangeRecord } from './exchange-record.js';

export type { ExchangeRecord, StreamEnd } from './exchange-record.js';

const METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'CONNECT', 'TRACE']);

/** Method label value: known methods as they are, anything else `other` (bounded cardinality). */
export function methodLabel(method: string): string {
  return METHODS.has(method) ? method : 'other';
}

/** Records exchanges into the request and stream metrics, the gateway's counts and the access log. */
export interface ExchangeRecorder {
  /** Response headers went out (or the proxy answered): the exchange's time to headers (`headersMs`, set). */
  headers(r: Pick<ExchangeRecord, 'route' | 'method' | 'gateway' | 'headersMs'>): void;
  /** An event stream of `gateway` started (the exchange keeps this handle until it finishes). */
  streamStarted(stream: StreamKind, gateway: GatewayHandle): void;
  /** The exchange is over; `accessLog` says whether its generation writes access lines. */
  finish(record: ExchangeRecord, accessLog: boolean): void;
}

export interface ExchangeRecorderDeps {
  metrics: Metrics;
  /** Level check for the access log (lines only at info or below), and the recorder's own faults. */
  log: Logger;
  /** Writes one finished access-log line, as bytes, to the log's destination (LogOutput.lineBytes). */
  writeLine: LineSink;
}

export function createExchangeRecorder(deps: ExchangeRecorderDeps): ExchangeRecorder {
  const { metrics } = deps;
  const writeAccessLine = createAccessLog(deps.log, deps.writeLine);
  // Metric cells, resolved once per label combination and kept by the label values themselves.
  const durations = createLabelTree((route: string, method: string, transport: string) => metrics.requestDuration.cell(route, method, transport));
  const requests = createLabelTree((route: string, method: string, status: number, origin: string, reason: string, transport: string) =>
    metrics.requests.cell(route, method, String(status), origin, reason, transport));
  const active = createLabelTree((stream: string, transport: string) => metrics.streamsActive.cell(stream, transport));
  const gatewayActive = createLabelTree((gateway: string, stream: string) => metrics.gatewayStreamsActive.cell(gateway, stream));
  const ended = createLabelTree((stream: string, transport: string, end: string) => metrics.streamsEnded.cell(stream, transport, end));
  const streamDurations = createLabelTree((stream: string, transport: string) => metrics.streamDuration.cell(stream, transport));
  return {
    headers(r) {
      metrics.requestDuration.observe(durations.get(r.route, r.method, r.gateway.transport), r.headersMs / 1000);
    },
    streamStarted(stream, gateway) {
      active.get(stream, gateway.transport).value += 1;
      gatewayActive.get(gateway.label, stream).value += 1;
    },
    finish(r, accessLog) {
      // Accounting must never disturb traffic: a fault is counted and logged, the exchange is done anyway.
      try {
        const { outcome, gateway } = r;
        const transport = gateway.transport;
        const { route, method } = r;
        const { status, origin, reason } = outcome;
        requests.get(route, method, status, origin, reason, transport).value += 1;
        const { stream, streamEnd } = r;
        gateway.counts.request(status, origin, r.headersMs, r.endedAt, stream !== null);
        if (r.acError !== null) gateway.counts.acError(route, r.acError, r.endedAt);
        if (stream !== null && streamEnd !== null) {
          active.get(stream, transport).value -= 1;
          gatewayActive.get(gateway.label, stream).value -= 1;
          ended.get(stream, transport, streamEnd).value += 1;
          metrics.streamDuration.observe(streamDurations.get(stream, transport), r.totalMs / 1000);
        }
        if (accessLog) writeAccessLine(r);
      } catch (err) {
        metrics.analysisErrors.labels('recorder').inc();
        deps.log.error({ err }, 'recording an exchange failed; traffic unaffected');
      }
    },
  };
}
