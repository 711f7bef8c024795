/**
 * The probe scheduler: the same small read-only call (`probe.call`) to every gateway the proxy
 * knows, at the same pace, whatever the application does — blackbox-style active monitoring of
 * the AC→gateway link. A call the gateway must answer crosses the CAPWAP or MQTT link both ways,
 * so its 502/504/timeout rate is that link's loss as the API sees it.
 *
 * Lives as long as the process and reads the current generation at every turn (its config, its
 * directory for labels and transports, its pool and token), so a reload is followed at the next
 * turn with nothing to tell. Which gateways: the state's `probeTargets()` (the gateway map and the
 * gateways the AC vouched for), re-read at the end of every round and whenever the generation
 * changes. Pace: pacing.ts. Results go to the gateway handle's counts, the one sink of the metrics
 * and the report, under the probe figures only.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/types.js';
import type { AcToken } from '../gateways/ac-token.js';
import type { GatewayDirectory } from '../gateways/directory.js';
import type { GatewayRecord, GatewayState } from '../gateways/state.js';
import { packageVersion } from '../version.js';
import { JITTER, createStartGate, createTurnState, jittered, paceFor, resumeAt, settle, takeTurn, type Pace, type TurnState } from './pacing.js';
import { probeOnce, type ProbeAnswer } from './probe-once.js';

/** The parts of a configuration generation the scheduler reads. */
export interface ProbeGeneration {
  readonly config: Config;
  readonly directory: GatewayDirectory;
  readonly token: AcToken | null;
}

export interface ProberDeps {
  generation: () => ProbeGeneration;
  state: Pick<GatewayState, 'probeTargets'>;
  log: Logger;
  /** Counts a fault inside the scheduler (it is logged once and probing goes on). */
  fault?: (err: unknown) => void;
  /** ms clock and uniform [0, 1) source; tests pass their own. */
  now?: () => number;
  random?: () => number;
}

export interface Prober {
  /** Gateways in the current round, and the time between two probes of one of them (s); zeros while off. */
  stats(): { targets: number; intervalSeconds: number };
  /** Stops scheduling; probes in flight end with the pools (their results are not counted). */
  close(): void;
}

/** While probes are off (or nothing is known yet), the scheduler looks again this often. */
const IDLE_MS = 1000;
/** After the AC refused the proxy's credentials, ask for a token again only this much later. */
const TOKEN_RETRY_MS = 30_000;

