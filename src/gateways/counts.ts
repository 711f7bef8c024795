/**
 * The counts of one gateway label under one transport: the metric cells of its per-gateway
 * series and its report segment, resolved once and then added to with plain numbers. This is the
 * one sink both the metrics and the report are fed from; nothing reads a metric back.
 */
import { createLabelTree } from '../metrics/label-tree.js';
import type { HistogramCell, Metrics, ValueCell } from '../metrics/metrics.js';
import type { SegmentStore } from '../report/segments.js';
import { errorField, type Segment } from '../report/ring.js';
import { NO_GATEWAY, OVERFLOW_GATEWAY, type AcError, type Origin, type ProbeResult, type StreamKind, type TransportLabel } from '../vocabulary.js';
import type { GatewayRecord } from './state.js';

/**
 * Event counts of one stream kind for one gateway, batched: the tap adds per event and calls
 * `flush()` once per chunk, which moves them into the metric cells and the report.
 */
export interface StreamSeries {
  events: number;
  sequenced: number;
  missing: number;
  outOfOrder: number;
  duplicate: number;
  resets: number;
  /** Of `sequenced`: numbers the proxy asked the AC for (sequence.request). */
  requested: number;
  flush(): void;
}

/** One gateway label under one transport. */
export interface GatewayCounts {
  readonly label: string;
  readonly transport: TransportLabel;
  /**
   * One finished exchange: the code the client got, who produced it, ms to headers (NaN/-1: none),
   * when it finished (epoch ms; default now), and whether it was an event stream (its end says
   * nothing about whether the gateway answers now: report/outage.ts).
   */
  request(status: number, origin: Origin, headersMs: number, at?: number, stream?: boolean): void;
  /** The batched event counts of one stream kind (one object per kind, kept). */
  stream(kind: StreamKind): StreamSeries;
  /**
   * One of the proxy's own probes of this gateway: its result, the round trip in ms when it was
   * answered (NaN otherwise), whether the gateway was known offline, and when it ended (epoch ms).
   * Never touches the request counts: probe figures are their own.
   */
  probe(result: ProbeResult, rttMs: number, offline: boolean, at: number): void;
  /**
   * One error answer of the AC on `route` in which it said `error` (one of the exchanges counted
   * by `request`), finished at `at` (epoch ms). Counted for every label, `none` included: a token
   * storm shows on calls that name no gateway too.
   */
  acError(route: string, error: AcError, at: number): void;
}

/** Returns the counts of (label, transport), created once per pair and shared by every generation's handles. */
export type CountsFactory = (label: string, transport: TransportLabel, record: GatewayRecord | null) => GatewayCounts;

type StreamCells = Record<'events' | 'sequenced' | 'missing' | 'outOfOrder' | 'duplicate' | 'resets', ValueCell>;

