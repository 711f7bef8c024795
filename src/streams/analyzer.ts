/**
 * Stream analysis: one tap per SSE response parses the forwarded bytes, finds sequence numbers
 * and records events, loss, duplicates, reordering, keep-alives and delay per stream kind,
 * transport and gateway. A tap never throws: a fault is counted in
 * `analysis_errors_total{component="stream_tap"}`, logged once, and that stream's analysis stops
 * while its traffic keeps flowing (forwarding is the proxy's job, not ours).
 *
 * Counts go to the gateway handles' batched series (src/gateways/counts.ts), flushed once per
 * chunk. The combined stream names its gateway per event (`ap`); it is resolved once per distinct
 * `ap` spelling per stream. When a reload retires the generation a tap started on, the tap moves
 * to the current one at its next chunk: gateways moved to another transport count under it.
 */
import type { Logger } from 'pino';
import type { StreamKind, TransportLabel } from '../config/types.js';
import type { GatewayDirectory } from '../gateways/directory.js';
import type { GatewayHandle } from '../gateways/handle.js';
import type { GatewayState } from '../gateways/state.js';
import type { StreamSeries } from '../gateways/counts.js';
import type { HistogramCell, Metrics, ValueCell } from '../metrics/metrics.js';
import { eventDelaySeconds } from './event-time.js';
import { isSeqNumHit, type EventRecord, type Extractors, type SequenceHit } from './extractors.js';
import { createSseParser, type SseHandler } from './sse-parser.js';
import { createTrackerStore, type TrackerOwner, type TrackerStore } from './tracker.js';
import type { StreamTap } from './types.js';

export { streamKindOf } from './stream-kind.js';

/** The parts of a configuration generation that analysis reads. */
export interface AnalysisGeneration {
  readonly directory: GatewayDirectory;
  readonly extractors: Extractors;
  readonly maxEventBytes: number;
  /** Set when a reload replaced this generation. */
  readonly retired: boolean;
}

export interface StreamAnalyzerDeps {
  metrics: Metrics;
  state: GatewayState;
  log: Logger;
  /** The current generation (read at tap open, and again when the tap's generation retires). */
  generation: () => AnalysisGeneration;
  /** Reorder window: numbers (fixed for the process) and time (ms). */
  reorderWindow: number;
  reorderWindowTime: number;
  maxTrackedDevices: number;
  /** Clock in ms for trackers' time window; tests inject one. */
  now?: () => number;
  /** Tracker sweep period in ms (0 = no timer; tests call `sweep()`). */
  sweepInterval?: number;
}

export interface StreamAnalyzer {
  /**
   * A tap for one SSE response of `kind`, for the gateway the request named. `sequenceRequested`:
   * the proxy added `sequence=2` to the request, so the `seqNum`s it counts are the proxy's doing.
   */
  tap(kind: StreamKind, gateway: GatewayHandle, sequenceRequested?: boolean): StreamTap;
  /** New tracker limits (a reload); the reorder window in numbers needs a restart. */
  setLimits(limits: { reorderWindowTime: number; maxTrackedDevices: number }): void;
  /** The reorder window in numbers the trackers were built with. */
  readonly reorderWindow: number;
  /** Expires old pending gaps now (also runs on a timer). */
  sweep(): void;
  /** Sequence trackers currently held. */
  trackers(): number;
  close(): void;
}

const DEAD_TAP: StreamTap = { write() {}, close() {} };

/** Kinds whose events are JSON objects worth parsing. */
const PARSED: ReadonlySet<StreamKind> = new Set<StreamKind>(['scan', 'notification', 'combined', 'hub_status']);

