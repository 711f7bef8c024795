/**
 * Stream analysis: one tap per SSE response parses the forwarded bytes, finds sequence numbers
 * and records events, loss, duplicates, reordering, keep-alives and delay per stream kind,
 * transport and gateway. A tap never throws: a fault is counted in
 * `analysis_errors_total{component="stream_tap"}`, logged once, and that stream's analysis stops
 * while its traffic keeps flowing (forwarding is the proxy's job, not ours).
 */
import type { Logger } from 'pino';
import type { Config, StreamKind } from '../config/types.js';
import { normalizeMac } from '../gateways/mac.js';
import { NO_GATEWAY } from '../gateways/registry.js';
import type { GatewayState } from '../gateways/state.js';
import type { Metrics } from '../metrics/metrics.js';
import { eventDelaySeconds } from './event-time.js';
import { createExtractors, type EventRecord, type Extractors, type SequenceHit } from './extractors.js';
import { createSeries, type StreamSeries } from './series.js';
import { createSseParser, type SseHandler } from './sse-parser.js';
import { createTrackerStore, type TrackerOwner, type TrackerStore } from './tracker.js';
import type { GatewayResolver, StreamTap } from './types.js';

export { streamKindOf } from './stream-kind.js';

export interface StreamAnalyzerDeps {
  config: Config;
  metrics: Metrics;
  gateways: GatewayResolver;
  gatewayState: GatewayState;
  log: Logger;
  /** Clock in ms for trackers' time window; tests inject one. */
  now?: () => number;
  /** Tracker sweep period in ms (0 = no timer; tests call `sweep()`). */
  sweepInterval?: number;
}

export interface StreamAnalyzer {
  /** A tap for one SSE response; `gatewayMac` is the request's `mac` parameter (any case). */
  tap(kind: StreamKind, gatewayMac: string | null, query: URLSearchParams): StreamTap;
  /** A reloaded config: extractors, limits, windows (W changes need a restart; logged). */
  reconfigure(config: Config): void;
  /** Expires old pending gaps now (also runs on a timer). */
  sweep(): void;
  /** Sequence trackers currently held. */
  trackers(): number;
  close(): void;
}

const DEAD_TAP: StreamTap = { write() {}, close() {} };

