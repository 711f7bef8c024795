/**
 * The simulated fleet: gateways, open streams, offline periods, fault profiles and the truth.
 * Knows nothing of HTTP routing; the server calls into it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BatchConnector } from './batch.js';
import { recordRequest, type RequestRecord } from './http-util.js';
import type { Device } from './devices.js';
import { createGateway, hubStatusEvent, type Gateway } from './gateway.js';
import { rngFor } from './prng.js';
import { SimProfileError, applyInput, burstProfile, effectiveProfile, validateInput, type FaultProfile, type ProfileSet } from './profile.js';
import { SseConn, type KeepaliveForm, type StreamBytes, type StreamParams } from './sse.js';
import { generateEvents } from './generator.js';
import { cloneTruth, type SimStreamKind, type Truth } from './truth.js';

/** What the world needs to know (resolved options). */
export interface WorldOptions {
  gateways: number;
  capwap: number;
  devicesPerGateway: number;
  seed: number | string;
  profiles: ProfileSet;
  keepaliveMs: number;
  keepaliveForm: KeepaliveForm;
  scanIntervalMs: number;
  notifyIntervalMs: number;
  rssiIntervalMs: number;
  tickMs: number;
  connectedPerGateway: number;
  maxStreamsPerGateway: number;
  maxConnectionsPerGateway: number;
  rebootMs: number;
}

/** The state of the simulated AC. */
/** Tagged streams remembered for `GET /__sim/streams` (bounded: a test tool, not a log). */
const MAX_TAGGED_STREAMS = 10_000;

export class SimWorld {
  readonly gateways: Gateway[] = [];
  /** Bytes written on ended streams whose client sent `x-sim-stream-id`, by that id. */
  readonly streamBytes = new Map<string, StreamBytes>();
  /** Exchanges whose client sent `x-sim-request-id`, by that id (`GET /__sim/requests`). */
  readonly requestRecords = new Map<string, RequestRecord>();
  readonly byMac = new Map<string, Gateway>();
  readonly combinedSubs = new Set<SseConn>();
  readonly hubSubs = new Set<SseConn>();
  readonly startedAt = Date.now();
  /** The batch-connect queues (`/gap/batch-connect`). */
  readonly batch: BatchConnector = new BatchConnector(this);
  private readonly profileCache = new Map<Gateway, { good: FaultProfile; bad: FaultProfile }>();
  private readonly autoConnect = new Map<Gateway, Device[]>();
  private timer: NodeJS.Timeout | null = null;
  private lastTick = 0;
  private openStreams = 0;
  private acStreamsOpened = 0;
  private closed = false;

  constructor(readonly options: WorldOptions) {
    const now = Date.now();
    for (let i = 0; i < options.gateways; i++) {
      const g = createGateway(i, options.capwap, options.devicesPerGateway, options.seed, now);
      this.gateways.push(g);
      this.byMac.set(g.mac, g);
      const auto = g.devices.slice(0, Math.min(options.connectedPerGateway, g.devices.length));
      this.autoConnect.set(g, auto);
      for (const d of auto) this.connect(g, d);
      this.scheduleOffline(g);
    }
  }

  /** Records the exchange of `req` under `id` (bounded like tagged streams; a repeated id replaces the older). */
  recordRequest(req: IncomingMessage, id: string, path: string): void {
    if (this.requestRecords.size >= MAX_TAGGED_STREAMS && !this.requestRecords.has(id)) return;
    const record: RequestRecord = { method: req.method ?? 'GET', path, requestBody: null, status: null, responseBody: null };
    this.requestRecords.set(id, record);
    recordRequest(req, record);
  }

  /**
   * The fault profile in force for a gateway now: its transport's, with its own overrides, and
   * the burst probabilities while its link is in the bad state.
   */
  profileOf(g: Gateway): FaultProfile {
    let cached = this.profileCache.get(g);
    if (!cached) {
      const p = effectiveProfile(this.options.profiles, g.mac, g.transport);
      cached = { good: p, bad: burstProfile(p) };
      this.profileCache.set(g, cached);
    }
    const { good, bad } = cached;
    return good.burstBadMeanS > 0 && g.link.isBad(Date.now(), good.burstGoodMeanS, good.burstBadMeanS) ? bad : good;
  }