export function createStreamAnalyzer(deps: StreamAnalyzerDeps): StreamAnalyzer {
  const { metrics, state, log } = deps;
  const store: TrackerStore = createTrackerStore({
    metrics,
    window: deps.reorderWindow,
    windowTime: deps.reorderWindowTime,
    maxTrackers: deps.maxTrackedDevices,
    ...(deps.now ? { now: deps.now } : {}),
    ...(deps.sweepInterval !== undefined ? { sweepInterval: deps.sweepInterval } : {}),
  });

  function tap(kind: StreamKind, opened: GatewayHandle, requested: boolean): StreamTap {
    let gen = deps.generation();
    let gateway = opened;
    const owner: TrackerOwner = new Map();
    const touched = new Set<StreamSeries>();
    const hit: SequenceHit = { key: '', seq: 0, modulus: 0 };
    const delays = new Map<TransportLabel, HistogramCell>();
    /** Per `ap` spelling on this stream: its gateway's series and transport. */
    const perAp = new Map<string, { series: StreamSeries; transport: TransportLabel }>();
    let fixed = gateway.counts.stream(kind);
    /** Combined-stream events without an `ap` count for the gateway the request named. */
    let own = { series: fixed, transport: gateway.transport };
    let keepalives: ValueCell = metrics.keepalives.cell(kind, gateway.transport);
    let malformed: ValueCell = metrics.eventsMalformed.cell(kind, gateway.transport);
    let receivedAt = 0;
    let dead = false;
    let closed = false;
    const parsesJson = PARSED.has(kind);

    /** The tap's generation was replaced: continue on the current one. */
    function follow(): void {
      gen = deps.generation();
      // A folded gateway (`other`) has no MAC to look up again; it stays where it was.
      if (gateway.mac !== null) gateway = gen.directory.resolve(gateway.mac);
      fixed = gateway.counts.stream(kind);
      own = { series: fixed, transport: gateway.transport };
      keepalives = metrics.keepalives.cell(kind, gateway.transport);
      malformed = metrics.eventsMalformed.cell(kind, gateway.transport);
      perAp.clear();
    }

    function observeDelay(transport: TransportLabel, timestamp: unknown): void {
      const d = eventDelaySeconds(timestamp, receivedAt);
      if (Number.isNaN(d)) return;
      let cell = delays.get(transport);
      if (cell === undefined) {
        cell = metrics.eventDelay.cell(kind, transport);
        delays.set(transport, cell);
      }
      metrics.eventDelay.observe(cell, d);
    }

    function apGateway(ap: unknown): { series: StreamSeries; transport: TransportLabel } {
      if (typeof ap !== 'string') return own;
      let g = perAp.get(ap);
      if (g === undefined) {
        // An event the AC sent naming `ap` shows that gateway exists.
        const named = gen.directory.resolveRaw(ap);
        const handle = named.pending === null ? named : gen.directory.vouch(named.pending);
        g = { series: handle.counts.stream(kind), transport: handle.transport };
        perAp.set(ap, g);
      }
      return g;
    }

    function track(series: StreamSeries, prefix: string): void {
      store.observe(owner, prefix === '' ? hit.key : `${prefix}|${hit.key}`, hit.seq, hit.modulus, series);
      if (requested && isSeqNumHit(hit)) series.requested++;
    }

    function analyseCombined(event: EventRecord): void {
      const { series, transport } = apGateway(event.ap);
      series.events++;
      touched.add(series);
      const prefix = typeof event.ap === 'string' ? event.ap : '';
      const type = typeof event.dataType === 'string' ? event.dataType
        : event.adData !== undefined ? 'scan' : event.value !== undefined ? 'notification' : '';
      const extractors = gen.extractors;
      if (type === 'notification') {
        const device = String(event.device ?? event.id ?? '');
        if (extractors.notification(event, device, hit)) track(series, prefix);
      } else if (type === 'scan') {
        if (extractors.scan(event, scanDevice(event), hit)) track(series, prefix);
      } else if (type === 'ap_state' && typeof event.ap === 'string') {
        state.observeHub({ mac: event.ap, status: event.status });
      }
      if (event.timestamp !== undefined) observeDelay(transport, event.timestamp);
    }

    function analyse(event: EventRecord): void {
      if (kind === 'combined') {
        analyseCombined(event);
        return;
      }
      fixed.events++;
      if (kind === 'notification') {
        if (gen.extractors.notification(event, String(event.id ?? event.device ?? ''), hit)) track(fixed, '');
      } else if (kind === 'scan') {
        if (gen.extractors.scan(event, scanDevice(event), hit)) track(fixed, '');
      } else if (kind === 'hub_status') {
        state.observeHub(event);
      }
      if (event.timestamp !== undefined) observeDelay(gateway.transport, event.timestamp);
    }

    function countUnreadable(): void {
      malformed.value += 1;
      fixed.events++;
    }

    const handler: SseHandler = {
      event(data, start, end) {
        if (!parsesJson) {
          fixed.events++;
          return;
        }
        let parsed: unknown;
        try {
          parsed = JSON.parse(data.toString('utf8', start, end));
        } catch {
          countUnreadable();
          return;
        }
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
          countUnreadable();
          return;
        }
        analyse(parsed as EventRecord);
      },
      keepAlive() {
        keepalives.value += 1;
      },
      malformed() {
        countUnreadable();
      },
    };
    const parser = createSseParser(handler, { maxEventBytes: gen.maxEventBytes });

    function flush(): void {
      fixed.flush();
      for (const s of touched) s.flush();
      touched.clear();
    }

    function fail(err: unknown): void {
      dead = true;
      try {
        metrics.analysisErrors.labels('stream_tap').inc();
        log.warn({ err, stream: kind, gateway: gateway.label }, 'stream analysis failed; this stream is no longer analysed');
        store.release(owner);
      } catch {
        // Nothing more can be done without risking the stream itself.
      }
    }

    return {
      write(chunk) {
        if (dead) return;
        try {
          if (gen.retired) follow();
          receivedAt = Date.now();
          parser.write(chunk);
          flush();
        } catch (err) {
          fail(err);
        }
      },
      close() {
        if (closed) return;
        closed = true;
        if (dead) return;
        dead = true;
        try {
          store.release(owner);
          flush();
        } catch (err) {
          fail(err);
        }
      },
    };
  }

  return {
    tap(kind, gateway, sequenceRequested = false) {
      try {
        return tap(kind, gateway, sequenceRequested);
      } catch (err) {
        try {
          metrics.analysisErrors.labels('stream_tap').inc();
          log.warn({ err, stream: kind }, 'stream analysis could not start; stream passes unanalysed');
        } catch {
          // ignore: never break the stream
        }
        return DEAD_TAP;
      }
    },
    setLimits(limits) {
      store.setLimits({ windowTime: limits.reorderWindowTime, maxTrackers: limits.maxTrackedDevices });
    },
    reorderWindow: store.window,
    sweep: () => store.sweep(),
    trackers: () => store.size(),
    close() {
      store.close();
    },
  };
}

/** The advertiser of a scan event: `bdaddrs[0].bdaddr` (Cassia), else `bdaddr`/`mac`. */
function scanDevice(event: EventRecord): string {
  const list = event.bdaddrs;
  if (Array.isArray(list)) {
    const first: unknown = list[0];
    if (first !== null && typeof first === 'object') {
      const addr = (first as { bdaddr?: unknown }).bdaddr;
      if (typeof addr === 'string') return addr;
    }
  }
  const alt = event.bdaddr ?? event.mac;
  return typeof alt === 'string' ? alt : '';
}
