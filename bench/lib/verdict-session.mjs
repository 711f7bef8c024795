// One simulated session for the verdict evaluation: gateways with the simulator's fault model
// (per-call 502/504, per-event drops, Gilbert–Elliott bursts, offline periods), a client's
// traffic, the proxy's outage tracker and per-minute tallies, and the verdict core read at every
// look, all in simulated time (one step per second, no clock, no sockets).
import { BurstyLink } from '../../dist/src/simulator/link.js';
import { mulberry32, hashString } from '../../dist/src/simulator/prng.js';
import { OutageTracker } from '../../dist/src/report/outage.js';
import { MinuteTally } from '../../dist/src/report/minutes.js';
import { DEFAULT_POLICY, alphaAt, compareChange, decide, lookOf } from '../../dist/src/report/verdict.js';

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
    probeIntervalS: spec.probeIntervalS ?? 0,
    probePhase: index,
    resolved: { failures: 0, outage: 0 },
    // Per segment (the transport it is counted under): totals and minute tallies.
    segments: new Map(),
  };
}

function segmentOf(g) {
  let s = g.segments.get(g.label);
  if (s === undefined) {
    s = {
      errors: { k: 0, n: 0 }, loss: { k: 0, n: 0 }, probes: { k: 0, n: 0 }, outage: 0,
      minutes: { errors: new MinuteTally(g.bucketMs), loss: new MinuteTally(g.bucketMs), probes: new MinuteTally(g.bucketMs) },
    };
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
      const r = g.tracker.failure(known, ms + (i * 1000) / calls, g.resolved);
      seg.outage += r.outage;
    } else {
      const r = g.tracker.success(g.resolved);
      seg.errors.k += r.failures;
      seg.errors.n += r.failures + 1;
      seg.minutes.errors.add(ms, r.failures, r.failures + 1);
    }
  }
  // The proxy's probes (probe.interval): one every `probeIntervalS` per gateway, at its own phase;
  // a probe of an offline gateway is answered "gateway offline" and counted apart, not here.
  if (g.probeIntervalS > 0 && (t + g.probePhase) % g.probeIntervalS === 0 && !offline) {
    const failed = g.rng() < failP ? 1 : 0;
    seg.probes.k += failed;
    seg.probes.n += 1;
    seg.minutes.probes.add(ms, failed, 1);
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

/** The evidence of gateway `g` as the report would read it now (a run not yet decided counts nowhere). */
function evidence(g) {
  const seg = segmentOf(g);
  return {
    gateway: g.id,
    transport: g.label,
    tallies: {
      errors: { k: seg.errors.k, n: seg.errors.n },
      loss: { k: seg.loss.k, n: seg.loss.n },
      ...(seg.probes.n > 0 ? { probes: { ...seg.probes } } : {}),
    },
  };
}

/**
 * Runs one session. `scenario.gateways(seed)` gives the gateway specs; `scenario.change` (optional)
 * relabels one gateway at `atS` (and may switch its faults). Returns what the verdicts said.
 */
export function runSession(scenario, seed, { seconds = 3600, peekS = 10, policy = DEFAULT_POLICY, bucketS = 60 } = {}) {
  const gateways = scenario.gateways(seed).map((spec, i) => {
    const g = createGateway(spec, seed, i);
    g.id = `G${i}`;
    g.label = spec.transport;
    g.bucketMs = bucketS * 1000;
    return g;
  });
  const out = {
    // Per CAPWAP gateway id: first time (s) it was advised to move, or null.
    moved: new Map(gateways.filter((g) => g.label === 'capwap').map((g) => [g.id, null])),
    truthMove: new Map(gateways.map((g) => [g.id, g.shouldMove === true])),
    change: null,
    // When CAPWAP gateways as a group were first found worse (the first of the two questions).
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
      if (v.transport.some((tt) => tt.worse) && out.transportWorseAt === null) out.transportWorseAt = t + 1;
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
        const minutes = (seg) => Object.fromEntries(Object.entries(seg.minutes).map(([m, tally]) => [m, tally.sums()]).filter(([, x]) => x.buckets > 0));
        const tests = compareChange(minutes(before), minutes(after), alphaAt(policy.alpha, jc), policy);
        // As the report decides (recommend.ts changeVerdict): one direction and none against it.
        const up = tests.some((r) => r.direction === 'improved');
        const down = tests.some((r) => r.direction === 'worse');
        if (up !== down && out.change.firstAt === null) {
          out.change.firstAt = t + 1 - changedAt;
          out.change.firstVerdict = up ? 'improved' : 'worse';
          out.change.tests = tests.map((x) => [x.measure, x.direction, x.pValue, x.level, x.before, x.after, x.df]);
        }
      }
    }
  }
  return out;
}