  /** Opens an SSE response for `kind`; `g` is the gateway of a `mac=` stream, null for AC-wide ones. */
  openStream(res: ServerResponse, kind: SimStreamKind, g: Gateway | null, params: StreamParams): SseConn {
    const purpose = g ? `stream:${g.mac}:${g.streamsOpened++}` : `ac-stream:${this.acStreamsOpened++}`;
    const set = this.setFor(kind, g);
    const conn = new SseConn(res, kind, params, rngFor(this.options.seed, purpose), this.options.keepaliveMs,
      this.options.keepaliveForm, (c) => {
        if (set.delete(c)) this.openStreams--;
        const written = c.written();
        if (c.tag !== null && written !== null && this.streamBytes.size < MAX_TAGGED_STREAMS) this.streamBytes.set(c.tag, written);
        if (this.openStreams === 0 && this.timer) {
          clearInterval(this.timer);
          this.timer = null;
        }
      });
    set.add(conn);
    this.openStreams++;
    if (kind === 'combined') {
      const aps = this.gateways.map((x) => ({ ap: x.mac, status: x.online ? 'online' : 'offline',
        scan: x.combinedScan, notify: x.combinedNotify, connection_state: x.combinedState }));
      conn.raw(`data: ${JSON.stringify({ dataType: 'state', aps })}\n\n`);
    } else if (kind === 'hub_status') {
      const now = Date.now();
      for (const x of this.gateways) conn.emit(0, `data: ${hubStatusEvent(x, now)}\n\n`, x.truth.streams.hub_status, null);
    }
    conn.flush();
    if (!this.timer && (kind === 'scan' || kind === 'notification' || kind === 'rssi' || kind === 'combined')) {
      this.lastTick = Date.now();
      this.timer = setInterval(() => this.tick(), this.options.tickMs);
    }
    return conn;
  }

  private setFor(kind: SimStreamKind, g: Gateway | null): Set<SseConn> {
    if (kind === 'combined') return this.combinedSubs;
    if (kind === 'hub_status' || !g) return this.hubSubs;
    if (kind === 'scan') return g.scanSubs;
    if (kind === 'notification') return g.notifySubs;
    if (kind === 'rssi') return g.rssiSubs;
    return g.stateSubs;
  }

  private tick(): void {
    const now = Date.now();
    const dt = Math.min(now - this.lastTick, 1000);
    this.lastTick = now;
    generateEvents(this, now, dt);
  }

  /** Marks a device connected and tells connection-state listeners. */
  connect(g: Gateway, d: Device): void {
    if (d.connected) return;
    d.connected = true;
    g.connected.push(d);
    this.connectionEvent(g, d.mac, 'connected');
  }

  /** Tells connection-state listeners that a batch-connect device was not connected in time (wiki: `"connectionState":"connect timeout"`). */
  connectTimedOut(g: Gateway, mac: string): void {
    this.connectionEvent(g, mac, 'connect timeout');
  }

  /** Marks a device disconnected and tells connection-state listeners. */
  disconnect(g: Gateway, d: Device, reason?: string): void {
    if (!d.connected) return;
    d.connected = false;
    g.connected = g.connected.filter((x) => x !== d);
    this.connectionEvent(g, d.mac, 'disconnected', reason);
  }

  private connectionEvent(g: Gateway, mac: string, state: string, reason?: string): void {
    const tail = `"handle":"${mac}","connectionState":"${state}"${reason ? `,"reason":"${reason}"` : ''},"chipId":0`;
    for (const c of g.stateSubs) {
      c.emit(0, `data: {${tail}}\n\n`, g.truth.streams.connection_state, null);
      c.flush();
    }
    if (g.combinedState) {
      for (const c of this.combinedSubs) {
        c.emit(0, `data: {"dataType":"connection_state","ap":"${g.mac}",${tail}}\n\n`, g.truth.streams.combined, null);
        c.flush();
      }
    }
  }