export function createProber(deps: ProberDeps): Prober {
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const { log } = deps;
  const userAgent = `cassia-ac-proxy/${packageVersion()} probe`;
  const gate = createStartGate(now);
  const turns = new Map<string, TurnState>();
  let ring: string[] = [];
  let records = new Map<string, GatewayRecord>();
  let cursor = 0;
  let lastMac: string | null = null;
  let built: ProbeGeneration | null = null;
  let pace: Pace | null = null;
  /** When the next turn is due, and when the last one was taken (ms). */
  let dueAt = 0;
  let lastTurnAt = -Infinity;
  let timer: NodeJS.Timeout | null = null;
  let closed = false;
  let tokenRetryAt = 0;
  let warnedToken = false;
  let warnedCap = false;
  let faulted = false;

  /** Re-reads the targets: sorted MACs, continuing the round after the last gateway probed. */
  function rebuild(g: ProbeGeneration): void {
    const targets = deps.state.probeTargets();
    records = new Map(targets.map((r) => [r.mac, r]));
    ring = [...records.keys()].sort();
    for (const mac of turns.keys()) if (!records.has(mac)) turns.delete(mac);
    cursor = built === g ? 0 : resumeAt(ring, lastMac);
    built = g;
    const { interval, maxPerSecond } = g.config.probe;
    pace = paceFor(ring.length, interval, maxPerSecond);
    if (pace.capped && !warnedCap && ring.length > 0) {
      log.warn({ gateways: ring.length, interval: interval / 1000, maxPerSecond, effectiveInterval: pace.cycleMs / 1000 },
        `probe.maxPerSecond caps the pace: each gateway is probed every ${Math.round(pace.cycleMs / 1000)}s instead of ${interval / 1000}s`);
    }
    warnedCap = pace.capped;
  }

  function schedule(ms: number): void {
    if (closed) return;
    timer = setTimeout(tick, ms);
    timer.unref();
  }

  /**
   * Runs every turn, and at least every IDLE_MS while waiting for one, so that a reload (a new
   * generation) takes effect within a second even when turns are minutes apart.
   */
  function tick(): void {
    timer = null;
    const g = deps.generation();
    const { enabled, maxPerSecond } = g.config.probe;
    if (!enabled || g.token === null) {
      ring = [];
      pace = null;
      built = null;
      schedule(IDLE_MS);
      return;
    }
    if (g !== built) {
      rebuild(g);
      // The next turn comes at the new pace, counted from the last one.
      dueAt = Math.min(dueAt, lastTurnAt + (pace?.spacingMs ?? 0));
    }
    const t = now();
    if (t < dueAt) {
      schedule(Math.min(dueAt - t, IDLE_MS));
      return;
    }
    if (cursor >= ring.length) rebuild(g);
    const mac = ring[cursor];
    const current = pace;
    if (mac === undefined || current === null) {
      schedule(IDLE_MS);
      return;
    }
    cursor += 1;
    lastMac = mac;
    lastTurnAt = t;
    // Counted from when the turn was due, so that timers firing a little late do not slow the pace
    // down; but never catching up more than the jitter's width, so two turns never bunch up.
    const base = Math.max(dueAt, t - JITTER * current.spacingMs);
    dueAt = base + jittered(current.spacingMs, 1000 / maxPerSecond, random());
    const record = records.get(mac);
    let turn = turns.get(mac);
    if (turn === undefined) turns.set(mac, (turn = createTurnState()));
    if (record !== undefined && takeTurn(turn, record.online === false)) void probe(g, mac, record, turn);
    schedule(Math.min(dueAt - t, IDLE_MS));
  }

  async function probe(g: ProbeGeneration, mac: string, record: GatewayRecord, turn: TurnState): Promise<void> {
    const token = g.token;
    if (token === null || now() < tokenRetryAt) return;
    turn.inFlight = true;
    const knownOffline = record.online === false;
    try {
      const answer = await ask(g, token, mac);
      if (answer === null || closed) return;
      settle(turn, answer.said === 'busy');
      g.directory.resolve(mac).counts.probe(answer.result, answer.rttMs, knownOffline || answer.said === 'offline', now());
    } catch (err) {
      // The proxy must never be the cause of a failure: a fault here is logged once and counted.
      deps.fault?.(err);
      if (!faulted) log.error({ err }, 'probe scheduler fault; probing goes on');
      faulted = true;
    } finally {
      turn.inFlight = false;
    }
  }

  /** One probe with a live token, asked once more with a fresh token when the AC refuses the first. */
  async function ask(g: ProbeGeneration, token: AcToken, mac: string): Promise<ProbeAnswer | null> {
    for (let attempt = 0; attempt < 2; attempt++) {
      let bearer: string;
      try {
        bearer = await token.get();
        warnedToken = false;
      } catch (err) {
        if ((err as { code?: string }).code !== 'AC_TOKEN_REFUSED') {
          // The AC did not answer the token request: it cannot be reached.
          return { result: 'unreachable', status: 0, rttMs: NaN, said: null };
        }
        tokenRetryAt = now() + TOKEN_RETRY_MS;
        if (!warnedToken) {
          log.warn({ status: (err as { status?: number }).status }, 'probes paused: the AC refused the proxy\'s credentials (discovery.key / discovery.secret); asking again in 30s');
        }
        warnedToken = true;
        return null;
      }
      const { probe } = g.config;
      const wait = gate.wait(probe.maxPerSecond);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait).unref());
      if (closed) return null;
      const answer = await probeOnce(token.target, probe.call, mac, bearer, probe.timeout, userAgent);
      if (answer === null || (answer.status !== 401 && answer.status !== 403) || attempt === 1) return answer;
      token.invalidate(bearer);
    }
    return null;
  }

  schedule(0);

  return {
    stats() {
      if (pace === null) return { targets: 0, intervalSeconds: 0 };
      return { targets: ring.length, intervalSeconds: ring.length === 0 ? (built?.config.probe.interval ?? 0) / 1000 : pace.cycleMs / 1000 };
    },
    close() {
      closed = true;
      if (timer !== null) clearTimeout(timer);
      timer = null;
    },
  };
}
