/**
 * The transport report: which gateways suffer, how badly, and did moving them to MQTT help.
 * Counts arrive through the gateway handles (src/gateways/counts.ts), which add each finished
 * exchange and each analysed chunk's events to their report segment: the same increments that
 * feed the metrics, on one path. The admin server mounts `router()` at `/`.
 */
import type { Router } from 'express';
import type { GatewaySnapshotEntry } from './assemble.js';
import { buildGateways, buildReport } from './build.js';
import { createSegmentStore, type SegmentStore } from './segments.js';
import { createLatchedDecider } from './decider.js';
import { DEFAULT_THRESHOLDS, type Thresholds } from './recommend.js';
import { createReportRouter } from './router.js';
import type { GatewayReport, TransportReport } from './types.js';

/** Dependencies and knobs of the report. */
export interface ReportDeps {
  /** Current gateway identity and transport (from the gateways module); called per answer. */
  gatewaySnapshot: () => GatewaySnapshotEntry[];
  /** ms clock; defaults to Date.now (tests pass a controllable one). */
  now?: () => number;
  /** Bucket width, default 10 000 ms; window = buckets × bucketMs (default 90 → 15 min). */
  bucketMs?: number;
  buckets?: number;
  thresholds?: Partial<Thresholds>;
  /** When the first verdict look is due after the start (default 30 s; later looks double it). */
  firstLookMs?: number;
  /** Width of the before/after verdict's buckets (default 60 000 ms). */
  minuteMs?: number;
}

/** A running report. */
export interface Report {
  /** Where the gateway handles add their counts. */
  readonly segments: SegmentStore;
  gateways(): GatewayReport[];
  report(): TransportReport;
  /** Express 5 router serving GET /api/gateways, GET /api/report and GET /. */
  router(): Router;
}

/** Creates the report. */
export function createReport(deps: ReportDeps): Report {
  const now = deps.now ?? Date.now;
  const startedAt = now();
  const segments = createSegmentStore({ bucketMs: deps.bucketMs, buckets: deps.buckets, now, minuteMs: deps.minuteMs });
  const ctx = {
    segments,
    snapshot: deps.gatewaySnapshot,
    decider: createLatchedDecider(startedAt, { ...DEFAULT_THRESHOLDS, ...deps.thresholds }, deps.firstLookMs),
    startedAt,
  };
  const self: Report = {
    segments,
    gateways: () => buildGateways(ctx),
    report: () => buildReport(ctx),
    router: () => createReportRouter(self),
  };
  return self;
}
