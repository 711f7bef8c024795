/**
 * Fault profiles: what goes wrong, how often, per transport and per gateway. Defaults follow the
 * X2000 manual: CAPWAP over the internet loses, duplicates and reorders messages and answers
 * 502/504; MQTT is nearly clean.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { normalizeMac } from './mac.js';

/** The AC-to-gateway transports the simulator knows. */
export type SimTransport = 'capwap' | 'mqtt';

/** Every knob of one gateway's faults. Probabilities are 0–1; durations in ms unless named `S`. */
export interface FaultProfile {
  /** Probability that a call naming the gateway is answered 502. */
  http502: number;
  /** Probability that a call naming the gateway is answered 504, after `http504DelayMs`. */
  http504: number;
  http504DelayMs: number;
  /** Extra latency added to every call naming the gateway: `latencyMs` + uniform(0, `jitterMs`). */
  latencyMs: number;
  jitterMs: number;
  /** Per sequenced event (never the first of a source on a connection). */
  drop: number;
  duplicate: number;
  reorder: number;
  /** Offline periods: exponential gaps with this mean (0 = never), then a uniform duration. */
  offlineMeanIntervalS: number;
  offlineMinS: number;
  offlineMaxS: number;
  /** Probability that connect/read/write/discovery answers 500 with a gateway-side error text. */
  gatewayErrors: number;
  /**
   * Bursty loss (Gilbert–Elliott, see link.ts): the link stays in a good state for exponential
   * times of mean `burstGoodMeanS`, then in a bad one of mean `burstBadMeanS` (0 = no bursts), in
   * which 502/504 and drops take the `burst…` probabilities instead of `http502`, `http504`, `drop`.
   */
  burstGoodMeanS: number;
  burstBadMeanS: number;
  burstHttp502: number;
  burstHttp504: number;
  burstDrop: number;
  /** How long a connect takes (uniform). */
  connectMinMs: number;
  connectMaxMs: number;
}

/** Everything fault-related the simulator holds: one profile per transport plus per-gateway overrides. */
export interface ProfileSet {
  transports: Record<SimTransport, FaultProfile>;
  gateways: Record<string, Partial<FaultProfile>>;
}

/** What a profile file, the `profile` option or `POST /__sim/faults` may carry. */
export interface ProfileInput {
  /** Start from these built-in profiles: `default` (CAPWAP faulty, MQTT near clean) or `clean`. */
  profile?: 'default' | 'clean';
  transports?: Partial<Record<SimTransport, Partial<FaultProfile>>>;
  /** Keyed by gateway MAC (any case); `transport` moves the gateway. */
  gateways?: Record<string, Partial<FaultProfile> & { transport?: SimTransport }>;
}

/** A simulator-side error with a stable code, answered as HTTP 400 by the control endpoints. */
export class SimProfileError extends Error {
  readonly code = 'SIM_BAD_PROFILE';
}

/** All faults off, no extra latency; connects still take a little time as on a real gateway. */
export const CLEAN_PROFILE: Readonly<FaultProfile> = Object.freeze({
  http502: 0, http504: 0, http504DelayMs: 3000, latencyMs: 0, jitterMs: 0,
  drop: 0, duplicate: 0, reorder: 0,
  offlineMeanIntervalS: 0, offlineMinS: 5, offlineMaxS: 20,
  gatewayErrors: 0, connectMinMs: 50, connectMaxMs: 300,
  burstGoodMeanS: 60, burstBadMeanS: 0, burstHttp502: 0, burstHttp504: 0, burstDrop: 0,
});

/** CAPWAP over the internet: visibly worse. */
export const DEFAULT_CAPWAP: Readonly<FaultProfile> = Object.freeze({
  ...CLEAN_PROFILE,
  http502: 0.02, http504: 0.01, latencyMs: 20, jitterMs: 80,
  drop: 0.015, duplicate: 0.005, reorder: 0.005,
  offlineMeanIntervalS: 600, offlineMinS: 5, offlineMaxS: 20,
  gatewayErrors: 0.01, connectMinMs: 300, connectMaxMs: 2500,
});

/** MQTT: near clean. */
export const DEFAULT_MQTT: Readonly<FaultProfile> = Object.freeze({
  ...CLEAN_PROFILE,
  http502: 0.001, http504: 0.0005, latencyMs: 5, jitterMs: 15,
  drop: 0.0005, duplicate: 0, reorder: 0,
  offlineMeanIntervalS: 0,
  gatewayErrors: 0.01, connectMinMs: 200, connectMaxMs: 1500,
});

const PROBABILITIES = new Set(['http502', 'http504', 'drop', 'duplicate', 'reorder', 'gatewayErrors', 'burstHttp502', 'burstHttp504', 'burstDrop']);
const KEYS = new Set(Object.keys(CLEAN_PROFILE));

