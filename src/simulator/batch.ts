/**
 * Batch connect (`POST|DELETE /gap/batch-connect`, wiki "RESTful API", "Batch Connect to a Target
 * Device (v2.0 and above)"): each gateway keeps a queue of devices and connects them one after
 * another, as a gateway can make only one connection at a time. A device that connects is reported
 * `connected` on the connection-state stream; one that is not connected within its
 * `per_dev_timeout` (retries included) is reported `connect timeout`.
 */
import type { Device } from './devices.js';
import type { Gateway } from './gateway.js';
import type { FaultProfile } from './profile.js';

/** One queued device with the timeouts of the request that queued it (ms). */
export interface BatchEntry {
  mac: string;
  /** Limit of one connection attempt. */
  timeout: number;
  /** Limit of all attempts for this device together. */
  perDevTimeout: number;
}

/** What the connector needs from the world around it. */
export interface BatchHost {
  readonly options: { maxConnectionsPerGateway: number };
  profileOf(g: Gateway): FaultProfile;
  /** Marks the device connected and reports it (`connected`). */
  connect(g: Gateway, d: Device): void;
  /** Reports that a queued device could not be connected in time (`connect timeout`). */
  connectTimedOut(g: Gateway, mac: string): void;
}

interface Lane {
  queue: BatchEntry[];
  current: { entry: BatchEntry; deadline: number } | null;
  timer: NodeJS.Timeout | null;
}

/** Queue length past which a batch request is refused (`no resources`): a simulator bound, not a documented one. */
export const MAX_BATCH_QUEUE = 1000;

/** The batch-connect queues of every gateway. */
export class BatchConnector {
  private readonly lanes = new Map<Gateway, Lane>();

  constructor(private readonly host: BatchHost) {}

  /** Devices queued or being connected on `g`. */
  pending(g: Gateway): number {
    const lane = this.lanes.get(g);
    return lane ? lane.queue.length + (lane.current ? 1 : 0) : 0;
  }

  /**
   * Adds devices to `g`'s queue ("could add into existing batch-connect list"); a device already
   * queued or being connected is not queued twice. False when the queue would pass MAX_BATCH_QUEUE.
   */
  enqueue(g: Gateway, entries: BatchEntry[]): boolean {
    let lane = this.lanes.get(g);
    if (!lane) {
      lane = { queue: [], current: null, timer: null };
      this.lanes.set(g, lane);
    }
    const known = new Set([...lane.queue.map((e) => e.mac), ...(lane.current ? [lane.current.entry.mac] : [])]);
    const fresh = entries.filter((e) => !known.has(e.mac) && known.add(e.mac));
    if (this.pending(g) + fresh.length > MAX_BATCH_QUEUE) return false;
    lane.queue.push(...fresh);
    if (!lane.current) this.next(g, lane);
    return true;
  }

  /** Empties `g`'s queue and abandons the device being connected (DELETE, or the gateway went offline). */
  clear(g: Gateway): void {
    const lane = this.lanes.get(g);
    if (!lane) return;
    if (lane.timer) clearTimeout(lane.timer);
    this.lanes.delete(g);
  }

  /** Stops every queue (simulator shutdown). */
  close(): void {
    for (const g of [...this.lanes.keys()]) this.clear(g);
  }

  private next(g: Gateway, lane: Lane): void {
    lane.current = null;
    lane.timer = null;
    for (let entry = lane.queue.shift(); entry; entry = lane.queue.shift()) {
      // Connected meanwhile (single connect, auto-selection): nothing left to do for it.
      if (g.deviceByMac.get(entry.mac)?.connected) continue;
      lane.current = { entry, deadline: Date.now() + entry.perDevTimeout };
      this.attempt(g, lane);
      return;
    }
    this.lanes.delete(g);
  }

  /** One connection attempt; two draws from the gateway's behaviour stream, as a single connect. */
  private attempt(g: Gateway, lane: Lane): void {
    const current = lane.current;
    if (!current) return;
    const { entry, deadline } = current;
    const p = this.host.profileOf(g);
    const failure = g.behaviourRng() < p.gatewayErrors;
    const took = p.connectMinMs + g.behaviourRng() * Math.max(0, p.connectMaxMs - p.connectMinMs);
    const d = g.deviceByMac.get(entry.mac);
    // A device that is not there is looked for until the attempt's timeout.
    const wait = d ? Math.min(took, entry.timeout) : entry.timeout;
    const left = deadline - Date.now();
    if (wait > left) {
      lane.timer = setTimeout(() => {
        this.host.connectTimedOut(g, entry.mac);
        this.next(g, lane);
      }, Math.max(0, left));
      lane.timer.unref();
      return;
    }
    lane.timer = setTimeout(() => {
      lane.timer = null;
      if (d?.connected) return this.next(g, lane);
      if (d && !failure && took <= entry.timeout && g.online && g.connected.length < this.host.options.maxConnectionsPerGateway) {
        this.host.connect(g, d);
        return this.next(g, lane);
      }
      this.attempt(g, lane);
    }, wait);
    lane.timer.unref();
  }
}
