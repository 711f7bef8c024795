// A realistic 40-minute mix for the HTTP/browser tests and the committed screenshot: CAPWAP
// gateways with 502/504s and event loss, MQTT gateways mostly clean, one CAPWAP gateway with
// too little traffic to judge, and one gateway moved from CAPWAP to MQTT at minute 28.
// Seeded, so every run produces the same numbers; counts enter through the report's own entry points.
import { createReport, type Report } from '../../src/report/report.js';
import type { GatewaySnapshotEntry } from '../../src/report/assemble.js';
import type { EventCounts } from '../../src/report/segments.js';
import { mulberry32 } from '../../src/simulator/prng.js';
import type { AcError, Origin } from '../../src/vocabulary.js';

interface Profile {
  mac: string;
  name: string;
  model: string;
  version: string;
  online: boolean;
  /** Requests per 10 s bucket, error rate, share of errors that are 504, loss ratio, p50 ms. */
  req: number;
  err: number;
  share504: number;
  loss: number;
  p50: number;
  transport: 'capwap' | 'mqtt';
  /** Bucket index at which the gateway moves to MQTT, with its MQTT profile. */
  moveAt?: { bucket: number; err: number; loss: number; p50: number };
}

const capwap = (mac: string, name: string, req: number, err: number, loss: number, extra: Partial<Profile> = {}): Profile => ({
  mac, name, model: 'X1000', version: '2.0.3', online: true, req, err, share504: 0.3, loss, p50: 140, transport: 'capwap', ...extra,
});
const mqtt = (mac: string, name: string, req: number, err: number, loss: number): Profile => ({
  mac, name, model: 'E1000', version: '2.1.1', online: true, req, err, share504: 0.4, loss, p50: 55, transport: 'mqtt',
});

export const MOVED = 'CC:1B:E0:E0:30:01';
export const PROFILES: Profile[] = [
  capwap('CC:1B:E0:E0:10:01', 'Warehouse North', 9, 0.045, 0.03),
  capwap('CC:1B:E0:E0:10:02', 'Cold Store & Freezer <B2>', 7, 0.02, 0.012, { model: 'E1000', version: '1.9.8' }),
  capwap('CC:1B:E0:E0:10:03', 'Loading Dock 3', 8, 0.006, 0.0035),
  capwap('CC:1B:E0:E0:10:04', 'Office Lobby', 6, 0.002, 0.0006, { model: 'S2000' }),
  capwap('CC:1B:E0:E0:10:05', 'Roof Mast', 0.15, 0.05, 0.02, { online: false }),
  capwap(MOVED, 'Cold Room 2', 8, 0.05, 0.025, { moveAt: { bucket: 168, err: 0.002, loss: 0.0006, p50: 60 } }),
  mqtt('CC:1B:E0:E0:20:01', 'Assembly Line A', 10, 0.002, 0.0004),
  mqtt('CC:1B:E0:E0:20:02', 'Assembly Line B', 9, 0.003, 0.0008),
  mqtt('CC:1B:E0:E0:20:03', 'Packing', 7, 0.001, 0.0002),
  mqtt('CC:1B:E0:E0:20:04', 'Yard Gate', 5, 0.004, 0.001),
];

/** A gateway the application never calls, on a poor link: only the proxy's probes measure it. */
export const QUIET = { mac: 'CC:1B:E0:E0:20:05', name: 'Spare Dock', model: 'X2000', version: '2.1.1', transport: 'mqtt' as const, err: 0.08, p50: 60 };

/** 09:20:00 UTC: a multiple of the 10 s bucket. */
export const START = Date.UTC(2026, 10, 27, 9, 20, 0);
export const BUCKETS = 240;
/** The frozen clock after feeding: one second before the end of the last bucket. */
export const END = START + BUCKETS * 10_000 - 1000;

/**
 * One finished exchange for a gateway label, added to its segment as the gateway handles add
 * them: `status` is what the client got (499 for a client abort), `headersMs` NaN when none.
 */
export function recordExchange(report: Report, gateway: string, transport: string, status: number, origin: Origin, headersMs: number): void {
  report.segments.addExchange(report.segments.segment(gateway, transport), status, origin, headersMs);
}

/** One error answer of the AC in which it said `error` (the exchange itself is recordExchange's). */
export function recordAcError(report: Report, gateway: string, transport: string, error: AcError): void {
  report.segments.addAcError(report.segments.segment(gateway, transport), error);
}

/** Event counts for a gateway label under a transport, added as one analysed chunk's. */
export function recordEvents(report: Report, gateway: string, transport: string, counts: EventCounts): void {
  report.segments.addEvents(report.segments.segment(gateway, transport), counts);
}

/** A gateway as the gateway state reports it: what is not given is not known. */
export function snapshotEntry(mac: string, transport: string, known: Partial<GatewaySnapshotEntry> = {}): GatewaySnapshotEntry {
  return { mac, transport, name: null, model: null, version: null, online: null, onlineChangedAt: null, lastEventAt: null, ...known };
}

