/**
 * The transport report: which gateways suffer, how badly, and did moving them to MQTT help.
 * The proxy calls `recordExchange` once per finished exchange (hot path, O(1), no allocation);
 * event figures are pulled from the stream analyser's counters in `metrics` every bucket and
 * before every answer. The admin server mounts `router()` at `/`.
 */
import type { Router } from 'express';
import type { Metrics } from '../metrics/metrics.js';
import { buildGateways, buildReport, type GatewaySnapshotEntry } from './build.js';
import { createEventPoller } from './event-poller.js';
import { createRecorder, type EventCounts } from './recorder.js';
import { DEFAULT_THRESHOLDS, type Thresholds } from './recommend.js';
import { createReportRouter } from './router.js';
import type { GatewayReport, Origin, TransportReport } from './types.js';

/** Dependencies and knobs of the report. */
export interface ReportDeps {
  metrics: Metrics;
  /** Current gateway identity and transport (from the gateways module); called per answer. */
  gatewaySnapshot: () => GatewaySnapshotEntry[];
  /** ms clock; defaults to Date.now (tests pass a controllable one). */
  now?: () => number;
  /** Bucket width, default 10 000 ms; window = buckets × bucketMs (default 90 → 15 min). */
  bucketMs?: number;
  buckets?: number;
  /** Gateway keys kept before new ones fold into `other`: pass limits.maxGateways + 1 (for `none`); default 1001. */
  maxGateways?: number;
  thresholds?: Partial<Thresholds>;
  /** Poll event counters every bucket (default true; tests switch it off and call refresh). */
  pollEvents?: boolean;
}

/** A running report. */
export interface Report {
  /**
   * Records one finished exchange: `gateway` is the gateway label value (`none` when the call
   * names no gateway, `other` past the cap), `transport` its transport label, `status` the code
   * the client got (499 for client aborts), `origin` as in requests_total, `headersMs` the time
   * to response headers (pass NaN when there were none).
   */
  recordExchange(gateway: string, transport: string, status: number, origin: Origin, headersMs: number): void;
  /** Records event counts directly (for callers not using the metrics; normally unused). */
  recordEvents(gateway: string, transport: string, counts: EventCounts): void;
  /** Pulls the latest event counters from the metrics into the recorder. */
  refresh(): Promise<void>;
  gateways(): GatewayReport[];
  report(): TransportReport;
  /** Express 5 router serving GET /api/gateways, GET /api/report and GET /. */
  router(): Router;
  /** Stops the poll timer. */
  close(): void;
}

/** Creates the report. */
export function createReport(deps: ReportDeps): Report {
  const now = deps.now ?? Date.now;
  const startedAt = now();
  const recorder = createRecorder({ bucketMs: deps.bucketMs, buckets: deps.buckets, maxGateways: deps.maxGateways, now });
  const poller = createEventPoller(deps.metrics, recorder);
  const ctx = {
    recorder,
    snapshot: deps.gatewaySnapshot,
    thresholds: { ...DEFAULT_THRESHOLDS, ...deps.thresholds },
    startedAt,
  };
  const refresh = (): Promise<void> =>
    poller.poll().catch(() => {
      // The counters are our own objects; a failure here must never break the admin page.
      deps.metrics.analysisErrors.labels('report').inc();
    });
  const timer = deps.pollEvents === false ? null : setInterval(() => void refresh(), recorder.bucketMs);
  timer?.unref();

  const self: Report = {
    recordExchange: recorder.recordExchange,
    recordEvents: recorder.recordEvents,
    refresh,
    gateways: () => buildGateways(ctx),
    report: () => buildReport(ctx),
    router: () => createReportRouter(self),
    close() {
      if (timer) clearInterval(timer);
    },
  };
  return self;
}
