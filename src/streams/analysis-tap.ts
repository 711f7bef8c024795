/**
 * The analysis of one SSE response: parses the bytes the proxy forwarded, attributes each event
 * to its gateway (the one the request named; on the combined stream the one its `ap` names),
 * feeds sequence numbers to the trackers, and adds events, keep-alives, unreadable events and
 * delays to the gateway's batched series and the stream's cells, flushed once per chunk.
 *
 * A class rather than closures: one object per stream, which is also the SSE parser's handler.
 */
import type { GatewayDirectory } from '../gateways/directory.js';
import type { GatewayHandle } from '../gateways/handle.js';
import type { GatewayState } from '../gateways/state.js';
import type { StreamSeries } from '../gateways/counts.js';
import type { HistogramCell, Metrics, ValueCell } from '../metrics/metrics.js';
import type { StreamTap } from '../tap.js';
import type { StreamKind, TransportLabel } from '../vocabulary.js';
import { eventDelaySeconds } from './event-time.js';
import { isSeqNumHit, type EventRecord, type Extractors, type SequenceHit } from './extractors.js';
import { createSseParser, type SseHandler, type SseParser } from './sse-parser.js';
import type { TrackerOwner, TrackerStore } from './tracker.js';

/** The parts of a configuration generation that analysis reads. */
export interface AnalysisGeneration {
  readonly directory: GatewayDirectory;
  readonly extractors: Extractors;
  readonly maxEventBytes: number;
  /** Set when a reload replaced this generation. */
  readonly retired: boolean;
}

/** What every tap shares: the analyzer's parts. */
export interface TapContext {
  readonly metrics: Metrics;
  readonly state: GatewayState;
  readonly store: TrackerStore;
  /** The current generation (read at open, and again when the tap's generation retires). */
  readonly generation: () => AnalysisGeneration;
}

/** Where an event's counts go: a gateway's series of this stream kind, under its transport. */
interface Attribution {
  readonly series: StreamSeries;
  readonly transport: TransportLabel;
}

/** Kinds whose events are JSON objects worth parsing. */
const PARSED: ReadonlySet<StreamKind> = new Set<StreamKind>(['scan', 'notification', 'combined', 'hub_status']);

export class AnalysisTap implements StreamTap, SseHandler {
  private gen: AnalysisGeneration;
  private gateway: GatewayHandle;
  private readonly owner: TrackerOwner = new Map();
  /** Series other than `fixed` that this chunk added to (combined stream). */
  private readonly touched = new Set<StreamSeries>();
  private readonly hit: SequenceHit = { key: '', seq: 0, modulus: 0 };
  private readonly delays = new Map<TransportLabel, HistogramCell>();
  /** Per `ap` spelling on this stream: its gateway's series and transport. */
  private readonly perAp = new Map<string, Attribution>();
  /** The series of the gateway the request named. */
  private fixed: StreamSeries;
  /** Combined-stream events without an `ap` count for the gateway the request named. */
  private own: Attribution;
  private keepalives: ValueCell;
  private malformedEvents: ValueCell;
  private receivedAt = 0;
  private closed = false;
  private readonly parsesJson: boolean;
  private readonly parser: SseParser;

  /**
   * `requested`: the proxy added `sequence=2` to the request, so the `seqNum`s it counts are the
   * proxy's doing (counted as requested).
   */
  constructor(private readonly ctx: TapContext, private readonly kind: StreamKind, opened: GatewayHandle, private readonly requested = false) {
    this.gen = ctx.generation();
    this.gateway = opened;
    this.fixed = opened.counts.stream(kind);
    this.own = { series: this.fixed, transport: opened.transport };
    this.keepalives = ctx.metrics.keepalives.cell(kind, opened.transport);
    this.malformedEvents = ctx.metrics.eventsMalformed.cell(kind, opened.transport);
    this.parsesJson = PARSED.has(kind);
    this.parser = createSseParser(this, { maxEventBytes: this.gen.maxEventBytes });
  }

  write(chunk: Buffer): void {
    if (this.gen.retired) this.follow();
    this.receivedAt = Date.now();
    this.parser.write(chunk);
    this.flush();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    // Trackers first: a stream that failed mid-chunk must still let go of them.
    this.ctx.store.release(this.owner);
    this.flush();
  }

  // SseHandler: the parser calls these for each event of a chunk.

