/**
 * Every metric the proxy exports, defined in one place; the only module that touches
 * prom-client's metric classes. Names and labels are the contract dashboards, alert rules and
 * docs/reference.md rely on: extend, never rename. Each call site gets typed label names from here.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { EVENT_DELAY_BUCKETS, REQUEST_DURATION_BUCKETS, STREAM_DURATION_BUCKETS } from './buckets.js';
import { CounterFamily, GaugeFamily, HistogramFamily } from './families.js';

export { Registry } from 'prom-client';
export type { HistogramCell, ValueCell } from './families.js';

export const METRIC_PREFIX = 'cassia_proxy_';

const STREAM_LABELS = ['stream', 'transport', 'gateway'] as const;

/** Options of createMetrics. */
export interface MetricsOptions {
  /** Process metrics (CPU, memory, event loop, GC); default true. */
  defaultMetrics?: boolean;
  /** Where `log_lines_dropped_total` is read from at scrape time (the process's log writer). */
  droppedLogLines?: () => number;
  /** Where `requests_in_flight` is read from at scrape time (the proxy listener's in-flight list). */
  inFlight?: () => number;
  /** Where the probe scheduler's gauges are read from at scrape time (0 while probes are off). */
  probing?: () => { targets: number; intervalSeconds: number };
}

/**
 * Builds every metric on `registry` (a fresh one per proxy instance; tests make their own).
 * Families the proxy adds to per request or per event are cell families (families.ts); the rest
 * change rarely and are prom-client's own classes.
 */
