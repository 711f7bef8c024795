/**
 * A stand-in Cassia AC for tests, demos and benchmarks (docs/simulator.md). A separate
 * program: imports nothing from the proxy.
 */
import type { AddressInfo } from 'node:net';
import { createTokenStore } from './auth.js';
import { builtinProfiles, applyInput, loadProfileFile, validateInput, type ProfileInput } from './profile.js';
import { createSimServer, type SimTls } from './server.js';
import type { KeepaliveForm } from './sse.js';
import type { Truth } from './truth.js';
import { SimWorld } from './world.js';

export type { Truth, GatewayTruth, StreamTruth, SimStreamKind } from './truth.js';
export type { FaultProfile, ProfileInput, ProfileSet, SimTransport } from './profile.js';
export type { KeepaliveForm } from './sse.js';
export type { SimTls } from './server.js';
export type { RequestRecord, BodyDigest } from './http-util.js';
export { DEFAULT_CAPWAP, DEFAULT_MQTT, CLEAN_PROFILE } from './profile.js';

/** Options of `createSimulator`; every field has a default. */
export interface SimulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
  /** Number of gateways (default 4); MACs CC:1B:E0:E0:00:01, :00:02, … */
  gateways?: number;
  /** How many of them (the first ones) use CAPWAP; the rest MQTT. Default half, rounded up. */
  capwap?: number;
  /** Default 10: RuuviTag, Eddystone-TLM and plain devices in turn. */
  devicesPerGateway?: number;
  /** Default 1. Same seed and profile give the same faults for the same sequence of calls. */
  seed?: number | string;
  /** `default` (CAPWAP faulty, MQTT near clean), `clean`, a profile object, or a YAML/JSON file path. */
  profile?: 'default' | 'clean' | ProfileInput | string;
  /** OAuth client; defaults `sim-key` / `sim-secret`. */
  key?: string;
  secret?: string;
  /** Token lifetime, default 3600 s; may be fractional for tests. */
  tokenTtlSeconds?: number;
  /** Keep-alive period of every event stream, default 30000 ms. */
  keepaliveMs?: number;
  /** Default `comment`. */
  keepaliveForm?: KeepaliveForm;
  /** Each device advertises once per this many ms while a scan stream is open (default 1000). */
  scanIntervalMs?: number;
  /** Each connected device notifies once per this many ms while a notification stream is open (default 1000). */
  notifyIntervalMs?: number;
  /** Each connected device reports its RSSI once per this many ms while an RSSI stream is open (default 1000). */
  rssiIntervalMs?: number;
  /** Generator period (default 100 ms): events are written in one chunk per stream per tick. */
  tickMs?: number;
  /** Devices already connected on each gateway at start, reconnected after offline periods (default 2). */
  connectedPerGateway?: number;
  /** Event streams one gateway accepts before answering 500 `no resources` (default 25). */
  maxStreamsPerGateway?: number;
  /** Connected devices one gateway holds (default 22). */
  maxConnectionsPerGateway?: number;
  /** How long `/api/cassia/reboot` keeps a gateway offline (default 10000 ms). */
  rebootMs?: number;
  /** Serve HTTPS with this key and certificate (PEM) instead of HTTP; `url` is then `https://…`. */
  tls?: SimTls;
}

/** A running simulator. */
export interface Simulator {
  /** e.g. `http://127.0.0.1:41234` (no trailing slash). */
  url: string;
  /** The OAuth client it accepts. */
  key: string;
  secret: string;
  /** Gateway MACs in order. */
  gateways: string[];
  /** Same as `GET /__sim/truth`: a snapshot. */
  truth(): Truth;
  /** Same as `POST /__sim/faults`; throws on a malformed body. */
  setFaults(body: unknown): void;
  /** Same as `POST /__sim/close-streams`: ends every open event stream gracefully. */
  closeStreams(): number;
  /** Ends streams, closes every connection, stops timers. */
  close(): Promise<void>;
}

function positiveInt(name: string, value: number, min = 0): number {
  if (!Number.isInteger(value) || value < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${value}`);
  return value;
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number, got ${value}`);
  return value;
}

/** Resolves the `profile` option into a profile set. */
function resolveProfile(profile: SimulatorOptions['profile']) {
  const set = builtinProfiles('default');
  if (profile === undefined || profile === 'default') return set;
  if (profile === 'clean') return builtinProfiles('clean');
  applyInput(set, typeof profile === 'string' ? loadProfileFile(profile) : validateInput(profile));
  return set;
}

/** Starts a simulator listening on loopback (by default on a free port). */
export async function createSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const gateways = positiveInt('gateways', options.gateways ?? 4, 1);
  const capwap = positiveInt('capwap', options.capwap ?? Math.ceil(gateways / 2));
  if (capwap > gateways) throw new RangeError(`capwap (${capwap}) cannot exceed gateways (${gateways})`);
  const keepaliveForm = options.keepaliveForm ?? 'comment';
  if (!['comment', 'event', 'data', 'mixed'].includes(keepaliveForm)) throw new RangeError(`keepaliveForm: unknown form ${keepaliveForm}`);
  const world = new SimWorld({
    gateways, capwap,
    devicesPerGateway: positiveInt('devicesPerGateway', options.devicesPerGateway ?? 10),
    seed: options.seed ?? 1,
    profiles: resolveProfile(options.profile),
    keepaliveMs: positive('keepaliveMs', options.keepaliveMs ?? 30_000),
    keepaliveForm,
    scanIntervalMs: positive('scanIntervalMs', options.scanIntervalMs ?? 1000),
    notifyIntervalMs: positive('notifyIntervalMs', options.notifyIntervalMs ?? 1000),
    rssiIntervalMs: positive('rssiIntervalMs', options.rssiIntervalMs ?? 1000),
    tickMs: positive('tickMs', options.tickMs ?? 100),
    connectedPerGateway: positiveInt('connectedPerGateway', options.connectedPerGateway ?? 2),
    maxStreamsPerGateway: positiveInt('maxStreamsPerGateway', options.maxStreamsPerGateway ?? 25, 1),
    maxConnectionsPerGateway: positiveInt('maxConnectionsPerGateway', options.maxConnectionsPerGateway ?? 22, 1),
    rebootMs: positive('rebootMs', options.rebootMs ?? 10_000),
  });
  const key = options.key ?? 'sim-key';
  const secret = options.secret ?? 'sim-secret';
  const tokens = createTokenStore(key, secret, positive('tokenTtlSeconds', options.tokenTtlSeconds ?? 3600));
  const server = createSimServer(world, tokens, options.tls);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    world.close();
    throw err;
  }
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | null = null;
  return {
    url: `${options.tls ? 'https' : 'http'}://${host}:${address.port}`,
    key, secret,
    gateways: world.gateways.map((g) => g.mac),
    truth: () => world.truth(),
    setFaults: (body) => world.setFaults(body),
    closeStreams: () => world.closeStreams(),
    close: () => (closing ??= new Promise<void>((resolve) => {
      world.close();
      server.close(() => resolve());
      server.closeAllConnections();
    })),
  };
}