  event(data: Buffer, start: number, end: number): void {
    if (!this.parsesJson) {
      this.fixed.events++;
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(data.toString('utf8', start, end));
    } catch {
      this.countUnreadable();
      return;
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      this.countUnreadable();
      return;
    }
    if (this.kind === 'combined') this.analyseCombined(parsed as EventRecord);
    else this.analyse(parsed as EventRecord);
  }

  keepAlive(): void {
    this.keepalives.value += 1;
  }

  malformed(): void {
    this.countUnreadable();
  }

  /** The tap's generation was replaced: continue on the current one. */
  private follow(): void {
    const { kind, ctx } = this;
    this.gen = ctx.generation();
    // A folded gateway (`other`) has no MAC to look up again; it stays where it was.
    if (this.gateway.mac !== null) this.gateway = this.gen.directory.resolve(this.gateway.mac);
    const { gateway } = this;
    this.fixed = gateway.counts.stream(kind);
    this.own = { series: this.fixed, transport: gateway.transport };
    this.keepalives = ctx.metrics.keepalives.cell(kind, gateway.transport);
    this.malformedEvents = ctx.metrics.eventsMalformed.cell(kind, gateway.transport);
    this.perAp.clear();
  }

  private analyse(event: EventRecord): void {
    const { kind, hit, gen } = this;
    this.fixed.events++;
    if (kind === 'notification') {
      if (gen.extractors.notification(event, String(event.id ?? event.device ?? ''), hit)) this.track(this.fixed, '');
    } else if (kind === 'scan') {
      if (gen.extractors.scan(event, scanDevice(event), hit)) this.track(this.fixed, '');
    } else if (kind === 'hub_status') {
      this.ctx.state.observeHub(event);
    }
    if (event.timestamp !== undefined) this.observeDelay(this.gateway.transport, event.timestamp);
  }

  private analyseCombined(event: EventRecord): void {
    const { series, transport } = this.apGateway(event.ap);
    series.events++;
    this.touched.add(series);
    const prefix = typeof event.ap === 'string' ? event.ap : '';
    const type = typeof event.dataType === 'string' ? event.dataType
      : event.adData !== undefined ? 'scan' : event.value !== undefined ? 'notification' : '';
    const { extractors } = this.gen;
    if (type === 'notification') {
      const device = String(event.device ?? event.id ?? '');
      if (extractors.notification(event, device, this.hit)) this.track(series, prefix);
    } else if (type === 'scan') {
      if (extractors.scan(event, scanDevice(event), this.hit)) this.track(series, prefix);
    } else if (type === 'ap_state' && typeof event.ap === 'string') {
      this.ctx.state.observeHub({ mac: event.ap, status: event.status });
    }
    if (event.timestamp !== undefined) this.observeDelay(transport, event.timestamp);
  }

  /** The gateway a combined-stream event names in `ap`, resolved once per spelling. */
  private apGateway(ap: unknown): Attribution {
    if (typeof ap !== 'string') return this.own;
    let g = this.perAp.get(ap);
    if (g === undefined) {
      // An event the AC sent naming `ap` shows that gateway exists.
      const { directory } = this.gen;
      const named = directory.resolveRaw(ap);
      const handle = named.pending === null ? named : directory.vouch(named.pending);
      g = { series: handle.counts.stream(this.kind), transport: handle.transport };
      this.perAp.set(ap, g);
    }
    return g;
  }

  private track(series: StreamSeries, prefix: string): void {
    const { hit } = this;
    this.ctx.store.observe(this.owner, prefix === '' ? hit.key : `${prefix}|${hit.key}`, hit.seq, hit.modulus, series);
    if (this.requested && isSeqNumHit(hit)) series.requested++;
  }

  private observeDelay(transport: TransportLabel, timestamp: unknown): void {
    const d = eventDelaySeconds(timestamp, this.receivedAt);
    if (Number.isNaN(d)) return;
    const { eventDelay } = this.ctx.metrics;
    let cell = this.delays.get(transport);
    if (cell === undefined) {
      cell = eventDelay.cell(this.kind, transport);
      this.delays.set(transport, cell);
    }
    eventDelay.observe(cell, d);
  }

  private countUnreadable(): void {
    this.malformedEvents.value += 1;
    this.fixed.events++;
  }

  private flush(): void {
    this.fixed.flush();
    for (const s of this.touched) s.flush();
    this.touched.clear();
  }
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