/** Builds a report fed with the realistic mix; the returned clock stays frozen at END. */
export function realisticReport(): { report: Report; snapshot: GatewaySnapshotEntry[] } {
  let t = START;
  const rand = mulberry32(20261127);
  const snapshot: GatewaySnapshotEntry[] = PROFILES.map((p) => snapshotEntry(p.mac, p.moveAt ? 'mqtt' : p.transport, {
    name: p.name, model: p.model, version: p.version, online: p.online,
  }));
  snapshot.push(snapshotEntry(QUIET.mac, QUIET.transport, { name: QUIET.name, model: QUIET.model, version: QUIET.version, online: true }));
  const report = createReport({ gatewaySnapshot: () => snapshot, now: () => t });
  const count = (mean: number): number => Math.floor(mean * (0.6 + 0.8 * rand()) + rand());
  // Probes draw from their own stream, so the application's numbers stay those of the mix above.
  const probeRand = mulberry32(20261206);
  /** One probe every 30 s per gateway (every third bucket, staggered), failing as often as its calls do. */
  const probe = (mac: string, transport: string, err: number, p50: number, offline: boolean): void => {
    const u = probeRand();
    const result = u < err * 0.6 ? '502' : u < err * 0.9 ? '504' : u < err ? 'timeout' : 'ok';
    const rtt = result === 'timeout' ? NaN : p50 * Math.exp((probeRand() + probeRand() - 1) * 1.2);
    report.segments.addProbe(report.segments.segment(mac, transport), offline ? '502' : result, offline ? 2 : rtt, offline);
  };

  for (let b = 0; b < BUCKETS; b++) {
    for (const p of PROFILES) {
      // An offline gateway stops answering and streaming (minute 35 on).
      if (!p.online && b >= 210) continue;
      const moved = p.moveAt !== undefined && b >= p.moveAt.bucket;
      const transport = moved ? 'mqtt' : p.transport;
      // A short CAPWAP incident around minute 33 makes the chart worth reading.
      const incident = transport === 'capwap' && b >= 196 && b < 210 ? 4 : 1;
      const err = (moved ? p.moveAt?.err ?? p.err : p.err) * incident;
      const loss = (moved ? p.moveAt?.loss ?? p.loss : p.loss) * incident;
      const p50 = moved ? p.moveAt?.p50 ?? p.p50 : p.p50;
      const n = count(p.req);
      for (let i = 0; i < n; i++) {
        t = START + b * 10_000 + Math.floor(rand() * 8000);
        const latency = p50 * Math.exp((rand() + rand() + rand() - 1.5) * 1.4);
        if (rand() < err) {
          const is504 = rand() < p.share504;
          const origin = rand() < 0.8 ? 'upstream' : 'proxy';
          recordExchange(report, p.mac, transport, is504 ? 504 : 502, origin, is504 ? 20_000 + rand() * 9000 : latency);
          // The AC's own 502/504 page says nothing the proxy knows.
          if (origin === 'upstream') recordAcError(report, p.mac, transport, 'other');
        } else if (rand() < 0.003) {
          recordExchange(report, p.mac, transport, 499, 'client', NaN);
        } else {
          recordExchange(report, p.mac, transport, 200, 'upstream', latency);
        }
      }
      // Gateway-side answers, without drawing from the seeded stream (the mix above stays as it was):
      // CAPWAP connects time out twenty times as often as MQTT ones; chip busy is the same on both.
      // (Not on the gateway the application hardly calls: a connect there is not part of its day.)
      const connects = p.online && p.req >= 1;
      if (connects && b % (transport === 'capwap' ? 4 : 80) === 0) {
        recordExchange(report, p.mac, transport, 500, 'upstream', p50);
        recordAcError(report, p.mac, transport, 'operation_timeout');
      }
      if (connects && b % 24 === 12) {
        recordExchange(report, p.mac, transport, 500, 'upstream', p50);
        recordAcError(report, p.mac, transport, 'chip_busy');
      }
      const events = count(p.req * 7);
      let missing = 0;
      for (let i = 0; i < events; i++) if (rand() < loss) missing++;
      const scan = count(p.req * 20);
      const outOfOrder = rand() < loss * 3 ? 1 : 0;
      const duplicate = rand() < loss * 2 ? 1 : 0;
      t = START + b * 10_000 + 9000;
      recordEvents(report, p.mac, transport, { events: scan + events - missing, sequenced: events - missing, missing, outOfOrder, duplicate });
    }
    t = START + b * 10_000 + 9500;
    PROFILES.forEach((p, i) => {
      if ((b + i) % 3 !== 0) return;
      const moved = p.moveAt !== undefined && b >= p.moveAt.bucket;
      const offline = !p.online && b >= 210;
      probe(p.mac, moved ? 'mqtt' : p.transport, (moved ? p.moveAt?.err : undefined) ?? p.err, (moved ? p.moveAt?.p50 : undefined) ?? p.p50, offline);
    });
    if (b % 3 === 1) probe(QUIET.mac, QUIET.transport, QUIET.err, QUIET.p50, false);
  }
  t = END;
  return { report, snapshot };
}
