/**
 * Records each exchange once: the request and stream metrics, the gateway's counts (its
 * per-gateway series and report segment, through its handle) and one access-log line. Metric
 * cells are resolved once per label combination and then added to directly.
 */
import type { Logger } from 'pino';
import type { StreamKind, TransportLabel } from '../vocabulary.js';
import type { HistogramCell, Metrics, ValueCell } from '../metrics/metrics.js';
import type { LineSink } from '../log.js';
import { createAccessLog } from './access-log.js';
import type { ExchangeRecord } from './exchange-record.js';

export type { ExchangeRecord, StreamEnd } from './exchange-record.js';

const METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'CONNECT', 'TRACE']);

/** Method label value: known methods as they are, anything else `other` (bounded cardinality). */
export function methodLabel(method: string): string {
  return METHODS.has(method) ? method : 'other';
}

/** One level of a cell cache: a Map from one label value to the next level (or the cell). */
type Level = Map<string | number, unknown>;

function next(level: Level, key: string | number): Level {
  let found = level.get(key) as Level | undefined;
  if (found === undefined) {
    found = new Map();
    level.set(key, found);
  }
  return found;
}

/** The cell under `key`, made on first use (for the per-stream cells; the per-request ones are inlined). */
function leaf<C>(level: Level, key: string, make: () => C): C {
  let cell = level.get(key) as C | undefined;
  if (cell === undefined) {
    cell = make();
    level.set(key, cell);
  }
  return cell;
}

/** Records exchanges into the request and stream metrics, the gateway's counts and the access log. */
export interface ExchangeRecorder {
  /** Response headers went out (or the proxy answered): time to headers. */
  headers(route: string, method: string, transport: TransportLabel, seconds: number): void;
  streamStarted(stream: StreamKind, transport: TransportLabel): void;
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
  // Metric cells, resolved once per label combination: a tree of Maps keyed by the label values
  // themselves (route templates, methods, outcome names and transports are constant strings whose
  // hashes V8 keeps), so a request costs a few Map lookups and no key string is built.
  const requests: Level = new Map();
  const durations: Level = new Map();
  const active: Level = new Map();
  const ended: Level = new Map();
  const streamDurations: Level = new Map();
  const durationCell = (route: string, method: string, transport: string): HistogramCell => {
    const level = next(next(durations, route), method);
    let cell = level.get(transport) as HistogramCell | undefined;
    if (cell === undefined) {
      cell = metrics.requestDuration.cell(route, method, transport);
      level.set(transport, cell);
    }
    return cell;
  };
  const requestCell = (route: string, method: string, status: number, origin: string, reason: string, transport: string): ValueCell => {
    const level = next(next(next(next(next(requests, route), method), status), origin), reason);
    let cell = level.get(transport) as ValueCell | undefined;
    if (cell === undefined) {
      cell = metrics.requests.cell(route, method, String(status), origin, reason, transport);
      level.set(transport, cell);
    }
    return cell;
  };
  const activeCell = (stream: string, transport: string): ValueCell =>
    leaf(next(active, stream), transport, () => metrics.streamsActive.cell(stream, transport));
  return {
    headers(route, method, transport, seconds) {
      metrics.requestDuration.observe(durationCell(route, method, transport), seconds);
    },
    streamStarted(stream, transport) {
      activeCell(stream, transport).value += 1;
    },
    finish(r, accessLog) {
      // Accounting must never disturb traffic: a fault is counted and logged, the exchange is done anyway.
      try {
        const { outcome, gateway } = r;
        const transport = gateway.transport;
        const { route, method } = r;
        const { status, origin, reason } = outcome;
        requestCell(route, method, status, origin, reason, transport).value += 1;
        gateway.counts.request(status, origin, r.headersMs, r.endedAt);
        const { stream, streamEnd } = r;
        if (stream !== null && streamEnd !== null) {
          activeCell(stream, transport).value -= 1;
          leaf(next(next(ended, stream), transport), streamEnd, () => metrics.streamsEnded.cell(stream, transport, streamEnd)).value += 1;
          metrics.streamDuration.observe(leaf(next(streamDurations, stream), transport, () => metrics.streamDuration.cell(stream, transport)), r.totalMs / 1000);
        }
        if (accessLog) writeAccessLine(r);
      } catch (err) {
        metrics.analysisErrors.labels('recorder').inc();
        deps.log.error({ err }, 'recording an exchange failed; traffic unaffected');
      }
    },
  };
}