/** The built-in profile set named `name`. */
export function builtinProfiles(name: 'default' | 'clean'): ProfileSet {
  return name === 'clean'
    ? { transports: { capwap: { ...CLEAN_PROFILE }, mqtt: { ...CLEAN_PROFILE } }, gateways: {} }
    : { transports: { capwap: { ...DEFAULT_CAPWAP }, mqtt: { ...DEFAULT_MQTT } }, gateways: {} };
}

/** Checks a partial profile: known keys only, numbers in range. Throws SimProfileError naming the key. */
export function validatePartial(where: string, value: unknown, allowTransport: boolean): Partial<FaultProfile> & { transport?: SimTransport } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SimProfileError(`${where}: expected an object`);
  }
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(value)) {
    if (key === 'transport' && allowTransport) {
      if (raw !== 'capwap' && raw !== 'mqtt') throw new SimProfileError(`${where}.transport: expected "capwap" or "mqtt", got ${JSON.stringify(raw)}`);
      out.transport = raw;
      continue;
    }
    if (!KEYS.has(key)) throw new SimProfileError(`${where}.${key}: unknown profile key (known: ${[...KEYS].join(', ')})`);
    if (typeof raw !== 'number' || !Number.isFinite(raw) || raw < 0) {
      throw new SimProfileError(`${where}.${key}: expected a non-negative number, got ${JSON.stringify(raw)}`);
    }
    if (PROBABILITIES.has(key) && raw > 1) throw new SimProfileError(`${where}.${key}: a probability must be 0..1, got ${raw}`);
    out[key] = raw;
  }
  return out;
}

/** Validates a whole ProfileInput (from a file, an option or a POST body). */
export function validateInput(value: unknown): ProfileInput {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SimProfileError('profile: expected an object');
  const input: ProfileInput = {};
  for (const [key, raw] of Object.entries(value)) {
    if (key === 'profile') {
      if (raw !== 'default' && raw !== 'clean') throw new SimProfileError(`profile: expected "default" or "clean", got ${JSON.stringify(raw)}`);
      input.profile = raw;
    } else if (key === 'transports') {
      if (typeof raw !== 'object' || raw === null) throw new SimProfileError('transports: expected an object');
      input.transports = {};
      for (const [t, p] of Object.entries(raw)) {
        if (t !== 'capwap' && t !== 'mqtt') throw new SimProfileError(`transports.${t}: unknown transport (capwap, mqtt)`);
        input.transports[t] = validatePartial(`transports.${t}`, p, false);
      }
    } else if (key === 'gateways') {
      if (typeof raw !== 'object' || raw === null) throw new SimProfileError('gateways: expected an object');
      input.gateways = {};
      for (const [mac, p] of Object.entries(raw)) {
        const norm = normalizeMac(mac);
        if (!norm) throw new SimProfileError(`gateways.${mac}: not a MAC address`);
        input.gateways[norm] = validatePartial(`gateways.${mac}`, p, true);
      }
    } else {
      throw new SimProfileError(`${key}: unknown key (known: profile, transports, gateways)`);
    }
  }
  return input;
}

/** Reads a YAML or JSON profile file (YAML is a superset of JSON, so one parser does both). */
export function loadProfileFile(path: string): ProfileInput {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new SimProfileError(`profile file ${path}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (err) {
    throw new SimProfileError(`profile file ${path}: ${(err as Error).message}`);
  }
  return validateInput(parsed ?? {});
}

/**
 * Applies an input onto a profile set (mutating it) and returns the gateway transport moves it
 * asked for. `profile` first resets the set; then transports and gateways merge on top.
 */
export function applyInput(set: ProfileSet, input: ProfileInput): Record<string, SimTransport> {
  if (input.profile) {
    const base = builtinProfiles(input.profile);
    set.transports = base.transports;
    set.gateways = {};
  }
  for (const [t, p] of Object.entries(input.transports ?? {}) as Array<[SimTransport, Partial<FaultProfile>]>) {
    set.transports[t] = { ...set.transports[t], ...p };
  }
  const moves: Record<string, SimTransport> = {};
  for (const [mac, p] of Object.entries(input.gateways ?? {})) {
    const { transport, ...rest } = p;
    if (transport) moves[mac] = transport;
    if (Object.keys(rest).length > 0) set.gateways[mac] = { ...set.gateways[mac], ...rest };
  }
  return moves;
}

/** The profile in force for one gateway: its transport's profile with its own overrides on top. */
export function effectiveProfile(set: ProfileSet, mac: string, transport: SimTransport): FaultProfile {
  const own = set.gateways[mac];
  return own ? { ...set.transports[transport], ...own } : set.transports[transport];
}

/** `p` as it acts while its link is in the bad state of a burst. */
export function burstProfile(p: FaultProfile): FaultProfile {
  return { ...p, http502: p.burstHttp502, http504: p.burstHttp504, drop: p.burstDrop };
}