export function createStreamAnalyzer(deps: StreamAnalyzerDeps): StreamAnalyzer {
  const { metrics, gateways, gatewayState, log } = deps;
  let config = deps.config;
  let extractors: Extractors = createExtractors(config.sequence);
  const store: TrackerStore = createTrackerStore({
    metrics,
    window: config.sequence.reorderWindow,
    windowTime: config.sequence.reorderWindowTime,
    maxTrackers: config.limits.maxTrackedDevices,
    ...(deps.now ? { now: deps.now } : {}),
    ...(deps.sweepInterval !== undefined ? { sweepInterval: deps.sweepInterval } : {}),
  });
  // Label children resolved once per (stream, gateway); dropped on reload (transports may move).
  let seriesCache = new Map<string, StreamSeries>();
  let generation = 0;

  function seriesFor(kind: StreamKind, mac: string | null): StreamSeries {
    const key = mac === null ? `${kind}|` : `${kind}|${mac}`;
    let s = seriesCache.get(key);
    if (s === undefined) {
      const gateway = mac === null ? NO_GATEWAY : gateways.label(mac);
      const transport = mac === null ? 'none' : gateways.transportOf(mac);
      s = createSeries(metrics, kind, transport, gateway, mac);
      seriesCache.set(key, s);
    }
    return s;
  }

  function tap(kind: StreamKind, gatewayMac: string | null, _query: URLSearchParams): StreamTap {
    const mac = gatewayMac === null ? null : normalizeMac(gatewayMac);
    const transport = mac === null ? 'none' : gateways.transportOf(mac);
    const owner: TrackerOwner = new Map();
    const touched = new Set<StreamSeries>();
    const hit: SequenceHit = { key: '', seq: 0, modulus: 0 };
    const keepalives = metrics.keepalives.labels(kind, transport);
    const malformed = metrics.eventsMalformed.labels(kind, transport);
    const delays = new Map<string, ReturnType<Metrics['eventDelay']['labels']>>();
    const perAp = new Map<string, StreamSeries>();
    let fixed = seriesFor(kind, mac);
    let seenGeneration = generation;
    let receivedAt = 0;
    let dead = false;
    let closed = false;
    const parsesJson = kind === 'scan' || kind === 'notification' || kind === 'combined' || kind === 'hub_status';

    function observeDelay(series: StreamSeries, timestamp: unknown): void {
      const d = eventDelaySeconds(timestamp, receivedAt);
      if (Number.isNaN(d)) return;
      const t = series.mac === null ? 'none' : gateways.transportOf(series.mac);
      let child = delays.get(t);
      if (child === undefined) {
        child = metrics.eventDelay.labels(kind, t);
        delays.set(t, child);
      }
      child.observe(d);
    }

    function apSeries(ap: unknown): StreamSeries {
      if (typeof ap !== 'string') return fixed;
      let s = perAp.get(ap);
      if (s === undefined) {
        s = seriesFor(kind, normalizeMac(ap));
        perAp.set(ap, s);
      }
      return s;
    }

    function track(series: StreamSeries, prefix: string): void {
      store.observe(owner, prefix === '' ? hit.key : `${prefix}|${hit.key}`, hit.seq, hit.modulus, series);
    }

    function analyse(event: EventRecord): void {
      if (kind === 'combined') {
        const series = apSeries(event.ap);
        series.events++;
        touched.add(series);
        const prefix = typeof event.ap === 'string' ? event.ap : '';
        const type = typeof event.dataType === 'string' ? event.dataType
          : event.adData !== undefined ? 'scan' : event.value !== undefined ? 'notification' : '';
        if (type === 'notification') {
          const device = String(event.device ?? event.id ?? '');
          if (extractors.notification(event, device, hit)) track(series, prefix);
        } else if (type === 'scan') {
          if (extractors.scan(event, scanDevice(event), hit)) track(series, prefix);
        } else if (type === 'ap_state' && typeof event.ap === 'string') {
          gatewayState.observeHub({ mac: event.ap, status: event.status });
        }
        if (event.timestamp !== undefined) observeDelay(series, event.timestamp);
        return;
      }
      fixed.events++;
      if (kind === 'notification') {
        if (extractors.notification(event, String(event.id ?? event.device ?? ''), hit)) track(fixed, '');
      } else if (kind === 'scan') {
        if (extractors.scan(event, scanDevice(event), hit)) track(fixed, '');
      } else if (kind === 'hub_status') {
        gatewayState.observeHub(event);
      }
      if (event.timestamp !== undefined) observeDelay(fixed, event.timestamp);
    }

    function countUnreadable(): void {
      malformed.inc();
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
        keepalives.inc();
      },
      malformed() {
        countUnreadable();
      },
    };
    const parser = createSseParser(handler, { maxEventBytes: config.limits.maxEventBytes });

    function flush(): void {
      if (fixed.events > 0 && fixed.mac !== null) gatewayState.noteEvent(fixed.mac);
      fixed.flush();
      for (const s of touched) {
        if (s.events > 0 && s.mac !== null) gatewayState.noteEvent(s.mac);
        s.flush();
      }
      touched.clear();
    }

    function fail(err: unknown): void {
      dead = true;
      try {
        metrics.analysisErrors.labels('stream_tap').inc();
        log.warn({ err, stream: kind, gateway: mac }, 'stream analysis failed; this stream is no longer analysed');
        store.release(owner);
      } catch {
        // Nothing more can be done without risking the stream itself.
      }
    }

    return {
      write(chunk) {
        if (dead) return;
        try {
          if (seenGeneration !== generation) {
            seenGeneration = generation;
            fixed = seriesFor(kind, mac);
            perAp.clear();
            delays.clear();
          }
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
    tap(kind, gatewayMac, query) {
      try {
        return tap(kind, gatewayMac, query);
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
    reconfigure(next) {
      if (next.sequence.reorderWindow !== store.window) {
        log.warn({ reorderWindow: next.sequence.reorderWindow, active: store.window },
          'sequence.reorderWindow changes take effect after a restart');
      }
      config = next;
      extractors = createExtractors(next.sequence);
      store.setLimits({ windowTime: next.sequence.reorderWindowTime, maxTrackers: next.limits.maxTrackedDevices });
      seriesCache = new Map();
      generation++;
    },
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