/** Builds the factory over the proxy's metrics and the report's segment store. */
export function createCountsFactory(metrics: Metrics, report: SegmentStore, now: () => number = Date.now): CountsFactory {
  function create(label: string, transport: TransportLabel, record: GatewayRecord | null): GatewayCounts {
    const perGateway = label !== NO_GATEWAY;
    const codes = new Map<number, ValueCell>();
    /** 502/504 cells by origin, indexed by the report's error slot (errorField), resolved on first use. */
    const errorCells: Array<ValueCell | undefined> = [];
    const streams = new Map<StreamKind, StreamSeries>();
    let segment: Segment | null = null;
    const seg = (): Segment => (segment ??= report.segment(label, transport));
    // Outages are decided in the segment (outage.ts); their metric cells are made on the first one.
    let outageCells: { outages: ValueCell; errors: ValueCell; entered: number } | null = null;
    function outage(calls: number): void {
      const s = seg();
      outageCells ??= { outages: metrics.gatewayOutages.cell(label, transport), errors: metrics.gatewayOutageErrors.cell(label, transport), entered: 0 };
      outageCells.errors.value += calls;
      outageCells.outages.value += s.outage.outages - outageCells.entered;
      outageCells.entered = s.outage.outages;
    }

    function stream(kind: StreamKind): StreamSeries {
      let series = streams.get(kind);
      if (series !== undefined) return series;
      const cell = (family: Metrics['events']): ValueCell => family.cell(kind, transport, label);
      const cells: StreamCells = {
        events: cell(metrics.events),
        sequenced: cell(metrics.eventsSequenced),
        missing: cell(metrics.eventsMissing),
        outOfOrder: cell(metrics.eventsOutOfOrder),
        duplicate: cell(metrics.eventsDuplicate),
        resets: cell(metrics.sequenceResets),
      };
      // Only streams whose numbers the proxy requested (sequence.request) ever add to it.
      let requested: ValueCell | null = null;
      const s: StreamSeries = {
        events: 0, sequenced: 0, missing: 0, outOfOrder: 0, duplicate: 0, resets: 0, requested: 0,
        flush() {
          // `requested` is part of `sequenced`: it never counts without it.
          if (s.events + s.sequenced + s.missing + s.outOfOrder + s.duplicate + s.resets === 0) return;
          cells.events.value += s.events;
          cells.sequenced.value += s.sequenced;
          cells.missing.value += s.missing;
          cells.outOfOrder.value += s.outOfOrder;
          cells.duplicate.value += s.duplicate;
          cells.resets.value += s.resets;
          if (s.requested > 0) (requested ??= cell(metrics.eventsSequenceRequested)).value += s.requested;
          report.addEvents(seg(), s);
          if (s.events > 0 && record !== null) record.lastEventAt = now();
          s.events = s.sequenced = s.missing = s.outOfOrder = s.duplicate = s.resets = s.requested = 0;
        },
      };
      streams.set(kind, s);
      return (series = s);
    }

    /** Probe cells, resolved on first use: per result for the online and the offline family. */
    const probeCells = new Map<string, ValueCell>();
    let rttCell: HistogramCell | null = null;
    let lastSuccess: ValueCell | null = null;

    function probe(result: ProbeResult, rttMs: number, offline: boolean, at: number): void {
      const k = offline ? `offline:${result}` : result;
      let cell = probeCells.get(k);
      if (cell === undefined) {
        cell = (offline ? metrics.probesOffline : metrics.probes).cell(label, transport, result);
        probeCells.set(k, cell);
      }
      cell.value += 1;
      if (!offline && rttMs >= 0) metrics.probeDuration.observe((rttCell ??= metrics.probeDuration.cell(transport)), rttMs / 1000);
      if (result === 'ok') (lastSuccess ??= metrics.probeLastSuccess.cell(label, transport)).value = at / 1000;
      report.addProbe(seg(), result, rttMs, offline, at);
    }

    // Resolved on first use: most gateways see few kinds of error answer on few routes.
    const acErrorCells = createLabelTree((route: string, error: string) => metrics.acErrors.cell(label, transport, route, error));

    return {
      label,
      transport,
      probe,
      acError(route, error, at) {
        acErrorCells.get(route, error).value += 1;
        report.addAcError(seg(), error, at);
      },
      request(status, origin, headersMs, at, stream) {
        if (perGateway) {
          let cell = codes.get(status);
          if (cell === undefined) {
            cell = metrics.gatewayRequests.cell(label, transport, String(status));
            codes.set(status, cell);
          }
          cell.value += 1;
          const error = origin === 'client' ? undefined : errorField(status, origin);
          if (error !== undefined) (errorCells[error] ??= metrics.gatewayErrors.cell(label, transport, String(status), origin)).value += 1;
        }
        const outageCalls = report.addExchange(seg(), status, origin, headersMs, at, record?.online === false, stream);
        if (outageCalls > 0 && perGateway && label !== OVERFLOW_GATEWAY) outage(outageCalls);
      },
      stream,
    };
  }

  // The record is not part of the key: a label's record is the same for every caller (the state
  // keeps one per MAC), so the first caller's is the one.
  let record: GatewayRecord | null = null;
  const made = createLabelTree((label: string, transport: TransportLabel) => create(label, transport, record));
  return (label, transport, recordOfLabel) => {
    record = recordOfLabel;
    return made.get(label, transport);
  };
}