export function createMetrics(registry: Registry, opts: MetricsOptions = {}) {
  const registers = [registry];
  let reportedLogDrops = 0;
  const droppedLogLines = opts.droppedLogLines ?? (() => 0);
  const inFlight = opts.inFlight ?? (() => 0);
  const probing = opts.probing ?? (() => ({ targets: 0, intervalSeconds: 0 }));
  if (opts.defaultMetrics !== false) {
    // The event-loop-lag monitor samples every 10 ms by default, which alone cost an idle proxy
    // ~10 ms of CPU per second (1 % of a core on every pod that runs the sidecar); every 100 ms
    // costs ~1 ms per second and still catches any stall long enough to matter.
    collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX, eventLoopMonitoringPrecision: 100 });
  }
  return {
    registry,
    requests: new CounterFamily(`${METRIC_PREFIX}requests_total`,
      'Requests handled, by outcome. origin tells who produced the status: the AC (upstream), the proxy, or the client going away.',
      ['route', 'method', 'code', 'origin', 'reason', 'transport'] as const, registry),
    gatewayRequests: new CounterFamily(`${METRIC_PREFIX}gateway_requests_total`,
      'Requests per gateway (the mac query parameter) and status code.',
      ['gateway', 'transport', 'code'], registry),
    gatewayErrors: new CounterFamily(`${METRIC_PREFIX}gateway_errors_total`,
      'Requests per gateway answered 502 or 504, by who produced the status: the AC (upstream) or the proxy.',
      ['gateway', 'transport', 'code', 'origin'], registry),
    gatewayOutages: new CounterFamily(`${METRIC_PREFIX}gateway_outages_total`,
      'Outages per gateway: the gateway known offline (hub list, hub status, ap_state, discovery) or 3 or more consecutive calls to it answered 502/504 over at least 2 s.',
      ['gateway', 'transport'], registry),
    gatewayOutageErrors: new CounterFamily(`${METRIC_PREFIX}gateway_outage_errors_total`,
      'Calls per gateway answered 502/504 inside an outage; the verdicts leave them out of the 502/504 rate (docs/verdicts.md).',
      ['gateway', 'transport'], registry),
    acErrors: new CounterFamily(`${METRIC_PREFIX}ac_errors_total`,
      'Error answers of the AC (status 400 or above, not event streams) by what it said, in Cassia\'s own words: chip_busy, no_resources, device_not_found, device_not_connected, operation_timeout, connect_failed, parameter_invalid, hub_not_found, gateway_offline, token_expired, forbidden, other.',
      ['gateway', 'transport', 'route', 'error'], registry),
    requestDuration: new HistogramFamily(`${METRIC_PREFIX}request_duration_seconds`,
      'Time from request received to response headers sent to the client.',
      ['route', 'method', 'transport'], REQUEST_DURATION_BUCKETS, registry),
    clientErrors: new CounterFamily(`${METRIC_PREFIX}client_errors_total`,
      'Client requests and connections the proxy refused or cut because of the client: headers not sent in time, headers too large, malformed, body stalled, connection cap.',
      ['reason'], registry),
    requestsInFlight: new Gauge({
      name: `${METRIC_PREFIX}requests_in_flight`,
      help: 'Exchanges in flight: requests forwarded upstream and not finished yet, open event streams included.',
      registers,
      collect() {
        this.set(inFlight());
      },
    }),
    streamsActive: new GaugeFamily(`${METRIC_PREFIX}streams_active`,
      'Event streams (SSE) currently open through the proxy.',
      ['stream', 'transport'], registry),
    gatewayStreamsActive: new GaugeFamily(`${METRIC_PREFIX}gateway_streams_active`,
      'Event streams open through this proxy per gateway; a gateway takes about 20-30, past that it answers 500 no resources.',
      ['gateway', 'stream'], registry),
    streamsEnded: new CounterFamily(`${METRIC_PREFIX}streams_total`,
      'Event streams that ended, by how they ended.',
      ['stream', 'transport', 'end'], registry),
    streamDuration: new HistogramFamily(`${METRIC_PREFIX}stream_duration_seconds`,
      'How long event streams lasted.',
      ['stream', 'transport'], STREAM_DURATION_BUCKETS, registry),
    events: new CounterFamily(`${METRIC_PREFIX}events_total`,
      'Events (SSE messages, keep-alives excluded) seen on streams.',
      STREAM_LABELS, registry),
    eventsMissing: new CounterFamily(`${METRIC_PREFIX}events_missing_total`,
      'Sequence numbers skipped and never seen within the reorder window (sum of gap sizes).',
      STREAM_LABELS, registry),
    eventsOutOfOrder: new CounterFamily(`${METRIC_PREFIX}events_out_of_order_total`,
      'Events that arrived after an event with a higher sequence number of the same source.',
      STREAM_LABELS, registry),
    eventsDuplicate: new CounterFamily(`${METRIC_PREFIX}events_duplicate_total`,
      'Events whose sequence number was already seen within the reorder window.',
      STREAM_LABELS, registry),
    sequenceResets: new CounterFamily(`${METRIC_PREFIX}sequence_resets_total`,
      'Sequence counters that jumped backwards beyond the reorder window (e.g. device reboot).',
      STREAM_LABELS, registry),
    eventsSequenced: new CounterFamily(`${METRIC_PREFIX}events_sequenced_total`,
      'Events that carried a sequence number and were tracked (the denominator for loss ratios).',
      STREAM_LABELS, registry),
    eventsSequenceRequested: new CounterFamily(`${METRIC_PREFIX}events_sequence_requested_total`,
      'Of events_sequenced_total: events whose sequence number the proxy asked the AC for (sequence.request), not the application.',
      STREAM_LABELS, registry),
    sequenceRequestFallbacks: new Counter({
      name: `${METRIC_PREFIX}sequence_request_fallbacks_total`,
      help: 'Streams whose sequence=2 the proxy added and that it stopped rewriting, by why; from then on the client got the events as the AC sent them.',
      labelNames: ['stream', 'transport', 'reason'] as const,
      registers,
    }),
    eventsMalformed: new CounterFamily(`${METRIC_PREFIX}events_malformed_total`,
      'Events that could not be analysed (bad JSON, oversized); they were still forwarded.',
      ['stream', 'transport'], registry),
    keepalives: new CounterFamily(`${METRIC_PREFIX}keepalives_total`,
      'Keep-alives seen on streams (comment, keep-alive event, or keep-alive data line).',
      ['stream', 'transport'], registry),
    eventDelay: new HistogramFamily(`${METRIC_PREFIX}event_delay_seconds`,
      'Gateway timestamp to proxy receipt, for events that carry a timestamp (subject to clock skew).',
      ['stream', 'transport'], EVENT_DELAY_BUCKETS, registry),
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
    probes: new CounterFamily(`${METRIC_PREFIX}probes_total`,
      'The proxy\'s own probes of gateways not known offline, by result: ok, 502, 504, timeout, error (any other answer), unreachable (no connection to the AC). Never in requests_total.',
      ['gateway', 'transport', 'result'], registry),
    probesOffline: new CounterFamily(`${METRIC_PREFIX}probes_offline_total`,
      'Probes of gateways known offline (hub list, hub status, or the answer said so), by result: counted apart so an outage is not taken for transport loss.',
      ['gateway', 'transport', 'result'], registry),
    probeDuration: new HistogramFamily(`${METRIC_PREFIX}probe_duration_seconds`,
      'Round trip of answered probes (to response headers), gateways known offline left out.',
      ['transport'], REQUEST_DURATION_BUCKETS, registry),
    probeLastSuccess: new GaugeFamily(`${METRIC_PREFIX}probe_last_success_timestamp_seconds`,
      'Unix time of the last probe of the gateway answered 2xx.',
      ['gateway', 'transport'], registry),
    probeTargets: new Gauge({
      name: `${METRIC_PREFIX}probe_targets`,
      help: 'Gateways this proxy probes (0 while probe.enabled is off): more than one proxy with a value above 0 per AC multiplies the load.',
      registers,
      collect() {
        this.set(probing().targets);
      },
    }),
    probeInterval: new Gauge({
      name: `${METRIC_PREFIX}probe_interval_seconds`,
      help: 'Time between two probes of one online gateway as scheduled: probe.interval, or longer when probe.maxPerSecond caps the pace.',
      registers,
      collect() {
        this.set(probing().intervalSeconds);
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