  private statusEvents(g: Gateway, now: number): void {
    const hub = `data: ${hubStatusEvent(g, now)}\n\n`;
    for (const c of this.hubSubs) {
      c.emit(0, hub, g.truth.streams.hub_status, null);
      c.flush();
    }
    const ap = g.online
      ? `{"dataType":"ap_state","ap":"${g.mac}","status":"online","online_time":${g.onlineTime}}`
      : `{"dataType":"ap_state","ap":"${g.mac}","status":"offline","offline_time":${g.offlineTime}}`;
    for (const c of this.combinedSubs) {
      c.emit(0, `data: ${ap}\n\n`, g.truth.streams.combined, null);
      c.flush();
    }
  }

  /** Takes a gateway offline for `durationMs`: its streams end, its connections drop. */
  goOffline(g: Gateway, durationMs: number, reboot = false): void {
    if (!g.online || this.closed) return;
    const now = Date.now();
    g.online = false;
    g.offlineTime = Math.floor(now / 1000);
    for (const set of [g.scanSubs, g.notifySubs, g.stateSubs, g.rssiSubs]) for (const c of [...set]) c.end();
    for (const d of g.connected) d.connected = false;
    g.connected = [];
    // A rebooting or unreachable gateway loses its batch-connect queue.
    this.batch.clear(g);
    this.statusEvents(g, now);
    if (g.offlineTimer) clearTimeout(g.offlineTimer);
    g.offlineTimer = setTimeout(() => this.goOnline(g, reboot), durationMs);
    g.offlineTimer.unref();
  }

  /** Brings a gateway back; its auto-connected devices reconnect. */
  goOnline(g: Gateway, reboot = false): void {
    if (g.offlineTimer) clearTimeout(g.offlineTimer);
    g.offlineTimer = null;
    if (g.online || this.closed) return;
    const now = Date.now();
    g.online = true;
    g.onlineTime = Math.floor(now / 1000);
    if (reboot) g.bootAt = now;
    this.statusEvents(g, now);
    for (const d of this.autoConnect.get(g) ?? []) this.connect(g, d);
    this.scheduleOffline(g);
  }

  private scheduleOffline(g: Gateway): void {
    if (g.offlineTimer) clearTimeout(g.offlineTimer);
    g.offlineTimer = null;
    const p = this.profileOf(g);
    if (p.offlineMeanIntervalS <= 0 || this.closed) return;
    const wait = -Math.log(1 - g.offlineRng()) * p.offlineMeanIntervalS * 1000;
    const duration = (p.offlineMinS + g.offlineRng() * Math.max(0, p.offlineMaxS - p.offlineMinS)) * 1000;
    g.offlineTimer = setTimeout(() => this.goOffline(g, duration), wait);
    g.offlineTimer.unref();
  }

  /** Applies a `POST /__sim/faults` body; throws SimProfileError when it is malformed. */
  setFaults(body: unknown): void {
    const input = validateInput(body);
    for (const mac of Object.keys(input.gateways ?? {})) {
      if (!this.byMac.has(mac)) throw new SimProfileError(`gateways.${mac}: no such gateway`);
    }
    const moves = applyInput(this.options.profiles, input);
    for (const [mac, transport] of Object.entries(moves)) {
      const g = this.byMac.get(mac);
      if (g) g.transport = g.truth.transport = transport;
    }
    this.profileCache.clear();
    for (const g of this.gateways) {
      if (g.online) this.scheduleOffline(g);
      else if (this.profileOf(g).offlineMeanIntervalS <= 0) this.goOnline(g);
    }
  }

  /** Ends every open event stream gracefully; returns how many. */
  closeStreams(): number {
    const all: SseConn[] = [...this.combinedSubs, ...this.hubSubs];
    for (const g of this.gateways) all.push(...g.scanSubs, ...g.notifySubs, ...g.stateSubs, ...g.rssiSubs);
    for (const c of all) c.end();
    return all.length;
  }

  /** A snapshot of the truth. */
  truth(): Truth {
    const gateways: Truth['gateways'] = {};
    for (const g of this.gateways) gateways[g.mac] = g.truth;
    return cloneTruth({ gateways });
  }

  /** Stops timers and ends streams. */
  close(): void {
    this.closeStreams();
    this.closed = true;
    this.batch.close();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const g of this.gateways) if (g.offlineTimer) clearTimeout(g.offlineTimer);
  }
}
