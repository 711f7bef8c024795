#!/usr/bin/env node
// How often the verdicts are wrong, and how soon they are right: many seeded sessions in
// simulated time, the verdict core read every 10 s of simulated time for an hour.
//
//   A/A: both transports equally bad (independent faults; bursty loss; outages on both; gateways
//        differing in quality; unequal traffic) -> any `move_to_mqtt` is false; a gateway
//        relabelled with unchanged faults -> any `improved`/`worse` is false.
//   A/B: CAPWAP worse (the simulator's defaults, the demo's, a milder one) -> time until every
//        CAPWAP gateway is advised to move; a gateway moved onto a better link -> time to `improved`.
//
// Usage: npm run build && node bench/verdict-eval.mjs [--sessions 400] [--minutes 60] [--only NAME] [--seed 1] [--change-bucket 60]
// (--change-bucket: seconds per before/after bucket, as the fleet report's --change-bucket; the proxy's own is 60)
// Prints one table row per scenario with the false-verdict rate and its 95 % Clopper–Pearson interval.
import { parseArgs } from 'node:util';
import { runSession } from './lib/verdict-session.mjs';
import { SCENARIOS } from './lib/verdict-scenarios.mjs';

const { values } = parseArgs({
  options: {
    sessions: { type: 'string', default: '400' },
    minutes: { type: 'string', default: '60' },
    only: { type: 'string' },
    seed: { type: 'string', default: '1' },
    'change-bucket': { type: 'string', default: '60' },
  },
});
const sessions = Number(values.sessions);
const seconds = Number(values.minutes) * 60;
const seed0 = Number(values.seed);

/** Clopper–Pearson 95 % interval by bisection on the binomial tails (exact, no normal approximation). */
function clopperPearson(k, n) {
  const logChoose = (n2, k2) => lgamma(n2 + 1) - lgamma(k2 + 1) - lgamma(n2 - k2 + 1);
  const cdf = (x, p) => {
    let s = 0;
    for (let i = 0; i <= x; i++) s += Math.exp(logChoose(n, i) + i * Math.log(p) + (n - i) * Math.log1p(-p));
    return s;
  };
  const solve = (f) => {
    let lo = 0, hi = 1;
    for (let i = 0; i < 60; i++) {
      const mid = (lo + hi) / 2;
      if (f(mid)) hi = mid; else lo = mid;
    }
    return (lo + hi) / 2;
  };
  const lower = k === 0 ? 0 : solve((p) => 1 - cdf(k - 1, p) >= 0.025);
  const upper = k === n ? 1 : solve((p) => cdf(k, p) <= 0.025);
  return [lower, upper];
}

function lgamma(x) {
  // Lanczos approximation (g = 7), ample for interval bounds.
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lgamma(1 - x);
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

const pct = (x) => `${(x * 100).toFixed(2)} %`;
const interval = (k, n) => {
  const [lo, hi] = clopperPearson(k, n);
  return `${pct(k / n)} [${pct(lo)}, ${pct(hi)}]`;
};
const quantile = (xs, q) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const secs = (x) => (x === null ? '—' : `${x} s`);

const rows = [];
const started = Date.now();
for (const scenario of SCENARIOS) {
  if (values.only && !scenario.name.includes(values.only)) continue;
  let gwSessions = 0;
  let falseMoves = 0;
  let sessionsWithFalse = 0;
  let shouldMove = 0;
  const times = [];
  let never = 0;
  let within2min = 0;
  let transportFalse = 0;
  let changeFalse = 0;
  let changeRight = 0;
  const changeTimes = [];
  for (let s = 0; s < sessions; s++) {
    const r = runSession(scenario, seed0 * 1_000_003 + s, { seconds, bucketS: Number(values['change-bucket']) });
    let anyFalse = false;
    for (const [id, at] of r.moved) {
      gwSessions++;
      if (r.truthMove.get(id)) {
        shouldMove++;
        if (at === null) never++;
        else {
          times.push(at);
          if (at <= 120) within2min++;
        }
      } else if (at !== null) {
        falseMoves++;
        anyFalse = true;
      }
    }
    if (anyFalse) sessionsWithFalse++;
    if (scenario.kind === 'A/A' && r.transportWorseAt !== null) transportFalse++;
    if (r.change) {
      if (scenario.change.expect === null && r.change.firstVerdict !== null) changeFalse++;
      if (scenario.change.expect !== null && r.change.firstVerdict === scenario.change.expect) {
        changeRight++;
        changeTimes.push(r.change.firstAt);
      }
      if (scenario.change.expect !== null && r.change.firstVerdict !== null && r.change.firstVerdict !== scenario.change.expect) changeFalse++;
    }
  }
  const noMove = gwSessions - shouldMove;
  const row = { name: scenario.name, kind: scenario.kind, what: scenario.what };
  if (noMove > 0) row.falseMove = `${falseMoves}/${noMove} = ${interval(falseMoves, noMove)}`;
  if (noMove > 0) row.sessionsWithFalse = `${sessionsWithFalse}/${sessions}`;
  if (scenario.kind === 'A/A') row.transportFalse = `${transportFalse}/${sessions}`;
  if (shouldMove > 0) {
    row.advised = `${shouldMove - never}/${shouldMove}`;
    row.within2min = `${within2min}/${shouldMove}`;
    row.timeP50 = secs(quantile(times, 0.5));
    row.timeP90 = secs(quantile(times, 0.9));
    row.timeMax = secs(quantile(times, 1));
  }
  if (scenario.change) {
    row.changeFalse = `${changeFalse}/${sessions} = ${interval(changeFalse, sessions)}`;
    if (scenario.change.expect !== null) {
      row.changeRight = `${changeRight}/${sessions}`;
      row.changeP50 = secs(quantile(changeTimes, 0.5));
      row.changeP90 = secs(quantile(changeTimes, 0.9));
    }
  }
  rows.push(row);
  console.log(JSON.stringify(row));
}
console.log(`\n${sessions} sessions of ${seconds / 60} min per scenario, peeking every 10 s, in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
console.log('| scenario | kind | false move_to_mqtt (per gateway-session, 95 % CI) | sessions with a false one (CAPWAP found worse) | advised / within 2 min | time p50 / p90 / max | false change verdict (95 % CI) | right change / p50 / p90 |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.name} | ${r.kind} | ${r.falseMove ?? '—'} | ${r.sessionsWithFalse ? `${r.sessionsWithFalse}${r.transportFalse ? ` (${r.transportFalse})` : ''}` : '—'} | ${r.advised ? `${r.advised} / ${r.within2min}` : '—'} | ${r.timeP50 ? `${r.timeP50} / ${r.timeP90} / ${r.timeMax}` : '—'} | ${r.changeFalse ?? '—'} | ${r.changeRight ? `${r.changeRight} / ${r.changeP50} / ${r.changeP90}` : '—'} |`);
}
