// One simulated session for the verdict evaluation: gateways with the simulator's fault model
// (per-call 502/504, per-event drops, Gilbert–Elliott bursts, offline periods), a client's
// traffic, the proxy's outage tracker and per-minute tallies, and the verdict core read at every
// look, all in simulated time (one step per second, no clock, no sockets).
import { BurstyLink } from '../../dist/src/simulator/link.js';
import { mulberry32, hashString } from '../../dist/src/simulator/prng.js';
import { OutageTracker } from '../../dist/src/report/outage.js';
import { MinuteTally } from '../../dist/src/report/minutes.js';
import { DEFAULT_POLICY, alphaAt, changeTest, decide, lookOf } from '../../dist/src/report/verdict.js';

/** Poisson variate (Knuth; the means here are small). */
function poisson(rng, mean) {
  if (mean <= 0) return 0;
  const limit = Math.exp(-mean);
  let k = 0;
  let p = rng();
  while (p > limit) {
    k++;
    p *= rng();
  }
  return k;
}

/** A gateway's state in the session. */
function createGateway(spec, seed, index) {
  const rng = mulberry32(hashString(`${seed}:${index}:gw`));
  return {
    ...spec,
    rng,
    link: new BurstyLink(mulberry32(hashString(`${seed}:${index}:link`))),
    offlineUntil: -1,
    nextOffline: spec.profile.offlineMeanIntervalS > 0 ? -Math.log(1 - rng()) * spec.profile.offlineMeanIntervalS : Infinity,
    tracker: new OutageTracker(),
    resolved: { failures: 0, outage: 0 },
    // Per segment (the transport it is counted under): totals and minute tallies.
    segments: new Map(),
  };
}

function segmentOf(g) {
  let s = g.segments.get(g.label);
  if (s === undefined) {
    s = { errors: { k: 0, n: 0 }, loss: { k: 0, n: 0 }, outage: 0, minutes: { errors: new MinuteTally(), loss: new MinuteTally() }, since: null };
    g.segments.set(g.label, s);
  }
  return s;
}

/** One second of gateway `g` at simulated time `t` (s). */
function step(g, t) {
  const p = g.profile;
  const ms = t * 1000;
  if (t >= g.nextOffline && g.offlineUntil < t) {
    const duration = p.offlineMinS + g.rng() * Math.max(0, p.offlineMaxS - p.offlineMinS);
    g.offlineUntil = t + duration;
    g.nextOffline = p.offlineMeanIntervalS > 0 ? g.offlineUntil - Math.log(1 - g.rng()) * p.offlineMeanIntervalS : Infinity;
  }
  const offline = t < g.offlineUntil;
  const bad = g.link.isBad(ms, p.burstGoodMeanS ?? 0, p.burstBadMeanS ?? 0);
  const q = g.quality ?? 1;
  const failP = Math.min(1, q * (bad ? p.burstHttp502 + p.burstHttp504 : p.http502 + p.http504));
  const dropP = Math.min(1, q * (bad ? p.burstDrop : p.drop));
  const seg = segmentOf(g);
  const calls = poisson(g.rng, g.callsPerS);
  const known = offline && g.offlineKnown;
  for (let i = 0; i < calls; i++) {
    const failed = offline || g.rng() < failP;
    if (failed) {
      const r = g.tracker.failure(known, g.resolved);
      seg.outage += r.outage;
    } else {
      const r = g.tracker.success(g.resolved);
      seg.errors.k += r.failures;
      seg.errors.n += r.failures + 1;
      seg.minutes.errors.add(ms, r.failures, r.failures + 1);
    }
  }
  if (!offline) {
    const events = poisson(g.rng, g.eventsPerS);
    let missing = 0;
    for (let i = 0; i < events; i++) if (g.rng() < dropP) missing++;
    seg.loss.k += missing;
    seg.loss.n += events;
    seg.minutes.loss.add(ms, missing, events);
  }
}

/** The evidence of gateway `g` as the report would read it now (held failures count as the link's own). */
function evidence(g) {
  const seg = segmentOf(g);
  const held = g.tracker.pending;
  return {
    gateway: g.id,
    transport: g.label,
    tallies: {
      errors: { k: seg.errors.k + held, n: seg.errors.n + held },
      loss: { k: seg.loss.k, n: seg.loss.n },
    },
  };
}

/**
 * Runs one session. `scenario.gateways(seed)` gives the gateway specs; `scenario.change` (optional)
 * relabels one gateway at `atS` (and may switch its faults). Returns what the verdicts said.
 */
export function runSession(scenario, seed, { seconds = 3600, peekS = 10, policy = DEFAULT_POLICY } = {}) {
  const gateways = scenario.gateways(seed).map((spec, i) => {
    const g = createGateway(spec, seed, i);
    g.id = `G${i}`;
    g.label = spec.transport;
    return g;
  });
  const out = {
    // Per CAPWAP gateway id: first time (s) it was advised to move, or null.
    moved: new Map(gateways.filter((g) => g.label === 'capwap').map((g) => [g.id, null])),
    truthMove: new Map(gateways.map((g) => [g.id, g.shouldMove === true])),
    change: null,
    // Smallest p / level of the transport test per measure over the looks, and when CAPWAP was first found worse.
    minP: {},
    transportWorseAt: null,
  };
  let lastLook = 0;
  let changeLook = 0;
  let changedAt = null;
  for (let t = 0; t < seconds; t++) {
    const change = scenario.change;
    if (change && t === change.atS) {
      const g = gateways[change.gateway];
      g.label = change.to;
      if (change.profile) g.profile = change.profile;
      changedAt = t;
      out.change = { verdict: null, firstAt: null, firstVerdict: null, gateway: g.id };
    }
    for (const g of gateways) step(g, t);
    if ((t + 1) % peekS !== 0) continue;
    const age = (t + 1) * 1000;
    const j = lookOf(age);
    if (j > lastLook) {
      lastLook = j;
      const ev = gateways.filter((g) => g.label === 'capwap' || g.label === 'mqtt').map(evidence);
      const v = decide(ev, alphaAt(policy.alpha, j), policy);
      for (const tt of v.transport) {
        if (tt.pValue !== null) out.minP[tt.measure] = Math.min(out.minP[tt.measure] ?? Infinity, tt.pValue / tt.level);
        if (tt.worse && out.transportWorseAt === null) out.transportWorseAt = t + 1;
      }
      for (const [id, d] of v.gateways) {
        if (d.verdict === 'move_to_mqtt' && out.moved.has(id) && out.moved.get(id) === null) out.moved.set(id, t + 1);
      }
    }
    if (changedAt !== null) {
      const jc = lookOf((t + 1 - changedAt) * 1000);
      if (jc > changeLook) {
        changeLook = jc;
        const g = gateways[scenario.change.gateway];
        const before = g.segments.get(scenario.change.from);
        const after = g.segments.get(scenario.change.to);
        const level = alphaAt(policy.alpha, jc) / 2;
        for (const m of ['errors', 'loss']) {
          const r = changeTest(m, before.minutes[m].sums(), after.minutes[m].sums(), level, policy);
          out.change.last = out.change.last ?? {}; out.change.last[m] = { j: jc, t: r.t, df: r.df, p: r.pValue, level, before: r.before, after: r.after, missing: r.missing };
          if (r.direction !== null && out.change.firstAt === null) {
            out.change.firstAt = t + 1 - changedAt;
            out.change.firstVerdict = r.direction; out.change.detail = { m, t: r.t, df: r.df, p: r.pValue, level, before: r.before, after: r.after };
          }
        }
      }
    }
  }
  return out;
}
