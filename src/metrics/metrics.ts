/**
 * Every metric the proxy exports, defined in one place; the only module that touches
 * prom-client's metric classes. Names and labels are the contract in PRODUCT.md: extend,
 * never rename. Each call site gets typed label names from here.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { droppedLogLines } from '../log-writer.js';

export const METRIC_PREFIX = 'cassia_proxy_';

/** Time to response headers: 5 ms to 30 s (Cassia connects may take up to 20 s). */
export const REQUEST_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30];
/** Streams live for minutes to days. */
export const STREAM_DURATION_BUCKETS = [1, 5, 15, 60, 300, 900, 1800, 3600, 7200, 14400, 43200, 86400];
/** Gateway timestamp to proxy receipt. */
export const EVENT_DELAY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

const STREAM_LABELS = ['stream', 'transport', 'gateway'] as const;

/** Builds every metric on `registry` (a fresh one per proxy instance; tests make their own). */
export function createMetrics(registry: Registry, opts: { defaultMetrics?: boolean } = {}) {
  const registers = [registry];
  let reportedLogDrops = 0;
  if (opts.defaultMetrics !== false) {
    // The event-loop-lag monitor samples every 10 ms by default, which alone cost an idle proxy
    // ~10 ms of CPU per second (1 % of a core on every pod that runs the sidecar); every 100 ms
    // costs ~1 ms per second and still catches any stall long enough to matter.
    collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX, eventLoopMonitoringPrecision: 100 });
  }
  return {
    registry,
    requests: new Counter({
      name: `${METRIC_PREFIX}requests_total`,
      help: 'Requests handled, by outcome. origin tells who produced the status: the AC (upstream), the proxy, or the client going away.',
      labelNames: ['route', 'method', 'code', 'origin', 'reason', 'transport'] as const,
      registers,
    }),
    gatewayRequests: new Counter({
      name: `${METRIC_PREFIX}gateway_requests_total`,
      help: 'Requests per gateway (the mac query parameter) and status code.',
      labelNames: ['gateway', 'transport', 'code'] as const,
      registers,
    }),
    requestDuration: new Histogram({
      name: `${METRIC_PREFIX}request_duration_seconds`,
      help: 'Time from request received to response headers sent to the client.',
      labelNames: ['route', 'method', 'transport'] as const,
      buckets: REQUEST_DURATION_BUCKETS,
      registers,
    }),
    streamsActive: new Gauge({
      name: `${METRIC_PREFIX}streams_active`,
      help: 'Event streams (SSE) currently open through the proxy.',
      labelNames: ['stream', 'transport'] as const,
      registers,
    }),
    streamsEnded: new Counter({
      name: `${METRIC_PREFIX}streams_total`,
      help: 'Event streams that ended, by how they ended.',
      labelNames: ['stream', 'transport', 'end'] as const,
      registers,
    }),
    streamDuration: new Histogram({
      name: `${METRIC_PREFIX}stream_duration_seconds`,
      help: 'How long event streams lasted.',
      labelNames: ['stream', 'transport'] as const,
      buckets: STREAM_DURATION_BUCKETS,
      registers,
    }),
    events: new Counter({
      name: `${METRIC_PREFIX}events_total`,
      help: 'Events (SSE messages, keep-alives excluded) seen on streams.',
      labelNames: STREAM_LABELS,
      registers,
    }),
    eventsMissing: new Counter({
      name: `${METRIC_PREFIX}events_missing_total`,
      help: 'Sequence numbers skipped and never seen within the reorder window (sum of gap sizes).',
      labelNames: STREAM_LABELS,
      registers,
    }),
    eventsOutOfOrder: new Counter({
      name: `${METRIC_PREFIX}events_out_of_order_total`,
      help: 'Events that arrived after an event with a higher sequence number of the same source.',
      labelNames: STREAM_LABELS,
      registers,
    }),
    eventsDuplicate: new Counter({
      name: `${METRIC_PREFIX}events_duplicate_total`,
      help: 'Events whose sequence number was already seen within the reorder window.',
      labelNames: STREAM_LABELS,
      registers,
    }),
    sequenceResets: new Counter({
      name: `${METRIC_PREFIX}sequence_resets_total`,
      help: 'Sequence counters that jumped backwards beyond the reorder window (e.g. device reboot).',
      labelNames: STREAM_LABELS,
      registers,
    }),
    eventsSequenced: new Counter({
      name: `${METRIC_PREFIX}events_sequenced_total`,
      help: 'Events that carried a sequence number and were tracked (the denominator for loss ratios).',
      labelNames: STREAM_LABELS,
      registers,
    }),
    eventsMalformed: new Counter({
      name: `${METRIC_PREFIX}events_malformed_total`,
      help: 'Events that could not be analysed (bad JSON, oversized); they were still forwarded.',
      labelNames: ['stream', 'transport'] as const,
      registers,
    }),
    keepalives: new Counter({
      name: `${METRIC_PREFIX}keepalives_total`,
      help: 'Keep-alives seen on streams (comment, keep-alive event, or keep-alive data line).',
      labelNames: ['stream', 'transport'] as const,
      registers,
    }),
    eventDelay: new Histogram({
      name: `${METRIC_PREFIX}event_delay_seconds`,
      help: 'Gateway timestamp to proxy receipt, for events that carry a timestamp (subject to clock skew).',
      labelNames: ['stream', 'transport'] as const,
      buckets: EVENT_DELAY_BUCKETS,
      registers,
    }),
    gatewayInfo: new Gauge({
      name: `${METRIC_PREFIX}gateway_info`,
      help: 'Known gateways (value 1) with their transport, name, model and firmware version.',
      labelNames: ['gateway', 'transport', 'name', 'model', 'version'] as const,
      registers,
    }),
    gatewayOnline: new Gauge({
      name: `${METRIC_PREFIX}gateway_online`,
      help: 'Gateway online (1) or offline (0), as last learned from hub lists and status events.',
      labelNames: ['gateway', 'transport'] as const,
      registers,
    }),
    gatewayStatusChanges: new Counter({
      name: `${METRIC_PREFIX}gateway_status_changes_total`,
      help: 'Gateway online/offline transitions (flaps).',
      labelNames: ['gateway', 'transport'] as const,
      registers,
    }),
    configReloads: new Counter({
      name: `${METRIC_PREFIX}config_reloads_total`,
      help: 'Configuration reloads by result.',
      labelNames: ['result'] as const,
      registers,
    }),
    labelOverflow: new Counter({
      name: `${METRIC_PREFIX}label_overflow_total`,
      help: 'Label values folded into "other" because a cardinality limit was reached.',
      labelNames: ['label'] as const,
      registers,
    }),
    analysisErrors: new Counter({
      name: `${METRIC_PREFIX}analysis_errors_total`,
      help: 'Internal faults in measurement code; traffic kept flowing. Should stay 0.',
      labelNames: ['component'] as const,
      registers,
    }),
    trackersActive: new Gauge({
      name: `${METRIC_PREFIX}sequence_trackers`,
      help: 'Sequence trackers (one per device and stream connection) currently held.',
      registers,
    }),
    trackersEvicted: new Counter({
      name: `${METRIC_PREFIX}sequence_trackers_evicted_total`,
      help: 'Sequence trackers evicted because limits.maxTrackedDevices was reached.',
      registers,
    }),
    logLinesDropped: new Counter({
      name: `${METRIC_PREFIX}log_lines_dropped_total`,
      help: 'Log lines dropped because stdout could not keep up (more than 8 MiB unwritten). Should stay 0.',
      registers,
      collect() {
        const dropped = droppedLogLines();
        if (dropped > reportedLogDrops) this.inc(dropped - reportedLogDrops);
        reportedLogDrops = dropped;
      },
    }),
    transportExpected: new Gauge({
      name: `${METRIC_PREFIX}transport_expected`,
      help: 'The transport the operator declared every gateway should use (transport.expected), value 1.',
      labelNames: ['transport'] as const,
      registers,
    }),
    upstreamInsecure: new Gauge({
      name: `${METRIC_PREFIX}upstream_tls_insecure`,
      help: '1 when upstream TLS certificate verification is switched off (upstreamInsecure).',
      registers,
    }),
    buildInfo: new Gauge({
      name: `${METRIC_PREFIX}build_info`,
      help: 'Build information, value 1.',
      labelNames: ['version', 'node'] as const,
      registers,
    }),
  };
}

/** The metric set a proxy instance records into. */
export type Metrics = ReturnType<typeof createMetrics>;
